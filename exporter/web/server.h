// The exporter's HTTP server: /metrics, the landing page and health.
#ifndef CDB_SYNC_EXPORTER_WEB_SERVER_H_
#define CDB_SYNC_EXPORTER_WEB_SERVER_H_

#include <prometheus/collectable.h>

#include <memory>
#include <string>
#include <vector>

#include "exporter/model/job.h"
#include "exporter/util/expected.h"
#include "exporter/web/listen_address.h"

namespace httplib {
class Server;
}

namespace cdb_sync {

struct WebOptions {
  ListenAddress listen_address;
  std::string telemetry_path = "/metrics";
  std::string version;
};

// WebServer serves HTTP on cpp-httplib's thread pool. Handlers run
// concurrently; the collectables must be thread-safe and outlive the
// server. Stop() may be called from any thread.
class WebServer {
 public:
  WebServer(WebOptions options,
            std::vector<const prometheus::Collectable*> collectables,
            std::vector<Job> jobs);
  ~WebServer();

  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds the listening socket and returns the bound port.
  Expected<int> Bind();
  // Serves until Stop(). Returns false if the server failed.
  bool Serve();
  void Stop();

  // Collects every collectable and returns the text exposition.
  std::string RenderMetrics() const;
  std::string RenderLandingPage() const;

 private:
  void RegisterRoutes();

  const WebOptions options_;
  const std::vector<const prometheus::Collectable*> collectables_;
  const std::vector<Job> jobs_;
  std::unique_ptr<httplib::Server> server_;
};

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_WEB_SERVER_H_
