#include "exporter/model/dts_check.h"

namespace cdb_sync {
namespace {

// The errno that the API 2.0 check reports for a failed check.
constexpr int64_t kFailedErrno = -1;

// Sets finished and errno from the check's Status; `not_passed` is true when
// the check ran to its end but found problems. Any other non-empty Status
// (a state added after this code was written, such as a paused check)
// counts as not finished, so the stuck-check alert watches it.
void SetOutcome(std::string_view status, bool not_passed, CheckInfo& info) {
  if (status == "success" || status == "failed") {
    info.check_finished = 1;
    info.error_code = status == "failed" || not_passed ? kFailedErrno : 0;
  } else if (!status.empty()) {
    info.check_finished = 0;
    info.error_code = 0;
  }
}

CheckStep MapStep(const DtsCheckStep& step, StepState state) {
  CheckStep mapped;
  mapped.name = step.name.empty() ? step.id : step.name;
  mapped.state = state;
  mapped.error_message = step.message;
  return mapped;
}

// Returns the message of the first failed step, or empty.
std::string FirstFailure(const CheckInfo& info) {
  for (const CheckStep& step : info.steps) {
    if (step.state == StepState::kFailed && !step.error_message.empty()) {
      return step.error_message;
    }
  }
  return "";
}

}  // namespace

StepState DtsSyncStepState(std::string_view status) {
  if (status == "finished" || status == "skipped") return StepState::kSuccess;
  if (status == "failed") return StepState::kFailed;
  if (status == "notStarted" || status == "running" || status == "paused") {
    return StepState::kPending;
  }
  return StepState::kUnknown;
}

StepState DtsMigrationStepState(std::string_view status, bool skipped) {
  if (status == "pass" || status == "warning") return StepState::kSuccess;
  if (status == "failed" || status == "blocked") {
    return skipped ? StepState::kSuccess : StepState::kFailed;
  }
  if (status == "notStarted") return StepState::kPending;
  return StepState::kUnknown;
}

CheckInfo MapDtsSyncCheck(const DtsCheck& check) {
  CheckInfo info;
  info.step_all = check.step_count;
  info.step_now = check.step_cur;
  SetOutcome(check.status, /*not_passed=*/false, info);
  for (const DtsCheckStep& step : check.steps) {
    info.steps.push_back(MapStep(step, DtsSyncStepState(step.status)));
    if (check.step_cur && step.number == check.step_cur) {
      info.step_comment = info.steps.back().name;
    }
  }
  // A failed step explains itself even while the check runs on.
  info.error_message = FirstFailure(info);
  return info;
}

CheckInfo MapDtsMigrationCheck(const DtsCheck& check) {
  CheckInfo info;
  SetOutcome(check.status, check.check_flag == "checkNotPass", info);
  for (const DtsCheckStep& step : check.steps) {
    info.steps.push_back(
        MapStep(step, DtsMigrationStepState(step.status, step.skipped)));
  }
  if (!info.steps.empty()) {
    info.step_all = static_cast<int64_t>(info.steps.size());
    info.step_now = info.step_all;
    for (std::size_t i = 0; i < info.steps.size(); ++i) {
      if (info.steps[i].state != StepState::kSuccess) {
        info.step_now = static_cast<int64_t>(i) + 1;
        break;
      }
    }
    info.step_comment = info.steps[*info.step_now - 1].name;
  }
  if (info.error_code.value_or(0) != 0 && !check.brief_message.empty()) {
    info.error_message = check.brief_message;
  } else {
    info.error_message = FirstFailure(info);
  }
  return info;
}

}  // namespace cdb_sync
