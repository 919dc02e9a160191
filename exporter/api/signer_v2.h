// Signing of Tencent Cloud API 2.0 requests.
//
// The string to sign is METHOD + host + path + "?" + the parameters sorted by
// name in byte order and joined as name=value with '&', with raw (not
// percent-encoded) values and '_' replaced by '.' in the names. The signature
// is the base64 of its HMAC-SHA1 or HMAC-SHA256 under the secret key. The
// request then sends every value percent-encoded exactly once.
//
// All functions are pure and thread-safe.
#ifndef CDB_SYNC_EXPORTER_API_SIGNER_V2_H_
#define CDB_SYNC_EXPORTER_API_SIGNER_V2_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/model/job.h"

namespace cdb_sync {

// Request parameters as name/value pairs, values not yet encoded.
using ApiParams = std::vector<std::pair<std::string, std::string>>;

// Returns the SignatureMethod parameter's value for `method`.
std::string_view SignatureMethodName(SignatureMethod method);

// Encodes `value` per RFC 3986: every byte outside A-Z a-z 0-9 - _ . ~
// becomes %XX with upper-case hex.
std::string PercentEncode(std::string_view value);

// Builds the string to sign. `host` is the Host header as sent (with the port
// when the endpoint names one); `params` must not contain Signature.
std::string BuildStringToSign(std::string_view http_method,
                              std::string_view host, std::string_view path,
                              const ApiParams& params);

// Returns base64(HMAC(secret_key, string_to_sign)).
std::string ComputeSignature(std::string_view string_to_sign,
                             std::string_view secret_key,
                             SignatureMethod method);

// Signs `params` and returns the encoded query string (or form body)
// "name=value&...&Signature=...", with the parameters in signing order.
std::string BuildSignedQuery(std::string_view http_method,
                             std::string_view host, std::string_view path,
                             const ApiParams& params,
                             std::string_view secret_key,
                             SignatureMethod method);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_SIGNER_V2_H_
