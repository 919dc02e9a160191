// Tencent Cloud API credentials.
#ifndef CDB_SYNC_EXPORTER_API_CREDENTIALS_H_
#define CDB_SYNC_EXPORTER_API_CREDENTIALS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/config/config.h"
#include "exporter/util/expected.h"

namespace cdb_sync {

inline constexpr std::string_view kSecretIdVariable = "TENCENTCLOUD_SECRET_ID";
inline constexpr std::string_view kSecretKeyVariable =
    "TENCENTCLOUD_SECRET_KEY";
inline constexpr std::string_view kSessionTokenVariable =
    "TENCENTCLOUD_SESSION_TOKEN";

// A SecretId/SecretKey pair, plus the session token of temporary (STS)
// credentials. The key and token are secrets: never log or expose them, and
// show the id only through MaskedSecretId().
struct Credentials {
  std::string secret_id;
  std::string secret_key;
  std::string session_token;  // empty for permanent credentials

  // The id with all but its first 4 and last 3 characters replaced by '*',
  // or entirely replaced when it does not start with "AKID" or is short.
  std::string MaskedSecretId() const;
};

// Looks up an environment variable; std::getenv outside tests.
using GetEnvironmentFunction =
    std::function<std::optional<std::string>(std::string_view)>;

// Reads the credentials through `getenv`. The id and key are required; the
// token is optional. An error names the missing variable, never a value.
Expected<Credentials> CredentialsFromEnvironment(
    const GetEnvironmentFunction& getenv);

// Reads each credential from its file when `api` names one (one trailing
// newline is dropped), else from its environment variable. An error names
// the file or variable, never a value.
Expected<Credentials> LoadCredentials(const ApiConfig& api,
                                      const GetEnvironmentFunction& getenv);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_CREDENTIALS_H_
