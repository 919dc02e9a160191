#include "exporter/web/probe.h"

#include <charconv>
#include <optional>

#include "exporter/util/utf8.h"

namespace cdb_sync {
namespace {

constexpr char kUsage[] = "; use /probe?job_id=206&src_type=2";

// Quotes a parameter name or value for an error message, cut to a length
// that keeps the message readable.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMaxQuoted = 64;
  const std::string repaired = RepairUtf8(text);
  std::string quoted = "\"";
  for (char c : TruncateUtf8(repaired, kMaxQuoted)) {
    // Control characters would break the plain-text response and logs.
    quoted.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?'
                                                                       : c);
  }
  return quoted + "\"";
}

// Parses a decimal integer with no sign and no space.
std::optional<int64_t> ParseDecimal(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text.front() < '0' || text.front() > '9') {
    return std::nullopt;
  }
  auto [rest, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || rest != end) return std::nullopt;
  return value;
}

}  // namespace

Expected<Job> ParseProbeTarget(
    const std::multimap<std::string, std::string>& params) {
  for (const auto& [name, value] : params) {
    if (name != "job_id" && name != "src_type") {
      return Error{"unknown parameter " + Quote(name) +
                   "; /probe takes only job_id and src_type" + kUsage};
    }
    if (params.count(name) > 1) {
      return Error{"parameter " + name + " is given more than once" + kUsage};
    }
  }

  const auto job_id = params.find("job_id");
  const auto src_type = params.find("src_type");
  if (job_id == params.end()) {
    return Error{std::string("missing parameter job_id") + kUsage};
  }
  if (src_type == params.end()) {
    return Error{std::string("missing parameter src_type (1, 2 or 10)") +
                 kUsage};
  }

  const std::optional<int64_t> id = ParseDecimal(job_id->second);
  if (!id || *id <= 0) {
    return Error{"invalid job_id " + Quote(job_id->second) +
                 ": expected a positive integer" + kUsage};
  }
  const std::optional<int64_t> type = ParseDecimal(src_type->second);
  if (!type || !IsValidSrcType(*type)) {
    return Error{"invalid src_type " + Quote(src_type->second) +
                 ": expected 1 (self-built), 2 (public network) or 10 "
                 "(disaster recovery)" +
                 kUsage};
  }
  return Job{*id, static_cast<SrcType>(*type)};
}

}  // namespace cdb_sync
