// UTF-8 helpers for text that goes into labels and logs.
#ifndef CDB_SYNC_EXPORTER_UTIL_UTF8_H_
#define CDB_SYNC_EXPORTER_UTIL_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace cdb_sync {

// Returns the longest prefix of `text` of at most `max_bytes` bytes that
// does not end inside a UTF-8 sequence. `text` must be valid UTF-8.
inline std::string_view TruncateUtf8(std::string_view text,
                                     std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back off over continuation bytes (10xxxxxx) to the start of a sequence.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

// Returns `text` with every invalid UTF-8 sequence (a stray continuation
// byte, a truncated sequence, an overlong form, a surrogate, a code point
// above U+10FFFF) replaced by U+FFFD, one replacement per maximal invalid
// subpart as the Unicode standard recommends.
std::string RepairUtf8(std::string_view text);

// Returns `text` for an error message: invalid UTF-8 repaired, cut to
// `max_bytes` at a character boundary, and each control character shown as
// '?', so that the message stays on one line.
std::string PrintableExcerpt(std::string_view text, std::size_t max_bytes);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_UTIL_UTF8_H_
