#include "exporter/api/check_info_client.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>
#include <thread>

#include "exporter/api/signer_tc3.h"
#include "exporter/api/signer_v2.h"
#include "exporter/util/mutex.h"

namespace cdb_sync {
namespace {

// Responds to each request with the canned responses for its jobId, in
// order (the last one repeats), and records the requests. While held, it
// keeps every response back until Release().
class FakeTransport : public HttpTransport {
 public:
  std::future<HttpResponse> Send(HttpRequest request) override {
    std::string job_id;
    const std::string& query =
        request.method == HttpMethod::kPost ? request.body : request.url;
    if (std::size_t at = query.find("jobId="); at != std::string::npos) {
      job_id = query.substr(at + 6, query.find('&', at) - at - 6);
    }
    // An API 3.0 request carries {"JobId":"..."} in its body.
    constexpr std::string_view kDtsJobId = "{\"JobId\":\"";
    if (request.body.starts_with(kDtsJobId)) {
      job_id = request.body.substr(
          kDtsJobId.size(),
          request.body.find('"', kDtsJobId.size()) - kDtsJobId.size());
    }
    MutexLock lock(mutex_);
    requests_.push_back(std::move(request));
    sent_.notify_all();
    HttpResponse response;
    auto found = responses_.find(job_id);
    if (found != responses_.end() && !found->second.empty()) {
      response = found->second.front();
      if (found->second.size() > 1) found->second.pop_front();
    }
    std::promise<HttpResponse> promise;
    std::future<HttpResponse> future = promise.get_future();
    if (!holding_ && held_jobs_.count(job_id) == 0) {
      promise.set_value(std::move(response));
      return future;
    }
    held_.push_back(std::move(promise));
    held_responses_.push_back(std::move(response));
    held_job_ids_.push_back(job_id);
    return future;
  }

  void SetResponses(const std::string& job_id,
                    std::deque<HttpResponse> responses) {
    MutexLock lock(mutex_);
    responses_[job_id] = std::move(responses);
  }
  void SetResponse(const std::string& job_id, HttpResponse response) {
    SetResponses(job_id, {std::move(response)});
  }

  void Hold() {
    MutexLock lock(mutex_);
    holding_ = true;
  }
  // Holds back the responses for `job_id` only, until Release().
  void HoldJob(const std::string& job_id) {
    MutexLock lock(mutex_);
    held_jobs_.insert(job_id);
  }
  void Release() {
    MutexLock lock(mutex_);
    holding_ = false;
    held_jobs_.clear();
    ReleaseLocked();
  }

  // Stops holding everything but `job_id`, and sends the other responses.
  void ReleaseJobsExcept(const std::string& job_id) {
    MutexLock lock(mutex_);
    holding_ = false;
    held_jobs_ = {job_id};
    for (std::size_t i = 0; i < held_.size();) {
      if (held_job_ids_[i] == job_id) {
        ++i;
        continue;
      }
      held_[i].set_value(std::move(held_responses_[i]));
      held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
      held_responses_.erase(held_responses_.begin() +
                            static_cast<std::ptrdiff_t>(i));
      held_job_ids_.erase(held_job_ids_.begin() +
                          static_cast<std::ptrdiff_t>(i));
    }
  }

  // Blocks until `count` requests were sent.
  void WaitForRequests(std::size_t count) {
    MutexLock lock(mutex_);
    while (requests_.size() < count) mutex_.Wait(sent_);
  }

  std::vector<HttpRequest> requests() {
    MutexLock lock(mutex_);
    return requests_;
  }

 private:
  void ReleaseLocked() REQUIRES(mutex_) {
    for (std::size_t i = 0; i < held_.size(); ++i) {
      held_[i].set_value(std::move(held_responses_[i]));
    }
    held_.clear();
    held_responses_.clear();
    held_job_ids_.clear();
  }

