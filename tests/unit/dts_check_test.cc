// Tests of the DTS (API 3.0) check replies: the parser and the mapping onto
// the series that API 2.0 checks publish.
#include "exporter/model/dts_check.h"

#include <gtest/gtest.h>

#include <string>

#include "exporter/parse/dts_check_parser.h"
#include "exporter/util/file.h"

namespace cdb_sync {
namespace {

DtsCheckStep Step(int64_t number, std::string name, std::string status,
                  std::string message = "", bool skipped = false) {
  DtsCheckStep step;
  step.number = number;
  step.name = std::move(name);
  step.status = std::move(status);
  step.message = std::move(message);
  step.skipped = skipped;
  return step;
}

TEST(DtsSyncStepStateTest, MapsEveryDocumentedStatus) {
  EXPECT_EQ(DtsSyncStepState("finished"), StepState::kSuccess);
  EXPECT_EQ(DtsSyncStepState("skipped"), StepState::kSuccess);
  EXPECT_EQ(DtsSyncStepState("failed"), StepState::kFailed);
  EXPECT_EQ(DtsSyncStepState("notStarted"), StepState::kPending);
  EXPECT_EQ(DtsSyncStepState("running"), StepState::kPending);
  EXPECT_EQ(DtsSyncStepState("paused"), StepState::kPending);
  EXPECT_EQ(DtsSyncStepState("Finished"), StepState::kUnknown);
  EXPECT_EQ(DtsSyncStepState(""), StepState::kUnknown);
}

TEST(DtsMigrationStepStateTest, MapsEveryDocumentedStatus) {
  EXPECT_EQ(DtsMigrationStepState("pass", false), StepState::kSuccess);
  EXPECT_EQ(DtsMigrationStepState("warning", false), StepState::kSuccess);
  EXPECT_EQ(DtsMigrationStepState("failed", false), StepState::kFailed);
  EXPECT_EQ(DtsMigrationStepState("blocked", false), StepState::kFailed);
  EXPECT_EQ(DtsMigrationStepState("notStarted", false), StepState::kPending);
  EXPECT_EQ(DtsMigrationStepState("checking", false), StepState::kUnknown);
}

TEST(DtsMigrationStepStateTest, SkippedFailureCountsAsPassed) {
  EXPECT_EQ(DtsMigrationStepState("failed", true), StepState::kSuccess);
  EXPECT_EQ(DtsMigrationStepState("blocked", true), StepState::kSuccess);
  EXPECT_EQ(DtsMigrationStepState("notStarted", true), StepState::kPending);
}

TEST(MapDtsSyncCheckTest, EachCheckStatus) {
  struct Case {
    std::string status;
    std::optional<int64_t> finished;
    std::optional<int64_t> error_code;
  };
  for (const Case& c :
       {Case{"notStarted", 0, 0}, Case{"running", 0, 0}, Case{"success", 1, 0},
        Case{"failed", 1, -1}, Case{"stopped", 0, 0},
        Case{"", std::nullopt, std::nullopt}}) {
    DtsCheck check;
    check.status = c.status;
    const CheckInfo info = MapDtsSyncCheck(check);
    EXPECT_EQ(info.check_finished, c.finished) << c.status;
    EXPECT_EQ(info.error_code, c.error_code) << c.status;
  }
}

TEST(MapDtsSyncCheckTest, FailedCheck) {
  DtsCheck check;
  check.status = "failed";
  check.step_count = 3;
  check.step_cur = 2;
  check.steps = {Step(1, "Connect", "finished"),
                 Step(2, "Privileges", "failed", "SELECT is not granted"),
                 Step(3, "Space", "notStarted")};
  const CheckInfo info = MapDtsSyncCheck(check);
  EXPECT_EQ(info.step_all, 3);
  EXPECT_EQ(info.step_now, 2);
  EXPECT_EQ(info.check_finished, 1);
  EXPECT_EQ(info.error_code, -1);
  EXPECT_EQ(info.step_comment, "Privileges");
  EXPECT_EQ(info.error_message, "SELECT is not granted");
  ASSERT_EQ(info.steps.size(), 3u);
  EXPECT_EQ(info.steps[0].state, StepState::kSuccess);
  EXPECT_EQ(info.steps[1].state, StepState::kFailed);
  EXPECT_EQ(info.steps[2].state, StepState::kPending);
  // DTS steps have no errno, so no cdb_sync_check_step_errno series.
  EXPECT_FALSE(info.steps[1].error_code);
}

TEST(MapDtsSyncCheckTest, FailedStepExplainsRunningCheck) {
  DtsCheck check;
  check.status = "running";
  check.steps = {Step(1, "Connect", "failed", "cannot connect"),
                 Step(2, "Space", "running")};
  const CheckInfo info = MapDtsSyncCheck(check);
  EXPECT_EQ(info.check_finished, 0);
  EXPECT_EQ(info.error_message, "cannot connect");
}

TEST(MapDtsMigrationCheckTest, StepMessageWithoutBriefMsg) {
  DtsCheck check;
  check.status = "failed";
  check.steps = {Step(0, "Connect", "pass"),
                 Step(1, "Version", "blocked", "5.5 is not supported")};
  const CheckInfo info = MapDtsMigrationCheck(check);
  EXPECT_EQ(info.error_code, -1);
  EXPECT_EQ(info.error_message, "5.5 is not supported");
}

TEST(MapDtsSyncCheckTest, MissingCountsStayUnset) {
  DtsCheck check;
  check.status = "running";
  const CheckInfo info = MapDtsSyncCheck(check);
  EXPECT_FALSE(info.step_all);
  EXPECT_FALSE(info.step_now);
  EXPECT_TRUE(info.step_comment.empty());
}

TEST(MapDtsMigrationCheckTest, EachCheckStatusAndFlag) {
  struct Case {
    std::string status;
    std::string flag;
    std::optional<int64_t> finished;
    std::optional<int64_t> error_code;
  };
  for (const Case& c :
       {Case{"notStarted", "", 0, 0}, Case{"running", "", 0, 0},
        Case{"success", "checkPass", 1, 0},
        Case{"success", "checkNotPass", 1, -1}, Case{"failed", "", 1, -1},
        Case{"failed", "checkPass", 1, -1},
        Case{"running", "checkNotPass", 0, 0}, Case{"paused", "", 0, 0},
        Case{"", "", std::nullopt, std::nullopt}}) {
    DtsCheck check;
    check.status = c.status;
    check.check_flag = c.flag;
    const CheckInfo info = MapDtsMigrationCheck(check);
    EXPECT_EQ(info.check_finished, c.finished) << c.status << "/" << c.flag;
    EXPECT_EQ(info.error_code, c.error_code) << c.status << "/" << c.flag;
  }
}

TEST(MapDtsMigrationCheckTest, CurrentStepIsFirstNotPassed) {
  DtsCheck check;
  check.status = "success";
  check.check_flag = "checkNotPass";
  check.brief_message = "2 check items failed";
  check.steps = {Step(0, "Connect", "pass"), Step(1, "Version", "warning"),
                 Step(2, "Privileges", "failed", "no REPLICATION SLAVE"),
                 Step(3, "Space", "blocked"), Step(4, "Binlog", "notStarted")};
  const CheckInfo info = MapDtsMigrationCheck(check);
  EXPECT_EQ(info.step_all, 5);
  EXPECT_EQ(info.step_now, 3);
  EXPECT_EQ(info.step_comment, "Privileges");
  EXPECT_EQ(info.error_message, "2 check items failed");
  EXPECT_EQ(info.steps[1].state, StepState::kSuccess);
  EXPECT_EQ(info.steps[3].state, StepState::kFailed);
  EXPECT_EQ(info.steps[4].state, StepState::kPending);
}

TEST(MapDtsMigrationCheckTest, AllPassedPointsAtLastStep) {
  DtsCheck check;
  check.status = "success";
  check.check_flag = "checkPass";
  check.brief_message = "success";
  check.steps = {Step(0, "Connect", "pass"),
                 Step(1, "Optimize", "failed", "", /*skipped=*/true)};
  const CheckInfo info = MapDtsMigrationCheck(check);
  EXPECT_EQ(info.step_now, 2);
  EXPECT_EQ(info.error_code, 0);
  // A passed check's BriefMsg is not an error.
  EXPECT_TRUE(info.error_message.empty());
}

TEST(MapDtsMigrationCheckTest, NoStepsNoCounts) {
  DtsCheck check;
  check.status = "running";
  const CheckInfo info = MapDtsMigrationCheck(check);
  EXPECT_FALSE(info.step_all);
  EXPECT_FALSE(info.step_now);
}

TEST(ParseDtsCheckReplyTest, SyncReply) {
  const Expected<DtsCheckReply> reply = ParseDtsCheckReply(R"({"Response": {
      "Progress": 40, "RequestId": "r-1", "Status": "running",
      "StepCount": "3", "StepCur": 2, "StepInfos": [
        {"StepNo": 1, "StepId": "ConnectDBCheck", "StepName": "Connect",
         "Status": "finished", "Errors": [], "Warnings": [
           {"Code": "W1", "Message": "wide grants", "Solution": ""}],
         "Progress": 100, "StartTime": "", "Extra": {"a": [1, null]}},
        {"StepNo": 2, "StepId": "VersionCheck", "StepName": "Version",
         "Status": "failed", "Errors": [{"Message": "too old"},
                                        {"Message": "unsupported"}]}]}})");
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_EQ(reply.value().request_id, "r-1");
  EXPECT_TRUE(reply.value().error_code.empty());
  ASSERT_TRUE(reply.value().check);
  const DtsCheck& check = *reply.value().check;
  EXPECT_EQ(check.status, "running");
  EXPECT_EQ(check.step_count, 3);
  EXPECT_EQ(check.step_cur, 2);
  EXPECT_EQ(check.progress, 40);
  ASSERT_EQ(check.steps.size(), 2u);
  EXPECT_EQ(check.steps[0].id, "ConnectDBCheck");
  EXPECT_EQ(check.steps[0].message, "wide grants");
  EXPECT_EQ(check.steps[1].message, "too old; unsupported");
  EXPECT_EQ(check.steps[1].status, "failed");
}

