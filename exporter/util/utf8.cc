#include "exporter/util/utf8.h"

namespace cdb_sync {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// Returns the length of the valid UTF-8 sequence at the start of `text`, or
// 0 when it is invalid. Sets `invalid_length` to the number of bytes that one
// U+FFFD replaces: the lead byte plus the continuation bytes that were valid
// so far.
std::size_t ValidSequenceLength(std::string_view text,
                                std::size_t& invalid_length) {
  const auto byte = [&text](std::size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  const unsigned char lead = byte(0);
  invalid_length = 1;
  if (lead < 0x80) return 1;

  std::size_t length = 0;
  unsigned char low = 0x80;  // allowed range of the second byte
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }

  for (std::size_t i = 1; i < length; ++i) {
    if (i >= text.size()) return 0;
    const unsigned char next = byte(i);
    const unsigned char min = i == 1 ? low : 0x80;
    const unsigned char max = i == 1 ? high : 0xBF;
    if (next < min || next > max) return 0;
    invalid_length = i + 1;
  }
  return length;
}

}  // namespace

std::string RepairUtf8(std::string_view text) {
  std::string repaired;
  repaired.reserve(text.size());
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t invalid_length = 0;
    const std::size_t length =
        ValidSequenceLength(text.substr(position), invalid_length);
    if (length > 0) {
      repaired.append(text.substr(position, length));
      position += length;
    } else {
      repaired.append(kReplacementCharacter);
      position += invalid_length;
    }
  }
  return repaired;
}

std::string PrintableExcerpt(std::string_view text, std::size_t max_bytes) {
  const std::string repaired = RepairUtf8(text);
  std::string excerpt(TruncateUtf8(repaired, max_bytes));
  for (char& c : excerpt) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return excerpt;
}

}  // namespace cdb_sync
