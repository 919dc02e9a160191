// Pure functions from fetch results to Prometheus metric families.
#ifndef CDB_SYNC_EXPORTER_METRICS_FAMILIES_H_
#define CDB_SYNC_EXPORTER_METRICS_FAMILIES_H_

#include <prometheus/metric_family.h>

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "exporter/model/check_info.h"
#include "exporter/model/job.h"
#include "exporter/model/job_status.h"
#include "exporter/model/sync_task.h"

namespace cdb_sync {

// Maximum length in bytes of a label value taken from API text (step names,
// the step comment, error messages). Longer values are cut at a character
// boundary and end in "...", so one huge message cannot bloat every scrape.
inline constexpr std::size_t kMaxLabelValueBytes = 1024;

// One job and the result of this scrape's call for it.
struct JobResult {
  Job job;
  FetchResult result;
};

// Builds the cdb_sync_check_* families for `results`, in a fixed order.
// Every series carries job_id and src_type. A family with no series is left
// out. Series exist only for what this scrape fetched, so nothing stale
// survives a failed call or a step that disappeared.
std::vector<prometheus::MetricFamily> BuildCheckFamilies(
    std::span<const JobResult> results);

// Builds the cdb_sync_task_* families from a task listing: `tasks[i]` is
// scraped as `jobs[i]`. The status and check flag are state sets over their
// documented values; a value outside them sets every state to 0.
std::vector<prometheus::MetricFamily> BuildTaskFamilies(
    std::span<const SyncTask> tasks, std::span<const Job> jobs);

// Builds cdb_sync_check_last_success_timestamp_seconds for the jobs of
// `statuses` that have had a successful call; nullopt when none has.
std::optional<prometheus::MetricFamily> BuildLastSuccessFamily(
    std::span<const JobStatus> statuses);

// Builds cdb_sync_exporter_build_info{version, revision} 1.
prometheus::MetricFamily BuildInfoFamily(std::string_view version,
                                         std::string_view revision);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_METRICS_FAMILIES_H_
