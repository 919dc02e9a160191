// Tests of TaskLister's paging against a transport that serves canned pages.
#include "exporter/api/task_lister.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exporter/util/mutex.h"

namespace cdb_sync {
namespace {

// Serves `pages` in order (the last one repeats) and records each request
// body.
class PageTransport : public HttpTransport {
 public:
  explicit PageTransport(std::vector<std::string> pages)
      : pages_(std::move(pages)) {}

  std::future<HttpResponse> Send(HttpRequest request) override {
    MutexLock lock(mutex_);
    bodies_.push_back(request.body);
    HttpResponse response;
    response.status = 200;
    response.body = pages_[std::min(next_, pages_.size() - 1)];
    ++next_;
    std::promise<HttpResponse> promise;
    promise.set_value(std::move(response));
    return promise.get_future();
  }

  std::vector<std::string> bodies() {
    MutexLock lock(mutex_);
    return bodies_;
  }

 private:
  Mutex mutex_;
  std::vector<std::string> pages_ GUARDED_BY(mutex_);
  std::size_t next_ GUARDED_BY(mutex_) = 0;
  std::vector<std::string> bodies_ GUARDED_BY(mutex_);
};

// Returns a DescribeSyncJobs page with the jobs sync-<first>..sync-<last>.
std::string DtsPage(int first, int last, int total) {
  std::string page = R"({"Response":{"TotalCount":)" + std::to_string(total) +
                     R"(,"JobList":[)";
  for (int i = first; i <= last; ++i) {
    if (i > first) page += ",";
    page += R"({"JobId":"sync-)" + std::to_string(i) + R"(","JobName":"n"})";
  }
  return page + "]}}";
}

class TaskListerTest : public ::testing::Test {
 protected:
  TaskListerTest() {
    api_.dts.endpoint = {"http://127.0.0.1:9/", "http", "127.0.0.1:9", "/"};
    api_.dts.region = "ap-guangzhou";
    credentials_.secret_id = "AKIDtest";
    credentials_.secret_key = "key";
  }

  TaskLister MakeLister(PageTransport& transport) {
    return TaskLister(
        api_, credentials_, transport, nullptr,
        [] { return int64_t{1700000000}; }, [] { return uint64_t{1}; });
  }

  static std::chrono::steady_clock::time_point Deadline() {
    return std::chrono::steady_clock::now() + std::chrono::seconds(10);
  }

  ApiConfig api_;
  Credentials credentials_;
};

TEST_F(TaskListerTest, DtsJobsPagedByOffset) {
  PageTransport transport({DtsPage(1, 100, 150), DtsPage(101, 150, 150)});
  const Expected<std::vector<SyncTask>> jobs =
      MakeLister(transport).ListDtsJobs(JobApi::kDtsSyncCheck, Deadline());
  ASSERT_TRUE(jobs.ok()) << jobs.error();
  ASSERT_EQ(jobs.value().size(), 150u);
  EXPECT_EQ(jobs.value()[149].dts_job_id, "sync-150");
  EXPECT_EQ(jobs.value()[0].api, JobApi::kDtsSyncCheck);
  EXPECT_EQ(transport.bodies(),
            (std::vector<std::string>{R"({"Limit":100,"Offset":0})",
                                      R"({"Limit":100,"Offset":100})"}));
}

TEST_F(TaskListerTest, RepeatedPageStopsListing) {
  // A server that ignores Offset and claims a million jobs.
  PageTransport transport({DtsPage(1, 100, 1'000'000)});
  const Expected<std::vector<SyncTask>> jobs =
      MakeLister(transport).ListDtsJobs(JobApi::kDtsMigrationCheck, Deadline());
  ASSERT_FALSE(jobs.ok());
  EXPECT_NE(jobs.error().find("page 2 (offset 100): every task on this page "
                              "was on an earlier page"),
            std::string::npos)
      << jobs.error();
  EXPECT_EQ(transport.bodies().size(), 2u);
}

TEST_F(TaskListerTest, DtsErrorFailsThePage) {
  PageTransport transport(
      {R"({"Response":{"Error":{"Code":"UnauthorizedOperation",)"
       R"("Message":"no permission"},"RequestId":"r"}})"});
  const Expected<std::vector<SyncTask>> jobs =
      MakeLister(transport).ListDtsJobs(JobApi::kDtsSyncCheck, Deadline());
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(
      jobs.error(),
      "page 1 (offset 0): API error UnauthorizedOperation: no permission");
}

}  // namespace
}  // namespace cdb_sync
