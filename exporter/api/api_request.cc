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

}  // namespace cdb_sync
