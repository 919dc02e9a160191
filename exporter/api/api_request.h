// Builds signed API 2.0 requests for any action.
#ifndef CDB_SYNC_EXPORTER_API_API_REQUEST_H_
#define CDB_SYNC_EXPORTER_API_API_REQUEST_H_

#include <cstdint>
#include <string_view>

#include "exporter/api/credentials.h"
#include "exporter/api/http_transport.h"
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

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_API_REQUEST_H_
