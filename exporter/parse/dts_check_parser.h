// Parser for the JSON replies of the DTS (API 3.0) calls
// DescribeCheckSyncJobResult and DescribeMigrationCheckJob.
#ifndef CDB_SYNC_EXPORTER_PARSE_DTS_CHECK_PARSER_H_
#define CDB_SYNC_EXPORTER_PARSE_DTS_CHECK_PARSER_H_

#include <optional>
#include <string>
#include <string_view>

#include "exporter/model/dts_check.h"
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

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_PARSE_DTS_CHECK_PARSER_H_
