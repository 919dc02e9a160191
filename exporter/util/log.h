// Structured logging on top of spdlog. Every line is logfmt,
//   ts=2026-12-04T16:01:53.123Z level=warn msg="API call failed" job_id=206
// or, with Format::kJson, one JSON object:
//   {"ts":"2026-12-04T16:01:53.123Z","level":"warn","msg":"...","job_id":"206"}
// The functions are thread-safe. Callers must never pass a secret as a field.
#ifndef CDB_SYNC_EXPORTER_UTIL_LOG_H_
#define CDB_SYNC_EXPORTER_UTIL_LOG_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cdb_sync::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// logfmt (key=value pairs) or JSON (one object per line, all values
// strings).
enum class Format { kLogfmt, kJson };

// One key=value pair of a log line.
using Field = std::pair<std::string_view, std::string_view>;

// Returns the level named by `name` (debug, info, warn, error), or nullopt.
std::optional<Level> ParseLevel(std::string_view name);

// Returns the format named by `name` (logfmt, json), or nullopt.
std::optional<Format> ParseFormat(std::string_view name);

// Sends log lines at `level` and above to stderr in `format`. Call once in
// main before starting threads; until then, lines at info and above are
// written in logfmt.
void Init(Level level, Format format = Format::kLogfmt);

// Writes one line. `message` is a fixed text; the varying values go in
// `fields` so that the line stays searchable.
void Write(Level level, std::string_view message,
           std::initializer_list<Field> fields = {});

inline void Debug(std::string_view message,
                  std::initializer_list<Field> fields = {}) {
  Write(Level::kDebug, message, fields);
}
inline void Info(std::string_view message,
                 std::initializer_list<Field> fields = {}) {
  Write(Level::kInfo, message, fields);
}
inline void Warn(std::string_view message,
                 std::initializer_list<Field> fields = {}) {
  Write(Level::kWarn, message, fields);
}
inline void Error(std::string_view message,
                  std::initializer_list<Field> fields = {}) {
  Write(Level::kError, message, fields);
}

// Appends `value` to `out` as a JSON string, quotes included.
void AppendJsonString(std::string& out, std::string_view value);

// Appends `value` to `out` as a logfmt value: bare when it has no space,
// quote, equals sign or control character, otherwise quoted and escaped.
void AppendLogfmtValue(std::string& out, std::string_view value);

}  // namespace cdb_sync::log

#endif  // CDB_SYNC_EXPORTER_UTIL_LOG_H_
