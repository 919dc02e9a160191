// libFuzzer target for ParseCheckInfoReply, which must return, for any input,
// either a reply that follows the rules in check_info_parser.h or a non-empty
// error, without a crash, sanitizer report, leak, hang or exception. A broken
// rule aborts, so libFuzzer saves the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string_view>

#include "exporter/model/check_info.h"
#include "exporter/parse/check_info_parser.h"
#include "exporter/util/expected.h"

namespace cdb_sync {
namespace {

// Prints `invariant` and aborts when `condition` is false.
void Require(bool condition, const char* invariant) {
  if (condition) return;
  std::fprintf(stderr, "check_info_parser_fuzzer: invariant failed: %s\n",
               invariant);
  std::abort();
}

bool IsInt32(int64_t value) {
  return value >= std::numeric_limits<int32_t>::min() &&
         value <= std::numeric_limits<int32_t>::max();
}

bool IsUnsetOrInt32(const std::optional<int64_t>& value) {
  return !value || IsInt32(*value);
}

// Checks the rules of check_info_parser.h on a reply the parser accepted.
void CheckReply(const CheckInfoReply& reply) {
  Require(IsInt32(reply.code), "code is a 32-bit integer");
  if (!reply.data) return;

  const CheckInfo& info = *reply.data;
  Require(IsUnsetOrInt32(info.step_all), "data.stepAll is a 32-bit integer");
  Require(IsUnsetOrInt32(info.step_now), "data.stepNow is a 32-bit integer");
  Require(IsUnsetOrInt32(info.error_code), "data.errno is a 32-bit integer");
  Require(!info.step_all || *info.step_all >= 0,
          "data.stepAll is not negative");
  Require(!info.step_now || *info.step_now >= 0,
          "data.stepNow is not negative");
  Require(!info.check_finished || *info.check_finished == 0 ||
              *info.check_finished == 1,
          "data.check_finished is 0 or 1");
  Require(info.steps.size() <= kMaxCheckSteps,
          "data.stepInfo has at most kMaxCheckSteps steps");
  for (const CheckStep& step : info.steps) {
    Require(step.error_code && IsInt32(*step.error_code),
            "stepInfo[].errno is present and a 32-bit integer");
    Require(step.state == StepStateFromCode(*step.error_code),
            "stepInfo[].errno decides the step's state");
  }
}

}  // namespace
}  // namespace cdb_sync

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cdb_sync::CheckInfoReply;
  using cdb_sync::Expected;
  using cdb_sync::Require;

  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const Expected<CheckInfoReply> reply = cdb_sync::ParseCheckInfoReply(body);
  if (reply.ok()) {
    cdb_sync::CheckReply(reply.value());
  } else {
    Require(!reply.error().empty(), "a rejected reply has an error message");
  }

  // Each thread reuses one simdjson parser, so a second parse of the same
  // bytes must not see state left over from the first.
  const Expected<CheckInfoReply> again = cdb_sync::ParseCheckInfoReply(body);
  Require(again.ok() == reply.ok(), "a second parse gives the same verdict");
  Require(again.error() == reply.error(),
          "a second parse gives the same error message");
  if (reply.ok()) {
    Require(again.value().data.has_value() == reply.value().data.has_value(),
            "a second parse gives the same data presence");
  }
  return 0;
}
