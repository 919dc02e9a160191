// The HTTP transport interface between the API client and the network.
#ifndef CDB_SYNC_EXPORTER_API_HTTP_TRANSPORT_H_
#define CDB_SYNC_EXPORTER_API_HTTP_TRANSPORT_H_

#include <chrono>
#include <cstddef>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "exporter/model/job.h"

namespace cdb_sync {

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string url;  // full URL, query string included for GET
  // Extra header lines, e.g. "Host: cdb.api.qcloud.com".
  std::vector<std::string> headers;
  std::string body;  // sent only for POST
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{5000};
  // A body larger than this is abandoned as TransportError::kBodyTooLarge.
  std::size_t max_body_bytes = 4 << 20;
  // When set, the transfer also ends at this time, even if it waited in a
  // queue. A transfer that has not started by then fails with kTimeout.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// The reason a request got no complete response. An HTTP status, whatever
// its value, is not a transport error.
enum class TransportError {
  kNone,
  kTimeout,
  kResolveFailed,
  kConnectFailed,
  kTlsFailed,
  kBodyTooLarge,
  kTransferFailed,  // the connection broke or the response was malformed
  kInternal,        // the transport itself failed, e.g. out of memory
};

struct HttpResponse {
  TransportError error = TransportError::kNone;
  // Description of the failure, for logs; empty when error is kNone. It
  // never contains the request URL, which carries the signature.
  std::string error_message;
  long status = 0;  // the HTTP status; 0 when error is not kNone
  std::string body;
  std::chrono::duration<double> elapsed{0};
};

// Sends HTTP requests. Implementations are thread-safe.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Starts `request`; the future becomes ready when it completes or fails.
  // Never throws and never returns an invalid future.
  virtual std::future<HttpResponse> Send(HttpRequest request) = 0;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_HTTP_TRANSPORT_H_
