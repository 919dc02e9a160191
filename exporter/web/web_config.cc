#include "exporter/web/web_config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "exporter/config/yaml_keys.h"
#include "exporter/util/file.h"

namespace cdb_sync {
namespace {

struct WebConfigError {
  std::string message;
};

[[noreturn]] void Fail(std::string_view source, const YAML::Node& node,
                       std::string_view key, std::string_view problem) {
  std::string message(source);
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null()) {
    message += ":" + std::to_string(mark.line + 1) + ":" +
               std::to_string(mark.column + 1);
  }
  message += ": " + std::string(key) + ": " + std::string(problem);
  throw WebConfigError{std::move(message)};
}

void RejectUnknownKeys(std::string_view source, const YAML::Node& map,
                       std::string_view prefix,
                       std::initializer_list<std::string_view> known) {
  if (!map.IsMap()) Fail(source, map, prefix, "must be a mapping");
  std::optional<BadYamlKey> bad = FindBadYamlKey(map, known);
  if (!bad) return;
  Fail(source, bad->node, std::string(prefix) + bad->name,
       bad->duplicate
           ? "duplicate key; keep only one"
           : "unknown or unsupported key; supported: " + bad->known_keys);
}

std::string ReadableFile(std::string_view source, const YAML::Node& node,
                         std::string_view key) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    Fail(source, node, key, "must be a file path");
  }
  std::string path = node.Scalar();
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    Fail(source, node, key,
         "cannot read \"" + path + "\": " + std::strerror(errno));
  }
  return path;
}

ClientAuthType ParseClientAuthType(std::string_view source,
                                   const YAML::Node& node) {
  const std::string text = node.IsScalar() ? node.Scalar() : "";
  static const std::pair<std::string_view, ClientAuthType> kTypes[] = {
      {"NoClientCert", ClientAuthType::kNoClientCert},
      {"RequestClientCert", ClientAuthType::kRequestClientCert},
      {"RequireAnyClientCert", ClientAuthType::kRequireAnyClientCert},
      {"VerifyClientCertIfGiven", ClientAuthType::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert",
       ClientAuthType::kRequireAndVerifyClientCert},
  };
  for (const auto& [name, type] : kTypes) {
    if (name == text) return type;
  }
  Fail(source, node, "tls_server_config.client_auth_type",
       "invalid value \"" + text +
           "\": use NoClientCert, RequestClientCert, RequireAnyClientCert, "
           "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
}

TlsServerConfig ParseTls(std::string_view source, const YAML::Node& node) {
  RejectUnknownKeys(source, node, "tls_server_config.",
                    {"cert_file", "key_file", "client_ca_file",
                     "client_auth_type", "min_version"});
  TlsServerConfig tls;
  if (!node["cert_file"] || !node["key_file"]) {
    Fail(source, node, "tls_server_config",
         "needs both cert_file and key_file");
  }
  tls.cert_file =
      ReadableFile(source, node["cert_file"], "tls_server_config.cert_file");
  tls.key_file =
      ReadableFile(source, node["key_file"], "tls_server_config.key_file");
  if (node["client_ca_file"]) {
    tls.client_ca_file = ReadableFile(source, node["client_ca_file"],
                                      "tls_server_config.client_ca_file");
  }
  if (node["client_auth_type"]) {
    tls.client_auth_type =
        ParseClientAuthType(source, node["client_auth_type"]);
  }
  const bool verifies =
      tls.client_auth_type == ClientAuthType::kVerifyClientCertIfGiven ||
      tls.client_auth_type == ClientAuthType::kRequireAndVerifyClientCert;
  if (verifies && tls.client_ca_file.empty()) {
    Fail(source, node, "tls_server_config.client_ca_file",
         "missing; client_auth_type " + node["client_auth_type"].Scalar() +
             " verifies client certificates against it");
  }
  if (const YAML::Node version = node["min_version"]) {
    const std::string text = version.IsScalar() ? version.Scalar() : "";
    if (text == "TLS12") {
      tls.min_version = TlsVersion::kTls12;
    } else if (text == "TLS13") {
      tls.min_version = TlsVersion::kTls13;
    } else {
      Fail(source, version, "tls_server_config.min_version",
           "invalid value \"" + text +
               "\": use TLS12 or TLS13 (older versions are not offered)");
    }
  }
  return tls;
}

std::map<std::string, std::string> ParseUsers(std::string_view source,
                                              const YAML::Node& node) {
  if (!node.IsMap()) {
    Fail(source, node, "basic_auth_users",
         "must map user names to bcrypt hashes");
  }
  std::map<std::string, std::string> users;
  for (const auto& entry : node) {
    const std::string user = entry.first.Scalar();
    const std::string key = "basic_auth_users." + user;
    if (user.empty() || user.find(':') != std::string::npos) {
      Fail(source, entry.first, key,
           "a user name must be non-empty and contain no ':'");
    }
    if (!entry.second.IsScalar()) {
      Fail(source, entry.second, key, "must be a bcrypt hash");
    }
    const std::string hash = entry.second.Scalar();
    const bool bcrypt = hash.size() == 60 &&
                        (hash.starts_with("$2a$") || hash.starts_with("$2b$") ||
                         hash.starts_with("$2y$"));
    if (!bcrypt) {
      // The hash is not a secret, but a plain password here would be.
      Fail(source, entry.second, key,
           "is not a bcrypt hash; create one with htpasswd -nbB USER "
           "PASSWORD and paste the part after the colon");
    }
    if (!users.emplace(user, hash).second) {
      Fail(source, entry.first, key, "duplicate user");
    }
  }
  return users;
}

}  // namespace

Expected<WebConfig> ParseWebConfig(std::string_view yaml,
                                   std::string_view source) {
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    WebConfig config;
    if (!root.IsDefined() || root.IsNull()) return config;
    RejectUnknownKeys(source, root, "",
                      {"tls_server_config", "basic_auth_users"});
    if (root["tls_server_config"]) {
      config.tls = ParseTls(source, root["tls_server_config"]);
    }
    if (root["basic_auth_users"]) {
      config.basic_auth_users = ParseUsers(source, root["basic_auth_users"]);
    }
    return config;
  } catch (const WebConfigError& error) {
    return Error{error.message};
  } catch (const YAML::Exception& error) {
    return Error{std::string(source) + ": invalid YAML: " + error.what()};
  }
}

Expected<WebConfig> LoadWebConfigFile(const std::string& path) {
  constexpr std::size_t kMaxWebConfigBytes = std::size_t{1} << 20;
  Expected<std::string> contents = ReadSmallFile(path, kMaxWebConfigBytes);
  if (!contents.ok()) {
    return Error{"cannot read web config file " + contents.error() +
                 "; pass a YAML file with --web-config-file"};
  }
  return ParseWebConfig(contents.value(), path);
}

}  // namespace cdb_sync
