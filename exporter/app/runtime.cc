#include "exporter/app/runtime.h"

#include <utility>

#include "exporter/util/log.h"

namespace cdb_sync {

RuntimeHolder::RuntimeHolder(std::string config_path,
                             GetEnvironmentFunction getenv,
                             HttpTransport& transport,
                             SelfMetrics& self_metrics)
    : config_path_(std::move(config_path)),
      getenv_(std::move(getenv)),
      transport_(transport),
      self_metrics_(self_metrics) {}

Expected<std::shared_ptr<const Runtime>> RuntimeHolder::Build() const {
  Expected<Config> config = LoadConfigFile(config_path_);
  if (!config.ok()) return Error{config.error()};
  Expected<Credentials> credentials =
      LoadCredentials(config.value().api, getenv_);
  if (!credentials.ok()) return Error{credentials.error()};

  auto runtime = std::make_shared<Runtime>();
  runtime->config = std::move(config).value();
  runtime->masked_secret_id = credentials.value().MaskedSecretId();
  runtime->client = std::make_unique<CheckInfoClient>(
      runtime->config.api, std::move(credentials).value(), transport_);
  SelfMetrics* self_metrics = &self_metrics_;
  runtime->client->SetAttemptObserver(
      [self_metrics](FetchOutcome outcome, double seconds) {
        self_metrics->ObserveAttempt(outcome, seconds);
      });
  runtime->client->SetRateLimiter(
      rate_limiter_, [self_metrics] { self_metrics->CountRateLimited(); });
  runtime->lister = std::make_unique<TaskLister>(
      runtime->config.api, runtime->client->credentials(), transport_,
      rate_limiter_, CheckInfoClient::SystemClock,
      CheckInfoClient::RandomNonce);
  runtime->collector = std::make_unique<CheckCollector>(
      runtime->config.jobs, *runtime->client, failure_log_, status_store_);
  return std::shared_ptr<const Runtime>(std::move(runtime));
}

Expected<std::shared_ptr<const Runtime>> RuntimeHolder::Reload() {
  MutexLock reload_lock(reload_mutex_);
  Expected<std::shared_ptr<const Runtime>> built = Build();
  self_metrics_.RecordConfigLoad(built.ok());
  if (!built.ok()) {
    // At start-up the caller reports the error and exits.
    if (Current() != nullptr) {
      log::Error(
          "reloading the configuration failed; the previous one stays in use",
          {{"config_file", config_path_}, {"error", built.error()}});
    }
    return built;
  }

  std::shared_ptr<const Runtime> previous;
  {
    MutexLock lock(mutex_);
    previous = current_;
    current_ = built.value();
  }
  const Runtime& runtime = *built.value();
  RetainStatuses(runtime.config.jobs, Discovered());
  rate_limiter_->SetLimit(runtime.config.api.rate_limit,
                          runtime.config.api.rate_limit_burst);
  if (previous && previous->config.api.max_concurrency !=
                      runtime.config.api.max_concurrency) {
    log::Warn("api.max_concurrency changes take effect after a restart",
              {{"config_file", config_path_}});
  }
  if (!runtime.masked_secret_id.starts_with("AKID")) {
    log::Warn(
        "the SecretId does not start with AKID; check that the id and the key "
        "are not swapped");
  }
  log::Info("configuration loaded",
            {{"config_file", config_path_},
             {"endpoint", runtime.config.api.endpoint.url},
             {"region", runtime.config.api.region},
             {"dts_endpoint", runtime.config.api.dts.endpoint.url},
             {"dts_region", runtime.config.api.dts.region},
             {"jobs", std::to_string(runtime.config.jobs.size())},
             {"secret_id", runtime.masked_secret_id}});
  return built;
}

std::shared_ptr<const Runtime> RuntimeHolder::Current() const {
  MutexLock lock(mutex_);
  return current_;
}

void RuntimeHolder::SetDiscovered(
    const std::shared_ptr<const DiscoveredTasks>& discovered) {
  std::shared_ptr<const Runtime> runtime;
  {
    MutexLock lock(mutex_);
    discovered_ = discovered;
    runtime = current_;
  }
  if (runtime) RetainStatuses(runtime->config.jobs, discovered);
}

std::shared_ptr<const DiscoveredTasks> RuntimeHolder::Discovered() const {
  MutexLock lock(mutex_);
  return discovered_;
}

void RuntimeHolder::RetainStatuses(
    const std::vector<Job>& configured,
    const std::shared_ptr<const DiscoveredTasks>& discovered) const {
  std::vector<Job> jobs = configured;
  if (discovered) {
    jobs.insert(jobs.end(), discovered->jobs.begin(), discovered->jobs.end());
  }
  status_store_->Retain(jobs);
}

}  // namespace cdb_sync
