#include "exporter/model/job.h"

namespace cdb_sync {

std::string_view JobApiName(JobApi api) {
  switch (api) {
    case JobApi::kCdbSyncCheck:
      return "cdb_sync_check";
    case JobApi::kDtsSyncCheck:
      return "dts_sync_check";
    case JobApi::kDtsMigrationCheck:
      return "dts_migration_check";
  }
  return "cdb_sync_check";
}

std::optional<JobApi> JobApiFromName(std::string_view name) {
  for (JobApi api : {JobApi::kCdbSyncCheck, JobApi::kDtsSyncCheck,
                     JobApi::kDtsMigrationCheck}) {
    if (JobApiName(api) == name) return api;
  }
  return std::nullopt;
}

bool IsValidDtsJobId(std::string_view id) {
  constexpr std::size_t kMaxLength = 64;
  if (id.empty() || id.size() > kMaxLength) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alphanumeric = (c >= 'a' && c <= 'z') ||
                              (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alphanumeric && (i == 0 || (c != '-' && c != '_'))) return false;
  }
  return true;
}

std::string JobIdLabel(const Job& job) {
  return job.is_dts() ? job.dts_job_id : std::to_string(job.job_id);
}

std::pair<std::string, std::string> JobKindLabel(const Job& job) {
  if (job.is_dts()) return {"api", std::string(JobApiName(job.api))};
  return {"src_type", SrcTypeLabel(job.src_type)};
}

}  // namespace cdb_sync
