#include "exporter/parse/check_info_parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace cdb_sync {
namespace {

std::string ReadFixture(const std::string& name) {
  std::ifstream file(std::string(CDB_SYNC_SOURCE_DIR) +
                     "/tests/fake_api/replies/" + name);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

CheckInfoReply ParseOk(std::string_view body) {
  Expected<CheckInfoReply> reply = ParseCheckInfoReply(body);
  EXPECT_TRUE(reply.ok()) << reply.error();
  return reply.ok() ? reply.value() : CheckInfoReply();
}

std::string ParseError(std::string_view body) {
  Expected<CheckInfoReply> reply = ParseCheckInfoReply(body);
  EXPECT_FALSE(reply.ok()) << "accepted: " << body;
  return reply.error();
}

TEST(CheckInfoParserTest, DocumentedExample) {
  const std::string body = ReadFixture("seed_response.json");
  ASSERT_FALSE(body.empty());
  const CheckInfoReply reply = ParseOk(body);

  EXPECT_EQ(reply.code, 0);
  EXPECT_EQ(reply.message, "");
  EXPECT_EQ(reply.code_desc, "Success");
  ASSERT_TRUE(reply.data.has_value());
  const CheckInfo& data = *reply.data;
  EXPECT_EQ(data.step_all, 12);
  EXPECT_EQ(data.step_now, 12);
  EXPECT_EQ(data.error_code, 0);
  EXPECT_EQ(data.check_finished, 1);
  EXPECT_EQ(data.step_comment, "释放dfw权限");
  EXPECT_EQ(data.error_message, "自建同步检查成功");
  ASSERT_EQ(data.steps.size(), 12u);
  EXPECT_EQ(data.steps[0].name, "检查参数");
  EXPECT_EQ(data.steps[11].name, "释放源数据库访问权限");
  for (const CheckStep& step : data.steps) {
    EXPECT_EQ(step.error_code, 0) << step.name;
    EXPECT_EQ(step.error_message, "成功") << step.name;
  }
}

TEST(CheckInfoParserTest, NumbersAsStrings) {
  const CheckInfoReply reply = ParseOk(
      R"({"code":"0","data":{"stepAll":"12","stepNow":"3","errno":"-1",)"
      R"("check_finished":"0","stepInfo":[{"stepName":"a","errno":"-2"}]}})");
  EXPECT_EQ(reply.code, 0);
  ASSERT_TRUE(reply.data);
  EXPECT_EQ(reply.data->step_all, 12);
  EXPECT_EQ(reply.data->step_now, 3);
  EXPECT_EQ(reply.data->error_code, -1);
  EXPECT_EQ(reply.data->check_finished, 0);
  ASSERT_EQ(reply.data->steps.size(), 1u);
  EXPECT_EQ(reply.data->steps[0].error_code, -2);
}

TEST(CheckInfoParserTest, IntegralDecimalsAccepted) {
  const CheckInfoReply reply =
      ParseOk(R"({"code":0.0,"data":{"stepAll":"12.00","stepNow":1e1}})");
  ASSERT_TRUE(reply.data);
  EXPECT_EQ(reply.data->step_all, 12);
  EXPECT_EQ(reply.data->step_now, 10);
}

TEST(CheckInfoParserTest, DataAsOneElementArray) {
  const CheckInfoReply reply =
      ParseOk(R"({"code":0,"data":[{"stepAll":2,"stepNow":1}]})");
  ASSERT_TRUE(reply.data);
  EXPECT_EQ(reply.data->step_all, 2);
  EXPECT_EQ(reply.data->step_now, 1);
}

TEST(CheckInfoParserTest, DataEmptyArrayMeansNoData) {
  EXPECT_FALSE(ParseOk(R"({"code":0,"data":[]})").data.has_value());
}

TEST(CheckInfoParserTest, DataNullMeansNoData) {
  EXPECT_FALSE(ParseOk(R"({"code":0,"data":null})").data.has_value());
}

TEST(CheckInfoParserTest, DataMissingMeansNoData) {
  EXPECT_FALSE(ParseOk(R"({"code":0,"codeDesc":"Success"})").data.has_value());
}

TEST(CheckInfoParserTest, StepInfoMissingOrNull) {
  for (const char* body :
       {R"({"code":0,"data":{"stepAll":3}})",
        R"({"code":0,"data":{"stepAll":3,"stepInfo":null}})"}) {
    const CheckInfoReply reply = ParseOk(body);
    ASSERT_TRUE(reply.data) << body;
    EXPECT_TRUE(reply.data->steps.empty()) << body;
    EXPECT_EQ(reply.data->step_all, 3) << body;
  }
}

TEST(CheckInfoParserTest, MissingFieldsStayUnset) {
  const CheckInfoReply reply = ParseOk(R"({"code":0,"data":{}})");
  ASSERT_TRUE(reply.data);
  EXPECT_FALSE(reply.data->step_all.has_value());
  EXPECT_FALSE(reply.data->step_now.has_value());
  EXPECT_FALSE(reply.data->error_code.has_value());
  EXPECT_FALSE(reply.data->check_finished.has_value());
}

TEST(CheckInfoParserTest, KeysInAnyOrderAndUnknownFields) {
  const CheckInfoReply reply = ParseOk(
      R"({"data":{"stepInfo":[{"error":"e","x":[1,{"y":null}],"errno":-1,)"
      R"("stepName":"n"}],"check_finished":1,"new":{"a":[true,false]}},)"
      R"("requestId":"abc","codeDesc":"Success","code":0,"message":""})");
  EXPECT_EQ(reply.code_desc, "Success");
  ASSERT_TRUE(reply.data);
  EXPECT_EQ(reply.data->check_finished, 1);
  ASSERT_EQ(reply.data->steps.size(), 1u);
  EXPECT_EQ(reply.data->steps[0].name, "n");
  EXPECT_EQ(reply.data->steps[0].error_code, -1);
  EXPECT_EQ(reply.data->steps[0].error_message, "e");
}

TEST(CheckInfoParserTest, UnicodeEscapes) {
  const CheckInfoReply reply = ParseOk(
      R"({"code":0,"message":"\u6210\u529f","data":{"error":"a\"b\\c\nd",)"
      R"("stepInfo":[{"stepName":"\u68c0\u67e5","errno":0}]}})");
  EXPECT_EQ(reply.message, "成功");
  ASSERT_TRUE(reply.data);
  EXPECT_EQ(reply.data->error_message, "a\"b\\c\nd");
  EXPECT_EQ(reply.data->steps[0].name, "检查");
}

TEST(CheckInfoParserTest, NullStringsReadAsEmpty) {
  const CheckInfoReply reply =
      ParseOk(R"({"code":0,"message":null,"data":{"error":null}})");
  EXPECT_EQ(reply.message, "");
  ASSERT_TRUE(reply.data);
  EXPECT_EQ(reply.data->error_message, "");
}

TEST(CheckInfoParserTest, ApiErrorReply) {
  const CheckInfoReply reply =
      ParseOk(R"({"code":9591,"message":"(100001) task not found",)"
              R"("codeDesc":"TaskNotExist","data":[]})");
  EXPECT_EQ(reply.code, 9591);
  EXPECT_EQ(reply.code_desc, "TaskNotExist");
  EXPECT_EQ(reply.message, "(100001) task not found");
  EXPECT_FALSE(reply.data.has_value());
}

TEST(CheckInfoParserTest, ParserReuseKeepsEarlierStrings) {
  const CheckInfoReply first =
      ParseOk(R"({"code":0,"message":"first reply text"})");
  const CheckInfoReply second =
      ParseOk(R"({"code":0,"message":"second one, a bit longer"})");
  EXPECT_EQ(first.message, "first reply text");
  EXPECT_EQ(second.message, "second one, a bit longer");
}

TEST(CheckInfoParserTest, RejectsTruncatedJson) {
  std::string body = ReadFixture("seed_response.json");
  ASSERT_GT(body.size(), 100u);
  for (std::size_t cut : {body.size() / 2, body.size() - 3, std::size_t{1}}) {
    ParseError(body.substr(0, cut));
  }
}

TEST(CheckInfoParserTest, RejectsMalformedJson) {
  for (const char* body :
       {"", "   ", "not json", "{", R"({"code":0,})", R"({"code":0 "x":1})",
        R"({"code":01})", R"({"code":0,"x":tru})", R"({"code":0,"x":[1,]})",
        R"({'code':0})", R"({"code":0,"x":"\u12"})"}) {
    ParseError(body);
  }
}

TEST(CheckInfoParserTest, RejectsTrailingBytes) {
  EXPECT_NE(ParseError(R"({"code":0} garbage)").find("invalid JSON"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"code":0}{"code":0})").find("after the reply"),
            std::string::npos);
  ParseError(R"({"code":0} 1)");
  ParseError(R"({"code":0}])");
}

