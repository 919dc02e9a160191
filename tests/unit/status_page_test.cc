#include "exporter/web/status_page.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "exporter/metrics/job_status_store.h"
#include "exporter/model/job_status.h"

namespace cdb_sync {
namespace {

using std::chrono::system_clock;

// 2026-12-04 10:00:00 UTC.
const system_clock::time_point kNow = system_clock::from_time_t(1796378400);

CheckStep Step(std::string name, int64_t error_code, std::string message = "") {
  return {std::move(name), error_code, StepStateFromCode(error_code),
          std::move(message)};
}

FetchResult Success(CheckInfo check) {
  FetchResult result;
  result.outcome = FetchOutcome::kSuccess;
  result.http_status = 200;
  result.reply.emplace();
  result.reply->data = std::move(check);
  return result;
}

CheckInfo Check(int64_t step_now, int64_t finished, int64_t error_code,
                std::vector<CheckStep> steps) {
  CheckInfo check;
  check.step_all = static_cast<int64_t>(steps.size());
  check.step_now = step_now;
  check.check_finished = finished;
  check.error_code = error_code;
  check.steps = std::move(steps);
  return check;
}

FetchResult Failure(FetchOutcome outcome, long http_status) {
  FetchResult result;
  result.outcome = outcome;
  result.http_status = http_status;
  return result;
}

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos;
       at = text.find(part, at + part.size())) {
    ++count;
  }
  return count;
}

TEST(CheckStateTest, EachState) {
  EXPECT_EQ(CheckStateOf(Success(Check(2, 1, 0, {Step("a", 0), Step("b", 0)}))),
            CheckState::kPassed);
  EXPECT_EQ(CheckStateOf(Success(Check(2, 1, 1, {Step("a", 0), Step("b", 0)}))),
            CheckState::kFailed);
  EXPECT_EQ(
      CheckStateOf(Success(Check(2, 0, 0, {Step("a", -1), Step("b", -2)}))),
      CheckState::kFailed);
  EXPECT_EQ(
      CheckStateOf(Success(Check(2, 0, 0, {Step("a", 0), Step("b", -2)}))),
      CheckState::kRunning);
  FetchResult no_data = Success(CheckInfo{});
  no_data.reply->data.reset();
  EXPECT_EQ(CheckStateOf(no_data), CheckState::kNoData);
  EXPECT_EQ(CheckStateOf(Failure(FetchOutcome::kTimeout, 0)),
            CheckState::kUnreachable);
  EXPECT_EQ(CheckStateName(CheckState::kNoData), "no_data");
}

TEST(CheckStateTest, UnknownStepCodeIsNotFailure) {
  EXPECT_EQ(CheckStateOf(Success(Check(1, 1, 0, {Step("a", 7)}))),
            CheckState::kPassed);
}

TEST(StatusPageTest, EscapesApiText) {
  StatusPageData data;
  data.now = kNow;
  CheckInfo check = Check(
      1, 1, 5,
      {Step("<script>alert(1)</script>", -1, "a \"quoted\" & 'single' <b>")});
  check.error_message = "<img src=x onerror=alert(2)>";
  check.step_comment = "</td></tr><tr>";
  data.jobs.push_back({.job = {206, SrcType::kPublicNetwork},
                       .last_result = Success(check),
                       .fetched_at = kNow});

  const std::string page = RenderStatusPage(data);
  EXPECT_EQ(page.find("<script>"), std::string::npos) << page;
  EXPECT_EQ(page.find("<img"), std::string::npos) << page;
  EXPECT_EQ(page.find("<b>"), std::string::npos) << page;
  EXPECT_EQ(page.find("</td></tr><tr>"), std::string::npos) << page;
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_NE(page.find("a &quot;quoted&quot; &amp; &#39;single&#39; &lt;b&gt;"),
            std::string::npos);
}

TEST(StatusPageTest, StepsColouredAndCurrentMarked) {
  StatusPageData data;
  data.now = kNow;
  data.jobs.push_back(
      {.job = {208, SrcType::kPublicNetwork},
       .last_result = Success(Check(2, 0, 0,
                                    {Step("connect", 0), Step("privileges", -2),
                                     Step("space", -2), Step("odd", 3)})),
       .fetched_at = kNow,
       .last_success_at = kNow});

  const std::string page = RenderStatusPage(data);
  EXPECT_NE(page.find("data-state=\"running\""), std::string::npos);
  EXPECT_NE(page.find("<li class=\"success\" title=\"1. connect: success\">"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<li class=\"pending current\" title=\"2. privileges: "
                      "pending\">"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<li class=\"unknown\" title=\"4. odd: unknown\">"),
            std::string::npos);
  EXPECT_NE(page.find("step 2 of 4"), std::string::npos);
  EXPECT_EQ(Count(page, "data-status=\"pending\""), 2u);
}

