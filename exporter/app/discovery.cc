#include "exporter/app/discovery.h"

#include <re2/re2.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <set>
#include <utility>

#include "exporter/app/runtime.h"
#include "exporter/metrics/self_metrics.h"
#include "exporter/util/log.h"

namespace cdb_sync {
namespace {

// Wait before a failed listing is tried again, unless the interval is
// shorter.
constexpr std::chrono::minutes kRetryAfterFailure{1};

// Reads every list that discovery.apis names, API 2.0 tasks first. Fails,
// naming the call, when any list fails, so that a partial listing never
// drops the jobs of the list that failed.
Expected<std::vector<SyncTask>> ListAll(
    const Runtime& runtime, std::chrono::steady_clock::time_point deadline) {
  const DiscoveryConfig& config = runtime.config.discovery;
  std::vector<SyncTask> all;
  for (JobApi api : config.apis) {
    const bool dts = api != JobApi::kCdbSyncCheck;
    Expected<std::vector<SyncTask>> listed =
        dts ? runtime.lister->ListDtsJobs(api, deadline)
            : runtime.lister->ListTasks(config.statuses, deadline);
    if (!listed.ok()) {
      return Error{std::string(dts ? DtsListAction(api) : kTaskListAction) +
                   " " + listed.error()};
    }
    std::move(listed.value().begin(), listed.value().end(),
              std::back_inserter(all));
  }
  return all;
}

}  // namespace

DiscoveredTasks FilterTasks(std::vector<SyncTask> tasks,
                            const DiscoveryConfig& config) {
  std::unique_ptr<RE2> pattern;
  if (!config.name_pattern.empty()) {
    // The configuration loader has checked that the pattern compiles.
    pattern = std::make_unique<RE2>(config.name_pattern, RE2::Quiet);
  }
  DiscoveredTasks discovered;
  std::set<Job> seen;
  for (SyncTask& task : tasks) {
    if (pattern && !RE2::PartialMatch(task.name, *pattern)) continue;
    if (task.api != JobApi::kCdbSyncCheck) {
      Job job(task.api, task.dts_job_id);
      if (!seen.insert(job).second) continue;
      discovered.jobs.push_back(std::move(job));
      discovered.tasks.push_back(std::move(task));
      continue;
    }
    if (!config.statuses.empty() &&
        (!task.status ||
         std::find(config.statuses.begin(), config.statuses.end(),
                   *task.status) == config.statuses.end())) {
      continue;
    }

    const SrcType src_type = task.type && IsValidSrcType(*task.type)
                                 ? static_cast<SrcType>(*task.type)
                                 : config.default_src_type;
    const Job job{task.job_id, src_type};
    if (!seen.insert(job).second) continue;
    discovered.jobs.push_back(job);
    discovered.tasks.push_back(std::move(task));
  }
  return discovered;
}

Discovery::Discovery(RuntimeHolder& runtimes, SelfMetrics& self_metrics)
    : runtimes_(runtimes), self_metrics_(self_metrics) {}

Discovery::~Discovery() { Stop(); }

void Discovery::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Discovery::Stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Discovery::Run() {
  using SteadyClock = std::chrono::steady_clock;
  // The runtime the last listing used; a reload replaces it, and then the
  // next listing starts at once with the new settings.
  std::shared_ptr<const Runtime> listed_with;
  SteadyClock::time_point next_listing = SteadyClock::now();

  while (true) {
    {
      MutexLock lock(mutex_);
      if (stopping_) return;
      // Wakes once a second to notice a reload.
      mutex_.WaitUntil(wake_, SteadyClock::now() + std::chrono::seconds(1));
      if (stopping_) return;
    }

    std::shared_ptr<const Runtime> runtime = runtimes_.Current();
    if (!runtime) continue;
    const DiscoveryConfig& config = runtime->config.discovery;
    if (!config.enabled) {
      if (runtimes_.Discovered()) runtimes_.SetDiscovered(nullptr);
      self_metrics_.ClearDiscovery();
      listed_with = runtime;
      continue;
    }
    if (runtime == listed_with && SteadyClock::now() < next_listing) continue;

    listed_with = runtime;
    const auto deadline = SteadyClock::now() + std::chrono::minutes(1) +
                          runtime->config.api.timeout;
    Expected<std::vector<SyncTask>> listed = ListAll(*runtime, deadline);
    if (!listed.ok()) {
      self_metrics_.RecordDiscovery(false, std::nullopt);
      log::Error("listing the tasks failed; the previous list stays in use",
                 {{"error", listed.error()}});
      next_listing =
          SteadyClock::now() + std::min<std::chrono::milliseconds>(
                                   config.interval, kRetryAfterFailure);
      continue;
    }

    auto discovered = std::make_shared<DiscoveredTasks>(
        FilterTasks(std::move(listed).value(), config));
    discovered->listed_at = std::chrono::system_clock::now();
    const std::size_t count = discovered->jobs.size();
    runtimes_.SetDiscovered(std::move(discovered));
    self_metrics_.RecordDiscovery(true, count);
    log::Info("listed the tasks", {{"tasks", std::to_string(count)}});
    next_listing = SteadyClock::now() + config.interval;
  }
}

}  // namespace cdb_sync
