// Parser for the JSON reply of GetCdbDataSyncTaskCheckInfo.
#ifndef CDB_SYNC_EXPORTER_PARSE_CHECK_INFO_PARSER_H_
#define CDB_SYNC_EXPORTER_PARSE_CHECK_INFO_PARSER_H_

#include <cstddef>
#include <string_view>

#include "exporter/model/check_info.h"
#include "exporter/util/expected.h"

namespace cdb_sync {

// Maximum number of stepInfo entries in a reply. Real checks have about a
// dozen, and the limit keeps a broken reply from flooding /metrics.
inline constexpr std::size_t kMaxCheckSteps = 1000;

// Parses `body` into a CheckInfoReply, copying every string out.
//
// Integers may be JSON numbers or numeric strings ("12", "-1"). `data` may be
// an object, a one-element array, an empty array, null or missing, and
// `stepInfo` may be missing or null. Keys may come in any order, unknown
// fields are skipped, \uXXXX escapes are decoded, a leading byte-order mark
// is skipped, and invalid UTF-8 is replaced by U+FFFD.
//
// Rejected with an error naming the field: malformed or truncated JSON, bytes
// after the document, a known key given twice, a wrong type, an integer
// outside the 32-bit range, a non-integral number, check_finished other than
// 0 or 1, and more than kMaxCheckSteps steps. Unknown fields are still checked
// to be valid JSON.
//
// Thread-safe: each thread reuses its own simdjson parser.
Expected<CheckInfoReply> ParseCheckInfoReply(std::string_view body);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_PARSE_CHECK_INFO_PARSER_H_