TEST(CheckInfoParserTest, AcceptsTrailingWhitespace) {
  EXPECT_EQ(ParseOk("{\"code\":0}\n\t \r\n").code, 0);
}

TEST(CheckInfoParserTest, RejectsNonObjectReply) {
  EXPECT_NE(ParseError("[1,2]").find("not a JSON object"), std::string::npos);
  ParseError("42");
}

TEST(CheckInfoParserTest, RejectsOutOfRangeNumbers) {
  EXPECT_NE(ParseError(R"({"code":0,"data":{"stepAll":99999999999999999999}})")
                .find("data.stepAll"),
            std::string::npos);
  ParseError(R"({"code":2147483648})");
  ParseError(R"({"code":0,"data":{"stepNow":"-2147483649"}})");
  ParseError(R"({"code":0,"data":{"errno":1e300}})");
  ParseError(R"({"code":0,"data":{"stepAll":-1}})");
}

TEST(CheckInfoParserTest, AcceptsInt32Limits) {
  EXPECT_EQ(ParseOk(R"({"code":2147483647})").code, 2147483647);
  EXPECT_EQ(ParseOk(R"({"code":-2147483648})").code, -2147483648LL);
}

TEST(CheckInfoParserTest, RejectsNonIntegralNumbers) {
  const std::string error = ParseError(R"({"code":0.5})");
  EXPECT_NE(error.find("\"code\""), std::string::npos) << error;
  ParseError(R"({"code":"12abc"})");
  ParseError(R"({"code":""})");
}

