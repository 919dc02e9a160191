// The last known result of each job, for the status page.
#ifndef CDB_SYNC_EXPORTER_MODEL_JOB_STATUS_H_
#define CDB_SYNC_EXPORTER_MODEL_JOB_STATUS_H_

#include <chrono>
#include <optional>

#include "exporter/model/check_info.h"
#include "exporter/model/job.h"

namespace cdb_sync {

// The last fetch of one job, and when its API call last succeeded.
struct JobStatus {
  Job job;
  // nullopt until the job has been fetched once.
  std::optional<FetchResult> last_result = std::nullopt;
  std::chrono::system_clock::time_point fetched_at = {};
  std::optional<std::chrono::system_clock::time_point> last_success_at =
      std::nullopt;
  // When a request for the job was last sent; a result the rate limit held
  // back or the deadline cut before sending leaves it unchanged.
  std::optional<std::chrono::system_clock::time_point> last_sent_at =
      std::nullopt;
};

// The state of a job's check, as the status page shows it.
enum class CheckState {
  kPassed,       // finished with errno 0 and no failed step
  kFailed,       // a non-zero errno or a failed step, finished or not
  kRunning,      // not finished, and nothing has failed so far
  kNoData,       // the call succeeded, but the check has no data yet
  kUnreachable,  // the API call failed (see the fetch outcome)
  kNotFetched,   // the job has not been fetched yet
};

// Returns the state of the check in `result`.
CheckState CheckStateOf(const FetchResult& result);

// Returns the lower-case name of `state`: passed, failed, running, no_data,
// unreachable or not_fetched.
std::string_view CheckStateName(CheckState state);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_MODEL_JOB_STATUS_H_