  Mutex mutex_;
  std::condition_variable sent_;
  bool holding_ GUARDED_BY(mutex_) = false;
  std::set<std::string> held_jobs_ GUARDED_BY(mutex_);
  std::map<std::string, std::deque<HttpResponse>> responses_ GUARDED_BY(mutex_);
  std::vector<HttpRequest> requests_ GUARDED_BY(mutex_);
  std::vector<std::promise<HttpResponse>> held_ GUARDED_BY(mutex_);
  std::vector<HttpResponse> held_responses_ GUARDED_BY(mutex_);
  std::vector<std::string> held_job_ids_ GUARDED_BY(mutex_);
};

HttpResponse Reply(long status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse TransportFailure(TransportError error, std::string message) {
  HttpResponse response;
  response.error = error;
  response.error_message = std::move(message);
  return response;
}

class CheckInfoClientTest : public ::testing::Test {
 protected:
  CheckInfoClientTest() {
    api_.endpoint = {"http://127.0.0.1:8080/v2/index.php", "http",
                     "127.0.0.1:8080", "/v2/index.php"};
    api_.region = "ap-guangzhou";
    credentials_.secret_id = "AKIDtest";
    credentials_.secret_key = "secret-key";
  }

  CheckInfoClient MakeClient() {
    uint64_t* nonce = &next_nonce_;
    return CheckInfoClient(
        api_, credentials_, transport_, [] { return int64_t{1700000000}; },
        [nonce] { return (*nonce)++; });
  }

  ApiConfig api_;
  Credentials credentials_;
  FakeTransport transport_;
  uint64_t next_nonce_ = 1000;
};

TEST_F(CheckInfoClientTest, BuildsSignedGetRequest) {
  const HttpRequest request =
      MakeClient().BuildRequest({206, SrcType::kPublicNetwork});

  const ApiParams params = {
      {"Action", "GetCdbDataSyncTaskCheckInfo"},
      {"Nonce", "1000"},
      {"Region", "ap-guangzhou"},
      {"SecretId", "AKIDtest"},
      {"SignatureMethod", "HmacSHA256"},
      {"Timestamp", "1700000000"},
      {"jobId", "206"},
      {"srcType", "2"},
  };
  const std::string expected_query =
      BuildSignedQuery("GET", "127.0.0.1:8080", "/v2/index.php", params,
                       "secret-key", SignatureMethod::kHmacSha256);
  EXPECT_EQ(request.method, HttpMethod::kGet);
  EXPECT_EQ(request.url,
            "http://127.0.0.1:8080/v2/index.php?" + expected_query);
  EXPECT_EQ(request.body, "");
  EXPECT_EQ(request.headers,
            (std::vector<std::string>{"Host: 127.0.0.1:8080"}));
  EXPECT_EQ(request.timeout, api_.timeout);
  EXPECT_EQ(request.connect_timeout, api_.connect_timeout);
  EXPECT_EQ(request.max_body_bytes, api_.max_response_size);
}

TEST_F(CheckInfoClientTest, BuildsSignedPostRequestWithToken) {
  api_.http_method = HttpMethod::kPost;
  api_.signature_method = SignatureMethod::kHmacSha1;
  credentials_.session_token = "tok+en";
  const HttpRequest request =
      MakeClient().BuildRequest({7, SrcType::kDisasterRecovery});

  const ApiParams params = {
      {"Action", "GetCdbDataSyncTaskCheckInfo"},
      {"Nonce", "1000"},
      {"Region", "ap-guangzhou"},
      {"SecretId", "AKIDtest"},
      {"SignatureMethod", "HmacSHA1"},
      {"Timestamp", "1700000000"},
      {"Token", "tok+en"},
      {"jobId", "7"},
      {"srcType", "10"},
  };
  EXPECT_EQ(request.method, HttpMethod::kPost);
  EXPECT_EQ(request.url, "http://127.0.0.1:8080/v2/index.php");
  EXPECT_EQ(request.body,
            BuildSignedQuery("POST", "127.0.0.1:8080", "/v2/index.php", params,
                             "secret-key", SignatureMethod::kHmacSha1));
  EXPECT_NE(request.body.find("Token=tok%2Ben"), std::string::npos);
  EXPECT_EQ(request.headers,
            (std::vector<std::string>{
                "Host: 127.0.0.1:8080",
                "Content-Type: application/x-www-form-urlencoded"}));
}

TEST_F(CheckInfoClientTest, FreshNonceForEveryRequest) {
  CheckInfoClient client = MakeClient();
  const HttpRequest first = client.BuildRequest({1, SrcType::kSelfBuilt});
  const HttpRequest second = client.BuildRequest({1, SrcType::kSelfBuilt});
  EXPECT_NE(first.url.find("Nonce=1000&"), std::string::npos);
  EXPECT_NE(second.url.find("Nonce=1001&"), std::string::npos);
}

TEST_F(CheckInfoClientTest, RandomNonceIsPositiveAndVaries) {
  const uint64_t first = CheckInfoClient::RandomNonce();
  const uint64_t second = CheckInfoClient::RandomNonce();
  EXPECT_GT(first, 0u);
  EXPECT_LE(first, uint64_t{1} << 63);
  EXPECT_NE(first, second);
}

TEST_F(CheckInfoClientTest, FetchAllKeepsJobOrderAndIsolatesFailures) {
  api_.retries = 0;
  transport_.SetResponse("1", Reply(200, R"({"code":0,"data":{"stepAll":2}})"));
  transport_.SetResponse("2", Reply(502, "<html>Bad Gateway</html>"));
  transport_.SetResponse(
      "3", TransportFailure(TransportError::kTimeout, "timed out"));
  transport_.SetResponse("4", Reply(200, R"({"code":0} trailing)"));
  transport_.SetResponse(
      "5", Reply(200, R"({"code":4100,"codeDesc":"AuthFailure"})"));
  transport_.SetResponse(
      "6", TransportFailure(TransportError::kConnectFailed, "refused"));
  transport_.SetResponse("7", TransportFailure(TransportError::kInternal, "x"));

  const std::vector<Job> jobs = {
      {1, SrcType::kSelfBuilt}, {2, SrcType::kSelfBuilt},
      {3, SrcType::kSelfBuilt}, {4, SrcType::kSelfBuilt},
      {5, SrcType::kSelfBuilt}, {6, SrcType::kSelfBuilt},
      {7, SrcType::kSelfBuilt}};
  const std::vector<FetchResult> results = MakeClient().FetchAll(jobs);
  ASSERT_EQ(results.size(), 7u);

  EXPECT_EQ(results[0].outcome, FetchOutcome::kSuccess);
  ASSERT_TRUE(results[0].reply.has_value());
  ASSERT_TRUE(results[0].reply->data.has_value());
  EXPECT_EQ(results[0].reply->data->step_all, 2);

  EXPECT_EQ(results[1].outcome, FetchOutcome::kHttpError);
  EXPECT_EQ(results[1].http_status, 502);
  EXPECT_NE(results[1].error.find("502"), std::string::npos);
  EXPECT_FALSE(results[1].reply.has_value());

  EXPECT_EQ(results[2].outcome, FetchOutcome::kTimeout);
  EXPECT_EQ(results[3].outcome, FetchOutcome::kParseError);
  EXPECT_FALSE(results[3].reply.has_value());

  EXPECT_EQ(results[4].outcome, FetchOutcome::kApiError);
  ASSERT_TRUE(results[4].reply.has_value());
  EXPECT_EQ(results[4].reply->code, 4100);

  EXPECT_EQ(results[5].outcome, FetchOutcome::kNetworkError);
  EXPECT_EQ(results[5].error, "refused");
  EXPECT_EQ(results[6].outcome, FetchOutcome::kInternalError);

  EXPECT_EQ(transport_.requests().size(), 7u);
}

TEST_F(CheckInfoClientTest, RetriesThrottlingThenSucceeds) {
  api_.retry_backoff = std::chrono::milliseconds(1);
  transport_.SetResponses(
      "1", {Reply(200, R"({"code":4400,"codeDesc":"RequestLimitExceeded"})"),
            Reply(200, R"({"code":0})")});
  CheckInfoClient client = MakeClient();
  std::vector<FetchOutcome> observed;
  client.SetAttemptObserver([&observed](FetchOutcome outcome, double) {
    observed.push_back(outcome);
  });

  const std::vector<Job> jobs = {{1, SrcType::kSelfBuilt}};
  const std::vector<FetchResult> results = client.FetchAll(jobs);

  EXPECT_EQ(results[0].outcome, FetchOutcome::kSuccess);
  EXPECT_EQ(results[0].attempts, 2);
  EXPECT_EQ(observed, (std::vector<FetchOutcome>{FetchOutcome::kThrottled,
                                                 FetchOutcome::kSuccess}));
  const std::vector<HttpRequest> requests = transport_.requests();
  ASSERT_EQ(requests.size(), 2u);
  // Each attempt signs a fresh Nonce.
  EXPECT_NE(requests[0].url.find("Nonce=1000&"), std::string::npos);
  EXPECT_NE(requests[1].url.find("Nonce=1001&"), std::string::npos);
}

TEST_F(CheckInfoClientTest, RateLimitThrottlesJobsPastDeadline) {
  for (const char* id : {"1", "2", "3", "4", "5", "6"}) {
    transport_.SetResponse(id, Reply(200, R"({"code":0})"));
  }
  CheckInfoClient client = MakeClient();
  // Two starts at once, then one every 200 ms: within a 550 ms budget, less
  // the 100 ms minimum attempt time, four jobs start (at 0, 0, 200 and 400
  // ms) and two do not.
  int rate_limited = 0;
  client.SetRateLimiter(std::make_shared<RateLimiter>(5, 2),
                        [&rate_limited] { ++rate_limited; });

  const std::vector<Job> jobs = {
      {1, SrcType::kSelfBuilt}, {2, SrcType::kSelfBuilt},
      {3, SrcType::kSelfBuilt}, {4, SrcType::kSelfBuilt},
      {5, SrcType::kSelfBuilt}, {6, SrcType::kSelfBuilt}};
  const auto started = std::chrono::steady_clock::now();
  const std::vector<FetchResult> results =
      client.FetchAll(jobs, started + std::chrono::milliseconds(550));
  const auto elapsed = std::chrono::steady_clock::now() - started;

  int succeeded = 0;
  int throttled = 0;
  for (const FetchResult& result : results) {
    if (result.outcome == FetchOutcome::kSuccess) ++succeeded;
    if (result.outcome == FetchOutcome::kThrottled) {
      ++throttled;
      EXPECT_EQ(result.attempts, 0);
      EXPECT_NE(result.error.find("api.rate_limit"), std::string::npos);
    }
  }
  EXPECT_EQ(succeeded, 4);
  EXPECT_EQ(throttled, 2);
  EXPECT_EQ(rate_limited, 2);
  EXPECT_EQ(transport_.requests().size(), 4u);
  // The throttled jobs did not wait for the deadline.
  EXPECT_LT(elapsed, std::chrono::milliseconds(550));
}

TEST_F(CheckInfoClientTest, RateLimitedRetryKeepsLastResult) {
  api_.retry_backoff = std::chrono::milliseconds(1);
  transport_.SetResponses("1",
                          {Reply(502, "<html>"), Reply(200, R"({"code":0})")});
  CheckInfoClient client = MakeClient();
  // One start, and the next only after a second.
  client.SetRateLimiter(std::make_shared<RateLimiter>(1, 1), nullptr);

  const std::vector<Job> jobs = {{1, SrcType::kSelfBuilt}};
  const std::vector<FetchResult> results = client.FetchAll(
      jobs, std::chrono::steady_clock::now() + std::chrono::milliseconds(500));
  EXPECT_EQ(results[0].outcome, FetchOutcome::kHttpError);
  EXPECT_EQ(results[0].http_status, 502);
  EXPECT_EQ(results[0].attempts, 1);
  EXPECT_EQ(transport_.requests().size(), 1u);
}

TEST_F(CheckInfoClientTest, RetriesServerErrorsAndRetryLaterCodes) {
  api_.retry_backoff = std::chrono::milliseconds(1);
  transport_.SetResponses("1",
                          {Reply(502, "<html>"), Reply(200, R"({"code":0})")});
  transport_.SetResponses(
      "2", {Reply(200, R"({"code":5100})"), Reply(200, R"({"code":0})")});
  transport_.SetResponses(
      "3", {TransportFailure(TransportError::kConnectFailed, "refused"),
            Reply(200, R"({"code":0})")});
  const std::vector<Job> jobs = {{1, SrcType::kSelfBuilt},
                                 {2, SrcType::kSelfBuilt},
                                 {3, SrcType::kSelfBuilt}};
  const std::vector<FetchResult> results = MakeClient().FetchAll(jobs);
  for (const FetchResult& result : results) {
    EXPECT_EQ(result.outcome, FetchOutcome::kSuccess) << result.error;
    EXPECT_EQ(result.attempts, 2);
  }
}

TEST_F(CheckInfoClientTest, FinalErrorsAreNotRetried) {
  api_.retry_backoff = std::chrono::milliseconds(1);
  const char* final_bodies[] = {R"({"code":4100})",      R"({"code":4104})",
                                R"({"code":4110})",      R"({"code":4500})",
                                R"({"code":9003})",      R"({"code":9591})",
                                R"({"code":0} trailing)"};
  std::vector<Job> jobs;
  for (int i = 0; i < 7; ++i) {
    transport_.SetResponses(
        std::to_string(i + 1),
        {Reply(200, final_bodies[i]), Reply(200, R"({"code":0})")});
    jobs.push_back({i + 1, SrcType::kSelfBuilt});
  }
  const std::vector<FetchResult> results = MakeClient().FetchAll(jobs);
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_NE(results[i].outcome, FetchOutcome::kSuccess) << final_bodies[i];
    EXPECT_EQ(results[i].attempts, 1) << final_bodies[i];
  }
  EXPECT_EQ(transport_.requests().size(), 7u);
}

TEST_F(CheckInfoClientTest, RetriesStopAtConfiguredCount) {
  api_.retry_backoff = std::chrono::milliseconds(1);
  api_.retries = 1;
  transport_.SetResponse("1", Reply(503, "busy"));
  const std::vector<Job> jobs = {{1, SrcType::kSelfBuilt}};
  const std::vector<FetchResult> results = MakeClient().FetchAll(jobs);
  EXPECT_EQ(results[0].outcome, FetchOutcome::kHttpError);
  EXPECT_EQ(results[0].attempts, 2);
  EXPECT_EQ(transport_.requests().size(), 2u);
}

TEST_F(CheckInfoClientTest, NoRetryWhenBackoffWouldPassDeadline) {
  api_.retry_backoff = std::chrono::seconds(10);
  transport_.SetResponse("1", Reply(503, "busy"));
  const std::vector<Job> jobs = {{1, SrcType::kSelfBuilt}};
  const std::vector<FetchResult> results = MakeClient().FetchAll(
      jobs, std::chrono::steady_clock::now() + std::chrono::seconds(2));
  EXPECT_EQ(results[0].attempts, 1);
  EXPECT_EQ(transport_.requests().size(), 1u);
}

TEST_F(CheckInfoClientTest, ThrottledQuotaMessageOnCode4000) {
  const FetchResult result = CheckInfoClient::InterpretResponse(
      Reply(200, R"({"code":4000,"message":"(503) Quota run out"})"));
  EXPECT_EQ(result.outcome, FetchOutcome::kThrottled);
  EXPECT_TRUE(IsRetryable(result));
}

TEST_F(CheckInfoClientTest, DeadlineCapsRequestTimeout) {
  api_.timeout = std::chrono::seconds(30);
  transport_.SetResponse("1", Reply(200, R"({"code":0})"));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(2);
  const std::vector<Job> jobs = {{1, SrcType::kSelfBuilt}};
  MakeClient().FetchAll(jobs, deadline);
  const std::vector<HttpRequest> requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_LE(requests[0].timeout, std::chrono::seconds(2));
  EXPECT_GT(requests[0].timeout, std::chrono::seconds(1));
  EXPECT_LE(requests[0].connect_timeout, requests[0].timeout);
  ASSERT_TRUE(requests[0].deadline.has_value());
  EXPECT_EQ(*requests[0].deadline, deadline);
}

TEST_F(CheckInfoClientTest, PassedDeadlineSendsNothing) {
  const std::vector<Job> jobs = {{1, SrcType::kSelfBuilt}};
  const std::vector<FetchResult> results =
      MakeClient().FetchAll(jobs, std::chrono::steady_clock::now());
  EXPECT_EQ(results[0].outcome, FetchOutcome::kTimeout);
  EXPECT_EQ(results[0].attempts, 0);
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(CheckInfoClientTest, ReplyAfterDeadlineIsTimeout) {
  transport_.Hold();
  transport_.SetResponse("1", Reply(200, R"({"code":0})"));
  const std::vector<Job> jobs = {{1, SrcType::kSelfBuilt}};
  const std::vector<FetchResult> results = MakeClient().FetchAll(
      jobs, std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
  transport_.Release();
  EXPECT_EQ(results[0].outcome, FetchOutcome::kTimeout);
}

TEST_F(CheckInfoClientTest, ConcurrentFetchesShareOneCall) {
  transport_.Hold();
  transport_.SetResponse("1", Reply(200, R"({"code":0})"));
  CheckInfoClient client = MakeClient();
  const std::vector<Job> jobs = {{1, SrcType::kSelfBuilt}};

  std::vector<FetchResult> first;
  std::thread leader([&] { first = client.FetchAll(jobs); });
  transport_.WaitForRequests(1);
  std::vector<FetchResult> second;
  std::thread follower([&] { second = client.FetchAll(jobs); });
  // Give the follower time to join the flight before the reply arrives.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  transport_.Release();
  leader.join();
  follower.join();

  EXPECT_EQ(transport_.requests().size(), 1u);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0].outcome, FetchOutcome::kSuccess);
  EXPECT_EQ(second[0].outcome, FetchOutcome::kSuccess);
}

TEST_F(CheckInfoClientTest, FollowerNotHeldBySlowJob) {
  transport_.HoldJob("1");
  transport_.SetResponse("1", Reply(200, R"({"code":0})"));
  transport_.SetResponse("2", Reply(200, R"({"code":0})"));
  transport_.Hold();  // until the follower has joined job 2's flight
  CheckInfoClient client = MakeClient();

  const std::vector<Job> both = {{1, SrcType::kSelfBuilt},
                                 {2, SrcType::kSelfBuilt}};
  std::vector<FetchResult> leader_results;
  std::thread leader([&] {
    leader_results = client.FetchAll(
        both, std::chrono::steady_clock::now() + std::chrono::seconds(5));
  });
  transport_.WaitForRequests(2);

  const std::vector<Job> fast = {{2, SrcType::kSelfBuilt}};
  std::vector<FetchResult> follower_results;
  std::thread follower([&] {
    follower_results = client.FetchAll(
        fast, std::chrono::steady_clock::now() + std::chrono::seconds(1));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Let job 2 through; job 1 stays held past the follower's deadline.
  transport_.ReleaseJobsExcept("1");
  follower.join();
  transport_.Release();
  leader.join();

  EXPECT_EQ(transport_.requests().size(), 2u);
  ASSERT_EQ(follower_results.size(), 1u);
  EXPECT_EQ(follower_results[0].outcome, FetchOutcome::kSuccess)
      << follower_results[0].error;
  ASSERT_EQ(leader_results.size(), 2u);
  EXPECT_EQ(leader_results[0].outcome, FetchOutcome::kSuccess);
  EXPECT_EQ(leader_results[1].outcome, FetchOutcome::kSuccess);
}

TEST(IsRetryableTest, Outcomes) {
  FetchResult result;
  result.outcome = FetchOutcome::kNetworkError;
  EXPECT_TRUE(IsRetryable(result));
  result.outcome = FetchOutcome::kTimeout;
  EXPECT_TRUE(IsRetryable(result));
  result.outcome = FetchOutcome::kParseError;
  EXPECT_FALSE(IsRetryable(result));
  result.outcome = FetchOutcome::kInternalError;
  EXPECT_FALSE(IsRetryable(result));
  result.outcome = FetchOutcome::kHttpError;
  result.http_status = 404;
  EXPECT_FALSE(IsRetryable(result));
  result.http_status = 500;
  EXPECT_TRUE(IsRetryable(result));
}

TEST(IsRetryableTest, ApiCodes) {
  for (const auto& [code, retryable] :
       std::vector<std::pair<int64_t, bool>>{{5100, true},
                                             {6000, true},
                                             {4000, false},
                                             {4100, false},
                                             {4101, false},
                                             {4110, false},
                                             {4500, false},
                                             {9003, false},
                                             {9591, false}}) {
    FetchResult result;
    result.outcome = FetchOutcome::kApiError;
    result.reply.emplace();
    result.reply->code = code;
    EXPECT_EQ(IsRetryable(result), retryable) << code;
  }
}

// Returns the value of the header `name` in `request`, or nullopt.
std::optional<std::string> Header(const HttpRequest& request,
                                  std::string_view name) {
  for (const std::string& line : request.headers) {
    if (line.starts_with(name) && line.size() > name.size() + 1 &&
        line[name.size()] == ':') {
      return line.substr(name.size() + 2);
    }
  }
  return std::nullopt;
}

class DtsClientTest : public CheckInfoClientTest {
 protected:
  DtsClientTest() {
    api_.dts.endpoint = {"http://127.0.0.1:9090/", "http", "127.0.0.1:9090",
                         "/"};
    api_.dts.region = "ap-shanghai";
  }
};

TEST_F(DtsClientTest, BuildsTc3SignedRequest) {
  const HttpRequest request = MakeClient().BuildRequest(
      Job(JobApi::kDtsMigrationCheck, "dts-1ewjspuw"));
  EXPECT_EQ(request.method, HttpMethod::kPost);
  EXPECT_EQ(request.url, "http://127.0.0.1:9090/");
  EXPECT_EQ(request.body, R"({"JobId":"dts-1ewjspuw"})");
  EXPECT_EQ(Header(request, "X-TC-Action"), "DescribeMigrationCheckJob");
  EXPECT_EQ(Header(request, "X-TC-Version"), "2021-12-06");
  EXPECT_EQ(Header(request, "X-TC-Region"), "ap-shanghai");
  EXPECT_EQ(Header(request, "X-TC-Timestamp"), "1700000000");
  EXPECT_EQ(Header(request, "Host"), "127.0.0.1:9090");
  EXPECT_EQ(Header(request, "Content-Type"), "application/json; charset=utf-8");
  EXPECT_FALSE(Header(request, "X-TC-Token"));

  Tc3Request expected;
  expected.host = "127.0.0.1:9090";
  expected.service = "dts";
  expected.timestamp = 1700000000;
  expected.payload = request.body;
  EXPECT_EQ(Header(request, "Authorization"),
            SignTc3(expected, "AKIDtest", "secret-key").authorization);
  // 1700000000 is 2023-11-14 22:13:20 UTC.
  EXPECT_NE(Header(request, "Authorization")
                ->find("Credential=AKIDtest/2023-11-14/dts/tc3_request"),
            std::string::npos);
}

TEST_F(DtsClientTest, MissingRegionSendsNothing) {
  api_.region.clear();
  const std::vector<Job> jobs = {Job{206, SrcType::kPublicNetwork},
                                 Job(JobApi::kDtsSyncCheck, "sync-a")};
  transport_.SetResponse("sync-a",
                         Reply(200, R"({"Response":{"Status":"running"}})"));
  const std::vector<FetchResult> results = MakeClient().FetchAll(jobs);
  EXPECT_EQ(results[0].outcome, FetchOutcome::kInternalError);
  EXPECT_NE(results[0].error.find("no region for API 2.0 tasks; set "
                                  "api.region"),
            std::string::npos)
      << results[0].error;
  EXPECT_EQ(results[1].outcome, FetchOutcome::kSuccess);
  // Only the DTS job's request was sent.
  EXPECT_EQ(transport_.requests().size(), 1u);
}

TEST_F(DtsClientTest, SyncActionAndSessionToken) {
  credentials_.session_token = "token-1";
  const HttpRequest request =
      MakeClient().BuildRequest(Job(JobApi::kDtsSyncCheck, "sync-bllmn8x9"));
  EXPECT_EQ(Header(request, "X-TC-Action"), "DescribeCheckSyncJobResult");
  EXPECT_EQ(Header(request, "X-TC-Token"), "token-1");
}

TEST_F(DtsClientTest, MapsErrorCodesToOutcomes) {
  struct Case {
    std::string code;
    FetchOutcome outcome;
    bool retryable;
  };
  for (const Case& c : {
           Case{"AuthFailure.SignatureFailure", FetchOutcome::kApiError, false},
           Case{"AuthFailure.SecretIdNotFound", FetchOutcome::kApiError, false},
           Case{"RequestLimitExceeded", FetchOutcome::kThrottled, true},
           Case{"RequestLimitExceeded.UinLimitExceeded",
                FetchOutcome::kThrottled, true},
           Case{"ResourceNotFound", FetchOutcome::kApiError, false},
           Case{"ResourceNotFound.JobNotExist", FetchOutcome::kApiError, false},
           Case{"InternalError", FetchOutcome::kApiError, true},
           Case{"InternalError.DatabaseError", FetchOutcome::kApiError, true},
           Case{"InvalidParameter", FetchOutcome::kApiError, false},
       }) {
    const FetchResult result = CheckInfoClient::InterpretResponse(
        Reply(200, R"({"Response":{"Error":{"Code":")" + c.code +
                       R"(","Message":"m"},"RequestId":"r"}})"),
        JobApi::kDtsSyncCheck);
    EXPECT_EQ(result.outcome, c.outcome) << c.code;
    EXPECT_EQ(IsRetryable(result), c.retryable) << c.code;
    ASSERT_TRUE(result.reply) << c.code;
    EXPECT_EQ(result.reply->code_desc, c.code);
    EXPECT_EQ(result.reply->CodeText(), c.code);
    EXPECT_EQ(result.reply->message, "m");
    EXPECT_EQ(result.reply->request_id, "r");
    EXPECT_FALSE(result.reply->data);
  }
}

