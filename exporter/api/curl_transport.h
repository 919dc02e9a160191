// An HttpTransport on libcurl's multi interface.
#ifndef CDB_SYNC_EXPORTER_API_CURL_TRANSPORT_H_
#define CDB_SYNC_EXPORTER_API_CURL_TRANSPORT_H_

#include <curl/curl.h>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exporter/api/http_transport.h"
#include "exporter/util/expected.h"
#include "exporter/util/mutex.h"

namespace cdb_sync {

// CurlTransport runs every request on one event-loop thread that owns a curl
// multi handle, so connections, DNS lookups and TLS sessions are reused
// across requests and scrapes. At most `max_concurrency` transfers run at
// once; the rest wait in a queue, and a request's timeout starts when its
// transfer starts.
//
// Send() is thread-safe. The destructor stops the loop thread and completes
// every unfinished request with TransportError::kInternal. curl_global_init
// must have run before Create().
class CurlTransport final : public HttpTransport {
 public:
  static Expected<std::unique_ptr<CurlTransport>> Create(
      int max_concurrency, std::string user_agent);
  ~CurlTransport() override;

  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  std::future<HttpResponse> Send(HttpRequest request) override;

  // Stops the loop thread and completes every unfinished request, queued or
  // running, with TransportError::kInternal. Later Send() calls fail at
  // once. Idempotent; the destructor calls it.
  void Shutdown();

 private:
  struct Transfer;

  CurlTransport(CURLM* multi, int max_concurrency, std::string user_agent);

  // The event loop; runs on thread_.
  void Run();
  void StartTransfer(std::unique_ptr<Transfer> transfer);
  void FinishTransfer(CURL* easy, CURLcode result);
  void FailAll(std::deque<std::unique_ptr<Transfer>>& pending);

  const int max_concurrency_;
  const std::string user_agent_;

  Mutex mutex_;
  std::deque<std::unique_ptr<Transfer>> queue_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;

  // Used only by the loop thread after construction.
  CURLM* const multi_;
  std::vector<CURL*> idle_handles_;
  std::vector<std::unique_ptr<Transfer>> active_;

  std::thread thread_;
  std::once_flag joined_;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_CURL_TRANSPORT_H_
