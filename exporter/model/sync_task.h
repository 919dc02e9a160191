// A data-sync task as GetCdbDataSyncTaskList describes it, or a DTS job as
// DescribeSyncJobs or DescribeMigrationJobs does.
#ifndef CDB_SYNC_EXPORTER_MODEL_SYNC_TASK_H_
#define CDB_SYNC_EXPORTER_MODEL_SYNC_TASK_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/model/job.h"

namespace cdb_sync {

// The ten documented task statuses, indexed by their code (0-9).
inline constexpr std::array<std::string_view, 10> kTaskStatusNames = {
    "not_configured", "configured",    "checking", "check_failed",
    "check_passed",   "ready_to_sync", "syncing",  "waiting_for_switchover",
    "sync_failed",    "sync_done"};

// The documented check flags, indexed by their code (0-2).
inline constexpr std::array<std::string_view, 3> kCheckFlagNames = {
    "not_checked", "passed", "failed"};

// One entry of data.jobList (API 2.0) or Response.JobList (DTS). A field
// the reply left out stays nullopt.
struct SyncTask {
  // Which check the task's job is: cdb_sync_check for API 2.0 tasks.
  JobApi api = JobApi::kCdbSyncCheck;
  // API 2.0 only.
  int64_t job_id = 0;
  // The task's `type`: 1, 2 or 10 are srcType values (10 is
  // disaster-recovery sync); other values are kept as they came.
  std::optional<int64_t> type;
  std::string name;
  std::optional<int64_t> status;
  // Progress as the API reports it, from 0 to 100.
  std::optional<double> progress;
  std::optional<int64_t> check_flag;
  // DTS only: JobId and Status (e.g. running, checkPass), as they came.
  std::string dts_job_id;
  std::string dts_status;

  // Returns the task's status for /sd: the API 2.0 code or the DTS text.
  std::string StatusText() const {
    if (api != JobApi::kCdbSyncCheck) return dts_status;
    return status ? std::to_string(*status) : std::string();
  }
};

// One page of the list reply.
struct TaskListReply {
  int64_t code = 0;
  std::string message;
  std::string code_desc;
  // data.totalCount (or data.totalNum): tasks matching the filter, all pages.
  std::optional<int64_t> total_count;
  std::vector<SyncTask> tasks;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_MODEL_SYNC_TASK_H_