TEST_F(DtsClientTest, MapsSuccessByAction) {
  const std::string body =
      R"({"Response":{"Status":"success","CheckFlag":"checkNotPass",)"
      R"("StepCount":4,"StepCur":4,"StepInfo":[{"StepStatus":"failed"}],)"
      R"("StepInfos":[{"StepNo":1,"Status":"finished"}],"RequestId":"r"}})";
  const FetchResult sync = CheckInfoClient::InterpretResponse(
      Reply(200, body), JobApi::kDtsSyncCheck);
  ASSERT_EQ(sync.outcome, FetchOutcome::kSuccess);
  EXPECT_EQ(sync.reply->data->error_code, 0);
  EXPECT_EQ(sync.reply->data->step_all, 4);

  const FetchResult migration = CheckInfoClient::InterpretResponse(
      Reply(200, body), JobApi::kDtsMigrationCheck);
  ASSERT_EQ(migration.outcome, FetchOutcome::kSuccess);
  EXPECT_EQ(migration.reply->data->error_code, -1);
  // StepInfos and StepInfo fill the same list; the last one read wins.
  EXPECT_EQ(migration.reply->data->step_all, 1);
}

TEST_F(DtsClientTest, EmptyResponseHasNoData) {
  const FetchResult result = CheckInfoClient::InterpretResponse(
      Reply(200, R"({"Response":{"RequestId":"r"}})"),
      JobApi::kDtsMigrationCheck);
  EXPECT_EQ(result.outcome, FetchOutcome::kSuccess);
  ASSERT_TRUE(result.reply);
  EXPECT_FALSE(result.reply->data);
}

