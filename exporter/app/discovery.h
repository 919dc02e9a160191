// Task discovery: lists the account's sync tasks on an interval, so they
// can be scraped without being listed in the configuration file.
#ifndef CDB_SYNC_EXPORTER_APP_DISCOVERY_H_
#define CDB_SYNC_EXPORTER_APP_DISCOVERY_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "exporter/config/config.h"
#include "exporter/model/job.h"
#include "exporter/model/sync_task.h"
#include "exporter/util/mutex.h"

namespace cdb_sync {

class RuntimeHolder;
class SelfMetrics;

// The result of one successful listing, after filtering.
struct DiscoveredTasks {
  // The tasks kept, each with the job it is scraped as, in listing order
  // and without duplicate jobs.
  std::vector<SyncTask> tasks;
  std::vector<Job> jobs;
  std::chrono::system_clock::time_point listed_at;
};

// Keeps the tasks whose name contains a match of `config.name_pattern`.
// API 2.0 tasks must also have a status in `config.statuses` (any, when it
// is empty). Each kept API 2.0 task becomes a job whose srcType is the
// task's `type` when that is 1, 2 or 10, else `config.default_src_type`.
// A DTS job keeps its API and id.
DiscoveredTasks FilterTasks(std::vector<SyncTask> tasks,
                            const DiscoveryConfig& config);

// Discovery runs the listings on its own thread while the configuration
// has a discovery section. It lists at start-up, then every
// discovery.interval, and again right after a reload. A failed listing keeps
// the previous tasks and is tried again after a minute (or the interval, if
// shorter). Results go to RuntimeHolder::SetDiscovered.
class Discovery {
 public:
  Discovery(RuntimeHolder& runtimes, SelfMetrics& self_metrics);
  ~Discovery();

  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  void Start();
  // Ends the thread; a listing in progress finishes its current page first.
  void Stop() EXCLUDES(mutex_);

 private:
  void Run() EXCLUDES(mutex_);

  RuntimeHolder& runtimes_;
  SelfMetrics& self_metrics_;
  Mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_APP_DISCOVERY_H_
