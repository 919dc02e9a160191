// Plain value types shared by every layer of the exporter.
#ifndef CDB_SYNC_EXPORTER_MODEL_JOB_H_
#define CDB_SYNC_EXPORTER_MODEL_JOB_H_

#include <cstdint>
#include <string>

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

// One data-sync task whose check the exporter reports.
struct Job {
  int64_t job_id = 0;
  SrcType src_type = SrcType::kPublicNetwork;

  bool operator==(const Job&) const = default;
};

inline std::string SrcTypeLabel(SrcType src_type) {
  return std::to_string(static_cast<int>(src_type));
}

// The hash algorithm of an API 2.0 signature (the SignatureMethod parameter).
enum class SignatureMethod { kHmacSha1, kHmacSha256 };

// The HTTP method of API requests. GET sends the parameters in the query
// string, POST in an application/x-www-form-urlencoded body.
enum class HttpMethod { kGet, kPost };

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_MODEL_JOB_H_
