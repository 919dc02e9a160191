#include "exporter/metrics/families.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <fstream>
#include <sstream>

#include "exporter/api/check_info_client.h"
#include "exporter/parse/check_info_parser.h"

namespace cdb_sync {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream file(std::string(CDB_SYNC_SOURCE_DIR) + "/" + path);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

std::string Serialize(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

JobResult SuccessfulResult(int64_t job_id, std::string_view body) {
  Expected<CheckInfoReply> reply = ParseCheckInfoReply(body);
  EXPECT_TRUE(reply.ok()) << reply.error();
  JobResult entry;
  entry.job = {job_id, SrcType::kPublicNetwork};
  entry.result.outcome = FetchOutcome::kSuccess;
  entry.result.http_status = 200;
  entry.result.duration_seconds = 0.25;
  if (reply.ok()) entry.result.reply = std::move(reply).value();
  return entry;
}

TEST(FamiliesTest, DocumentedExampleMatchesGolden) {
  const std::vector<JobResult> results = {SuccessfulResult(
      206, ReadFile("tests/fake_api/replies/seed_response.json"))};
  const std::string golden = ReadFile("tests/golden/seed_metrics.txt");
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(Serialize(BuildCheckFamilies(results)), golden);
}

TEST(FamiliesTest, EscapesLabelValues) {
  const std::vector<JobResult> results = {
      SuccessfulResult(1, R"({"code":0,"data":{"stepComment":"back\\slash",)"
                          R"("error":"quote \" and\nnewline"}})")};
  const std::string text = Serialize(BuildCheckFamilies(results));
  EXPECT_NE(text.find(R"(cdb_sync_check_info{job_id="1",src_type="2",)"
                      R"(step_comment="back\\slash",)"
                      R"(error="quote \" and\nnewline"} 1)"),
            std::string::npos)
      << text;
}

TEST(FamiliesTest, FailedCallHasOnlyUpOutcomeAndDuration) {
  JobResult entry;
  entry.job = {7, SrcType::kDisasterRecovery};
  entry.result.outcome = FetchOutcome::kTimeout;
  entry.result.duration_seconds = 5;
  const std::vector<JobResult> results = {entry};
  const std::vector<prometheus::MetricFamily> families =
      BuildCheckFamilies(results);

  std::vector<std::string> names;
  names.reserve(families.size());
  for (const auto& family : families) names.push_back(family.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "cdb_sync_check_up", "cdb_sync_check_outcome",
                       "cdb_sync_check_scrape_duration_seconds"}));
  EXPECT_EQ(families[0].metric[0].gauge.value, 0);
  EXPECT_EQ(families[1].metric[0].label[2].value, "timeout");
  EXPECT_EQ(families[1].metric[0].label[1].value, "10");
}

TEST(FamiliesTest, ApiErrorPublishesCodeWithoutCheckSeries) {
  JobResult entry = SuccessfulResult(
      9,
      R"({"code":9591,"codeDesc":"TaskNotExist","message":"任务不存在 \"9\"",)"
      R"("data":{"stepAll":3}})");
  entry.result.outcome = FetchOutcome::kApiError;
  const std::vector<JobResult> results = {entry};
  const std::string text = Serialize(BuildCheckFamilies(results));

  EXPECT_NE(text.find("cdb_sync_check_api_error_info{job_id=\"9\",src_type="
                      "\"2\",code_desc=\"TaskNotExist\",message=\"任务不存在 "
                      "\\\"9\\\"\"} 1"),
            std::string::npos)
      << text;

  EXPECT_NE(text.find("cdb_sync_check_up{job_id=\"9\",src_type=\"2\"} 0"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("cdb_sync_check_api_code{job_id=\"9\",src_type=\"2\"} 9591"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("cdb_sync_check_steps"), std::string::npos) << text;
}

JobResult DtsResult(JobApi api, std::string id, std::string_view body) {
  HttpResponse response;
  response.status = 200;
  response.body = std::string(body);
  return {Job(api, std::move(id)),
          CheckInfoClient::InterpretResponse(response, api)};
}

TEST(FamiliesTest, DtsJobsUseApiLabel) {
  const std::vector<JobResult> results = {
      DtsResult(JobApi::kDtsSyncCheck, "sync-fail01",
                ReadFile("tests/fake_api/replies/dts_sync_check_failed.json")),
      DtsResult(
          JobApi::kDtsMigrationCheck, "dts-fail01",
          ReadFile(
              "tests/fake_api/replies/dts_migration_check_not_pass.json"))};
  ASSERT_EQ(results[0].result.outcome, FetchOutcome::kSuccess)
      << results[0].result.error;
  ASSERT_EQ(results[1].result.outcome, FetchOutcome::kSuccess)
      << results[1].result.error;
  const std::string text = Serialize(BuildCheckFamilies(results));

  const std::string sync = R"({job_id="sync-fail01",api="dts_sync_check"})";
  const std::string migration =
      R"({job_id="dts-fail01",api="dts_migration_check"})";
  for (const std::string& line :
       {"cdb_sync_check_up" + sync + " 1",
        "cdb_sync_check_api_code" + sync + " 0",
        "cdb_sync_check_finished" + sync + " 1",
        "cdb_sync_check_errno" + sync + " -1",
        "cdb_sync_check_current_step" + sync + " 3",
        "cdb_sync_check_steps" + sync + " 5",
        "cdb_sync_check_finished" + migration + " 1",
        "cdb_sync_check_errno" + migration + " -1",
        "cdb_sync_check_steps" + migration + " 4",
        "cdb_sync_check_current_step" + migration + " 2"}) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << line << "\n"
                                                         << text;
  }
  // The failed sync step is step 3; DTS steps publish no errno series.
  EXPECT_NE(text.find(R"(cdb_sync_check_step_status{job_id="sync-fail01",)"
                      R"(api="dts_sync_check",step="3",)"),
            std::string::npos);
  EXPECT_EQ(text.find("cdb_sync_check_step_errno"), std::string::npos) << text;
  EXPECT_EQ(text.find("src_type"), std::string::npos) << text;
}

