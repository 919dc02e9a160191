// The exporter's configuration file: loading and validation.
#ifndef CDB_SYNC_EXPORTER_CONFIG_CONFIG_H_
#define CDB_SYNC_EXPORTER_CONFIG_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/model/job.h"
#include "exporter/util/expected.h"

namespace cdb_sync {

inline constexpr std::string_view kDefaultEndpoint =
    "https://cdb.api.qcloud.com/v2/index.php";

inline constexpr std::string_view kDefaultDtsEndpoint =
    "https://dts.tencentcloudapi.com/";

// The API endpoint, split the way signing needs it.
struct Endpoint {
  std::string
      url;  // as configured, e.g. https://cdb.api.qcloud.com/v2/index.php
  std::string scheme;  // "http" or "https"
  // The Host header, which is also the host that is signed: the host name,
  // plus ":port" when the URL names a port.
  std::string host;
  std::string path;  // e.g. /v2/index.php
};

// The `dts` section: where the API 3.0 DTS calls go. Everything else about
// a call (timeouts, retries, rate limit, credentials) comes from `api`.
struct DtsApiConfig {
  Endpoint endpoint;
  // Defaults to api.region.
  std::string region;
};

// The `api` section.
struct ApiConfig {
  Endpoint endpoint;
  std::string region;
  SignatureMethod signature_method = SignatureMethod::kHmacSha256;
  HttpMethod http_method = HttpMethod::kGet;
  // Total time one API call may take, from connect to the last body byte.
  std::chrono::milliseconds timeout{5000};
  // Time to establish the TCP and TLS connection; at most `timeout`.
  std::chrono::milliseconds connect_timeout{2000};
  // API calls in flight at once, across all scrapes.
  int max_concurrency = 16;
  // API attempts started per second at most, across all scrapes, with
  // bursts of up to rate_limit_burst; 0 turns the limit off. The default
  // stays under the 20 requests per second per action that Tencent Cloud
  // documents for its API 3.0 actions (no API 2.0 limit is published).
  int rate_limit = 15;
  int rate_limit_burst = 15;
  // Further attempts after a failure that may pass on a second try.
  int retries = 2;
  // The wait before the first retry; it doubles for each further one and is
  // scaled by a random factor from 0.5 to 1.5.
  std::chrono::milliseconds retry_backoff{100};
  // How long a successful result is served again instead of calling the
  // API, so that several Prometheus replicas share one call per job; 0
  // turns the cache off. Failed results are never served from the cache.
  std::chrono::milliseconds cache_ttl{0};
  // The largest reply body accepted, in bytes.
  std::size_t max_response_size = 4 << 20;
  // Files to read the credentials from instead of the environment; empty
  // when not set. They are read again on every reload.
  std::string secret_id_file;
  std::string secret_key_file;
  std::string token_file;
  // From the `dts` section, for API 3.0 jobs.
  DtsApiConfig dts;
};

// The `discovery` section: list the account's sync tasks with
// GetCdbDataSyncTaskList, and its DTS jobs with DescribeSyncJobs and
// DescribeMigrationJobs, and scrape them without listing them in `jobs`.
struct DiscoveryConfig {
  // True when the section is present.
  bool enabled = false;
  // The lists to read, in this order. The loader rejects a list named twice.
  std::vector<JobApi> apis = {JobApi::kCdbSyncCheck};
  // Time between two listings.
  std::chrono::milliseconds interval{std::chrono::minutes(5)};
  // API 2.0 task status codes (0-9) to keep; empty keeps every status.
  // DTS jobs are not filtered by status.
  std::vector<int> statuses;
  // Regular expression (RE2 syntax) that a task's name must contain a match
  // of; empty keeps every name. RE2 matches in linear time, so neither a
  // pattern nor a long name from the API can stall the listing.
  std::string name_pattern;
  // srcType of tasks whose `type` is not 1, 2 or 10.
  SrcType default_src_type = SrcType::kPublicNetwork;
  // Whether /metrics scrapes the discovered tasks too. Turn it off when
  // Prometheus probes them through /sd and /probe instead.
  bool include_in_metrics = true;
};

struct Config {
  ApiConfig api;
  // The jobs listed in the file. Discovered tasks are kept apart, since they
  // change between listings.
  std::vector<Job> jobs;
  DiscoveryConfig discovery;
};

// Parses a duration such as "500ms", "5s", "1m30s" or "1h" (units ms, s, m,
// h). Returns nullopt for anything else, including a bare number.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Parses a size in bytes such as "4MiB", "512KiB" or "65536" (units B, KiB,
// MiB). Returns nullopt for anything else.
std::optional<std::size_t> ParseByteSize(std::string_view text);

// Parses and validates a YAML configuration. `source` names the file in
// error messages. Errors name the key, the value and the expected form.
Expected<Config> ParseConfig(std::string_view yaml, std::string_view source);

// Reads and parses the file at `path`.
Expected<Config> LoadConfigFile(const std::string& path);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_CONFIG_CONFIG_H_
