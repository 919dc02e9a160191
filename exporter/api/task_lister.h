// Lists the account's data-sync tasks with GetCdbDataSyncTaskList.
#ifndef CDB_SYNC_EXPORTER_API_TASK_LISTER_H_
#define CDB_SYNC_EXPORTER_API_TASK_LISTER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "exporter/api/credentials.h"
#include "exporter/api/http_transport.h"
#include "exporter/api/rate_limiter.h"
#include "exporter/config/config.h"
#include "exporter/model/sync_task.h"
#include "exporter/util/expected.h"

namespace cdb_sync {

inline constexpr std::string_view kTaskListAction = "GetCdbDataSyncTaskList";

// Tasks requested per page; the API's maximum.
inline constexpr int kTaskListPageSize = 100;
// Pages read at most in one listing, a guard against a reply whose
// totalCount never ends.
inline constexpr int kMaxTaskListPages = 1000;

// TaskLister pages through GetCdbDataSyncTaskList. Thread-compatible; the
// transport and the rate limiter must outlive it.
class TaskLister {
 public:
  using Clock = std::function<int64_t()>;
  using NonceSource = std::function<uint64_t()>;

  TaskLister(ApiConfig api, Credentials credentials, HttpTransport& transport,
             std::shared_ptr<RateLimiter> rate_limiter, Clock clock,
             NonceSource nonce_source);

  // Builds the signed request for one page; `statuses` become status.0,
  // status.1, ...
  HttpRequest BuildRequest(int64_t offset, std::span<const int> statuses) const;

  // Lists every task with one of `statuses` (all when empty), 100 per page,
  // until a page is empty or totalCount tasks were read. Each page waits
  // for the rate limit. Fails, naming the page, on the first page that
  // fails: a network error, an HTTP status other than 200, a reply that
  // does not parse, or a non-zero code.
  Expected<std::vector<SyncTask>> ListTasks(
      std::span<const int> statuses,
      std::chrono::steady_clock::time_point deadline) const;

 private:
  const ApiConfig api_;
  const Credentials credentials_;
  HttpTransport& transport_;
  const std::shared_ptr<RateLimiter> rate_limiter_;
  const Clock clock_;
  const NonceSource nonce_source_;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_TASK_LISTER_H_