TEST(StatusPageTest, FailedCheckShowsStepMessage) {
  StatusPageData data;
  data.now = kNow;
  data.jobs.push_back(
      {.job = {207, SrcType::kSelfBuilt},
       .last_result = Success(Check(
           2, 1, 0, {Step("connect", 0), Step("space", -1, "disk full")})),
       .fetched_at = kNow});

  const std::string page = RenderStatusPage(data);
  EXPECT_NE(page.find("data-state=\"failed\""), std::string::npos);
  EXPECT_NE(page.find("<td class=\"error\">step 2 (space) failed: disk full"),
            std::string::npos)
      << page;
}

TEST(StatusPageTest, UnreachableShowsOutcomeAndLastSuccess) {
  StatusPageData data;
  data.now = kNow;
  FetchResult failed = Failure(FetchOutcome::kApiError, 200);
  failed.reply.emplace();
  failed.reply->code = 4100;
  failed.reply->message = "signature mismatch";
  failed.reply->code_desc = "AuthFailure";
  data.jobs.push_back({.job = {218, SrcType::kDisasterRecovery},
                       .last_result = failed,
                       .fetched_at = kNow - std::chrono::seconds(20),
                       .last_success_at = kNow - std::chrono::minutes(5)});

  const std::string page = RenderStatusPage(data);
  EXPECT_NE(page.find("data-state=\"unreachable\""), std::string::npos);
  EXPECT_NE(page.find("api_error, code 4100 (AuthFailure): signature mismatch"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<time datetime=\"2026-12-04T09:55:00Z\">2026-12-04 "
                      "09:55:00 UTC</time>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("5 min ago"), std::string::npos);
  EXPECT_NE(page.find("last call 20 s ago"), std::string::npos);
}

TEST(StatusPageTest, DtsJobsShowApiAndErrorCode) {
  StatusPageData data;
  data.now = kNow;
  FetchResult failed = Failure(FetchOutcome::kApiError, 200);
  failed.reply.emplace();
  failed.reply->error_code = "ResourceNotFound";
  failed.reply->code_desc = "ResourceNotFound";
  failed.reply->message = "no such job";
  data.jobs.push_back({.job = Job(JobApi::kDtsMigrationCheck, "dts-gone01"),
                       .last_result = failed,
                       .fetched_at = kNow});
  data.jobs.push_back(
      {.job = Job(JobApi::kDtsSyncCheck, "sync-pass01"),
       .last_result = Success(Check(2, 1, 0, {Step("a", 0), Step("b", 0)})),
       .fetched_at = kNow});

  const std::string page = RenderStatusPage(data);
  EXPECT_NE(page.find("<tr id=\"job-dts-gone01-dts_migration_check\" "
                      "data-job-id=\"dts-gone01\" "
                      "data-api=\"dts_migration_check\" "
                      "data-state=\"unreachable\">"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<td>DTS migration check</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>DTS sync check</td>"), std::string::npos);
  // The code appears once: code_desc repeats it for API 3.0 errors.
  EXPECT_NE(page.find("api_error, code ResourceNotFound: no such job"),
            std::string::npos)
      << page;
}

TEST(StatusPageTest, FailedDtsCheckWithoutStepMessage) {
  StatusPageData data;
  data.now = kNow;
  data.jobs.push_back(
      {.job = Job(JobApi::kDtsSyncCheck, "sync-x"),
       .last_result = Success(Check(2, 1, -1, {Step("a", 0), Step("b", 0)})),
       .fetched_at = kNow});
  data.jobs.push_back(
      {.job = {207, SrcType::kPublicNetwork},
       .last_result = Success(Check(2, 1, 5, {Step("a", 0), Step("b", 0)})),
       .fetched_at = kNow});
  const std::string page = RenderStatusPage(data);
  EXPECT_NE(page.find("<td class=\"error\">the check failed</td>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<td class=\"error\">errno 5</td>"), std::string::npos)
      << page;
  EXPECT_EQ(page.find("errno -1"), std::string::npos) << page;
}

TEST(StatusPageTest, NetworkErrorShowsTransportMessage) {
  StatusPageData data;
  data.now = kNow;
  FetchResult failed = Failure(FetchOutcome::kHttpError, 502);
  failed.error = "HTTP status 502";
  data.jobs.push_back(
      {.job = {212, SrcType::kPublicNetwork}, .last_result = failed});

  const std::string page = RenderStatusPage(data);
  EXPECT_NE(page.find("http_error, HTTP 502: HTTP status 502"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find(">never<"), std::string::npos);
}

TEST(StatusPageTest, SummaryCountsStates) {
  StatusPageData data;
  data.now = kNow;
  const FetchResult passed = Success(Check(1, 1, 0, {Step("a", 0)}));
  data.jobs.push_back({.job = {1, SrcType::kSelfBuilt}, .last_result = passed});
  data.jobs.push_back({.job = {2, SrcType::kSelfBuilt}, .last_result = passed});
  data.jobs.push_back({.job = {3, SrcType::kSelfBuilt},
                       .last_result = Failure(FetchOutcome::kTimeout, 0)});
  data.jobs.push_back({.job = {4, SrcType::kSelfBuilt}});

  const std::string page = RenderStatusPage(data);
  EXPECT_NE(page.find("data-state=\"passed\">2 passed</span>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("data-state=\"unreachable\">1 unreachable</span>"),
            std::string::npos);
  EXPECT_NE(page.find("data-state=\"not_fetched\">1 not fetched</span>"),
            std::string::npos);
  EXPECT_EQ(page.find("data-state=\"failed\">"), std::string::npos);
  EXPECT_EQ(Count(page, "<tr id=\"job-"), 4u);
}

TEST(StatusPageTest, LongTextCut) {
  StatusPageData data;
  data.now = kNow;
  CheckInfo check = Check(1, 1, 5, {Step("a", -1)});
  check.error_message = std::string(300000, 'x') + "<end>";
  data.jobs.push_back({.job = {206, SrcType::kPublicNetwork},
                       .last_result = Success(check),
                       .fetched_at = kNow});
  const std::string page = RenderStatusPage(data);
  EXPECT_LT(page.size(), 20000u);
  EXPECT_NE(page.find(std::string(1021, 'x') + "...</td>"), std::string::npos);
  EXPECT_EQ(page.find("&lt;end&gt;"), std::string::npos);
}

TEST(StatusPageTest, NoJobs) {
  StatusPageData data;
  data.telemetry_path = "/custom\"path";
  const std::string page = RenderStatusPage(data);
  EXPECT_NE(page.find("No jobs are configured."), std::string::npos);
  EXPECT_NE(page.find("href=\"/custom&quot;path\""), std::string::npos);
}

TEST(JobStatusStoreTest, KeepsLastSuccessAcrossFailures) {
  JobStatusStore store;
  const Job job{206, SrcType::kPublicNetwork};
  const Job other{207, SrcType::kPublicNetwork};
  const JobResult ok{job, Success(Check(1, 1, 0, {Step("a", 0)}))};
  store.Record(std::span(&ok, 1), kNow);

  const JobResult failed{job, Failure(FetchOutcome::kTimeout, 0)};
  store.Record(std::span(&failed, 1), kNow + std::chrono::minutes(1));

  const std::vector<Job> jobs = {other, job};
  const std::vector<JobStatus> statuses = store.Lookup(jobs);
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses[0].job, other);
  EXPECT_FALSE(statuses[0].last_result.has_value());
  EXPECT_EQ(statuses[1].job, job);
  ASSERT_TRUE(statuses[1].last_result.has_value());
  EXPECT_EQ(statuses[1].last_result->outcome, FetchOutcome::kTimeout);
  EXPECT_EQ(statuses[1].fetched_at, kNow + std::chrono::minutes(1));
  ASSERT_TRUE(statuses[1].last_success_at.has_value());
  EXPECT_EQ(*statuses[1].last_success_at, kNow);
}

TEST(JobStatusStoreTest, RetainDropsRemovedJobs) {
  JobStatusStore store;
  const Job kept{206, SrcType::kPublicNetwork};
  const Job removed{206, SrcType::kSelfBuilt};
  const JobResult results[] = {{kept, Success(CheckInfo{})},
                               {removed, Success(CheckInfo{})}};
  store.Record(results, kNow);

  const Job retained[] = {kept};
  store.Retain(retained);
  const Job both[] = {kept, removed};
  const std::vector<JobStatus> statuses = store.Lookup(both);
  EXPECT_TRUE(statuses[0].last_result.has_value());
  EXPECT_FALSE(statuses[1].last_result.has_value());
}

}  // namespace
}  // namespace cdb_sync
