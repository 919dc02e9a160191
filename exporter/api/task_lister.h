// Lists the account's data-sync tasks with GetCdbDataSyncTaskList, and its
// DTS jobs with DescribeSyncJobs and DescribeMigrationJobs.
#ifndef CDB_SYNC_EXPORTER_API_TASK_LISTER_H_
#define CDB_SYNC_EXPORTER_API_TASK_LISTER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
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
inline constexpr std::string_view kDtsSyncListAction = "DescribeSyncJobs";
inline constexpr std::string_view kDtsMigrationListAction =
    "DescribeMigrationJobs";

// Returns the action that lists `api`'s jobs: DescribeSyncJobs or
// DescribeMigrationJobs.
std::string_view DtsListAction(JobApi api);

// Tasks requested per page: the maximum of GetCdbDataSyncTaskList and of
// DescribeMigrationJobs (1-100).
// NOTE: DescribeSyncJobs is assumed to accept 100 too; its range was not
// checked against Tencent's documentation.
inline constexpr int kTaskListPageSize = 100;
// Pages read at most in one listing, a guard against a reply whose
// totalCount never ends.
inline constexpr int kMaxTaskListPages = 1000;

// TaskLister pages through the list calls. Thread-compatible; the transport
// and the rate limiter must outlive it.
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

  // Builds the signed DescribeSyncJobs or DescribeMigrationJobs request for
  // the page at `offset`.
  HttpRequest BuildDtsRequest(JobApi api, int64_t offset) const;

  // Lists every DTS job of `api` (dts_sync_check or dts_migration_check) the
  // way ListTasks lists tasks; a reply with an Error fails the page.
  Expected<std::vector<SyncTask>> ListDtsJobs(
      JobApi api, std::chrono::steady_clock::time_point deadline) const;

 private:
  struct Page {
    std::vector<SyncTask> tasks;
    std::optional<int64_t> total_count;
  };

  // Reads pages until one is empty or total_count tasks were read, each
  // after a start from the rate limiter. `too_many` is the hint that the
  // error gives when kMaxTaskListPages pages were not enough.
  Expected<std::vector<SyncTask>> ListPages(
      std::chrono::steady_clock::time_point deadline, std::string_view too_many,
      const std::function<HttpRequest(int64_t)>& build_request,
      const std::function<Expected<Page>(const std::string&)>& read_page) const;

  const ApiConfig api_;
  const Credentials credentials_;
  HttpTransport& transport_;
  const std::shared_ptr<RateLimiter> rate_limiter_;
  const Clock clock_;
  const NonceSource nonce_source_;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_TASK_LISTER_H_