TEST(ParseDtsCheckReplyTest, MigrationReply) {
  const Expected<DtsCheckReply> reply = ParseDtsCheckReply(R"({"Response": {
      "RequestId": "r-2", "CheckFlag": "checkPass", "BriefMsg": "success",
      "Status": "success", "StepInfo": [
        {"DetailCheckItems": [], "HasSkipped": true, "StepId": "OptimizeCheck",
         "StepMessage": "skipped by user", "StepName": "Optimize",
         "StepNo": 0, "StepStatus": "failed"}]}})");
  ASSERT_TRUE(reply.ok()) << reply.error();
  const DtsCheck& check = *reply.value().check;
  EXPECT_EQ(check.check_flag, "checkPass");
  EXPECT_EQ(check.brief_message, "success");
  ASSERT_EQ(check.steps.size(), 1u);
  EXPECT_TRUE(check.steps[0].skipped);
  EXPECT_EQ(check.steps[0].number, 0);
  EXPECT_EQ(check.steps[0].message, "skipped by user");
}

TEST(ParseDtsCheckReplyTest, NullErrorIsNoError) {
  const Expected<DtsCheckReply> reply = ParseDtsCheckReply(
      R"({"Response":{"Error":null,"Status":"success","RequestId":"r"}})");
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_TRUE(reply.value().error_code.empty());
  ASSERT_TRUE(reply.value().check);
  EXPECT_EQ(reply.value().check->status, "success");
}

