// libFuzzer target for the DTS (API 3.0) reply parsers. Each input is read
// as a check reply, mapped as a sync and as a migration check, and read as a
// job-list page. Each must end in a reply that follows the rules in
// dts_check_parser.h and dts_check.h, or a non-empty error, without a crash,
// sanitizer report, leak, hang or exception. A broken rule aborts, so
// libFuzzer saves the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "exporter/model/dts_check.h"
#include "exporter/parse/check_info_parser.h"
#include "exporter/parse/dts_check_parser.h"
#include "exporter/util/expected.h"

namespace cdb_sync {
namespace {

// Prints `invariant` and aborts when `condition` is false.
void Require(bool condition, const char* invariant) {
  if (condition) return;
  std::fprintf(stderr, "dts_reply_parser_fuzzer: invariant failed: %s\n",
               invariant);
  std::abort();
}

// Checks what the mapping promises for any parsed check.
void CheckMapped(const CheckInfo& info) {
  Require(!info.check_finished || *info.check_finished == 0 ||
              *info.check_finished == 1,
          "finished is 0 or 1");
  Require(!info.error_code || *info.error_code == 0 || *info.error_code == -1,
          "errno is 0 or -1");
  Require(!info.step_all || *info.step_all >= 0, "steps is not negative");
  Require(!info.step_now || *info.step_now >= 0,
          "current step is not negative");
  for (const CheckStep& step : info.steps) {
    Require(!step.error_code, "DTS steps have no errno");
  }
}

void CheckCheckReply(const DtsCheckReply& reply) {
  Require(reply.error_code.empty() == reply.check.has_value(),
          "a reply has an Error or a check, never both or neither");
  if (!reply.check) return;
  Require(reply.check->steps.size() <= kMaxCheckSteps,
          "at most kMaxCheckSteps steps");
  CheckMapped(MapDtsSyncCheck(*reply.check));
  const CheckInfo migration = MapDtsMigrationCheck(*reply.check);
  CheckMapped(migration);
  Require(migration.step_all.value_or(0) ==
              static_cast<int64_t>(reply.check->steps.size()),
          "a migration check counts its steps");
}

void CheckListReply(const DtsJobListReply& reply) {
  Require(reply.jobs.size() <= kMaxDtsJobsPerPage,
          "at most kMaxDtsJobsPerPage jobs");
  for (const SyncTask& job : reply.jobs) {
    Require(IsValidDtsJobId(job.dts_job_id), "every job has a valid JobId");
    Require(job.api == JobApi::kDtsSyncCheck, "every job has the list's API");
  }
}

}  // namespace
}  // namespace cdb_sync

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const cdb_sync::Expected<cdb_sync::DtsCheckReply> check =
      cdb_sync::ParseDtsCheckReply(body);
  if (check.ok()) {
    cdb_sync::CheckCheckReply(check.value());
  } else {
    cdb_sync::Require(!check.error().empty(),
                      "a rejected reply has an error message");
  }
  const cdb_sync::Expected<cdb_sync::DtsJobListReply> list =
      cdb_sync::ParseDtsJobListReply(body, cdb_sync::JobApi::kDtsSyncCheck);
  if (list.ok()) {
    cdb_sync::CheckListReply(list.value());
  } else {
    cdb_sync::Require(!list.error().empty(),
                      "a rejected page has an error message");
  }
  return 0;
}