TEST_F(DtsClientTest, ApiTwoBodyIsParseError) {
  const FetchResult result = CheckInfoClient::InterpretResponse(
      Reply(200, R"({"code":0,"data":{}})"), JobApi::kDtsSyncCheck);
  EXPECT_EQ(result.outcome, FetchOutcome::kParseError);
  EXPECT_NE(result.error.find("Response"), std::string::npos);
}

TEST_F(DtsClientTest, RetriesInternalErrorThenSucceeds) {
  api_.retry_backoff = std::chrono::milliseconds(1);
  transport_.SetResponses(
      "sync-a",
      {Reply(200, R"({"Response":{"Error":{"Code":"InternalError"}}})"),
       Reply(200, R"({"Response":{"Status":"running","StepCount":3}})")});
  const std::vector<Job> jobs = {Job(JobApi::kDtsSyncCheck, "sync-a"),
                                 Job{206, SrcType::kPublicNetwork}};
  transport_.SetResponse("206", Reply(200, R"({"code":0})"));
  const std::vector<FetchResult> results = MakeClient().FetchAll(jobs);
  EXPECT_EQ(results[0].outcome, FetchOutcome::kSuccess);
  EXPECT_EQ(results[0].attempts, 2);
  EXPECT_EQ(results[1].outcome, FetchOutcome::kSuccess);
}

}  // namespace
}  // namespace cdb_sync
