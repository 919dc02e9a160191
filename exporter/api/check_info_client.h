// The client for GetCdbDataSyncTaskCheckInfo: builds signed requests, sends
// them through an HttpTransport and parses the replies.
#ifndef CDB_SYNC_EXPORTER_API_CHECK_INFO_CLIENT_H_
#define CDB_SYNC_EXPORTER_API_CHECK_INFO_CLIENT_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "exporter/api/credentials.h"
#include "exporter/api/http_transport.h"
#include "exporter/config/config.h"
#include "exporter/model/check_info.h"
#include "exporter/model/job.h"

namespace cdb_sync {

inline constexpr std::string_view kCheckInfoAction =
    "GetCdbDataSyncTaskCheckInfo";

// The largest reply body accepted; real replies are a few kilobytes.
// NOTE: fixed for now; a configuration key for it is still to come.
inline constexpr std::size_t kMaxReplyBytes = 4 << 20;

// CheckInfoClient is thread-safe: FetchAll may run from several scrapes at
// once. It does not own the transport, which must outlive it.
class CheckInfoClient {
 public:
  // Returns the current Unix time in seconds.
  using Clock = std::function<int64_t()>;
  // Returns a random positive Nonce.
  using NonceSource = std::function<uint64_t()>;

  CheckInfoClient(ApiConfig api, Credentials credentials,
                  HttpTransport& transport, Clock clock = SystemClock,
                  NonceSource nonce_source = RandomNonce);

  // Builds the signed request for `job`, with a fresh Timestamp and Nonce.
  HttpRequest BuildRequest(const Job& job) const;

  // Fetches every job concurrently and returns one result per job, in the
  // order of `jobs`. An exception while building a request or reading a
  // reply becomes that job's kInternalError result.
  std::vector<FetchResult> FetchAll(std::span<const Job> jobs) const;

  // Turns a transport response into a FetchResult, parsing the body.
  static FetchResult InterpretResponse(const HttpResponse& response);

  static int64_t SystemClock();
  // Draws uniformly from [1, 2^63 - 1] with a per-thread generator seeded
  // from std::random_device.
  static uint64_t RandomNonce();

 private:
  const ApiConfig api_;
  const Credentials credentials_;
  HttpTransport& transport_;
  const Clock clock_;
  const NonceSource nonce_source_;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_CHECK_INFO_CLIENT_H_
