// The check of a DTS (API 3.0) sync or migration job, as the API reports it,
// and its mapping onto the CheckInfo that the API 2.0 check fills, so that
// both kinds of job publish the same series.
#ifndef CDB_SYNC_EXPORTER_MODEL_DTS_CHECK_H_
#define CDB_SYNC_EXPORTER_MODEL_DTS_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/model/check_info.h"

namespace cdb_sync {

// One step: an entry of DescribeCheckSyncJobResult's StepInfos or of
// DescribeMigrationCheckJob's StepInfo.
struct DtsCheckStep {
  std::optional<int64_t> number;  // StepNo
  std::string id;                 // StepId, e.g. ConnectDBCheck
  std::string name;               // StepName
  // Status (sync: notStarted, running, failed, finished, skipped, paused) or
  // StepStatus (migration: pass, failed, notStarted, blocked, warning).
  std::string status;
  // Sync: the Errors' messages, else the Warnings'; migration: StepMessage.
  std::string message;
  bool skipped = false;  // migration's HasSkipped
};

// The Response object of a successful reply of either call.
struct DtsCheck {
  // notStarted, running, failed or success.
  std::string status;
  // Sync only.
  std::optional<int64_t> step_count;
  std::optional<int64_t> step_cur;
  std::optional<int64_t> progress;
  // Migration only: checkPass or checkNotPass, and the brief result text.
  std::string check_flag;
  std::string brief_message;
  std::vector<DtsCheckStep> steps;
};

// Returns the state of a sync check's step. finished and skipped count as
// success, because a skipped step no longer blocks the check. notStarted,
// running and paused count as pending, failed as failed, and anything else
// as unknown.
StepState DtsSyncStepState(std::string_view status);

// Returns the state of a migration check's step. pass and warning (passed
// with a warning) count as success, as does a step the user skipped. failed
// and blocked count as failed, notStarted as pending, and anything else as
// unknown.
StepState DtsMigrationStepState(std::string_view status, bool skipped);

// Maps a DescribeCheckSyncJobResult reply. StepCount and StepCur become
// steps and current step, and Status success or failed means finished; any
// other non-empty Status means not finished. The errno is -1 for a failed
// check and 0 otherwise. The step comment is the current step's name, and
// the error is the first failed step's message. A reply without a Status
// leaves finished and errno unset.
CheckInfo MapDtsSyncCheck(const DtsCheck& check);

// Maps a DescribeMigrationCheckJob reply, which has no step counts: steps
// is the number of steps, and the current step is the first one that has
// not passed (1-based), or the last step when all passed. Status success or
// failed means finished; any other non-empty Status means not finished. The
// errno is -1 when Status is failed, or success with CheckFlag checkNotPass,
// and 0 otherwise. The error is BriefMsg for a failed check, else the first
// failed step's message. A reply without a Status leaves finished and errno
// unset.
CheckInfo MapDtsMigrationCheck(const DtsCheck& check);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_MODEL_DTS_CHECK_H_
