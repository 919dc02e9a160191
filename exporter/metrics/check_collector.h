// The scrape-driven collector of the check series.
#ifndef CDB_SYNC_EXPORTER_METRICS_CHECK_COLLECTOR_H_
#define CDB_SYNC_EXPORTER_METRICS_CHECK_COLLECTOR_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "exporter/api/check_info_client.h"
#include "exporter/metrics/families.h"
#include "exporter/metrics/job_status_store.h"
#include "exporter/model/job.h"
#include "exporter/model/job_status.h"
#include "exporter/util/mutex.h"

namespace cdb_sync {

// The last failure logged for each job, kept across configuration reloads so
// that a reload does not log every failing job again. Thread-safe.
class FailureLog {
 public:
  // Failing jobs remembered at most; /probe can name any job id. Past this,
  // the failures of further jobs are logged on every scrape.
  static constexpr std::size_t kMaxJobs = 10000;

  // Returns true when `failure` (empty when the job succeeded) differs from
  // the last one recorded for `job`, and records it.
  bool Update(const Job& job, const std::string& failure) EXCLUDES(mutex_);

 private:
  Mutex mutex_;
  std::map<Job, std::string> failures_ GUARDED_BY(mutex_);
};

// CheckCollector calls the API for every configured job on each Collect()
// and turns the replies into families. It logs a job's failure when it
// starts or changes and again when the job recovers, not on every scrape,
// and records every result in the status store.
//
// Thread-safe: concurrent scrapes share the calls of a job that is already
// being fetched (see CheckInfoClient). The client must outlive the collector.
class CheckCollector : public prometheus::Collectable {
 public:
  CheckCollector(
      std::vector<Job> jobs, const CheckInfoClient& client,
      std::shared_ptr<FailureLog> failure_log = std::make_shared<FailureLog>(),
      std::shared_ptr<JobStatusStore> status_store =
          std::make_shared<JobStatusStore>());

  // Collects without a scrape deadline. Never throws: an unexpected failure
  // becomes that job's error.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Collects the configured jobs and `discovered` (tasks found by
  // discovery; a job in both is fetched once), every API call ending by
  // `deadline`.
  std::vector<prometheus::MetricFamily> Collect(
      Deadline deadline, std::span<const Job> discovered = {}) const;

  // Collects the series of `job` alone, configured or not, for /probe. Only
  // the results of configured and `discovered` jobs reach the status store,
  // so probes of arbitrary job ids cannot grow it.
  std::vector<prometheus::MetricFamily> CollectJob(
      const Job& job, Deadline deadline,
      std::span<const Job> discovered = {}) const;

  // Returns the last status of every job. Jobs that no scrape has fetched
  // yet are fetched now, ending by `deadline`, so that a status page opened
  // right after start-up has data. The other jobs cost no API call.
  std::vector<JobStatus> Statuses(Deadline deadline,
                                  std::span<const Job> discovered = {}) const;

  const std::vector<Job>& jobs() const { return jobs_; }

 private:
  void LogChanges(const std::vector<JobResult>& results) const;
  // Returns the configured jobs followed by the discovered ones that are not
  // configured.
  std::vector<Job> WithDiscovered(std::span<const Job> discovered) const;
  std::vector<prometheus::MetricFamily> CollectJobs(std::span<const Job> jobs,
                                                    bool record,
                                                    Deadline deadline) const;
  // Fetches `jobs` and logs the results; with `record`, also stores them.
  std::vector<JobResult> FetchAndRecord(std::span<const Job> jobs, bool record,
                                        Deadline deadline) const;

  const std::vector<Job> jobs_;
  const CheckInfoClient& client_;

  const std::shared_ptr<FailureLog> failure_log_;
  const std::shared_ptr<JobStatusStore> status_store_;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_METRICS_CHECK_COLLECTOR_H_
