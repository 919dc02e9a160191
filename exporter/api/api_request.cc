#include "exporter/api/api_request.h"

#include <string>
#include <utility>

namespace cdb_sync {

HttpRequest BuildApiRequest(const ApiConfig& api,
                            const Credentials& credentials,
                            std::string_view action, ApiParams action_params,
                            int64_t timestamp, uint64_t nonce) {
  ApiParams params = {
      {"Action", std::string(action)},
      {"Nonce", std::to_string(nonce)},
      {"Region", api.region},
      {"SecretId", credentials.secret_id},
      {"SignatureMethod",
       std::string(SignatureMethodName(api.signature_method))},
      {"Timestamp", std::to_string(timestamp)},
  };
  for (auto& param : action_params) params.push_back(std::move(param));
  if (!credentials.session_token.empty()) {
    params.emplace_back("Token", credentials.session_token);
  }

  const bool post = api.http_method == HttpMethod::kPost;
  const std::string query = BuildSignedQuery(
      post ? "POST" : "GET", api.endpoint.host, api.endpoint.path, params,
      credentials.secret_key, api.signature_method);

  HttpRequest request;
  request.method = api.http_method;
  request.headers.push_back("Host: " + api.endpoint.host);
  if (post) {
    request.url = api.endpoint.url;
    request.body = query;
    request.headers.push_back(
        "Content-Type: application/x-www-form-urlencoded");
  } else {
    request.url = api.endpoint.url + "?" + query;
  }
  request.connect_timeout = api.connect_timeout;
  request.timeout = api.timeout;
  request.max_body_bytes = api.max_response_size;
  return request;
}

HttpRequest BuildTc3ApiRequest(const ApiConfig& api,
                               const Credentials& credentials,
                               std::string_view service,
                               std::string_view version,
                               std::string_view action, std::string payload,
                               int64_t timestamp) {
  Tc3Request to_sign;
  to_sign.host = api.dts.endpoint.host;
  to_sign.service = std::string(service);
  to_sign.timestamp = timestamp;
  to_sign.payload = std::move(payload);
  const Tc3Signature signature =
      SignTc3(to_sign, credentials.secret_id, credentials.secret_key);

  HttpRequest request;
  request.method = HttpMethod::kPost;
  request.url = api.dts.endpoint.url;
  request.headers = {
      "Host: " + to_sign.host,
      "Content-Type: " + to_sign.content_type,
      "Authorization: " + signature.authorization,
      "X-TC-Action: " + std::string(action),
      "X-TC-Version: " + std::string(version),
      "X-TC-Region: " + api.dts.region,
      "X-TC-Timestamp: " + std::to_string(timestamp),
  };
  if (!credentials.session_token.empty()) {
    request.headers.push_back("X-TC-Token: " + credentials.session_token);
  }
  request.body = std::move(to_sign.payload);
  request.connect_timeout = api.connect_timeout;
  request.timeout = api.timeout;
  request.max_body_bytes = api.max_response_size;
  return request;
}

}  // namespace cdb_sync
