// Signing of Tencent Cloud API 3.0 requests (TC3-HMAC-SHA256).
//
// The canonical request is the method, the path "/", the query string, the
// canonical headers ("content-type:...\nhost:...\n"), the signed-header list
// "content-type;host" and the hex SHA-256 of the payload, joined by '\n'.
// The string to sign is "TC3-HMAC-SHA256", the timestamp, the credential
// scope "<UTC date>/<service>/tc3_request" and the hex SHA-256 of the
// canonical request, joined by '\n'. The signing key is the chain
// HMAC("TC3" + secret key, date) -> service -> "tc3_request", and the
// signature is the hex HMAC-SHA256 of the string to sign under that key.
//
// All functions are pure and thread-safe.
#ifndef CDB_SYNC_EXPORTER_API_SIGNER_TC3_H_
#define CDB_SYNC_EXPORTER_API_SIGNER_TC3_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace cdb_sync {

// One API 3.0 request to sign.
struct Tc3Request {
  std::string method = "POST";
  // The Host header, e.g. dts.tencentcloudapi.com.
  std::string host;
  // The query string without "?"; empty for POST with a JSON body.
  std::string query;
  std::string content_type = "application/json; charset=utf-8";
  std::string payload;
  // The service name, the host's first label, e.g. "dts".
  std::string service;
  // Unix time of the request, the X-TC-Timestamp header.
  int64_t timestamp = 0;
};

// Every intermediate value of a signature, so that tests can compare each
// with Tencent's documented example.
struct Tc3Signature {
  std::string payload_hash;
  std::string canonical_request;
  std::string canonical_request_hash;
  std::string credential_scope;
  std::string string_to_sign;
  std::string signature;
  // The Authorization header's value.
  std::string authorization;
};

// Returns the UTC date of `timestamp` as YYYY-MM-DD. The date must be the
// UTC one: a request made just after midnight in UTC+8 still carries the
// previous day's date.
std::string Tc3Date(int64_t timestamp);

// Returns the lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Signs `request` with the given credentials.
Tc3Signature SignTc3(const Tc3Request& request, std::string_view secret_id,
                     std::string_view secret_key);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_SIGNER_TC3_H_
