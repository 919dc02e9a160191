// The last result of each job, kept for the status page.
#ifndef CDB_SYNC_EXPORTER_METRICS_JOB_STATUS_STORE_H_
#define CDB_SYNC_EXPORTER_METRICS_JOB_STATUS_STORE_H_

#include <chrono>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "exporter/metrics/families.h"
#include "exporter/model/job.h"
#include "exporter/model/job_status.h"
#include "exporter/util/mutex.h"

namespace cdb_sync {

// JobStatusStore keeps the newest fetch result of every job and the time of
// its last successful call. It outlives configuration reloads, so the
// status page keeps a job's history when the job stays configured.
// Thread-safe.
class JobStatusStore {
 public:
  // Stores `results`, fetched at `now`, replacing each job's previous result.
  void Record(std::span<const JobResult> results,
              std::chrono::system_clock::time_point now) EXCLUDES(mutex_);

  // Returns the status of each of `jobs`, in the same order. A job never
  // recorded has no last_result.
  std::vector<JobStatus> Lookup(std::span<const Job> jobs) const
      EXCLUDES(mutex_);

  // Drops every job not in `jobs`, after a reload removed it.
  void Retain(std::span<const Job> jobs) EXCLUDES(mutex_);

 private:
  using Key = Job;
  static const Key& KeyOf(const Job& job) { return job; }

  mutable Mutex mutex_;
  std::map<Key, JobStatus> statuses_ GUARDED_BY(mutex_);
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_METRICS_JOB_STATUS_STORE_H_
