// Parser for the JSON reply of GetCdbDataSyncTaskCheckInfo.
#ifndef CDB_SYNC_EXPORTER_PARSE_CHECK_INFO_PARSER_H_
#define CDB_SYNC_EXPORTER_PARSE_CHECK_INFO_PARSER_H_

#include <cstddef>
#include <string_view>

#include "exporter/model/check_info.h"
#include "exporter/util/expected.h"

namespace cdb_sync {

// The most stepInfo entries a reply may carry. Real checks have about a
// dozen; the limit keeps a broken reply from flooding /metrics.
inline constexpr std::size_t kMaxCheckSteps = 1000;

// Parses `body` into a CheckInfoReply, copying every string out.
//
// Accepted: integers as JSON numbers or numeric strings ("12", "-1"); `data`
// as an object, a one-element array, an empty array, null or missing;
// `stepInfo` missing or null; keys in any order; unknown fields; \uXXXX
// escapes. Rejected with an error naming the field: malformed or truncated
// JSON, bytes after the document, a wrong type, an integer outside the 32-bit
// range, a non-integral number, check_finished other than 0 or 1, and more
// than kMaxCheckSteps steps. Unknown fields are still checked to be valid
// JSON.
//
// Thread-safe: each thread reuses its own simdjson parser.
Expected<CheckInfoReply> ParseCheckInfoReply(std::string_view body);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_PARSE_CHECK_INFO_PARSER_H_
