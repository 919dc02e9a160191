#include "exporter/api/credentials.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "exporter/util/file.h"

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
    const GetEnvironmentFunction& getenv) {
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

Expected<Credentials> LoadCredentials(const ApiConfig& api,
                                      const GetEnvironmentFunction& getenv) {
  // Files stand in for their variables: read them first, and let the
  // environment lookup see the file's content under the variable's name.
  std::map<std::string_view, std::string> from_files;
  const std::pair<std::string_view, const std::string*> files[] = {
      {kSecretIdVariable, &api.secret_id_file},
      {kSecretKeyVariable, &api.secret_key_file},
      {kSessionTokenVariable, &api.token_file},
  };
  for (const auto& [variable, path] : files) {
    if (path->empty()) continue;
    // Real credentials are tens of bytes.
    constexpr std::size_t kMaxCredentialBytes = 4096;
    Expected<std::string> contents = ReadSmallFile(*path, kMaxCredentialBytes);
    if (!contents.ok()) {
      return Error{"cannot read the credentials file for " +
                   std::string(variable) + ": " + contents.error()};
    }
    std::string value = std::move(contents).value();
    if (value.ends_with("\r\n")) {
      value.resize(value.size() - 2);
    } else if (value.ends_with("\n")) {
      value.pop_back();
    }
    if (value.empty()) {
      return Error{"the credentials file \"" + *path + "\" (for " +
                   std::string(variable) + ") is empty"};
    }
    from_files.emplace(variable, std::move(value));
  }

  Expected<Credentials> credentials = CredentialsFromEnvironment(
      [&](std::string_view name) -> std::optional<std::string> {
        auto found = from_files.find(name);
        if (found != from_files.end()) return found->second;
        return getenv(name);
      });
  if (!credentials.ok() && !from_files.empty()) {
    return Error{credentials.error() + " or its api.*_file key"};
  }
  return credentials;
}

}  // namespace cdb_sync
