#include "exporter/util/log.h"

#include <gtest/gtest.h>

namespace cdb_sync::log {
namespace {

std::string Logfmt(std::string_view value) {
  std::string out;
  AppendLogfmtValue(out, value);
  return out;
}

std::string Json(std::string_view value) {
  std::string out;
  AppendJsonString(out, value);
  return out;
}

TEST(LogfmtValueTest, BareAndQuoted) {
  EXPECT_EQ(Logfmt("plain"), "plain");
  EXPECT_EQ(Logfmt(""), "\"\"");
  EXPECT_EQ(Logfmt("two words"), "\"two words\"");
  EXPECT_EQ(Logfmt("a=b"), "\"a=b\"");
  EXPECT_EQ(Logfmt("say \"hi\"\n"), R"("say \"hi\"\n")");
  EXPECT_EQ(Logfmt(std::string_view("\x01", 1)), R"("\x01")");
}

TEST(LogfmtValueTest, InjectedFieldStaysInsideValue) {
  EXPECT_EQ(Logfmt("x level=error msg=forged"),
            R"("x level=error msg=forged")");
}

TEST(JsonStringTest, Escapes) {
  EXPECT_EQ(Json("plain"), "\"plain\"");
  EXPECT_EQ(Json("q\"b\\n\n"), R"("q\"b\\n\n")");
  EXPECT_EQ(Json(std::string_view("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(Json("检查"), "\"检查\"");
}

TEST(ParseTest, LevelsAndFormats) {
  EXPECT_EQ(ParseLevel("warn"), Level::kWarn);
  EXPECT_FALSE(ParseLevel("warning").has_value());
  EXPECT_EQ(ParseFormat("json"), Format::kJson);
  EXPECT_EQ(ParseFormat("logfmt"), Format::kLogfmt);
  EXPECT_FALSE(ParseFormat("text").has_value());
}

}  // namespace
}  // namespace cdb_sync::log