TEST(ParseDtsCheckReplyTest, ErrorReply) {
  const Expected<DtsCheckReply> reply = ParseDtsCheckReply(
      R"({"Response":{"Error":{"Code":"AuthFailure.SignatureFailure",)"
      R"("Message":"bad signature"},"RequestId":"r-3"}})");
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_EQ(reply.value().error_code, "AuthFailure.SignatureFailure");
  EXPECT_EQ(reply.value().error_message, "bad signature");
  EXPECT_EQ(reply.value().request_id, "r-3");
  EXPECT_FALSE(reply.value().check);
}

TEST(ParseDtsCheckReplyTest, RejectsBadReplies) {
  struct Case {
    const char* body;
    const char* error;
  };
  for (const Case& c : {
           Case{"[]", "not a JSON object"},
           Case{"{}", "\"Response\" is missing"},
           Case{R"({"Response": 1})", "expected an object"},
           Case{R"({"Response": {"Status": 1}})", "Response.Status"},
           Case{R"({"Response": {"StepCount": -1}})", "negative"},
           Case{R"({"Response": {"StepCount": 1.5}})", "Response.StepCount"},
           Case{R"({"Response": {"StepInfos": {}}})", "expected an array"},
           Case{R"({"Response": {"StepInfos": [{"HasSkipped": "yes"}]}})",
                "StepInfos[0].HasSkipped"},
           Case{R"({"Response": {"Error": {"Message": "x"}}})",
                "Error.Code\" is missing"},
           Case{R"({"Response": {"Status": "a", "Status": "b"}})",
                "more than once"},
           Case{R"({"Response": {}} x)", "invalid JSON"},
           Case{R"({"Response": {"Status": "runn)", "invalid JSON"},
       }) {
    const Expected<DtsCheckReply> reply = ParseDtsCheckReply(c.body);
    ASSERT_FALSE(reply.ok()) << c.body;
    EXPECT_NE(reply.error().find(c.error), std::string::npos)
        << c.body << " -> " << reply.error();
  }
}

