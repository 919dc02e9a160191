#include "exporter/metrics/self_metrics.h"

#include <chrono>
#include <string>

namespace cdb_sync {
namespace {

// Upper bounds of the API duration buckets, in seconds: from a fast
// loopback reply to the 5-minute maximum api.timeout.
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

}  // namespace

SelfMetrics::SelfMetrics()
    : registry_(std::make_shared<prometheus::Registry>()) {
  auto& requests =
      prometheus::BuildCounter()
          .Name("cdb_sync_exporter_api_requests_total")
          .Help("API attempts made, retries included, by how they ended.")
          .Register(*registry_);
  for (FetchOutcome outcome : kAllFetchOutcomes) {
    requests_[outcome] =
        &requests.Add({{"outcome", std::string(FetchOutcomeName(outcome))}});
  }

  durations_ =
      &prometheus::BuildHistogram()
           .Name("cdb_sync_exporter_api_request_duration_seconds")
           .Help(
               "Duration of API attempts in seconds, from queueing to the "
               "last byte of the reply.")
           .Register(*registry_)
           .Add({}, kDurationBuckets);

  rate_limited_ =
      &prometheus::BuildCounter()
           .Name("cdb_sync_exporter_rate_limited_total")
           .Help(
               "API calls not made because api.rate_limit had no free start "
               "before the scrape deadline; their jobs report outcome "
               "throttled.")
           .Register(*registry_)
           .Add({});

  discovery_successful_ =
      &prometheus::BuildGauge()
           .Name("cdb_sync_exporter_discovery_last_listing_successful")
           .Help(
               "1 if the last listing of the sync tasks (discovery) "
               "succeeded, else 0. Absent until the first listing.")
           .Register(*registry_)
           .Add({});
  discovery_success_timestamp_ =
      &prometheus::BuildGauge()
           .Name("cdb_sync_exporter_discovery_last_success_timestamp_seconds")
           .Help("Unix time of the last successful listing of the sync tasks.")
           .Register(*registry_)
           .Add({});
  discovery_tasks_ =
      &prometheus::BuildGauge()
           .Name("cdb_sync_exporter_discovery_tasks")
           .Help(
               "Sync tasks kept by the last successful listing, after the "
               "status and name filters.")
           .Register(*registry_)
           .Add({});

  reload_successful_ =
      &prometheus::BuildGauge()
           .Name("cdb_sync_exporter_config_last_reload_successful")
           .Help(
               "1 if the last attempt to load the configuration and "
               "credentials succeeded, else 0.")
           .Register(*registry_)
           .Add({});
  reload_success_timestamp_ =
      &prometheus::BuildGauge()
           .Name(
               "cdb_sync_exporter_config_last_reload_success_timestamp_"
               "seconds")
           .Help("Unix time of the last successful configuration load.")
           .Register(*registry_)
           .Add({});
}

void SelfMetrics::ObserveAttempt(FetchOutcome outcome, double seconds) {
  requests_.at(outcome)->Increment();
  durations_->Observe(seconds);
}

void SelfMetrics::CountRateLimited() { rate_limited_->Increment(); }

void SelfMetrics::RecordDiscovery(bool successful,
                                  std::optional<std::size_t> tasks) {
  discovery_enabled_ = true;
  discovery_successful_->Set(successful ? 1 : 0);
  if (successful) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    discovery_success_timestamp_->Set(
        std::chrono::duration<double>(now).count());
  }
  if (tasks) discovery_tasks_->Set(static_cast<double>(*tasks));
}

void SelfMetrics::RecordConfigLoad(bool successful) {
  reload_successful_->Set(successful ? 1 : 0);
  if (successful) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    reload_success_timestamp_->Set(std::chrono::duration<double>(now).count());
  }
}

std::vector<prometheus::MetricFamily> SelfMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  if (!discovery_enabled_) {
    std::erase_if(families, [](const prometheus::MetricFamily& family) {
      return family.name.starts_with("cdb_sync_exporter_discovery_");
    });
  }
  return families;
}

}  // namespace cdb_sync
