// The client for GetCdbDataSyncTaskCheckInfo: builds signed requests, sends
// them through an HttpTransport, retries what can succeed on a second try,
// and parses the replies.
#ifndef CDB_SYNC_EXPORTER_API_CHECK_INFO_CLIENT_H_
#define CDB_SYNC_EXPORTER_API_CHECK_INFO_CLIENT_H_

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "exporter/api/credentials.h"
#include "exporter/api/http_transport.h"
#include "exporter/api/rate_limiter.h"
#include "exporter/config/config.h"
#include "exporter/model/check_info.h"
#include "exporter/model/job.h"
#include "exporter/util/mutex.h"

namespace cdb_sync {

inline constexpr std::string_view kCheckInfoAction =
    "GetCdbDataSyncTaskCheckInfo";
inline constexpr std::string_view kDtsSyncCheckAction =
    "DescribeCheckSyncJobResult";
inline constexpr std::string_view kDtsMigrationCheckAction =
    "DescribeMigrationCheckJob";

// Returns the action that reports the check of `api`'s jobs.
std::string_view CheckAction(JobApi api);

// Returns true when a second attempt may succeed where `result` failed:
// network errors, timeouts, HTTP 5xx, throttling (API 2.0 code 4400, API
// 3.0 RequestLimitExceeded), API 2.0's "retry later" codes 5100 and 6000,
// and API 3.0's InternalError.*. Authentication (4100-4110, AuthFailure.*),
// replay (4500), parameter (9003, InvalidParameter.*) and not-found (9591,
// ResourceNotFound.*) errors are final.
bool IsRetryable(const FetchResult& result);

// CheckInfoClient is thread-safe: FetchAll may run from several scrapes at
// once, and concurrent fetches of the same job share one series of API calls
// (single-flight). It does not own the transport, which must outlive it.
class CheckInfoClient {
 public:
  // Returns the current Unix time in seconds.
  using Clock = std::function<int64_t()>;
  // Returns a random positive Nonce.
  using NonceSource = std::function<uint64_t()>;
  // Called once per API attempt, retries included, from the fetching thread.
  using AttemptObserver =
      std::function<void(FetchOutcome outcome, double seconds)>;

  CheckInfoClient(ApiConfig api, Credentials credentials,
                  HttpTransport& transport, Clock clock = SystemClock,
                  NonceSource nonce_source = RandomNonce);

  // Called once per API call that the rate limit held back.
  using RateLimitedObserver = std::function<void()>;

  // Sets the observer; call before the first FetchAll.
  void SetAttemptObserver(AttemptObserver observer) {
    observer_ = std::move(observer);
  }

  // Makes every attempt, retries included, reserve a start from `limiter`,
  // which may be shared with other clients. An attempt whose start would
  // leave less than the minimum attempt time before the deadline is not
  // made: a job's first attempt then ends as kThrottled, and a retry keeps
  // the previous attempt's result. Call before the first FetchAll.
  void SetRateLimiter(std::shared_ptr<RateLimiter> limiter,
                      RateLimitedObserver observer) {
    rate_limiter_ = std::move(limiter);
    rate_limited_observer_ = std::move(observer);
  }

  // Builds the signed request for `job`, with a fresh Timestamp (and Nonce
  // for API 2.0).
  HttpRequest BuildRequest(const Job& job) const;

  // Fetches every job concurrently and returns one result per job, in the
  // order of `jobs`. Each job is retried while IsRetryable() and time
  // remains; no attempt runs past `deadline`, and a job without a result by
  // then is reported as kTimeout. Without a deadline the budget is
  // api.timeout plus one second. An exception while building a request or
  // reading a reply becomes that job's kInternalError result.
  std::vector<FetchResult> FetchAll(std::span<const Job> jobs,
                                    Deadline deadline = std::nullopt) const;

  // Turns a transport response into a FetchResult, parsing the body as the
  // reply of `api`'s check action. An API 3.0 reply is mapped onto the
  // CheckInfoReply of API 2.0 (see MapDtsSyncCheck, MapDtsMigrationCheck).
  static FetchResult InterpretResponse(const HttpResponse& response,
                                       JobApi api = JobApi::kCdbSyncCheck);

  static int64_t SystemClock();
  // Draws uniformly from [1, 2^63 - 1] with a per-thread generator seeded
  // from std::random_device.
  static uint64_t RandomNonce();

  const ApiConfig& api() const { return api_; }
  const Credentials& credentials() const { return credentials_; }

 private:
  using JobKey = Job;

  // The attempts of one job that concurrent fetches share.
  struct Flight {
    std::shared_future<FetchResult> result;
  };

  // Runs the attempts of the jobs at `indices` and stores their results,
  // calling `publish` with a job's index as soon as its result is final.
  void FetchWithRetries(std::span<const Job> jobs,
                        const std::vector<std::size_t>& indices,
                        std::chrono::steady_clock::time_point deadline,
                        std::vector<FetchResult>& results,
                        const std::function<void(std::size_t)>& publish) const;

  void Observe(const FetchResult& result) const;

  const ApiConfig api_;
  const Credentials credentials_;
  HttpTransport& transport_;
  const Clock clock_;
  const NonceSource nonce_source_;
  AttemptObserver observer_;
  std::shared_ptr<RateLimiter> rate_limiter_;
  RateLimitedObserver rate_limited_observer_;

  mutable Mutex mutex_;
  mutable std::map<JobKey, std::shared_ptr<Flight>> flights_ GUARDED_BY(mutex_);
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_CHECK_INFO_CLIENT_H_
