#include "exporter/api/signer_tc3.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <time.h>

#include <array>
#include <stdexcept>

namespace cdb_sync {
namespace {

constexpr char kAlgorithm[] = "TC3-HMAC-SHA256";
constexpr char kSignedHeaders[] = "content-type;host";

std::string ToHex(const unsigned char* bytes, std::size_t size) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[bytes[i] >> 4]);
    hex.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return hex;
}

// Returns the raw HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           mac.data(), &length) == nullptr) {
    // HMAC fails only when OpenSSL cannot allocate or lacks the digest.
    throw std::runtime_error("OpenSSL HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

}  // namespace

std::string Tc3Date(int64_t timestamp) {
  const time_t seconds = static_cast<time_t>(timestamp);
  struct tm utc {};
  gmtime_r(&seconds, &utc);
  std::array<char, 16> text{};
  strftime(text.data(), text.size(), "%Y-%m-%d", &utc);
  return text.data();
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(),
                 nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 failed");
  }
  return ToHex(digest.data(), length);
}

Tc3Signature SignTc3(const Tc3Request& request, std::string_view secret_id,
                     std::string_view secret_key) {
  Tc3Signature result;
  result.payload_hash = Sha256Hex(request.payload);
  result.canonical_request = request.method + "\n/\n" + request.query +
                             "\ncontent-type:" + request.content_type +
                             "\nhost:" + request.host + "\n\n" +
                             kSignedHeaders + "\n" + result.payload_hash;
  result.canonical_request_hash = Sha256Hex(result.canonical_request);

  const std::string date = Tc3Date(request.timestamp);
  result.credential_scope = date + "/" + request.service + "/tc3_request";
  result.string_to_sign =
      std::string(kAlgorithm) + "\n" + std::to_string(request.timestamp) +
      "\n" + result.credential_scope + "\n" + result.canonical_request_hash;

  const std::string secret_date =
      HmacSha256(std::string("TC3") + std::string(secret_key), date);
  const std::string secret_service = HmacSha256(secret_date, request.service);
  const std::string secret_signing = HmacSha256(secret_service, "tc3_request");
  const std::string signature =
      HmacSha256(secret_signing, result.string_to_sign);
  result.signature =
      ToHex(reinterpret_cast<const unsigned char*>(signature.data()),
            signature.size());
  result.authorization =
      std::string(kAlgorithm) + " Credential=" + std::string(secret_id) + "/" +
      result.credential_scope + ", SignedHeaders=" + kSignedHeaders +
      ", Signature=" + result.signature;
  return result;
}

}  // namespace cdb_sync
