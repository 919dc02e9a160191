// The reloadable part of the exporter: configuration, credentials, the API
// client and the collector built from them.
#ifndef CDB_SYNC_EXPORTER_APP_RUNTIME_H_
#define CDB_SYNC_EXPORTER_APP_RUNTIME_H_

#include <memory>
#include <string>

#include "exporter/api/check_info_client.h"
#include "exporter/api/credentials.h"
#include "exporter/api/http_transport.h"
#include "exporter/api/rate_limiter.h"
#include "exporter/api/task_lister.h"
#include "exporter/app/discovery.h"
#include "exporter/config/config.h"
#include "exporter/metrics/check_collector.h"
#include "exporter/metrics/self_metrics.h"
#include "exporter/util/expected.h"
#include "exporter/util/mutex.h"

namespace cdb_sync {

// Everything built from one load of the configuration file. Immutable once
// built; scrapes hold a shared_ptr to the Runtime they started with, so a
// reload never changes a scrape in progress.
struct Runtime {
  Config config;
  std::string masked_secret_id;
  std::unique_ptr<CheckInfoClient> client;
  std::unique_ptr<TaskLister> lister;
  std::unique_ptr<CheckCollector> collector;
};

// RuntimeHolder loads the configuration file and the credentials into a
// Runtime, and replaces it on Reload() only when the new one is valid.
// Thread-safe. The transport and the self-metrics must outlive it.
class RuntimeHolder {
 public:
  RuntimeHolder(std::string config_path, GetEnvironmentFunction getenv,
                HttpTransport& transport, SelfMetrics& self_metrics);

  // Loads the configuration and credentials again. On error the current
  // Runtime stays in use, and the error names the value and the fix.
  // Records the result in the self-metrics and the log.
  Expected<std::shared_ptr<const Runtime>> Reload() EXCLUDES(reload_mutex_);

  // The Runtime in use; null before the first successful Reload().
  std::shared_ptr<const Runtime> Current() const EXCLUDES(mutex_);

  // Replaces the discovered tasks; null clears them.
  void SetDiscovered(const std::shared_ptr<const DiscoveredTasks>& discovered)
      EXCLUDES(mutex_);
  // The tasks of the last successful listing; null without one, or when a
  // reload turned discovery off.
  std::shared_ptr<const DiscoveredTasks> Discovered() const EXCLUDES(mutex_);

 private:
  Expected<std::shared_ptr<const Runtime>> Build() const;
  // Drops the status-page entries of jobs neither configured nor discovered.
  void RetainStatuses(
      const std::vector<Job>& configured,
      const std::shared_ptr<const DiscoveredTasks>& discovered) const;

  const std::string config_path_;
  const GetEnvironmentFunction getenv_;
  HttpTransport& transport_;
  SelfMetrics& self_metrics_;
  // Shared by every Runtime's collector, so a reload does not log every
  // failing job again.
  const std::shared_ptr<FailureLog> failure_log_ =
      std::make_shared<FailureLog>();
  // Shared by every Runtime's client, so a reload does not reset the rate
  // limit; Reload() applies the new configuration's limit.
  const std::shared_ptr<RateLimiter> rate_limiter_ =
      std::make_shared<RateLimiter>(0, 1);
  // Shared by every Runtime's collector, so a reload keeps each remaining
  // job's last result for the status page.
  const std::shared_ptr<JobStatusStore> status_store_ =
      std::make_shared<JobStatusStore>();

  // Serialises reloads, so that two never interleave.
  Mutex reload_mutex_;
  mutable Mutex mutex_;
  std::shared_ptr<const Runtime> current_ GUARDED_BY(mutex_);
  std::shared_ptr<const DiscoveredTasks> discovered_ GUARDED_BY(mutex_);
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_APP_RUNTIME_H_
