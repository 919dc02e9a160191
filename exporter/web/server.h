// The exporter's HTTP server: /metrics, /probe, /sd, the status page,
// health, readiness and reload.
#ifndef CDB_SYNC_EXPORTER_WEB_SERVER_H_
#define CDB_SYNC_EXPORTER_WEB_SERVER_H_

#include <prometheus/metric_family.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "exporter/model/check_info.h"
#include "exporter/model/job.h"
#include "exporter/model/job_status.h"
#include "exporter/util/expected.h"
#include "exporter/web/basic_auth.h"
#include "exporter/web/listen_address.h"
#include "exporter/web/service_discovery.h"
#include "exporter/web/status_page.h"
#include "exporter/web/web_config.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace cdb_sync {

// The header in which Prometheus sends its scrape timeout, in seconds.
inline constexpr char kScrapeTimeoutHeader[] =
    "X-Prometheus-Scrape-Timeout-Seconds";

struct WebOptions {
  ListenAddress listen_address;
  std::string telemetry_path = "/metrics";
  std::string version;
  // Subtracted from the scrape timeout that Prometheus sends, so that the
  // reply reaches Prometheus before it gives up.
  std::chrono::milliseconds scrape_timeout_offset{500};
  // TLS and basic authentication; the defaults serve plain HTTP to all.
  WebConfig web_config;
  // Requests served at once; further connections wait for a free worker.
  std::size_t max_requests = 32;
};

// The discovered tasks that /sd lists.
struct ServiceDiscoveryState {
  // False without a discovery section: /sd returns an empty list.
  bool enabled = false;
  // False until the first listing succeeded: /sd returns 503, and
  // Prometheus keeps the targets it had.
  bool listed = false;
  std::vector<ServiceDiscoveryTarget> targets;
};

// The callbacks that produce the server's responses. Each is called from the
// server's worker threads, concurrently.
struct WebHandlers {
  // Produces the families of one scrape, ending API calls by `deadline`.
  std::function<std::vector<prometheus::MetricFamily>(Deadline)> metrics;
  // Produces the check families of one job for /probe, ending its API calls
  // by `deadline`.
  std::function<std::vector<prometheus::MetricFamily>(const Job&, Deadline)>
      probe;
  // The discovered tasks, for /sd.
  std::function<ServiceDiscoveryState()> service_discovery;
  // The last status of every configured job, for the status page.
  std::function<std::vector<JobStatus>()> statuses;
  // Reloads the configuration; returns an error message, or empty.
  std::function<std::string()> reload;
};

// WebServer serves HTTP on cpp-httplib's thread pool. Stop() may be called
// from any thread.
class WebServer {
 public:
  WebServer(WebOptions options, WebHandlers handlers);
  ~WebServer();

  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds the listening socket and returns the bound port.
  Expected<int> Bind();
  // Serves until Stop(). Returns false if the server failed.
  bool Serve();
  void Stop();

  // Returns the deadline of a scrape that arrives now with `request`'s
  // headers: the scrape timeout minus the offset, or half the timeout when
  // the offset would leave nothing. nullopt without a valid header.
  Deadline ScrapeDeadline(const httplib::Request& request) const;

  std::string RenderMetrics(Deadline deadline) const;
  std::string RenderProbe(const Job& job, Deadline deadline) const;
  std::string RenderStatusPage() const;

 private:
  void RegisterRoutes();
  void HandleReload(httplib::Response& response) const;
  void HandleServiceDiscovery(const httplib::Request& request,
                              httplib::Response& response) const;

  const WebOptions options_;
  const WebHandlers handlers_;
  // The reason TLS setup failed; written only while server_ is constructed.
  std::string tls_error_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<BasicAuthenticator> authenticator_;
  // Let Stop() and Serve() meet in either order; see Stop().
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> serve_called_{false};
  std::atomic<bool> serve_returned_{false};
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_WEB_SERVER_H_
