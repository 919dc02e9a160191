#include "exporter/util/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <memory>

namespace cdb_sync::log {
namespace {

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

bool NeedsQuoting(std::string_view value) {
  if (value.empty()) return true;
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) {
      return true;
    }
  }
  return false;
}

// The format chosen by Init(); read by Write() on any thread.
std::atomic<Format> current_format{Format::kLogfmt};

// Appends `value` in double quotes, with quotes, backslashes and control
// characters escaped. `control_format` is the printf format for a control
// character without a short escape: "\\x%02x" for logfmt, "\\u%04x" for
// JSON.
void AppendQuoted(std::string& out, std::string_view value,
                  const char* control_format) {
  out.push_back('"');
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), control_format, c);
          out.append(escaped);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

}  // namespace

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "logfmt") return Format::kLogfmt;
  if (name == "json") return Format::kJson;
  return std::nullopt;
}

std::optional<Level> ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  return std::nullopt;
}

void Init(Level level, Format format) {
  current_format.store(format);
  auto logger = spdlog::stderr_logger_mt("cdb_sync_exporter");
  // The level is written by Write(), because spdlog's "%l" spells warn as
  // "warning" and logfmt users search for "warn". For JSON, Write() writes
  // the rest of the object after the timestamp.
  logger->set_pattern(format == Format::kJson
                          ? "{\"ts\":\"%Y-%m-%dT%H:%M:%S.%eZ\",%v"
                          : "ts=%Y-%m-%dT%H:%M:%S.%eZ %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(ToSpdlog(level));
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(std::move(logger));
}

void AppendLogfmtValue(std::string& out, std::string_view value) {
  if (!NeedsQuoting(value)) {
    out.append(value);
    return;
  }
  AppendQuoted(out, value, "\\x%02x");
}

void AppendJsonString(std::string& out, std::string_view value) {
  AppendQuoted(out, value, "\\u%04x");
}

void Write(Level level, std::string_view message,
           std::initializer_list<Field> fields) {
  const auto spdlog_level = ToSpdlog(level);
  if (!spdlog::should_log(spdlog_level)) return;

  static constexpr std::string_view kLevelNames[] = {"debug", "info", "warn",
                                                     "error"};
  const std::string_view level_name = kLevelNames[static_cast<int>(level)];
  if (current_format.load() == Format::kJson) {
    std::string object = "\"level\":";
    AppendJsonString(object, level_name);
    object.append(",\"msg\":");
    AppendJsonString(object, message);
    for (const auto& [key, value] : fields) {
      object.push_back(',');
      AppendJsonString(object, key);
      object.push_back(':');
      AppendJsonString(object, value);
    }
    object.push_back('}');
    spdlog::log(spdlog_level, "{}", object);
    return;
  }

  std::string line = "level=";
  line.append(level_name);
  line.append(" msg=");
  AppendLogfmtValue(line, message);
  for (const auto& [key, value] : fields) {
    line.push_back(' ');
    line.append(key);
    line.push_back('=');
    AppendLogfmtValue(line, value);
  }
  spdlog::log(spdlog_level, "{}", line);
}

}  // namespace cdb_sync::log
