#include "exporter/web/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <memory>
#include <optional>
#include <utility>

namespace cdb_sync {
namespace {

// Remembered successful checks; the set is emptied when it grows past this,
// so a flood of distinct valid logins cannot grow memory without bound.
constexpr std::size_t kMaxVerified = 1024;

constexpr std::size_t kMaxBcryptPasswordBytes = 72;

// Checked for unknown users, so that they take as long as known ones.
constexpr char kDummyHash[] =
    "$2b$10$abcdefghijklmnopqrstuuVUQZ6FJ7OrG3nUC6XAQ3oM3CkNmD3u.";

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > 4096) {
    return std::nullopt;
  }
  std::string decoded(text.size() / 4 * 3, '\0');
  const int length =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                      reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes; drop them.
  std::size_t size = static_cast<std::size_t>(length);
  if (text.ends_with("==")) {
    size -= 2;
  } else if (text.ends_with("=")) {
    size -= 1;
  }
  decoded.resize(size);
  return decoded;
}

// Returns true when `password` matches the bcrypt `hash`.
bool VerifyBcrypt(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  const char* result = crypt_r(password.c_str(), hash.c_str(), data.get());
  // crypt_r returns null or a string starting with '*' on failure.
  if (result == nullptr || result[0] == '*') return false;
  const std::string_view computed(result);
  return computed.size() == hash.size() &&
         CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

std::string Digest(std::string_view user, std::string_view password,
                   std::string_view hash) {
  std::string input;
  input.append(user).push_back('\0');
  input.append(password).push_back('\0');
  input.append(hash);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(),
             nullptr);
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace

BasicAuthenticator::BasicAuthenticator(std::map<std::string, std::string> users)
    : users_(std::move(users)) {}

bool BasicAuthenticator::Check(std::string_view authorization) const {
  // The scheme name is case-insensitive (RFC 7617).
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        kScheme[i]) {
      return false;
    }
  }
  std::optional<std::string> credentials =
      DecodeBase64(authorization.substr(kScheme.size()));
  if (!credentials) return false;
  const std::size_t colon = credentials->find(':');
  if (colon == std::string::npos) return false;
  const std::string user = credentials->substr(0, colon);
  const std::string password = credentials->substr(colon + 1);
  OPENSSL_cleanse(credentials->data(), credentials->size());
  // bcrypt reads at most 72 bytes and stops at a NUL, so such passwords
  // would match on a prefix; reject them, as Go's bcrypt does.
  if (password.size() > kMaxBcryptPasswordBytes ||
      password.find('\0') != std::string::npos) {
    return false;
  }

  auto found = users_.find(user);
  if (found == users_.end()) {
    (void)VerifyBcrypt(password, kDummyHash);
    return false;
  }
  const std::string digest = Digest(user, password, found->second);
  {
    MutexLock lock(mutex_);
    if (verified_.count(digest) > 0) return true;
  }
  if (!VerifyBcrypt(password, found->second)) return false;

  MutexLock lock(mutex_);
  if (verified_.size() >= kMaxVerified) verified_.clear();
  verified_.insert(digest);
  return true;
}

}  // namespace cdb_sync
