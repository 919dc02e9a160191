#include "exporter/model/check_info.h"

namespace cdb_sync {

std::string_view FetchOutcomeName(FetchOutcome outcome) {
  switch (outcome) {
    case FetchOutcome::kSuccess:
      return "success";
    case FetchOutcome::kApiError:
      return "api_error";
    case FetchOutcome::kThrottled:
      return "throttled";
    case FetchOutcome::kHttpError:
      return "http_error";
    case FetchOutcome::kNetworkError:
      return "network_error";
    case FetchOutcome::kTimeout:
      return "timeout";
    case FetchOutcome::kParseError:
      return "parse_error";
    case FetchOutcome::kInternalError:
      return "internal_error";
  }
  return "internal_error";
}

std::string_view StepStateName(StepState state) {
  switch (state) {
    case StepState::kSuccess:
      return "success";
    case StepState::kFailed:
      return "failed";
    case StepState::kPending:
      return "pending";
    case StepState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace cdb_sync