TEST(ParseDtsCheckReplyTest, NullFieldsReadAsAbsent) {
  const Expected<DtsCheckReply> reply = ParseDtsCheckReply(
      R"({"Response": {"Status": null, "StepCount": null, "StepInfos": null}})");
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_FALSE(reply.value().check->step_count);
  EXPECT_TRUE(reply.value().check->steps.empty());
}

TEST(ParseDtsCheckReplyTest, LongMessagesAreCutNotDropped) {
  const std::string long_message(3'000'000, 'x');
  const Expected<DtsCheckReply> reply = ParseDtsCheckReply(
      R"({"Response": {"Status": "failed", "StepInfos": [{"Status": "failed",)"
      R"( "Errors": [{"Message": "short"}, {"Message": ")" +
      long_message + R"("}, {"Message": "after"}]}]}})");
  ASSERT_TRUE(reply.ok()) << reply.error();
  const std::string& message = reply.value().check->steps[0].message;
  EXPECT_EQ(message.size(), 16u * 1024);
  EXPECT_TRUE(message.starts_with("short; xxx")) << message.substr(0, 20);
  EXPECT_TRUE(message.ends_with("x...")) << message.substr(message.size() - 8);
}

TEST(ParseDtsCheckReplyTest, TooManySteps) {
  std::string body = R"({"Response": {"StepInfos": [)";
  for (int i = 0; i < 1001; ++i) {
    body += i ? ",{}" : "{}";
  }
  body += "]}}";
  const Expected<DtsCheckReply> reply = ParseDtsCheckReply(body);
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().find("more than 1000 steps"), std::string::npos);
}

