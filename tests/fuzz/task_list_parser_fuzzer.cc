// libFuzzer target for ParseTaskListReply, which must return, for any input,
// either a reply that follows the rules in task_list_parser.h or a non-empty
// error, without a crash, sanitizer report, leak, hang or exception. A broken
// rule aborts, so libFuzzer saves the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "exporter/model/sync_task.h"
#include "exporter/parse/task_list_parser.h"
#include "exporter/util/expected.h"

namespace cdb_sync {
namespace {

// Prints `invariant` and aborts when `condition` is false.
void Require(bool condition, const char* invariant) {
  if (condition) return;
  std::fprintf(stderr, "task_list_parser_fuzzer: invariant failed: %s\n",
               invariant);
  std::abort();
}

// Checks the rules of task_list_parser.h on a reply the parser accepted.
void CheckReply(const TaskListReply& reply) {
  Require(!reply.total_count || *reply.total_count >= 0,
          "totalCount is not negative");
  Require(reply.tasks.size() <= kMaxTasksPerPage,
          "jobList has at most kMaxTasksPerPage tasks");
  for (const SyncTask& task : reply.tasks) {
    Require(task.job_id > 0, "every task has a positive jobId");
  }
}

}  // namespace
}  // namespace cdb_sync

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const cdb_sync::Expected<cdb_sync::TaskListReply> reply =
      cdb_sync::ParseTaskListReply(body);
  if (reply.ok()) {
    cdb_sync::CheckReply(reply.value());
  } else {
    cdb_sync::Require(!reply.error().empty(),
                      "a rejected reply has an error message");
  }
  return 0;
}
