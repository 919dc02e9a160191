#include "exporter/model/job_status.h"

#include <algorithm>

namespace cdb_sync {

CheckState CheckStateOf(const FetchResult& result) {
  if (result.outcome != FetchOutcome::kSuccess) return CheckState::kUnreachable;
  if (!result.reply || !result.reply->data) return CheckState::kNoData;

  const CheckInfo& check = *result.reply->data;
  const bool step_failed = std::any_of(
      check.steps.begin(), check.steps.end(),
      [](const auto& step) { return step.state == StepState::kFailed; });
  if (step_failed || check.error_code.value_or(0) != 0) {
    return CheckState::kFailed;
  }
  return check.check_finished.value_or(0) == 1 ? CheckState::kPassed
                                               : CheckState::kRunning;
}

std::string_view CheckStateName(CheckState state) {
  switch (state) {
    case CheckState::kPassed:
      return "passed";
    case CheckState::kFailed:
      return "failed";
    case CheckState::kRunning:
      return "running";
    case CheckState::kNoData:
      return "no_data";
    case CheckState::kUnreachable:
      return "unreachable";
    case CheckState::kNotFetched:
      return "not_fetched";
  }
  return "not_fetched";
}

}  // namespace cdb_sync
