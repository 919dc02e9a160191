// Plain value types shared by every layer of the exporter.
#ifndef CDB_SYNC_EXPORTER_MODEL_JOB_H_
#define CDB_SYNC_EXPORTER_MODEL_JOB_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cdb_sync {

// The sync types that GetCdbDataSyncTaskCheckInfo accepts as srcType.
enum class SrcType : int {
  kSelfBuilt = 1,      // sync from a self-built database
  kPublicNetwork = 2,  // sync over the public network
  kDisasterRecovery = 10,
};

// Returns true when `value` is one of the SrcType values.
constexpr bool IsValidSrcType(int64_t value) {
  return value == 1 || value == 2 || value == 10;
}

// The API call that reports a job's check.
enum class JobApi {
  // API 2.0 GetCdbDataSyncTaskCheckInfo, for CDB data-sync tasks.
  kCdbSyncCheck,
  // API 3.0 DTS DescribeCheckSyncJobResult (2021-12-06), for sync jobs.
  kDtsSyncCheck,
  // API 3.0 DTS DescribeMigrationCheckJob (2021-12-06), for migration jobs.
  kDtsMigrationCheck,
};

// Returns the name of `api` in the configuration and in the `api` label:
// cdb_sync_check, dts_sync_check or dts_migration_check.
std::string_view JobApiName(JobApi api);

// Returns the JobApi that `name` spells, or nullopt.
std::optional<JobApi> JobApiFromName(std::string_view name);

// One check the exporter reports. An API 2.0 job is a task id and a sync
// type; an API 3.0 job is a DTS job id such as "sync-bllmn8x9".
struct Job {
  Job() = default;
  // An API 2.0 job.
  Job(int64_t id, SrcType type) : job_id(id), src_type(type) {}
  // An API 3.0 job.
  Job(JobApi kind, std::string id) : api(kind), dts_job_id(std::move(id)) {}

  int64_t job_id = 0;                          // API 2.0 only
  SrcType src_type = SrcType::kPublicNetwork;  // API 2.0 only
  JobApi api = JobApi::kCdbSyncCheck;
  std::string dts_job_id;  // API 3.0 only

  bool operator==(const Job&) const = default;
  auto operator<=>(const Job&) const = default;

  bool is_dts() const { return api != JobApi::kCdbSyncCheck; }
};

// Returns true when `id` can be a DTS job id: 1 to 64 letters, digits, '-'
// and '_', starting with a letter or digit. The check keeps ids safe in
// JSON, URLs, labels and HTML without escaping.
bool IsValidDtsJobId(std::string_view id);

inline std::string SrcTypeLabel(SrcType src_type) {
  return std::to_string(static_cast<int>(src_type));
}

// Returns the job_id label value: the task id of an API 2.0 job, the DTS
// job id of an API 3.0 one.
std::string JobIdLabel(const Job& job);

// Returns the label that distinguishes jobs with the same id: src_type for an
// API 2.0 job (e.g. {"src_type", "2"}), api for an API 3.0 one (e.g.
// {"api", "dts_sync_check"}). Series of API 2.0 jobs keep the labels they
// had before API 3.0 support, so existing queries stay valid.
std::pair<std::string, std::string> JobKindLabel(const Job& job);

// The hash algorithm of an API 2.0 signature (the SignatureMethod parameter).
enum class SignatureMethod { kHmacSha1, kHmacSha256 };

// The HTTP method of API requests. GET sends the parameters in the query
// string, POST in an application/x-www-form-urlencoded body.
enum class HttpMethod { kGet, kPost };

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_MODEL_JOB_H_
