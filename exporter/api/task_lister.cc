#include "exporter/api/task_lister.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "exporter/api/api_request.h"
#include "exporter/parse/dts_check_parser.h"
#include "exporter/parse/task_list_parser.h"

namespace cdb_sync {
namespace {

constexpr std::chrono::seconds kMaxRateLimitWait{5};

// Returns a key that is unique to the task's job across both API families.
std::string TaskKey(const SyncTask& task) {
  if (task.api == JobApi::kCdbSyncCheck) return std::to_string(task.job_id);
  return std::string(JobApiName(task.api)) + "/" + task.dts_job_id;
}

}  // namespace

TaskLister::TaskLister(ApiConfig api, Credentials credentials,
                       HttpTransport& transport,
                       std::shared_ptr<RateLimiter> rate_limiter, Clock clock,
                       NonceSource nonce_source)
    : api_(std::move(api)),
      credentials_(std::move(credentials)),
      transport_(transport),
      rate_limiter_(std::move(rate_limiter)),
      clock_(std::move(clock)),
      nonce_source_(std::move(nonce_source)) {}

HttpRequest TaskLister::BuildRequest(int64_t offset,
                                     std::span<const int> statuses) const {
  ApiParams params = {{"limit", std::to_string(kTaskListPageSize)},
                      {"offset", std::to_string(offset)}};
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    params.emplace_back("status." + std::to_string(i),
                        std::to_string(statuses[i]));
  }
  return BuildApiRequest(api_, credentials_, kTaskListAction, std::move(params),
                         clock_(), nonce_source_());
}

Expected<std::vector<SyncTask>> TaskLister::ListTasks(
    std::span<const int> statuses,
    std::chrono::steady_clock::time_point deadline) const {
  return ListPages(
      deadline, "narrow discovery.statuses",
      [&](int64_t offset) { return BuildRequest(offset, statuses); },
      [](const std::string& body) -> Expected<Page> {
        Expected<TaskListReply> reply = ParseTaskListReply(body);
        if (!reply.ok()) return Error{reply.error()};
        if (reply.value().code != 0) {
          return Error{"API error code " + std::to_string(reply.value().code) +
                       " (" + reply.value().code_desc +
                       "): " + reply.value().message};
        }
        return Page{std::move(reply.value().tasks), reply.value().total_count};
      });
}

std::string_view DtsListAction(JobApi api) {
  return api == JobApi::kDtsMigrationCheck ? kDtsMigrationListAction
                                           : kDtsSyncListAction;
}

HttpRequest TaskLister::BuildDtsRequest(JobApi api, int64_t offset) const {
  return BuildTc3ApiRequest(api_, credentials_, kDtsService, kDtsVersion,
                            DtsListAction(api),
                            "{\"Limit\":" + std::to_string(kTaskListPageSize) +
                                ",\"Offset\":" + std::to_string(offset) + "}",
                            clock_());
}

Expected<std::vector<SyncTask>> TaskLister::ListDtsJobs(
    JobApi api, std::chrono::steady_clock::time_point deadline) const {
  return ListPages(
      deadline,
      "discovery reads at most that many; list the jobs in the configuration "
      "file instead",
      [&](int64_t offset) { return BuildDtsRequest(api, offset); },
      [api](const std::string& body) -> Expected<Page> {
        Expected<DtsJobListReply> reply = ParseDtsJobListReply(body, api);
        if (!reply.ok()) return Error{reply.error()};
        if (!reply.value().error_code.empty()) {
          return Error{"API error " + reply.value().error_code + ": " +
                       reply.value().error_message};
        }
        return Page{std::move(reply.value().jobs), reply.value().total_count};
      });
}

Expected<std::vector<SyncTask>> TaskLister::ListPages(
    std::chrono::steady_clock::time_point deadline, std::string_view too_many,
    const std::function<HttpRequest(int64_t)>& build_request,
    const std::function<Expected<Page>(const std::string&)>& read_page) const {
  std::vector<SyncTask> tasks;
  std::set<std::string> seen;
  for (int page = 0; page < kMaxTaskListPages; ++page) {
    const std::string where = "page " + std::to_string(page + 1) + " (offset " +
                              std::to_string(tasks.size()) + ")";
    auto now = std::chrono::steady_clock::now();
    if (rate_limiter_) {
      // Waits at most a few seconds for a start, so that a stop request is
      // not held up behind a long queue of scrapes.
      const auto start = rate_limiter_->Reserve(
          now, std::min(deadline, now + kMaxRateLimitWait));
      if (!start) {
        return Error{where + ": api.rate_limit allows no further call within " +
                     std::to_string(kMaxRateLimitWait.count()) + " s"};
      }
      std::this_thread::sleep_until(*start);
      now = std::chrono::steady_clock::now();
    }
    if (now >= deadline) return Error{where + ": timed out"};

    HttpRequest request = build_request(static_cast<int64_t>(tasks.size()));
    request.deadline = deadline;
    request.timeout = std::min(
        request.timeout,
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    request.connect_timeout =
        std::min(request.connect_timeout, request.timeout);
    const HttpResponse response = transport_.Send(std::move(request)).get();

    if (response.error != TransportError::kNone) {
      return Error{where + ": " + response.error_message};
    }
    if (response.status != 200) {
      return Error{where + ": HTTP status " + std::to_string(response.status) +
                   "; expected 200"};
    }
    Expected<Page> reply = read_page(response.body);
    if (!reply.ok()) return Error{where + ": " + reply.error()};

    std::vector<SyncTask>& page_tasks = reply.value().tasks;
    // A server that ignores the offset sends the first page again and
    // again; without this check, discovery would spend kMaxTaskListPages
    // calls on it.
    const bool all_seen = !page_tasks.empty() &&
                          std::all_of(page_tasks.begin(), page_tasks.end(),
                                      [&seen](const SyncTask& task) {
                                        return seen.contains(TaskKey(task));
                                      });
    if (all_seen) {
      return Error{where +
                   ": every task on this page was on an earlier page, so the "
                   "API does not page; stopped listing"};
    }
    for (const SyncTask& task : page_tasks) seen.insert(TaskKey(task));
    const bool last_page =
        page_tasks.empty() ||
        (reply.value().total_count &&
         static_cast<int64_t>(tasks.size() + page_tasks.size()) >=
             *reply.value().total_count);
    std::move(page_tasks.begin(), page_tasks.end(), std::back_inserter(tasks));
    if (last_page) return tasks;
  }
  return Error{"more than " + std::to_string(kMaxTaskListPages) +
               " pages of tasks; " + std::string(too_many)};
}

}  // namespace cdb_sync
