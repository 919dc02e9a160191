#include "exporter/api/check_info_client.h"

#include <gtest/gtest.h>

#include <map>

#include "exporter/api/signer_v2.h"
#include "exporter/util/mutex.h"

namespace cdb_sync {
namespace {

// Responds to each request with the canned response for its jobId and records
// the requests.
class FakeTransport : public HttpTransport {
 public:
  std::future<HttpResponse> Send(HttpRequest request) override {
    std::string job_id;
    const std::string& query =
        request.method == HttpMethod::kPost ? request.body : request.url;
    if (std::size_t at = query.find("jobId="); at != std::string::npos) {
      job_id = query.substr(at + 6, query.find('&', at) - at - 6);
    }
    std::promise<HttpResponse> promise;
    {
      MutexLock lock(mutex_);
      requests_.push_back(std::move(request));
      auto found = responses_.find(job_id);
      promise.set_value(found != responses_.end() ? found->second
                                                  : HttpResponse{});
    }
    return promise.get_future();
  }

  void SetResponse(const std::string& job_id, HttpResponse response) {
    MutexLock lock(mutex_);
    responses_[job_id] = std::move(response);
  }

  std::vector<HttpRequest> requests() {
    MutexLock lock(mutex_);
    return requests_;
  }

 private:
  Mutex mutex_;
  std::map<std::string, HttpResponse> responses_ GUARDED_BY(mutex_);
  std::vector<HttpRequest> requests_ GUARDED_BY(mutex_);
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
  EXPECT_EQ(request.max_body_bytes, kMaxReplyBytes);
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

}  // namespace
}  // namespace cdb_sync