TEST(FamiliesTest, DtsErrorHasNoNumericCode) {
  const std::vector<JobResult> results = {DtsResult(
      JobApi::kDtsSyncCheck, "sync-auth01",
      R"({"Response":{"Error":{"Code":"AuthFailure.SignatureFailure",)"
      R"("Message":"The signature does not match."},"RequestId":"r"}})")};
  const std::string text = Serialize(BuildCheckFamilies(results));
  EXPECT_NE(text.find(R"(cdb_sync_check_api_error_info{job_id="sync-auth01",)"
                      R"(api="dts_sync_check",)"
                      R"(code_desc="AuthFailure.SignatureFailure",)"
                      R"(message="The signature does not match."} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(cdb_sync_check_outcome{job_id="sync-auth01",)"
                      R"(api="dts_sync_check",outcome="api_error"} 1)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("cdb_sync_check_api_code"), std::string::npos) << text;
  EXPECT_EQ(text.find("cdb_sync_check_steps"), std::string::npos) << text;
}

TEST(FamiliesTest, StepStatusHasExactlyOneStatePerStep) {
  const std::vector<JobResult> results = {SuccessfulResult(
      3, R"({"code":0,"data":{"stepInfo":[{"stepName":"a","errno":0},)"
         R"({"stepName":"a","errno":-1},{"stepName":"b","errno":-2},)"
         R"({"stepName":"c","errno":7}]}})")};
  const std::vector<prometheus::MetricFamily> families =
      BuildCheckFamilies(results);
  const prometheus::MetricFamily* status = nullptr;
  for (const auto& family : families) {
    if (family.name == "cdb_sync_check_step_status") status = &family;
  }
  ASSERT_NE(status, nullptr);
  ASSERT_EQ(status->metric.size(), 16u);

  const std::vector<std::string> expected = {"success", "failed", "pending",
                                             "unknown"};
  for (std::size_t step = 0; step < 4; ++step) {
    int ones = 0;
    for (std::size_t state = 0; state < 4; ++state) {
      const auto& metric = status->metric[step * 4 + state];
      EXPECT_EQ(metric.label[2].value, std::to_string(step + 1));
      if (metric.gauge.value == 1) {
        ++ones;
        EXPECT_EQ(metric.label[4].value, expected[step]) << "step " << step;
      }
    }
    EXPECT_EQ(ones, 1) << "step " << step;
  }
}

TEST(FamiliesTest, DuplicateStepNamesStayDistinct) {
  const std::vector<JobResult> results = {SuccessfulResult(
      3, R"({"code":0,"data":{"stepInfo":[{"stepName":"same","errno":0},)"
         R"({"stepName":"same","errno":-1}]}})")};
  const std::string text = Serialize(BuildCheckFamilies(results));
  EXPECT_NE(text.find(R"(step="1",step_name="same"} 0)"), std::string::npos);
  EXPECT_NE(text.find(R"(step="2",step_name="same"} -1)"), std::string::npos);
}

TEST(FamiliesTest, NoDataPublishesNoCheckSeries) {
  const std::vector<JobResult> results = {
      SuccessfulResult(4, R"({"code":0,"data":[]})")};
  const std::string text = Serialize(BuildCheckFamilies(results));
  EXPECT_NE(text.find("cdb_sync_check_up{job_id=\"4\",src_type=\"2\"} 1"),
            std::string::npos);
  EXPECT_EQ(text.find("cdb_sync_check_info"), std::string::npos);
  EXPECT_EQ(text.find("cdb_sync_check_current_step"), std::string::npos);
}

TEST(FamiliesTest, BuildInfo) {
  const std::string text = Serialize({BuildInfoFamily("1.2.3", "abc")});
  EXPECT_NE(text.find(R"(cdb_sync_exporter_build_info{version="1.2.3",)"
                      R"(revision="abc"} 1)"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace cdb_sync
