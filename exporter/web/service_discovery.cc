#include "exporter/web/service_discovery.h"

#include <array>
#include <cstdio>

#include "exporter/util/utf8.h"

namespace cdb_sync {
namespace {

// Task names are cut to this many bytes, at a character boundary, like
// label values on /metrics.
constexpr std::size_t kMaxTaskNameBytes = 1024;

}  // namespace

std::string EscapeJson(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size() + 2);
  for (char c : text) {
    switch (c) {
      case '"':
        escaped += "\\\"";
        break;
      case '\\':
        escaped += "\\\\";
        break;
      case '\n':
        escaped += "\\n";
        break;
      case '\r':
        escaped += "\\r";
        break;
      case '\t':
        escaped += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          std::array<char, 8> code{};
          std::snprintf(code.data(), code.size(), "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          escaped += code.data();
        } else {
          escaped.push_back(c);
        }
    }
  }
  return escaped;
}

bool IsValidHostHeader(std::string_view host) {
  if (host.empty() || host.size() > 261) return false;
  for (char c : host) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                         c == ':' || c == '[' || c == ']' || c == '_';
    if (!allowed) return false;
  }
  return true;
}

std::string RenderServiceDiscovery(
    std::span<const ServiceDiscoveryTarget> targets,
    std::string_view exporter_address) {
  const std::string address = EscapeJson(exporter_address);
  std::string json = "[";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const ServiceDiscoveryTarget& target = targets[i];
    // Neither needs escaping: DTS job ids are checked on input.
    const std::string job_id = JobIdLabel(target.job);
    const auto [kind_name, kind] = JobKindLabel(target.job);
    if (i > 0) json += ",";
    json += "\n  {\"targets\": [\"" + address + "\"], \"labels\": {";
    json += "\"__metrics_path__\": \"/probe\", ";
    json += "\"__param_job_id\": \"" + job_id + "\", ";
    json += "\"__param_";
    json += kind_name;
    json += "\": \"";
    json += kind;
    json += "\", ";
    json += "\"instance\": \"";
    json += job_id;
    json += '/';
    json += kind;
    json += "\", ";
    json += "\"__meta_cdb_sync_task_name\": \"" +
            EscapeJson(TruncateUtf8(target.name, kMaxTaskNameBytes)) + "\", ";
    json += "\"__meta_cdb_sync_task_status\": \"" +
            EscapeJson(TruncateUtf8(target.status, kMaxTaskNameBytes)) + "\"}}";
  }
  json += targets.empty() ? "]\n" : "\n]\n";
  return json;
}

}  // namespace cdb_sync
