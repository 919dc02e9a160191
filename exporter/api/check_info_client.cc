#include "exporter/api/check_info_client.h"

#include <chrono>
#include <exception>
#include <limits>
#include <random>
#include <utility>

#include "exporter/api/signer_v2.h"
#include "exporter/parse/check_info_parser.h"

namespace cdb_sync {

CheckInfoClient::CheckInfoClient(ApiConfig api, Credentials credentials,
                                 HttpTransport& transport, Clock clock,
                                 NonceSource nonce_source)
    : api_(std::move(api)),
      credentials_(std::move(credentials)),
      transport_(transport),
      clock_(std::move(clock)),
      nonce_source_(std::move(nonce_source)) {}

int64_t CheckInfoClient::SystemClock() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t CheckInfoClient::RandomNonce() {
  thread_local std::mt19937_64 generator(std::random_device{}());
  std::uniform_int_distribution<uint64_t> distribution(
      1, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
  return distribution(generator);
}

HttpRequest CheckInfoClient::BuildRequest(const Job& job) const {
  ApiParams params = {
      {"Action", std::string(kCheckInfoAction)},
      {"Nonce", std::to_string(nonce_source_())},
      {"Region", api_.region},
      {"SecretId", credentials_.secret_id},
      {"SignatureMethod",
       std::string(SignatureMethodName(api_.signature_method))},
      {"Timestamp", std::to_string(clock_())},
      {"jobId", std::to_string(job.job_id)},
      {"srcType", SrcTypeLabel(job.src_type)},
  };
  if (!credentials_.session_token.empty()) {
    params.emplace_back("Token", credentials_.session_token);
  }

  const bool post = api_.http_method == HttpMethod::kPost;
  const std::string query = BuildSignedQuery(
      post ? "POST" : "GET", api_.endpoint.host, api_.endpoint.path, params,
      credentials_.secret_key, api_.signature_method);

  HttpRequest request;
  request.method = api_.http_method;
  request.headers.push_back("Host: " + api_.endpoint.host);
  if (post) {
    request.url = api_.endpoint.url;
    request.body = query;
    request.headers.push_back(
        "Content-Type: application/x-www-form-urlencoded");
  } else {
    request.url = api_.endpoint.url + "?" + query;
  }
  request.connect_timeout = api_.connect_timeout;
  request.timeout = api_.timeout;
  request.max_body_bytes = kMaxReplyBytes;
  return request;
}

FetchResult CheckInfoClient::InterpretResponse(const HttpResponse& response) {
  FetchResult result;
  result.duration_seconds = response.elapsed.count();
  result.http_status = response.status;

  switch (response.error) {
    case TransportError::kNone:
      break;
    case TransportError::kTimeout:
      result.outcome = FetchOutcome::kTimeout;
      result.error = response.error_message;
      return result;
    case TransportError::kInternal:
      result.outcome = FetchOutcome::kInternalError;
      result.error = response.error_message;
      return result;
    default:
      result.outcome = FetchOutcome::kNetworkError;
      result.error = response.error_message;
      return result;
  }

  if (response.status != 200) {
    result.outcome = FetchOutcome::kHttpError;
    result.error =
        "HTTP status " + std::to_string(response.status) + "; expected 200";
    return result;
  }

  Expected<CheckInfoReply> reply = ParseCheckInfoReply(response.body);
  if (!reply.ok()) {
    result.outcome = FetchOutcome::kParseError;
    result.error = reply.error();
    return result;
  }
  result.reply = std::move(reply).value();
  if (result.reply->code != 0) {
    result.outcome = FetchOutcome::kApiError;
    result.error = "API error code " + std::to_string(result.reply->code);
    return result;
  }
  result.outcome = FetchOutcome::kSuccess;
  return result;
}

std::vector<FetchResult> CheckInfoClient::FetchAll(
    std::span<const Job> jobs) const {
  std::vector<FetchResult> results(jobs.size());
  std::vector<std::future<HttpResponse>> responses(jobs.size());

  for (std::size_t i = 0; i < jobs.size(); ++i) {
    try {
      responses[i] = transport_.Send(BuildRequest(jobs[i]));
    } catch (const std::exception& error) {
      results[i].outcome = FetchOutcome::kInternalError;
      results[i].error =
          std::string("cannot build the request: ") + error.what();
    }
  }

  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!responses[i].valid()) continue;
    try {
      results[i] = InterpretResponse(responses[i].get());
    } catch (const std::exception& error) {
      results[i] = FetchResult();
      results[i].outcome = FetchOutcome::kInternalError;
      results[i].error =
          std::string("cannot read the response: ") + error.what();
    }
  }
  return results;
}

}  // namespace cdb_sync
