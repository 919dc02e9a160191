#include "exporter/metrics/check_collector.h"

#include <algorithm>
#include <exception>

#include "exporter/util/log.h"
#include "exporter/util/utf8.h"

namespace cdb_sync {
namespace {

// Returns the key that identifies a failure between scrapes: the outcome,
// HTTP status and API code. The error text is left out because libcurl's
// messages include elapsed times, which differ on every scrape.
std::string FailureKey(const FetchResult& result) {
  // Appended piece by piece: g++ 12 at -O3 warns falsely (-Wrestrict)
  // about `"/" + std::to_string(...)`.
  std::string key(FetchOutcomeName(result.outcome));
  key += '/';
  key += std::to_string(result.http_status);
  if (result.reply) {
    key += '/';
    key += result.reply->CodeText();
  }
  return key;
}

// Cuts API text for a log line; a reply's message can be megabytes long.
std::string_view Abbreviate(std::string_view text) {
  constexpr std::size_t kMaxLoggedText = 512;
  return TruncateUtf8(text, kMaxLoggedText);
}

}  // namespace

bool FailureLog::Update(const Job& job, const std::string& failure) {
  const Job& key = job;
  MutexLock lock(mutex_);
  auto found = failures_.find(key);
  const std::string previous = found == failures_.end() ? "" : found->second;
  if (previous == failure) return false;
  if (failure.empty()) {
    failures_.erase(found);
  } else if (found == failures_.end() && failures_.size() >= kMaxJobs) {
    return true;
  } else {
    failures_[key] = failure;
  }
  return true;
}

CheckCollector::CheckCollector(std::vector<Job> jobs,
                               const CheckInfoClient& client,
                               std::shared_ptr<FailureLog> failure_log,
                               std::shared_ptr<JobStatusStore> status_store)
    : jobs_(std::move(jobs)),
      client_(client),
      failure_log_(std::move(failure_log)),
      status_store_(std::move(status_store)) {}

std::vector<JobResult> CheckCollector::FetchAndRecord(std::span<const Job> jobs,
                                                      bool record,
                                                      Deadline deadline) const {
  std::vector<JobResult> results(jobs.size());
  // The stored status of each job serves the cache and the call order; a
  // job that is not recorded has none.
  const std::vector<JobStatus> statuses =
      record ? status_store_->Lookup(jobs) : std::vector<JobStatus>();

  // Indices into `jobs` of the jobs that need an API call.
  std::vector<std::size_t> missing;
  const std::chrono::milliseconds ttl = client_.api().cache_ttl;
  const auto now = std::chrono::system_clock::now();
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (record && ttl.count() > 0) {
      const JobStatus& status = statuses[i];
      const auto age = now - status.fetched_at;
      // Only a success is served again; a failure is always retried.
      if (status.last_result &&
          status.last_result->outcome == FetchOutcome::kSuccess &&
          age >= std::chrono::milliseconds(0) && age < ttl) {
        results[i] = {jobs[i], *status.last_result};
        continue;
      }
    }
    missing.push_back(i);
  }
  if (missing.empty()) return results;

  if (record) {
    // Calls start in this order. Under api.rate_limit the jobs whose request
    // was sent longest ago (or never) go first, because otherwise the same
    // jobs at the end of the list would be throttled on every scrape.
    std::stable_sort(missing.begin(), missing.end(),
                     [&statuses](std::size_t a, std::size_t b) {
                       // nullopt (never sent) orders before any time.
                       return statuses[a].last_sent_at <
                              statuses[b].last_sent_at;
                     });
  }

  std::vector<Job> to_fetch;
  to_fetch.reserve(missing.size());
  for (std::size_t i : missing) to_fetch.push_back(jobs[i]);
  std::vector<FetchResult> fetched = client_.FetchAll(to_fetch, deadline);
  std::vector<JobResult> fresh;
  fresh.reserve(missing.size());
  for (std::size_t k = 0; k < missing.size(); ++k) {
    fresh.push_back({to_fetch[k], std::move(fetched[k])});
  }
  LogChanges(fresh);
  if (record) status_store_->Record(fresh, std::chrono::system_clock::now());
  for (std::size_t k = 0; k < missing.size(); ++k) {
    results[missing[k]] = std::move(fresh[k]);
  }
  return results;
}

std::vector<Job> CheckCollector::WithDiscovered(
    std::span<const Job> discovered) const {
  std::vector<Job> jobs = jobs_;
  for (const Job& job : discovered) {
    if (std::find(jobs_.begin(), jobs_.end(), job) == jobs_.end()) {
      jobs.push_back(job);
    }
  }
  return jobs;
}

