// Parsers for the JSON replies of the DTS (API 3.0) calls
// DescribeCheckSyncJobResult and DescribeMigrationCheckJob (the checks), and
// DescribeSyncJobs and DescribeMigrationJobs (the job lists).
#ifndef CDB_SYNC_EXPORTER_PARSE_DTS_CHECK_PARSER_H_
#define CDB_SYNC_EXPORTER_PARSE_DTS_CHECK_PARSER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/model/dts_check.h"
#include "exporter/model/sync_task.h"
#include "exporter/util/expected.h"

namespace cdb_sync {

// A reply: either an Error or the check.
struct DtsCheckReply {
  // Response.Error.Code and .Message; empty when the call succeeded.
  std::string error_code;
  std::string error_message;
  std::string request_id;
  // Set when the reply has no Error.
  std::optional<DtsCheck> check;
};

// Parses `body`, which is {"Response": {...}}, copying every string out.
// Both calls' fields are read (Status, StepCount, StepCur, Progress,
// StepInfos, BriefMsg, CheckFlag, StepInfo); the caller maps the ones of its
// call. Integers may be numbers or numeric strings, null reads as absent,
// unknown fields are skipped but must be valid JSON, and invalid UTF-8 is
// replaced by U+FFFD.
//
// Rejected with an error naming the field: malformed JSON, bytes after the
// document, a missing Response, a known key given twice, a wrong type, an
// Error without a Code, a negative step count, and more than kMaxCheckSteps
// steps.
//
// Thread-safe: each thread reuses its own simdjson parser.
Expected<DtsCheckReply> ParseDtsCheckReply(std::string_view body);

// Maximum number of jobs one list page may hold; the API sends at most 100.
inline constexpr std::size_t kMaxDtsJobsPerPage = 1000;

// One page of a job list: either an Error or the jobs.
struct DtsJobListReply {
  std::string error_code;
  std::string error_message;
  std::string request_id;
  // Response.TotalCount: jobs in all pages.
  std::optional<int64_t> total_count;
  // Each with api, dts_job_id, name and dts_status set.
  std::vector<SyncTask> jobs;
};

// Parses one page of DescribeSyncJobs or DescribeMigrationJobs; `api` is
// the check the listed jobs get (dts_sync_check or dts_migration_check).
// Reads TotalCount and JobList[] with JobId, JobName and Status; the many
// other fields are checked to be valid JSON and skipped. A job whose JobId
// is not a valid DTS job id is an error, since it cannot be scraped.
Expected<DtsJobListReply> ParseDtsJobListReply(std::string_view body,
                                               JobApi api);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_PARSE_DTS_CHECK_PARSER_H_
