#include "exporter/api/check_info_client.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

#include "exporter/api/api_request.h"
#include "exporter/parse/check_info_parser.h"
#include "exporter/parse/dts_check_parser.h"
#include "exporter/util/log.h"

namespace cdb_sync {
namespace {

using SteadyClock = std::chrono::steady_clock;

// An attempt is not started with less time than this left before the
// deadline: it could not finish, and it would spend the API's quota.
constexpr std::chrono::milliseconds kMinAttemptTime{100};

// How long past the deadline a reply is still awaited; the transfer's own
// timeout ends at the deadline, so this only absorbs scheduling delays.
constexpr std::chrono::milliseconds kDeadlineGrace{50};

// How often the outstanding replies are swept while none completes; the
// first outstanding reply wakes the sweep as soon as it arrives.
constexpr std::chrono::milliseconds kCollectPollInterval{5};

constexpr int64_t kThrottledCode = 4400;

// True for a throttling reply: code 4400, or code 4000 with the message
// "(503) Quota run out" that the API has also been seen to send.
bool IsThrottledReply(const CheckInfoReply& reply) {
  return reply.code == kThrottledCode ||
         (reply.code == 4000 &&
          reply.message.find("Quota run out") != std::string::npos);
}

// True for API 3.0's throttling code, RequestLimitExceeded, and its
// sub-codes such as RequestLimitExceeded.UinLimitExceeded.
bool IsThrottledDtsCode(std::string_view code) {
  return code == "RequestLimitExceeded" ||
         code.starts_with("RequestLimitExceeded.");
}

// True for an API 3.0 error code worth another attempt: InternalError and
// its sub-codes.
bool IsRetryableDtsCode(std::string_view code) {
  return code == "InternalError" || code.starts_with("InternalError.");
}

// Turns a parsed API 3.0 reply into the API 2.0 shape.
CheckInfoReply ToCheckInfoReply(DtsCheckReply dts, JobApi api) {
  CheckInfoReply reply;
  reply.request_id = std::move(dts.request_id);
  if (!dts.error_code.empty()) {
    reply.error_code = dts.error_code;
    reply.code_desc = std::move(dts.error_code);
    reply.message = std::move(dts.error_message);
    return reply;
  }
  // A Response with neither a status nor steps describes no check yet, like
  // an API 2.0 reply without data.
  const bool has_check =
      dts.check && (!dts.check->status.empty() || !dts.check->steps.empty() ||
                    dts.check->step_count || dts.check->step_cur);
  if (has_check) {
    reply.data = api == JobApi::kDtsMigrationCheck
                     ? MapDtsMigrationCheck(*dts.check)
                     : MapDtsSyncCheck(*dts.check);
  }
  return reply;
}

FetchResult TimeoutResult(std::string message) {
  FetchResult result;
  result.outcome = FetchOutcome::kTimeout;
  result.error = std::move(message);
  return result;
}

FetchResult RateLimitedResult() {
  FetchResult result;
  result.outcome = FetchOutcome::kThrottled;
  result.error =
      "not sent: api.rate_limit allows no further API call before the scrape "
      "deadline";
  return result;
}

FetchResult InternalErrorResult(std::string message) {
  FetchResult result;
  result.outcome = FetchOutcome::kInternalError;
  result.error = std::move(message);
  return result;
}

// Returns `base` * 2^(attempt-1), scaled by a random factor in [0.5, 1.5)
// so that jobs throttled together do not retry together.
std::chrono::milliseconds Backoff(std::chrono::milliseconds base, int attempt) {
  thread_local std::mt19937 generator(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  const double scaled = static_cast<double>(base.count()) *
                        static_cast<double>(1 << std::min(attempt - 1, 10)) *
                        jitter(generator);
  return std::chrono::milliseconds(static_cast<int64_t>(scaled));
}

}  // namespace

bool IsRetryable(const FetchResult& result) {
  switch (result.outcome) {
    case FetchOutcome::kNetworkError:
    case FetchOutcome::kTimeout:
    case FetchOutcome::kThrottled:
      return true;
    case FetchOutcome::kHttpError:
      return result.http_status >= 500;
    case FetchOutcome::kApiError:
      return result.reply &&
             (result.reply->code == 5100 || result.reply->code == 6000 ||
              IsRetryableDtsCode(result.reply->error_code));
    default:
      return false;
  }
}

CheckInfoClient::CheckInfoClient(ApiConfig api, Credentials credentials,
                                 HttpTransport& transport, Clock clock,
                                 NonceSource nonce_source)
    : api_(std::move(api)),
      credentials_(std::move(credentials)),
      transport_(transport),
      clock_(std::move(clock)),
      nonce_source_(std::move(nonce_source)) {}

int64_t CheckInfoClient::SystemClock() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t CheckInfoClient::RandomNonce() {
  thread_local std::mt19937_64 generator(std::random_device{}());
  std::uniform_int_distribution<uint64_t> distribution(
      1, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
  return distribution(generator);
}

std::string_view CheckAction(JobApi api) {
  switch (api) {
    case JobApi::kDtsSyncCheck:
      return kDtsSyncCheckAction;
    case JobApi::kDtsMigrationCheck:
      return kDtsMigrationCheckAction;
    case JobApi::kCdbSyncCheck:
      break;
  }
  return kCheckInfoAction;
}

HttpRequest CheckInfoClient::BuildRequest(const Job& job) const {
  // The configuration requires a region for every job it lists, but /probe
  // can name a job of the other API family. The throw ends that job's call
  // as internal_error with this message, and nothing is sent.
  if (job.is_dts() ? api_.dts.region.empty() : api_.region.empty()) {
    throw std::invalid_argument(
        job.is_dts() ? "no region for DTS jobs; set dts.region or api.region"
                     : "no region for API 2.0 tasks; set api.region");
  }
  if (job.is_dts()) {
    // The id needs no escaping: the configuration and /probe accept only
    // letters, digits, '-' and '_'.
    return BuildTc3ApiRequest(
        api_, credentials_, kDtsService, kDtsVersion, CheckAction(job.api),
        "{\"JobId\":\"" + job.dts_job_id + "\"}", clock_());
  }
  return BuildApiRequest(api_, credentials_, kCheckInfoAction,
                         {{"jobId", std::to_string(job.job_id)},
                          {"srcType", SrcTypeLabel(job.src_type)}},
                         clock_(), nonce_source_());
}

FetchResult CheckInfoClient::InterpretResponse(const HttpResponse& response,
                                               JobApi api) {
  FetchResult result;
  result.duration_seconds = response.elapsed.count();
  result.http_status = response.status;

  switch (response.error) {
    case TransportError::kNone:
      break;
    case TransportError::kTimeout:
      result.outcome = FetchOutcome::kTimeout;
      result.error = response.error_message;
      return result;
    case TransportError::kInternal:
      result.outcome = FetchOutcome::kInternalError;
      result.error = response.error_message;
      return result;
    case TransportError::kBodyTooLarge:
      // Not a reply the exporter reads, and asking again returns the same.
      result.outcome = FetchOutcome::kParseError;
      result.error = response.error_message +
                     "; raise api.max_response_size if the reply is genuine";
      return result;
    default:
      result.outcome = FetchOutcome::kNetworkError;
      result.error = response.error_message;
      return result;
  }

  if (response.status != 200) {
    result.outcome = FetchOutcome::kHttpError;
    result.error =
        "HTTP status " + std::to_string(response.status) + "; expected 200";
    return result;
  }

  if (api != JobApi::kCdbSyncCheck) {
    Expected<DtsCheckReply> reply = ParseDtsCheckReply(response.body);
    if (!reply.ok()) {
      result.outcome = FetchOutcome::kParseError;
      result.error = reply.error();
      return result;
    }
    result.reply = ToCheckInfoReply(std::move(reply).value(), api);
    if (result.reply->IsError()) {
      result.outcome = IsThrottledDtsCode(result.reply->error_code)
                           ? FetchOutcome::kThrottled
                           : FetchOutcome::kApiError;
      result.error = "API error " + result.reply->error_code;
      return result;
    }
    result.outcome = FetchOutcome::kSuccess;
    return result;
  }

  Expected<CheckInfoReply> reply = ParseCheckInfoReply(response.body);
  if (!reply.ok()) {
    result.outcome = FetchOutcome::kParseError;
    result.error = reply.error();
    return result;
  }
  result.reply = std::move(reply).value();
  if (result.reply->code != 0) {
    result.outcome = IsThrottledReply(*result.reply) ? FetchOutcome::kThrottled
                                                     : FetchOutcome::kApiError;
    result.error = "API error code " + std::to_string(result.reply->code);
    return result;
  }
  result.outcome = FetchOutcome::kSuccess;
  return result;
}

void CheckInfoClient::Observe(const FetchResult& result) const {
  if (observer_) observer_(result.outcome, result.duration_seconds);
}

void CheckInfoClient::FetchWithRetries(
    std::span<const Job> jobs, const std::vector<std::size_t>& indices,
    SteadyClock::time_point deadline, std::vector<FetchResult>& results,
    const std::function<void(std::size_t)>& publish) const {
  // Each job runs its own attempts: a retry waits only for its own backoff,
  // never for another job's slow reply.
  struct Attempt {
    std::size_t index = 0;
    int number = 0;  // attempts made so far
    std::future<HttpResponse> response;
    // Set while backing off or waiting for a reserved start.
    std::optional<SteadyClock::time_point> send_at;
    // True once the rate limiter has granted the next attempt's start.
    bool start_reserved = false;
    // True when the rate limit denied the next attempt.
    bool rate_limited = false;
  };
  std::vector<Attempt> running;
  running.reserve(indices.size());
  for (std::size_t i : indices) {
    running.push_back({i, 0, {}, SteadyClock::now(), false, false});
  }

  while (!running.empty()) {
    // Send every attempt that is due, with at most the time that is left.
    const SteadyClock::time_point now = SteadyClock::now();
    for (Attempt& attempt : running) {
      if (!attempt.send_at || *attempt.send_at > now) continue;
      attempt.send_at.reset();
      const std::size_t i = attempt.index;
      const auto remaining =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      if (remaining < kMinAttemptTime) {
        if (attempt.number == 0) {
          results[i] = TimeoutResult(
              "the scrape deadline left no time for the API call");
        }
        continue;  // no future: finished below with its last result
      }
      // A short budget is a timeout even with the rate limit on, so the
      // limit is asked only when an attempt could still run.
      if (rate_limiter_ && !attempt.start_reserved) {
        const std::optional<SteadyClock::time_point> start =
            rate_limiter_->Reserve(now, deadline - kMinAttemptTime);
        if (!start) {
          if (attempt.number == 0) results[i] = RateLimitedResult();
          attempt.rate_limited = true;
          if (rate_limited_observer_) rate_limited_observer_();
          continue;  // no future: finished below with its last result
        }
        if (*start > now) {
          attempt.send_at = *start;
          attempt.start_reserved = true;
          continue;
        }
      }
      attempt.start_reserved = false;
      try {
        HttpRequest request = BuildRequest(jobs[i]);
        request.timeout = std::min(request.timeout, remaining);
        request.connect_timeout =
            std::min(request.connect_timeout, request.timeout);
        request.deadline = deadline;
        // NOTE: libcurl resends a request once by itself, with the same
        // Nonce, when a reused connection turns out to be closed. If the API
        // had already read the first copy, it returns code 4500 (replay).
        attempt.response = transport_.Send(std::move(request));
        ++attempt.number;
      } catch (const std::exception& error) {
        results[i] = InternalErrorResult(
            std::string("cannot build the request: ") + error.what());
      }
    }

    // Wait for the first reply or due retry, then sweep the replies.
    SteadyClock::time_point wake = std::min(
        deadline + kDeadlineGrace, SteadyClock::now() + kCollectPollInterval);
    for (const Attempt& attempt : running) {
      if (attempt.send_at) wake = std::min(wake, *attempt.send_at);
    }
    for (Attempt& attempt : running) {
      if (attempt.response.valid()) {
        attempt.response.wait_until(wake);
        break;
      }
    }
    if (SteadyClock::now() < wake) std::this_thread::sleep_until(wake);
    const bool past_deadline = SteadyClock::now() >= deadline + kDeadlineGrace;

    std::vector<Attempt> still_running;
    for (Attempt& attempt : running) {
      const std::size_t i = attempt.index;
      if (attempt.send_at) {
        still_running.push_back(std::move(attempt));
        continue;
      }
      if (attempt.response.valid()) {
        const bool ready = attempt.response.wait_for(std::chrono::seconds(0)) ==
                           std::future_status::ready;
        if (!ready && !past_deadline) {
          still_running.push_back(std::move(attempt));
          continue;
        }
        try {
          results[i] =
              ready ? InterpretResponse(attempt.response.get(), jobs[i].api)
                    : TimeoutResult("no reply before the scrape deadline");
        } catch (const std::exception& error) {
          results[i] = InternalErrorResult(
              std::string("cannot read the response: ") + error.what());
        }
        attempt.response = {};
        results[i].attempts = attempt.number;
        Observe(results[i]);
      }

      // The attempt has ended: retry it after a backoff, or publish it.
      if (attempt.number > 0 && attempt.number <= api_.retries &&
          !attempt.rate_limited && IsRetryable(results[i])) {
        const std::chrono::milliseconds backoff =
            Backoff(api_.retry_backoff, attempt.number);
        const SteadyClock::time_point send_at = SteadyClock::now() + backoff;
        if (send_at + kMinAttemptTime <= deadline) {
          const std::string job_id = JobIdLabel(jobs[i]);
          const auto [kind_name, kind] = JobKindLabel(jobs[i]);
          log::Info("retrying API call",
                    {{"job_id", job_id},
                     {kind_name, kind},
                     {"attempt", std::to_string(attempt.number + 1)},
                     {"outcome", FetchOutcomeName(results[i].outcome)},
                     {"backoff_ms", std::to_string(backoff.count())}});
          attempt.send_at = send_at;
          still_running.push_back(std::move(attempt));
          continue;
        }
      }
      publish(i);
    }
    running = std::move(still_running);
  }
}

std::vector<FetchResult> CheckInfoClient::FetchAll(std::span<const Job> jobs,
                                                   Deadline deadline) const {
  const SteadyClock::time_point effective_deadline = deadline.value_or(
      SteadyClock::now() + api_.timeout + std::chrono::seconds(1));
  std::vector<FetchResult> results(jobs.size());

  // Lead the jobs that no concurrent scrape is fetching; follow the others'
  // flights.
  std::vector<std::size_t> led;
  std::vector<std::promise<FetchResult>> promises;
  std::vector<std::pair<std::size_t, std::shared_future<FetchResult>>> followed;
  {
    MutexLock lock(mutex_);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const JobKey& key = jobs[i];
      auto found = flights_.find(key);
      if (found != flights_.end()) {
        followed.emplace_back(i, found->second->result);
        continue;
      }
      std::promise<FetchResult>& promise = promises.emplace_back();
      auto flight = std::make_shared<Flight>();
      flight->result = promise.get_future().share();
      flights_.emplace(key, std::move(flight));
      led.push_back(i);
    }
  }

  // Hands a led job's final result to its followers as soon as it is known.
  std::vector<bool> published(jobs.size(), false);
  std::map<std::size_t, std::size_t> promise_of;
  for (std::size_t k = 0; k < led.size(); ++k) promise_of[led[k]] = k;
  const auto publish = [&](std::size_t i) {
    if (published[i]) return;
    published[i] = true;
    {
      MutexLock lock(mutex_);
      flights_.erase(jobs[i]);
    }
    promises[promise_of.at(i)].set_value(results[i]);
  };

  try {
    FetchWithRetries(jobs, led, effective_deadline, results, publish);
  } catch (const std::exception& error) {
    for (std::size_t i : led) {
      if (published[i]) continue;
      results[i] =
          InternalErrorResult(std::string("fetch failed: ") + error.what());
    }
  }
  // Every led job is published by now, unless an exception cut it short.
  for (std::size_t i : led) publish(i);

  for (auto& [i, result] : followed) {
    try {
      if (result.wait_until(effective_deadline + kDeadlineGrace) ==
          std::future_status::ready) {
        results[i] = result.get();
      } else {
        results[i] = TimeoutResult(
            "no reply before the scrape deadline from the API call that a "
            "concurrent scrape started");
      }
    } catch (const std::exception& error) {
      results[i] = InternalErrorResult(
          std::string("the concurrent scrape's API call failed: ") +
          error.what());
    }
  }
  return results;
}

}  // namespace cdb_sync
