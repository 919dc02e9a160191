// The parsed reply of GetCdbDataSyncTaskCheckInfo and the outcome of one
// call. All strings are owned copies, valid after the parser is reused.
#ifndef CDB_SYNC_EXPORTER_MODEL_CHECK_INFO_H_
#define CDB_SYNC_EXPORTER_MODEL_CHECK_INFO_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/model/job.h"

namespace cdb_sync {

// The state a step's errno stands for.
enum class StepState { kSuccess, kFailed, kPending, kUnknown };

constexpr StepState StepStateFromCode(int64_t error_code) {
  switch (error_code) {
    case 0:
      return StepState::kSuccess;
    case -1:
      return StepState::kFailed;
    case -2:
      return StepState::kPending;
    default:
      return StepState::kUnknown;
  }
}

// Returns the label value of a step state: success, failed, pending or
// unknown (an errno other than 0, -1 and -2).
std::string_view StepStateName(StepState state);

// One step of a check: an entry of API 2.0's data.stepInfo, or of API 3.0's
// StepInfos (sync) or StepInfo (migration).
struct CheckStep {
  std::string name;
  // API 2.0 only: the step's errno, 0 passed, -1 failed, -2 not checked
  // yet, other values kept as they came. API 3.0 steps have no errno.
  std::optional<int64_t> error_code;
  StepState state = StepState::kUnknown;
  std::string error_message;
};

// The reply's `data` object. A field the reply left out stays nullopt, so
// no series is invented for it.
struct CheckInfo {
  std::optional<int64_t> step_all;
  std::optional<int64_t> step_now;
  std::optional<int64_t> error_code;
  std::optional<int64_t> check_finished;
  std::string step_comment;
  std::string error_message;
  std::vector<CheckStep> steps;
};

// The whole reply. An API 3.0 reply fills it as follows: Error.Code goes
// to error_code and code_desc, Error.Message to message, and code stays 0.
struct CheckInfoReply {
  // API 2.0's code; 0 on success.
  int64_t code = 0;
  std::string message;
  std::string code_desc;
  // API 3.0's Response.Error.Code, e.g. "AuthFailure.SignatureFailure";
  // empty on success and for API 2.0 replies.
  std::string error_code;
  // API 3.0's Response.RequestId, for logs; empty for API 2.0 replies.
  std::string request_id;
  // nullopt when `data` was missing, null or an empty array: the check has
  // no data yet (or the call failed).
  std::optional<CheckInfo> data;

  // True when the API reported an error: a non-zero API 2.0 code or an API
  // 3.0 Error object.
  bool IsError() const { return code != 0 || !error_code.empty(); }

  // The error code as text: API 3.0's Error.Code, or API 2.0's code.
  std::string CodeText() const {
    return error_code.empty() ? std::to_string(code) : error_code;
  }
};

// The outcome of one API call. The set is fixed, because it becomes a label
// value.
enum class FetchOutcome {
  kSuccess,        // HTTP 200, valid JSON, code 0
  kApiError,       // valid reply with a non-zero code other than throttling
  kThrottled,      // the API's request quota is spent (code 4400)
  kHttpError,      // an HTTP status other than 200
  kNetworkError,   // connect, resolve, TLS or transfer failure
  kTimeout,        // the call did not finish within its timeout
  kParseError,     // the body is not a reply we can read
  kInternalError,  // a bug or resource failure inside the exporter
};

std::string_view FetchOutcomeName(FetchOutcome outcome);

// Every FetchOutcome, in declaration order.
inline constexpr FetchOutcome kAllFetchOutcomes[] = {
    FetchOutcome::kSuccess,      FetchOutcome::kApiError,
    FetchOutcome::kThrottled,    FetchOutcome::kHttpError,
    FetchOutcome::kNetworkError, FetchOutcome::kTimeout,
    FetchOutcome::kParseError,   FetchOutcome::kInternalError,
};

// When a scrape's reply is due; nullopt when the scrape has no deadline.
using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// The result of fetching one job's check.
struct FetchResult {
  FetchOutcome outcome = FetchOutcome::kInternalError;
  // Set whenever the body parsed, whatever its code.
  std::optional<CheckInfoReply> reply;
  // The HTTP status, or 0 when no response arrived.
  long http_status = 0;
  // Description of the failure, for logs; empty on success. It never
  // contains a secret.
  std::string error;
  double duration_seconds = 0;
  // API attempts made, retries included; 0 when none was sent.
  int attempts = 0;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_MODEL_CHECK_INFO_H_