// The fixtures that the fake API serves parse and map as their names state.
TEST(ParseDtsCheckReplyTest, FakeApiFixtures) {
  const std::string dir =
      std::string(CDB_SYNC_SOURCE_DIR) + "/tests/fake_api/replies/";
  struct Case {
    const char* file;
    bool migration;
    int64_t finished;
    int64_t error_code;
  };
  for (const Case& c : {Case{"dts_sync_check_success.json", false, 1, 0},
                        Case{"dts_sync_check_running.json", false, 0, 0},
                        Case{"dts_sync_check_failed.json", false, 1, -1},
                        Case{"dts_migration_check_pass.json", true, 1, 0},
                        Case{"dts_migration_check_not_pass.json", true, 1, -1},
                        Case{"dts_migration_check_running.json", true, 0, 0}}) {
    const Expected<std::string> body = ReadSmallFile(dir + c.file, 1 << 20);
    ASSERT_TRUE(body.ok()) << body.error();
    const Expected<DtsCheckReply> reply = ParseDtsCheckReply(body.value());
    ASSERT_TRUE(reply.ok()) << c.file << ": " << reply.error();
    ASSERT_TRUE(reply.value().check) << c.file;
    const CheckInfo info = c.migration
                               ? MapDtsMigrationCheck(*reply.value().check)
                               : MapDtsSyncCheck(*reply.value().check);
    EXPECT_EQ(info.check_finished, c.finished) << c.file;
    EXPECT_EQ(info.error_code, c.error_code) << c.file;
    EXPECT_FALSE(info.steps.empty()) << c.file;
    for (const CheckStep& step : info.steps) {
      EXPECT_NE(step.state, StepState::kUnknown) << c.file << " " << step.name;
    }
  }
}

TEST(ParseDtsJobListReplyTest, ReadsJobsAndSkipsOtherFields) {
  const Expected<DtsJobListReply> reply = ParseDtsJobListReply(
      R"({"Response": {"TotalCount": 2, "RequestId": "r", "JobList": [
          {"JobId": "sync-a1", "JobName": "orders", "Status": "Running",
           "Detail": {"StepInfos": [{"StepNo": 1}]}, "Tags": []},
          {"JobId": "sync-b2", "JobName": null, "Status": "Stopped"}]}})",
      JobApi::kDtsSyncCheck);
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_EQ(reply.value().total_count, 2);
  ASSERT_EQ(reply.value().jobs.size(), 2u);
  EXPECT_EQ(reply.value().jobs[0].api, JobApi::kDtsSyncCheck);
  EXPECT_EQ(reply.value().jobs[0].dts_job_id, "sync-a1");
  EXPECT_EQ(reply.value().jobs[0].name, "orders");
  EXPECT_EQ(reply.value().jobs[0].StatusText(), "Running");
  EXPECT_EQ(reply.value().jobs[1].name, "");
}

TEST(ParseDtsJobListReplyTest, NullErrorIsNoError) {
  const Expected<DtsJobListReply> reply =
      ParseDtsJobListReply(R"({"Response":{"Error":null,"TotalCount":1,)"
                           R"("JobList":[{"JobId":"sync-a1"}]}})",
                           JobApi::kDtsSyncCheck);
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_TRUE(reply.value().error_code.empty());
  EXPECT_EQ(reply.value().jobs.size(), 1u);
}

TEST(ParseDtsJobListReplyTest, ErrorAndBadJobs) {
  const Expected<DtsJobListReply> error = ParseDtsJobListReply(
      R"({"Response":{"Error":{"Code":"UnauthorizedOperation",)"
      R"("Message":"no permission"}}})",
      JobApi::kDtsMigrationCheck);
  ASSERT_TRUE(error.ok()) << error.error();
  EXPECT_EQ(error.value().error_code, "UnauthorizedOperation");

  for (const char* body : {
           R"({"Response":{"JobList":[{"JobName":"no id"}]}})",
           R"({"Response":{"JobList":[{"JobId":"bad id"}]}})",
           R"({"Response":{"JobList":[{"JobId":7}]}})",
           R"({"Response":{"JobList":{}}})",
       }) {
    const Expected<DtsJobListReply> reply =
        ParseDtsJobListReply(body, JobApi::kDtsSyncCheck);
    ASSERT_FALSE(reply.ok()) << body;
    EXPECT_NE(reply.error().find("JobList"), std::string::npos)
        << reply.error();
  }
}

}  // namespace
}  // namespace cdb_sync
