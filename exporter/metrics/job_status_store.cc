#include "exporter/metrics/job_status_store.h"

#include <set>

namespace cdb_sync {

void JobStatusStore::Record(std::span<const JobResult> results,
                            std::chrono::system_clock::time_point now) {
  MutexLock lock(mutex_);
  for (const JobResult& entry : results) {
    JobStatus& status = statuses_[KeyOf(entry.job)];
    status.job = entry.job;
    status.last_result = entry.result;
    status.fetched_at = now;
    if (entry.result.outcome == FetchOutcome::kSuccess) {
      status.last_success_at = now;
    }
    if (entry.result.attempts > 0) status.last_sent_at = now;
  }
}

std::vector<JobStatus> JobStatusStore::Lookup(std::span<const Job> jobs) const {
  std::vector<JobStatus> found;
  found.reserve(jobs.size());
  MutexLock lock(mutex_);
  for (const Job& job : jobs) {
    auto status = statuses_.find(KeyOf(job));
    if (status == statuses_.end()) {
      found.push_back(JobStatus{.job = job});
    } else {
      found.push_back(status->second);
    }
  }
  return found;
}

void JobStatusStore::Retain(std::span<const Job> jobs) {
  std::set<Key> kept;
  for (const Job& job : jobs) kept.insert(KeyOf(job));
  MutexLock lock(mutex_);
  std::erase_if(statuses_, [&kept](const auto& entry) {
    return !kept.contains(entry.first);
  });
}

}  // namespace cdb_sync
