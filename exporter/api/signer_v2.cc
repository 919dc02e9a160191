#include "exporter/api/signer_v2.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <stdexcept>

namespace cdb_sync {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
}

std::string NameForSigning(std::string_view name) {
  std::string result(name);
  std::replace(result.begin(), result.end(), '_', '.');
  return result;
}

// Returns the indices of `params` in signing order.
std::vector<std::size_t> SigningOrder(const ApiParams& params,
                                      std::vector<std::string>& names) {
  names.clear();
  names.reserve(params.size());
  for (const auto& [name, value] : params) {
    names.push_back(NameForSigning(name));
  }
  std::vector<std::size_t> order(params.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // std::string compares with char_traits<char>::compare, which is memcmp
  // order: byte order, so upper-case names sort before lower-case ones.
  std::stable_sort(
      order.begin(), order.end(),
      [&names](std::size_t a, std::size_t b) { return names[a] < names[b]; });
  return order;
}

}  // namespace

std::string_view SignatureMethodName(SignatureMethod method) {
  return method == SignatureMethod::kHmacSha256 ? "HmacSHA256" : "HmacSHA1";
}

std::string PercentEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(value.size() * 3);
  for (unsigned char c : value) {
    if (IsUnreserved(c)) {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[c >> 4]);
      encoded.push_back(kHex[c & 0x0f]);
    }
  }
  return encoded;
}

std::string BuildStringToSign(std::string_view http_method,
                              std::string_view host, std::string_view path,
                              const ApiParams& params) {
  std::vector<std::string> names;
  const std::vector<std::size_t> order = SigningOrder(params, names);

  std::string result;
  result.append(http_method).append(host).append(path).push_back('?');
  bool first = true;
  for (std::size_t index : order) {
    if (!first) result.push_back('&');
    first = false;
    result.append(names[index]).push_back('=');
    result.append(params[index].second);
  }
  return result;
}

std::string ComputeSignature(std::string_view string_to_sign,
                             std::string_view secret_key,
                             SignatureMethod method) {
  const EVP_MD* digest =
      method == SignatureMethod::kHmacSha256 ? EVP_sha256() : EVP_sha1();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  const unsigned char* result =
      HMAC(digest, secret_key.data(), static_cast<int>(secret_key.size()),
           reinterpret_cast<const unsigned char*>(string_to_sign.data()),
           string_to_sign.size(), mac, &mac_length);
  if (result == nullptr) {
    // HMAC fails only when OpenSSL cannot allocate or lacks the digest.
    throw std::runtime_error("OpenSSL HMAC failed");
  }

  // Base64 output is 4 bytes per 3 input bytes, plus the terminating NUL.
  unsigned char base64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int length = EVP_EncodeBlock(base64, mac, static_cast<int>(mac_length));
  return std::string(reinterpret_cast<const char*>(base64),
                     static_cast<std::size_t>(length));
}

std::string BuildSignedQuery(std::string_view http_method,
                             std::string_view host, std::string_view path,
                             const ApiParams& params,
                             std::string_view secret_key,
                             SignatureMethod method) {
  const std::string signature = ComputeSignature(
      BuildStringToSign(http_method, host, path, params), secret_key, method);

  std::vector<std::string> names;
  const std::vector<std::size_t> order = SigningOrder(params, names);
  std::string query;
  for (std::size_t index : order) {
    query.append(PercentEncode(params[index].first)).push_back('=');
    query.append(PercentEncode(params[index].second)).push_back('&');
  }
  query.append("Signature=").append(PercentEncode(signature));
  return query;
}

}  // namespace cdb_sync
