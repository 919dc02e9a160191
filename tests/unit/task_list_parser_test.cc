#include "exporter/parse/task_list_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace cdb_sync {
namespace {

TaskListReply ParseOk(const std::string& body) {
  Expected<TaskListReply> reply = ParseTaskListReply(body);
  EXPECT_TRUE(reply.ok()) << reply.error();
  return reply.ok() ? std::move(reply).value() : TaskListReply{};
}

std::string ParseError(const std::string& body) {
  Expected<TaskListReply> reply = ParseTaskListReply(body);
  EXPECT_FALSE(reply.ok()) << body;
  return reply.ok() ? "" : reply.error();
}

TEST(TaskListParserTest, ReadsEveryField) {
  const TaskListReply reply = ParseOk(R"({
    "code": 0, "message": "", "codeDesc": "Success",
    "data": {"totalCount": 230, "jobList": [
      {"jobId": 1002, "jobName": "sync-prod-\"q\"-中文", "type": 2,
       "status": 4, "progress": 35,
       "detail": {"checkInfo": {"checkFlag": 1, "checkResult": {
         "status": 0, "isSuccess": 1, "stepInfo": [{"stepNo": 1}]}}}},
      {"jobId": "1003", "type": "10", "status": "9", "progress": "100.00",
       "detail": null, "extra": {"nested": [1, 2, {"a": null}]}}
    ]}})");
  EXPECT_EQ(reply.code, 0);
  EXPECT_EQ(reply.code_desc, "Success");
  ASSERT_TRUE(reply.total_count.has_value());
  EXPECT_EQ(*reply.total_count, 230);
  ASSERT_EQ(reply.tasks.size(), 2u);

  const SyncTask& first = reply.tasks[0];
  EXPECT_EQ(first.job_id, 1002);
  EXPECT_EQ(first.name, "sync-prod-\"q\"-中文");
  EXPECT_EQ(first.type, 2);
  EXPECT_EQ(first.status, 4);
  EXPECT_EQ(first.progress, 35.0);
  EXPECT_EQ(first.check_flag, 1);

  const SyncTask& second = reply.tasks[1];
  EXPECT_EQ(second.job_id, 1003);
  EXPECT_EQ(second.name, "");
  EXPECT_EQ(second.type, 10);
  EXPECT_EQ(second.status, 9);
  EXPECT_EQ(second.progress, 100.0);
  EXPECT_FALSE(second.check_flag.has_value());
}

TEST(TaskListParserTest, TotalNumAndArrayData) {
  const TaskListReply reply = ParseOk(
      R"({"code": "0", "data": [{"totalNum": "1", "jobList": [{"jobId": 5}]}]})");
  EXPECT_EQ(reply.total_count, 1);
  ASSERT_EQ(reply.tasks.size(), 1u);
  EXPECT_EQ(reply.tasks[0].job_id, 5);
  EXPECT_FALSE(reply.tasks[0].status.has_value());
}

TEST(TaskListParserTest, EmptyData) {
  for (const char* body :
       {R"({"code":0,"data":[]})", R"({"code":0,"data":null})", R"({"code":0})",
        R"({"code":0,"data":{"jobList":[]}})"}) {
    const TaskListReply reply = ParseOk(body);
    EXPECT_TRUE(reply.tasks.empty()) << body;
  }
}

TEST(TaskListParserTest, ErrorReply) {
  const TaskListReply reply = ParseOk(
      R"({"code": 4100, "message": "鉴权失败", "codeDesc": "AuthFailure", "data": []})");
  EXPECT_EQ(reply.code, 4100);
  EXPECT_EQ(reply.message, "鉴权失败");
}

TEST(TaskListParserTest, LargeJobIds) {
  const TaskListReply reply = ParseOk(
      R"({"code":0,"data":{"jobList":[{"jobId":"9007199254740993"}]}})");
  ASSERT_EQ(reply.tasks.size(), 1u);
  EXPECT_EQ(reply.tasks[0].job_id, 9007199254740993);
}

TEST(TaskListParserTest, RejectedReplies) {
  const struct {
    const char* body;
    const char* error;
  } cases[] = {
      {R"({"code":0,"data":{"jobList":[{"jobName":"x"}]}})",
       "data.jobList[0].jobId\" is missing"},
      {R"({"code":0,"data":{"jobList":[{"jobId":0}]}})",
       "data.jobList[0].jobId"},
      {R"({"code":0,"data":{"jobList":[{"jobId":-3}]}})", "not an integer"},
      {R"({"code":0,"data":{"jobList":[{"jobId":"abc"}]}})", "\"abc\""},
      {R"({"code":0,"data":{"jobList":[{"jobId":1,"jobId":2}]}})",
       "appears more than once"},
      {R"({"code":0,"data":{"jobList":[{"jobId":1,"progress":"1e2"}]}})",
       "is not a number"},
      {R"({"code":0,"data":{"jobList":[{"jobId":1,"progress":true}]}})",
       "expected a number"},
      {R"({"code":0,"data":{"jobList":{"jobId":1}}})", "expected an array"},
      {R"({"code":0,"data":{"jobList":[1]}})",
       "field \"data.jobList[0]\" is a number; expected an object"},
      {R"({"code":0,"data":[{},{}]})", "more than one element"},
      {R"({"code":0} trailing)", "invalid JSON"},
      {R"({"code":0,"data":{"jobList":[{"jobId":1}])", "ended early"},
      {R"([{"code":0}])", "not a JSON object"},
      {R"({"data":[]})", "\"code\" is missing"},
      {"", "invalid JSON"},
  };
  for (const auto& test : cases) {
    const std::string error = ParseError(test.body);
    EXPECT_NE(error.find(test.error), std::string::npos)
        << test.body << " -> " << error;
  }
}

TEST(TaskListParserTest, TooManyTasks) {
  std::string body = R"({"code":0,"data":{"jobList":[)";
  for (std::size_t i = 1; i <= kMaxTasksPerPage + 1; ++i) {
    if (i > 1) body += ",";
    body += R"({"jobId":)" + std::to_string(i) + "}";
  }
  body += "]}}";
  EXPECT_NE(ParseError(body).find("more than 1000 tasks"), std::string::npos);
}

TEST(TaskListParserTest, InvalidUtf8Repaired) {
  const TaskListReply reply = ParseOk(
      "{\"code\":0,\"data\":{\"jobList\":[{\"jobId\":1,\"jobName\":\"a\xff\"}]}"
      "}");
  ASSERT_EQ(reply.tasks.size(), 1u);
  EXPECT_EQ(reply.tasks[0].name, "a\xEF\xBF\xBD");
}

}  // namespace
}  // namespace cdb_sync