std::vector<JobStatus> CheckCollector::Statuses(
    Deadline deadline, std::span<const Job> discovered) const {
  const std::vector<Job> jobs = WithDiscovered(discovered);
  std::vector<JobStatus> statuses = status_store_->Lookup(jobs);
  std::vector<Job> never_fetched;
  for (const JobStatus& status : statuses) {
    if (!status.last_result) never_fetched.push_back(status.job);
  }
  if (never_fetched.empty()) return statuses;

  FetchAndRecord(never_fetched, /*record=*/true, deadline);
  return status_store_->Lookup(jobs);
}

std::vector<prometheus::MetricFamily> CheckCollector::Collect() const {
  return Collect(std::nullopt);
}

std::vector<prometheus::MetricFamily> CheckCollector::Collect(
    Deadline deadline, std::span<const Job> discovered) const {
  if (discovered.empty()) return CollectJobs(jobs_, /*record=*/true, deadline);
  return CollectJobs(WithDiscovered(discovered), /*record=*/true, deadline);
}

std::vector<prometheus::MetricFamily> CheckCollector::CollectJob(
    const Job& job, Deadline deadline, std::span<const Job> discovered) const {
  const bool known =
      std::find(jobs_.begin(), jobs_.end(), job) != jobs_.end() ||
      std::find(discovered.begin(), discovered.end(), job) != discovered.end();
  return CollectJobs(std::span(&job, 1), known, deadline);
}

std::vector<prometheus::MetricFamily> CheckCollector::CollectJobs(
    std::span<const Job> jobs, bool record, Deadline deadline) const {
  try {
    std::vector<JobResult> results = FetchAndRecord(jobs, record, deadline);
    std::vector<prometheus::MetricFamily> families =
        BuildCheckFamilies(results);
    // The store has each recorded job's last success; a job probed without
    // being recorded has only this scrape's result.
    std::vector<JobStatus> statuses;
    if (record) {
      statuses = status_store_->Lookup(jobs);
    } else {
      for (const JobResult& entry : results) {
        JobStatus status{.job = entry.job};
        if (entry.result.outcome == FetchOutcome::kSuccess) {
          status.last_success_at = std::chrono::system_clock::now();
        }
        statuses.push_back(std::move(status));
      }
    }
    if (auto last_success = BuildLastSuccessFamily(statuses)) {
      families.push_back(std::move(*last_success));
    }
    return families;
  } catch (const std::exception& error) {
    // Only allocation failures reach this point; report every job as down
    // rather than let the exception end the scrape.
    log::Error("collecting the check series failed", {{"error", error.what()}});
    std::vector<JobResult> results;
    for (const Job& job : jobs) {
      FetchResult failed;
      failed.outcome = FetchOutcome::kInternalError;
      results.push_back({job, std::move(failed)});
    }
    return BuildCheckFamilies(results);
  }
}

void CheckCollector::LogChanges(const std::vector<JobResult>& results) const {
  for (const JobResult& entry : results) {
    const std::string job_id = JobIdLabel(entry.job);
    const auto [kind_name, kind] = JobKindLabel(entry.job);
    const FetchResult& result = entry.result;
    const std::string failure = result.outcome == FetchOutcome::kSuccess
                                    ? std::string()
                                    : FailureKey(result);

    if (!failure_log_->Update(entry.job, failure)) {
      if (!failure.empty()) {
        log::Debug("API call for job still failing",
                   {{"job_id", job_id}, {kind_name, kind}});
      }
      continue;
    }
    if (failure.empty()) {
      log::Info("API call for job succeeded again",
                {{"job_id", job_id}, {kind_name, kind}});
      continue;
    }

    const std::string code = result.reply ? result.reply->CodeText() : "";
    const std::string status = std::to_string(result.http_status);
    log::Warn(
        "API call for job failed",
        {{"job_id", job_id},
         {kind_name, kind},
         {"outcome", FetchOutcomeName(result.outcome)},
         {"http_status", status},
         {"code", Abbreviate(code)},
         {"code_desc", Abbreviate(result.reply ? result.reply->code_desc : "")},
         {"api_message", Abbreviate(result.reply ? result.reply->message : "")},
         {"request_id",
          Abbreviate(result.reply ? result.reply->request_id : "")},
         {"error", Abbreviate(result.error)}});
  }
}

}  // namespace cdb_sync
