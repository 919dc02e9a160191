// The web configuration file (--web-config-file): TLS and basic
// authentication, in the format of the Prometheus exporter-toolkit.
#ifndef CDB_SYNC_EXPORTER_WEB_WEB_CONFIG_H_
#define CDB_SYNC_EXPORTER_WEB_WEB_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/util/expected.h"

namespace cdb_sync {

// The server's handling of client certificates, with the names of Go's
// crypto/tls that the exporter-toolkit uses.
enum class ClientAuthType {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

enum class TlsVersion { kTls12, kTls13 };

struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // empty when not set
  ClientAuthType client_auth_type = ClientAuthType::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;
  // User name to bcrypt hash ($2a$, $2b$ or $2y$). Empty: no authentication.
  std::map<std::string, std::string> basic_auth_users;
};

// Parses and validates a web configuration. `source` names the file in
// errors. Checks that the certificate, key and CA files are readable.
Expected<WebConfig> ParseWebConfig(std::string_view yaml,
                                   std::string_view source);

// Reads and parses the file at `path`.
Expected<WebConfig> LoadWebConfigFile(const std::string& path);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_WEB_WEB_CONFIG_H_
