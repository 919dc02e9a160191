#include "exporter/metrics/self_metrics.h"

#include <gtest/gtest.h>

namespace cdb_sync {
namespace {

const prometheus::MetricFamily* FindFamily(
    const std::vector<prometheus::MetricFamily>& families,
    const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

TEST(SelfMetricsTest, CountsAttemptsByOutcome) {
  SelfMetrics metrics;
  metrics.ObserveAttempt(FetchOutcome::kSuccess, 0.2);
  metrics.ObserveAttempt(FetchOutcome::kSuccess, 0.3);
  metrics.ObserveAttempt(FetchOutcome::kThrottled, 0.1);
  const auto families = metrics.Collect();

  const auto* requests =
      FindFamily(families, "cdb_sync_exporter_api_requests_total");
  ASSERT_NE(requests, nullptr);
  // Every outcome has a series from the start, so rate() counts the first one.
  ASSERT_EQ(requests->metric.size(), std::size(kAllFetchOutcomes));
  for (const auto& metric : requests->metric) {
    const std::string& outcome = metric.label.at(0).value;
    const double expected = outcome == "success"     ? 2
                            : outcome == "throttled" ? 1
                                                     : 0;
    EXPECT_EQ(metric.counter.value, expected) << outcome;
  }

  const auto* durations =
      FindFamily(families, "cdb_sync_exporter_api_request_duration_seconds");
  ASSERT_NE(durations, nullptr);
  ASSERT_EQ(durations->metric.size(), 1u);
  EXPECT_EQ(durations->metric[0].histogram.sample_count, 3u);
  EXPECT_DOUBLE_EQ(durations->metric[0].histogram.sample_sum, 0.6);
}

TEST(SelfMetricsTest, RecordsConfigLoads) {
  SelfMetrics metrics;
  metrics.RecordConfigLoad(true);
  auto families = metrics.Collect();
  const auto* successful =
      FindFamily(families, "cdb_sync_exporter_config_last_reload_successful");
  const auto* timestamp = FindFamily(
      families,
      "cdb_sync_exporter_config_last_reload_success_timestamp_seconds");
  ASSERT_NE(successful, nullptr);
  ASSERT_NE(timestamp, nullptr);
  EXPECT_EQ(successful->metric[0].gauge.value, 1);
  const double loaded_at = timestamp->metric[0].gauge.value;
  EXPECT_GT(loaded_at, 1.7e9);

  metrics.RecordConfigLoad(false);
  families = metrics.Collect();
  EXPECT_EQ(
      FindFamily(families, "cdb_sync_exporter_config_last_reload_successful")
          ->metric[0]
          .gauge.value,
      0);
  // A failed load keeps the time of the last success.
  EXPECT_EQ(FindFamily(families,
                       "cdb_sync_exporter_config_last_reload_success_"
                       "timestamp_seconds")
                ->metric[0]
                .gauge.value,
            loaded_at);
}

}  // namespace
}  // namespace cdb_sync
