// The exporter's metrics about itself: API attempts, their durations, calls
// held back by the rate limit, and configuration reloads.
#ifndef CDB_SYNC_EXPORTER_METRICS_SELF_METRICS_H_
#define CDB_SYNC_EXPORTER_METRICS_SELF_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "exporter/model/check_info.h"

namespace cdb_sync {

// SelfMetrics owns a prometheus::Registry with the cdb_sync_exporter_*
// counters, histogram and gauges. It is thread-safe, as prometheus-cpp's
// metrics are.
class SelfMetrics {
 public:
  SelfMetrics();

  // Counts one API attempt, retries included.
  void ObserveAttempt(FetchOutcome outcome, double seconds);

  // Counts one API call not made because the rate limit had no free start
  // before the scrape deadline.
  void CountRateLimited();

  // Records the result of a task listing and, when it succeeded, the number
  // of tasks kept.
  void RecordDiscovery(bool successful, std::optional<std::size_t> tasks);

  // Leaves the discovery gauges out of /metrics again, after a reload turned
  // discovery off.
  void ClearDiscovery() { discovery_enabled_ = false; }

  // Records the result of loading the configuration, at start-up or later.
  void RecordConfigLoad(bool successful);

  std::vector<prometheus::MetricFamily> Collect() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::map<FetchOutcome, prometheus::Counter*> requests_;
  prometheus::Histogram* durations_;
  prometheus::Counter* rate_limited_;
  // False until the first listing, so the discovery gauges stay out of
  // /metrics for exporters without a discovery section.
  std::atomic<bool> discovery_enabled_ = false;
  prometheus::Gauge* discovery_successful_;
  prometheus::Gauge* discovery_success_timestamp_;
  prometheus::Gauge* discovery_tasks_;
  prometheus::Gauge* reload_successful_;
  prometheus::Gauge* reload_success_timestamp_;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_METRICS_SELF_METRICS_H_
