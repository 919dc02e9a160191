#include "exporter/util/utf8.h"

#include <gtest/gtest.h>

namespace cdb_sync {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";

TEST(RepairUtf8Test, ValidTextUnchanged) {
  for (const char* text : {"", "plain", "检查参数", "\xF0\x9F\x98\x80",
                           "\xC2\x80", "\xEF\xBF\xBF", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(RepairUtf8(text), text);
  }
}

TEST(RepairUtf8Test, ReplacesInvalidSequences) {
  const std::string r = kReplacement;
  EXPECT_EQ(RepairUtf8("a\xFF"
                       "b"),
            "a" + r + "b");
  EXPECT_EQ(RepairUtf8("\x80"), r);                  // stray continuation
  EXPECT_EQ(RepairUtf8("\xC0\xAF"), r + r);          // overlong, 2 bytes
  EXPECT_EQ(RepairUtf8("\xE0\x80\xAF"), r + r + r);  // overlong, 3 bytes
  EXPECT_EQ(RepairUtf8("\xED\xA0\x80"), r + r + r);  // surrogate U+D800
  EXPECT_EQ(RepairUtf8("\xF4\x90\x80\x80"), r + r + r + r);  // > U+10FFFF
  EXPECT_EQ(RepairUtf8("\xE6\xA3"), r);         // truncated at the end
  EXPECT_EQ(RepairUtf8("\xE6\xA3x"), r + "x");  // truncated before ASCII
}

TEST(TruncateUtf8Test, CutsAtCharacterBoundary) {
  EXPECT_EQ(TruncateUtf8("检查", 4), "检");
  EXPECT_EQ(TruncateUtf8("检查", 6), "检查");
  EXPECT_EQ(TruncateUtf8("检查", 2), "");
  EXPECT_EQ(TruncateUtf8("abc", 2), "ab");
}

TEST(PrintableExcerptTest, OneLineCutAndRepaired) {
  EXPECT_EQ(PrintableExcerpt("ap\r\nX-Evil: 1", 64), "ap??X-Evil: 1");
  EXPECT_EQ(PrintableExcerpt("a\x7f\tb", 64), "a??b");
  EXPECT_EQ(PrintableExcerpt(std::string(100, 'x'), 64), std::string(64, 'x'));
  // "中" is 3 bytes, so a 4-byte cut keeps one character.
  EXPECT_EQ(PrintableExcerpt("中中", 4), "中");
  EXPECT_EQ(PrintableExcerpt("a\xff", 64), "a\xef\xbf\xbd");
}

}  // namespace
}  // namespace cdb_sync
