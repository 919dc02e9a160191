// Builds signed API 2.0 and API 3.0 requests for any action.
#ifndef CDB_SYNC_EXPORTER_API_API_REQUEST_H_
#define CDB_SYNC_EXPORTER_API_API_REQUEST_H_

#include <cstdint>
#include <string_view>

#include "exporter/api/credentials.h"
#include "exporter/api/http_transport.h"
#include "exporter/api/signer_tc3.h"
#include "exporter/api/signer_v2.h"
#include "exporter/config/config.h"

namespace cdb_sync {

// Adds the common parameters (Action, Nonce, Region, SecretId,
// SignatureMethod, Timestamp, and Token for temporary credentials) to
// `action_params`, signs them with the secret key, and returns the request
// with the endpoint, method, timeouts and body cap of `api`.
HttpRequest BuildApiRequest(const ApiConfig& api,
                            const Credentials& credentials,
                            std::string_view action, ApiParams action_params,
                            int64_t timestamp, uint64_t nonce);

// The API 3.0 service and version of the DTS calls.
inline constexpr std::string_view kDtsService = "dts";
inline constexpr std::string_view kDtsVersion = "2021-12-06";

// Builds an API 3.0 request: a POST of `payload` (a JSON object) to
// api.dts.endpoint, signed with TC3-HMAC-SHA256 for `service`, with the
// X-TC-Action, X-TC-Version, X-TC-Region, X-TC-Timestamp and, for temporary
// credentials, X-TC-Token headers, and the timeouts and body cap of `api`.
HttpRequest BuildTc3ApiRequest(const ApiConfig& api,
                               const Credentials& credentials,
                               std::string_view service,
                               std::string_view version,
                               std::string_view action, std::string payload,
                               int64_t timestamp);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_API_REQUEST_H_
