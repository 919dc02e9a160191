#include "exporter/api/credentials.h"

namespace cdb_sync {
namespace {

// A value that would break the request or the signature: control characters
// and spaces never occur in real credentials.
bool HasControlOrSpace(std::string_view value) {
  for (unsigned char c : value) {
    if (c <= ' ' || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

std::string Credentials::MaskedSecretId() const {
  constexpr std::size_t kShownPrefix = 4;
  constexpr std::size_t kShownSuffix = 3;
  // Show the ends only of something shaped like a SecretId, so that a
  // secret key placed in the id's variable by mistake is never shown.
  if (secret_id.size() <= kShownPrefix + kShownSuffix + 8 ||
      secret_id.rfind("AKID", 0) != 0) {
    return std::string(secret_id.size(), '*');
  }
  std::string masked = secret_id;
  for (std::size_t i = kShownPrefix; i < masked.size() - kShownSuffix; ++i) {
    masked[i] = '*';
  }
  return masked;
}

Expected<Credentials> CredentialsFromEnvironment(
    const std::function<std::optional<std::string>(std::string_view)>& getenv) {
  Credentials credentials;
  const std::pair<std::string_view, std::string*> required[] = {
      {kSecretIdVariable, &credentials.secret_id},
      {kSecretKeyVariable, &credentials.secret_key},
  };
  for (const auto& [variable, target] : required) {
    std::optional<std::string> value = getenv(variable);
    if (!value || value->empty()) {
      return Error{"missing credentials: set the environment variable " +
                   std::string(variable) +
                   " (credentials are never read from flags)"};
    }
    if (HasControlOrSpace(*value)) {
      return Error{"invalid credentials: " + std::string(variable) +
                   " contains a space or control character; check for a "
                   "trailing newline"};
    }
    *target = std::move(*value);
  }

  if (std::optional<std::string> token = getenv(kSessionTokenVariable)) {
    if (HasControlOrSpace(*token)) {
      return Error{
          "invalid credentials: " + std::string(kSessionTokenVariable) +
          " contains a space or control character; check for a "
          "trailing newline"};
    }
    credentials.session_token = std::move(*token);
  }
  return credentials;
}

}  // namespace cdb_sync
