#include "exporter/web/probe.h"

#include <charconv>
#include <optional>

#include "exporter/util/utf8.h"

namespace cdb_sync {
namespace {

constexpr char kUsage[] =
    "; use /probe?job_id=206&src_type=2, or for a DTS job "
    "/probe?api=dts_sync_check&job_id=sync-bllmn8x9";

// Quotes a parameter name or value for an error message, cut to a length
// that keeps the message readable.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMaxQuoted = 64;
  return "\"" + PrintableExcerpt(text, kMaxQuoted) + "\"";
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
    if (name != "job_id" && name != "src_type" && name != "api") {
      return Error{"unknown parameter " + Quote(name) +
                   "; /probe takes only api, job_id and src_type" + kUsage};
    }
    if (params.count(name) > 1) {
      return Error{"parameter " + name + " is given more than once" + kUsage};
    }
  }

  const auto job_id = params.find("job_id");
  const auto src_type = params.find("src_type");
  const auto api = params.find("api");
  if (job_id == params.end()) {
    return Error{std::string("missing parameter job_id") + kUsage};
  }
  std::optional<JobApi> kind = JobApi::kCdbSyncCheck;
  if (api != params.end()) kind = JobApiFromName(api->second);
  if (!kind) {
    return Error{"invalid api " + Quote(api->second) +
                 ": expected cdb_sync_check, dts_sync_check or "
                 "dts_migration_check" +
                 kUsage};
  }
  if (*kind != JobApi::kCdbSyncCheck) {
    if (src_type != params.end()) {
      return Error{
          "parameter src_type applies only to API 2.0 jobs; remove "
          "it for api " +
          std::string(JobApiName(*kind)) + kUsage};
    }
    if (!IsValidDtsJobId(job_id->second)) {
      return Error{"invalid job_id " + Quote(job_id->second) +
                   ": expected a DTS job id such as sync-bllmn8x9 (letters, "
                   "digits, - and _, at most 64)" +
                   kUsage};
    }
    Job job;
    job.api = *kind;
    job.dts_job_id = job_id->second;
    return job;
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
  Job job;
  job.job_id = *id;
  job.src_type = static_cast<SrcType>(*type);
  return job;
}

}  // namespace cdb_sync