TEST(CheckInfoParserTest, RejectsWrongTypes) {
  EXPECT_NE(ParseError(R"({"code":0,"data":{"stepInfo":"none"}})")
                .find("data.stepInfo"),
            std::string::npos);
  ParseError(R"({"code":true})");
  ParseError(R"({"code":0,"message":5})");
  ParseError(R"({"code":0,"data":"x"})");
  ParseError(R"({"code":0,"data":{"stepInfo":[1]}})");
  ParseError(R"({"code":0,"data":{"stepAll":{"n":1}}})");
}

TEST(CheckInfoParserTest, RejectsMissingCode) {
  EXPECT_NE(ParseError(R"({"message":"x"})").find("\"code\" is missing"),
            std::string::npos);
  ParseError(R"({"code":null})");
}

TEST(CheckInfoParserTest, RejectsDataWithTwoElements) {
  ParseError(R"({"code":0,"data":[{"stepAll":1},{"stepAll":2}]})");
}

TEST(CheckInfoParserTest, RejectsStepWithoutErrno) {
  EXPECT_NE(ParseError(R"({"code":0,"data":{"stepInfo":[{"stepName":"a"}]}})")
                .find("data.stepInfo[0].errno"),
            std::string::npos);
}

TEST(CheckInfoParserTest, RejectsCheckFinishedOutsideZeroOne) {
  ParseError(R"({"code":0,"data":{"check_finished":2}})");
}

TEST(CheckInfoParserTest, RejectsTooManySteps) {
  std::string body = R"({"code":0,"data":{"stepInfo":[)";
  for (std::size_t i = 0; i <= kMaxCheckSteps; ++i) {
    if (i > 0) body += ",";
    body += R"({"errno":0})";
  }
  body += "]}}";
  ParseError(body);
}

TEST(CheckInfoParserTest, RejectsDuplicateKeys) {
  EXPECT_NE(ParseError(R"({"code":4100,"code":0})").find("\"code\" appears"),
            std::string::npos);
  ParseError(R"({"code":0,"data":{"stepAll":1,"stepAll":2}})");
  ParseError(R"({"code":0,"data":{"stepInfo":[{"errno":0,"errno":-1}]}})");
}

TEST(CheckInfoParserTest, DuplicateUnknownKeysAllowed) {
  EXPECT_EQ(ParseOk(R"({"code":0,"x":1,"x":2})").code, 0);
}

TEST(CheckInfoParserTest, NumericStringsMustBePlainDecimals) {
  for (const char* body :
       {R"({"code":"1e2"})", R"({"code":"0x10"})", R"({"code":"+1"})",
        R"({"code":" 1"})", R"({"code":"1."})", R"({"code":".5"})",
        R"({"code":"nan"})", R"({"code":"-"})"}) {
    ParseError(body);
  }
  EXPECT_EQ(ParseOk(R"({"code":"-0"})").code, 0);
}

TEST(CheckInfoParserTest, SkipsByteOrderMark) {
  EXPECT_EQ(ParseOk("\xEF\xBB\xBF{\"code\":9591}").code, 9591);
}

TEST(CheckInfoParserTest, RepairsInvalidUtf8) {
  const CheckInfoReply reply = ParseOk(
      "{\"code\":0,\"message\":\"a\xff\xfe\",\"data\":{\"stepInfo\":[{"
      "\"stepName\":\"\xe6\xa3\",\"errno\":0}]}}");
  EXPECT_EQ(reply.message, "a\uFFFD\uFFFD");
  ASSERT_TRUE(reply.data);
  EXPECT_EQ(reply.data->steps[0].name, "\uFFFD");
}

TEST(CheckInfoParserTest, InvalidUtf8OutsideStringsStillRejected) {
  ParseError("{\"code\":0\xff}");
}

}  // namespace
}  // namespace cdb_sync
