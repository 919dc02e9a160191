#include "exporter/config/config.h"

#include <curl/curl.h>
#include <re2/re2.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <utility>

#include "exporter/config/yaml_keys.h"
#include "exporter/util/file.h"
#include "exporter/util/utf8.h"

namespace cdb_sync {
namespace {

constexpr int kMaxConcurrency = 1024;

constexpr int kMaxRetries = 10;
constexpr int kMaxRateLimit = 1000;
constexpr std::size_t kMinResponseSize = 1024;
constexpr std::size_t kMaxResponseSize = std::size_t{64} << 20;

// The maximum timeout accepted. A scrape waits for its API calls, so longer
// values only make scrapes and shutdown hang.
constexpr std::chrono::milliseconds kMaxTimeout = std::chrono::minutes(5);

// Discards every parse event; used to count documents without building
// nodes.
class IgnoreEvents : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Counts the documents in `text`, stopping at `limit`. yaml-cpp 0.7.0's
// LoadAll loops forever on a stray "," and allocates a node per loop, so
// the count must be capped.
std::size_t CountDocuments(const std::string& text, std::size_t limit) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  IgnoreEvents events;
  std::size_t count = 0;
  while (count < limit && parser.HandleNextDocument(events)) ++count;
  return count;
}

// Thrown inside this file only; ParseConfig turns it into an Error.
struct ConfigError {
  std::string message;
};

class ConfigReader {
 public:
  explicit ConfigReader(std::string_view source) : source_(source) {}

  [[noreturn]] void Fail(const YAML::Node& node, std::string_view key,
                         std::string_view problem) const {
    std::string message(source_);
    const YAML::Mark mark = node.Mark();
    if (!mark.is_null()) {
      message += ":" + std::to_string(mark.line + 1) + ":" +
                 std::to_string(mark.column + 1);
    }
    message += ": ";
    message += key;
    message += ": ";
    message += problem;
    throw ConfigError{std::move(message)};
  }

  void RequireMap(const YAML::Node& node, std::string_view key) const {
    if (!node.IsMap()) Fail(node, key, "must be a mapping of keys to values");
  }

  void RejectUnknownKeys(const YAML::Node& map, std::string_view key,
                         std::initializer_list<std::string_view> known) const {
    std::optional<BadYamlKey> bad = FindBadYamlKey(map, known);
    if (!bad) return;
    Fail(bad->node, std::string(key) + bad->name,
         bad->duplicate ? "duplicate key; keep only one"
                        : "unknown key; expected one of: " + bad->known_keys);
  }

  std::string Scalar(const YAML::Node& node, std::string_view key) const {
    if (!node.IsScalar()) Fail(node, key, "must be a single value");
    return node.Scalar();
  }

  int64_t Integer(const YAML::Node& node, std::string_view key) const {
    const std::string text = Scalar(node, key);
    // yaml-cpp tags quoted scalars "!" and plain ones "?".
    if (node.Tag() == "!") {
      Fail(
          node, key,
          "invalid value \"" + text +
              "\": must be an integer, not a quoted string; remove the quotes");
    }
    int64_t value = 0;
    auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
      Fail(node, key, "invalid value \"" + text + "\": must be an integer");
    }
    return value;
  }

  // Reads a positive duration of at most `max`, which `max_text` spells.
  std::chrono::milliseconds Duration(
      const YAML::Node& node, std::string_view key,
      std::chrono::milliseconds max = kMaxTimeout,
      std::string_view max_text = "5m") const {
    const std::string text = Scalar(node, key);
    std::optional<std::chrono::milliseconds> duration = ParseDuration(text);
    if (!duration || duration->count() <= 0) {
      Fail(node, key,
           "invalid duration \"" + text +
               "\": write a positive number with a unit, e.g. 500ms, 5s, 1m");
    }
    if (*duration > max) {
      Fail(node, key,
           "invalid duration \"" + text + "\": must be at most " +
               std::string(max_text));
    }
    return *duration;
  }

  bool Bool(const YAML::Node& node, std::string_view key) const {
    const std::string text = Scalar(node, key);
    if (node.Tag() == "!") {
      Fail(node, key,
           "invalid value \"" + text +
               "\": must be true or false, not a quoted string; remove the "
               "quotes");
    }
    if (text == "true") return true;
    if (text == "false") return false;
    Fail(node, key, "invalid value \"" + text + "\": must be true or false");
  }

 private:
  std::string_view source_;
};

// Returns a value for an error message, cut to 64 bytes and on one line.
std::string Printable(std::string_view text) {
  return PrintableExcerpt(text, 64);
}

// Rejects a region that is not 1 to 64 letters, digits, '-' and '_'. Every
// Tencent Cloud region (ap-guangzhou, na-siliconvalley, ap-shanghai-fsi)
// fits, and the check keeps a stray character out of the X-TC-Region
// header.
void CheckRegion(const ConfigReader& reader, const YAML::Node& node,
                 const std::string& key, const std::string& region) {
  const bool valid = region.size() <= 64 &&
                     std::all_of(region.begin(), region.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') ||
                              (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_';
                     });
  if (!valid) {
    reader.Fail(node, key,
                "invalid region \"" + Printable(region) +
                    "\": write a region such as ap-guangzhou (letters, "
                    "digits, - and _)");
  }
}

Endpoint ParseEndpoint(const ConfigReader& reader, const YAML::Node& node,
                       const std::string& key = "api.endpoint",
                       std::string_view example = kDefaultEndpoint) {
  const std::string url = reader.Scalar(node, key);
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(),
                                                             curl_url_cleanup);
  if (!handle) reader.Fail(node, key, "out of memory while parsing the URL");
  if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    reader.Fail(node, key,
                "invalid URL \"" + url + "\": write a full URL such as " +
                    std::string(example));
  }

  auto part = [&](CURLUPart which) -> std::optional<std::string> {
    char* text = nullptr;
    if (curl_url_get(handle.get(), which, &text, 0) != CURLUE_OK) {
      return std::nullopt;
    }
    std::string result(text);
    curl_free(text);
    return result;
  };

  Endpoint endpoint;
  endpoint.url = url;
  endpoint.scheme = part(CURLUPART_SCHEME).value_or("");
  if (endpoint.scheme != "http" && endpoint.scheme != "https") {
    reader.Fail(
        node, key,
        "invalid URL \"" + url + "\": the scheme must be https or http");
  }
  if (part(CURLUPART_USER) || part(CURLUPART_PASSWORD)) {
    reader.Fail(node, key, "the URL must not contain a user name or password");
  }
  if (part(CURLUPART_QUERY) || part(CURLUPART_FRAGMENT)) {
    reader.Fail(node, key,
                "invalid URL \"" + url +
                    "\": remove the query string or fragment; the exporter "
                    "adds the parameters itself");
  }
  endpoint.host = part(CURLUPART_HOST).value_or("");
  if (endpoint.host.empty()) {
    reader.Fail(node, key, "invalid URL \"" + url + "\": the host is missing");
  }
  if (std::optional<std::string> port = part(CURLUPART_PORT)) {
    endpoint.host += ":" + *port;
  }
  endpoint.path = part(CURLUPART_PATH).value_or("/");
  if (endpoint.path.empty()) endpoint.path = "/";
  return endpoint;
}

SignatureMethod ParseSignatureMethod(const ConfigReader& reader,
                                     const YAML::Node& node) {
  const std::string text = reader.Scalar(node, "api.signature_method");
  if (text == "HmacSHA256") return SignatureMethod::kHmacSha256;
  if (text == "HmacSHA1") return SignatureMethod::kHmacSha1;
  reader.Fail(node, "api.signature_method",
              "invalid value \"" + text + "\": must be HmacSHA256 or HmacSHA1");
}

HttpMethod ParseHttpMethod(const ConfigReader& reader, const YAML::Node& node) {
  const std::string text = reader.Scalar(node, "api.http_method");
  if (text == "GET") return HttpMethod::kGet;
  if (text == "POST") return HttpMethod::kPost;
  reader.Fail(node, "api.http_method",
              "invalid value \"" + text + "\": must be GET or POST");
}

ApiConfig ParseApi(const ConfigReader& reader, const YAML::Node& node) {
  ApiConfig api;
  reader.RequireMap(node, "api");
  reader.RejectUnknownKeys(
      node, "api.",
      {"endpoint", "region", "signature_method", "http_method", "timeout",
       "connect_timeout", "max_concurrency", "rate_limit", "rate_limit_burst",
       "retries", "retry_backoff", "cache_ttl", "max_response_size",
       "secret_id_file", "secret_key_file", "token_file"});

  YAML::Node endpoint_node = node["endpoint"];
  if (endpoint_node) {
    api.endpoint = ParseEndpoint(reader, endpoint_node);
  } else {
    api.endpoint =
        ParseEndpoint(reader, YAML::Node(std::string(kDefaultEndpoint)));
  }

  // The region may be left out when only DTS jobs use dts.region;
  // ParseConfig checks that every job has a region.
  YAML::Node region = node["region"];
  if (region && !region.IsNull()) {
    api.region = reader.Scalar(region, "api.region");
    if (api.region.empty()) {
      reader.Fail(region, "api.region", "must not be empty");
    }
    CheckRegion(reader, region, "api.region", api.region);
  }

  if (YAML::Node method = node["signature_method"]) {
    api.signature_method = ParseSignatureMethod(reader, method);
  }
  if (YAML::Node method = node["http_method"]) {
    api.http_method = ParseHttpMethod(reader, method);
  }
  if (YAML::Node timeout = node["timeout"]) {
    api.timeout = reader.Duration(timeout, "api.timeout");
  }
  if (YAML::Node timeout = node["connect_timeout"]) {
    api.connect_timeout = reader.Duration(timeout, "api.connect_timeout");
  } else {
    api.connect_timeout = std::min(api.connect_timeout, api.timeout);
  }
  if (api.connect_timeout > api.timeout) {
    reader.Fail(node["connect_timeout"], "api.connect_timeout",
                "must not be longer than api.timeout (" +
                    std::to_string(api.timeout.count()) + "ms)");
  }
  if (YAML::Node concurrency = node["max_concurrency"]) {
    const int64_t value = reader.Integer(concurrency, "api.max_concurrency");
    if (value < 1 || value > kMaxConcurrency) {
      reader.Fail(concurrency, "api.max_concurrency",
                  "invalid value " + std::to_string(value) +
                      ": must be from 1 to " + std::to_string(kMaxConcurrency));
    }
    api.max_concurrency = static_cast<int>(value);
  }
  if (YAML::Node rate = node["rate_limit"]) {
    const int64_t value = reader.Integer(rate, "api.rate_limit");
    if (value < 0 || value > kMaxRateLimit) {
      reader.Fail(rate, "api.rate_limit",
                  "invalid value " + std::to_string(value) +
                      ": must be from 0 (no limit) to " +
                      std::to_string(kMaxRateLimit) + " requests per second");
    }
    api.rate_limit = static_cast<int>(value);
  }
  if (YAML::Node burst = node["rate_limit_burst"]) {
    const int64_t value = reader.Integer(burst, "api.rate_limit_burst");
    if (value < 1 || value > kMaxRateLimit) {
      reader.Fail(burst, "api.rate_limit_burst",
                  "invalid value " + std::to_string(value) +
                      ": must be from 1 to " + std::to_string(kMaxRateLimit));
    }
    api.rate_limit_burst = static_cast<int>(value);
  } else if (api.rate_limit > 0) {
    api.rate_limit_burst = api.rate_limit;
  }
  if (YAML::Node retries = node["retries"]) {
    const int64_t value = reader.Integer(retries, "api.retries");
    if (value < 0 || value > kMaxRetries) {
      reader.Fail(retries, "api.retries",
                  "invalid value " + std::to_string(value) +
                      ": must be from 0 to " + std::to_string(kMaxRetries));
    }
    api.retries = static_cast<int>(value);
  }
  if (YAML::Node backoff = node["retry_backoff"]) {
    api.retry_backoff = reader.Duration(backoff, "api.retry_backoff");
  }
  if (YAML::Node ttl = node["cache_ttl"]) {
    // "0" turns the cache off; any other value is a duration of up to 1h.
    if (ttl.IsScalar() && (ttl.Scalar() == "0" || ttl.Scalar() == "0s")) {
      api.cache_ttl = std::chrono::milliseconds(0);
    } else {
      api.cache_ttl =
          reader.Duration(ttl, "api.cache_ttl", std::chrono::hours(1), "1h");
    }
  }
  if (YAML::Node size = node["max_response_size"]) {
    const std::string text = reader.Scalar(size, "api.max_response_size");
    std::optional<std::size_t> bytes = ParseByteSize(text);
    if (!bytes || *bytes < kMinResponseSize || *bytes > kMaxResponseSize) {
      reader.Fail(size, "api.max_response_size",
                  "invalid size \"" + text +
                      "\": write a size from 1KiB to 64MiB, e.g. 4MiB");
    }
    api.max_response_size = *bytes;
  }
  for (const auto& [key, target] :
       {std::pair{"secret_id_file", &api.secret_id_file},
        std::pair{"secret_key_file", &api.secret_key_file},
        std::pair{"token_file", &api.token_file}}) {
    if (YAML::Node file = node[key]) {
      *target = reader.Scalar(file, std::string("api.") + key);
      if (target->empty()) {
        reader.Fail(file, std::string("api.") + key, "must not be empty");
      }
    }
  }
  return api;
}

// Fails when a job, configured or to be discovered, has no region: API 2.0
// tasks need api.region, DTS jobs dts.region or api.region.
void CheckRegionsSet(const ConfigReader& reader, const YAML::Node& root,
                     const Config& config) {
  bool uses_cdb = false;
  bool uses_dts = false;
  for (const Job& job : config.jobs) {
    (job.is_dts() ? uses_dts : uses_cdb) = true;
  }
  if (config.discovery.enabled) {
    for (JobApi api : config.discovery.apis) {
      (api == JobApi::kCdbSyncCheck ? uses_cdb : uses_dts) = true;
    }
  }
  const YAML::Node api = root["api"] ? root["api"] : root;
  if (uses_cdb && config.api.region.empty()) {
    reader.Fail(api, "api.region",
                "missing; set the region of the API 2.0 tasks, e.g. "
                "region: ap-guangzhou");
  }
  if (uses_dts && config.api.dts.region.empty()) {
    reader.Fail(root["dts"] ? root["dts"] : root, "dts.region",
                "missing; set dts.region (or api.region) to the region of "
                "the DTS jobs, e.g. region: ap-guangzhou");
  }
}

DtsApiConfig ParseDts(const ConfigReader& reader, const YAML::Node& node,
                      const std::string& default_region) {
  DtsApiConfig dts;
  dts.region = default_region;
  const bool present = node && !node.IsNull();
  if (present) reader.RequireMap(node, "dts");
  const YAML::Node endpoint =
      present && node["endpoint"]
          ? node["endpoint"]
          : YAML::Node(std::string(kDefaultDtsEndpoint));
  if (present) {
    reader.RejectUnknownKeys(node, "dts.", {"endpoint", "region"});
    if (YAML::Node region = node["region"]) {
      dts.region = reader.Scalar(region, "dts.region");
      if (dts.region.empty()) {
        reader.Fail(region, "dts.region",
                    "must not be empty; leave it out to use api.region");
      }
      CheckRegion(reader, region, "dts.region", dts.region);
    }
  }
  dts.endpoint =
      ParseEndpoint(reader, endpoint, "dts.endpoint", kDefaultDtsEndpoint);
  // TC3 signs the path "/" and puts every parameter in the JSON body.
  if (dts.endpoint.path != "/") {
    reader.Fail(endpoint, "dts.endpoint",
                "invalid URL \"" + dts.endpoint.url +
                    "\": API 3.0 endpoints have the path /, e.g. " +
                    std::string(kDefaultDtsEndpoint));
  }
  return dts;
}

// Reads an API 3.0 job: `api` and a DTS job id, without src_type.
Job ParseDtsJob(const ConfigReader& reader, const YAML::Node& entry,
                const std::string& key, JobApi api) {
  if (entry["src_type"]) {
    reader.Fail(entry["src_type"], key + ".src_type",
                "applies only to API 2.0 jobs; remove it from this " +
                    std::string(JobApiName(api)) + " job");
  }
  const YAML::Node id = entry["job_id"];
  const std::string text = reader.Scalar(id, key + ".job_id");
  if (!IsValidDtsJobId(text)) {
    reader.Fail(
        id, key + ".job_id",
        "invalid DTS job id \"" + Printable(text) +
            "\": write the id the DTS console shows, e.g. " +
            (api == JobApi::kDtsSyncCheck ? "sync-bllmn8x9" : "dts-1ewjspuw") +
            " (letters, digits, - and _, starting with a letter or digit, at "
            "most 64)");
  }
  Job job;
  job.api = api;
  job.dts_job_id = text;
  return job;
}

std::vector<Job> ParseJobs(const ConfigReader& reader, const YAML::Node& node,
                           bool allow_empty) {
  if (!node.IsSequence()) {
    reader.Fail(node, "jobs",
                "must be a list of jobs, e.g. jobs: [{job_id: 206, src_type: "
                "2}]");
  }
  if (node.size() == 0 && !allow_empty) {
    reader.Fail(node, "jobs",
                "is empty; add at least one job, or a discovery section");
  }

  std::vector<Job> jobs;
  std::set<Job> seen;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node entry = node[i];
    const std::string key = "jobs[" + std::to_string(i) + "]";
    reader.RequireMap(entry, key);
    reader.RejectUnknownKeys(entry, key + ".", {"api", "job_id", "src_type"});

    if (!entry["job_id"]) reader.Fail(entry, key + ".job_id", "missing");
    JobApi api = JobApi::kCdbSyncCheck;
    if (YAML::Node api_node = entry["api"]) {
      const std::string name = reader.Scalar(api_node, key + ".api");
      std::optional<JobApi> found = JobApiFromName(name);
      if (!found) {
        reader.Fail(api_node, key + ".api",
                    "unknown API \"" + Printable(name) +
                        "\": must be cdb_sync_check (API 2.0, the default), "
                        "dts_sync_check or dts_migration_check");
      }
      api = *found;
    }
    if (api != JobApi::kCdbSyncCheck) {
      Job job = ParseDtsJob(reader, entry, key, api);
      if (!seen.insert(job).second) {
        reader.Fail(entry, key,
                    "duplicate job: " + std::string(JobApiName(api)) + " job " +
                        job.dts_job_id +
                        " is already listed; remove one of them");
      }
      jobs.push_back(std::move(job));
      continue;
    }
    // A DTS id without `api` is the likeliest mistake of a DTS user, so it
    // gets its own hint before the missing src_type is reported.
    const YAML::Node id_node = entry["job_id"];
    if (id_node.IsScalar() && id_node.Tag() != "!" &&
        IsValidDtsJobId(id_node.Scalar()) &&
        !std::all_of(id_node.Scalar().begin(), id_node.Scalar().end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      reader.Fail(id_node, key + ".job_id",
                  "invalid value \"" + id_node.Scalar() +
                      "\": an API 2.0 task id must be an integer; for a DTS "
                      "job add api: dts_sync_check or api: "
                      "dts_migration_check");
    }
    if (!entry["src_type"]) {
      reader.Fail(entry, key + ".src_type",
                  "missing; set 1 (self-built sync), 2 (sync over the public "
                  "network) or 10 (disaster-recovery sync)");
    }
    Job job;
    job.job_id = reader.Integer(entry["job_id"], key + ".job_id");
    if (job.job_id <= 0) {
      reader.Fail(entry["job_id"], key + ".job_id",
                  "invalid value " + std::to_string(job.job_id) +
                      ": must be a positive task id");
    }
    const int64_t src_type =
        reader.Integer(entry["src_type"], key + ".src_type");
    if (!IsValidSrcType(src_type)) {
      reader.Fail(entry["src_type"], key + ".src_type",
                  "invalid value " + std::to_string(src_type) +
                      ": must be 1 (self-built sync), 2 (sync over the public "
                      "network) or 10 (disaster-recovery sync)");
    }
    job.src_type = static_cast<SrcType>(src_type);

    if (!seen.insert(job).second) {
      reader.Fail(entry, key,
                  "duplicate job: job_id " + std::to_string(job.job_id) +
                      " with src_type " + std::to_string(src_type) +
                      " is already listed; remove one of them");
    }
    jobs.push_back(job);
  }
  return jobs;
}

DiscoveryConfig ParseDiscovery(const ConfigReader& reader,
                               const YAML::Node& node) {
  DiscoveryConfig discovery;
  discovery.enabled = true;
  if (node.IsNull()) return discovery;
  reader.RequireMap(node, "discovery");
  reader.RejectUnknownKeys(node, "discovery.",
                           {"apis", "interval", "statuses", "name_pattern",
                            "default_src_type", "include_in_metrics"});

  if (YAML::Node apis = node["apis"]) {
    if (!apis.IsSequence() || apis.size() == 0) {
      reader.Fail(apis, "discovery.apis",
                  "must be a non-empty list of the APIs whose jobs to list, "
                  "e.g. [cdb_sync_check, dts_sync_check, dts_migration_check]");
    }
    discovery.apis.clear();
    for (std::size_t i = 0; i < apis.size(); ++i) {
      const std::string key = "discovery.apis[" + std::to_string(i) + "]";
      const std::string name = reader.Scalar(apis[i], key);
      const std::optional<JobApi> api = JobApiFromName(name);
      if (!api) {
        reader.Fail(apis[i], key,
                    "unknown API \"" + Printable(name) +
                        "\": must be cdb_sync_check (GetCdbDataSyncTaskList), "
                        "dts_sync_check (DescribeSyncJobs) or "
                        "dts_migration_check (DescribeMigrationJobs)");
      }
      if (std::find(discovery.apis.begin(), discovery.apis.end(), *api) !=
          discovery.apis.end()) {
        reader.Fail(apis[i], key, "\"" + name + "\" is listed twice");
      }
      discovery.apis.push_back(*api);
    }
  }

  if (YAML::Node interval = node["interval"]) {
    discovery.interval = reader.Duration(interval, "discovery.interval",
                                         std::chrono::hours(24), "24h");
    if (discovery.interval < std::chrono::seconds(10)) {
      reader.Fail(interval, "discovery.interval",
                  "must be at least 10s, so that listing the tasks does not "
                  "use up the API's request quota");
    }
  }
  if (YAML::Node statuses = node["statuses"]) {
    if (!statuses.IsSequence()) {
      reader.Fail(statuses, "discovery.statuses",
                  "must be a list of task status codes, e.g. [2, 3, 4]");
    }
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      const std::string key = "discovery.statuses[" + std::to_string(i) + "]";
      const int64_t status = reader.Integer(statuses[i], key);
      if (status < 0 || status > 9) {
        reader.Fail(statuses[i], key,
                    "invalid status " + std::to_string(status) +
                        ": task statuses are 0 (not configured) to 9 (sync "
                        "done)");
      }
      discovery.statuses.push_back(static_cast<int>(status));
    }
  }
  if (YAML::Node pattern = node["name_pattern"]) {
    discovery.name_pattern = reader.Scalar(pattern, "discovery.name_pattern");
    const RE2 compiled(discovery.name_pattern, RE2::Quiet);
    if (!compiled.ok()) {
      reader.Fail(pattern, "discovery.name_pattern",
                  "invalid regular expression \"" + discovery.name_pattern +
                      "\" (RE2 syntax): " + compiled.error());
    }
  }
  if (YAML::Node src_type = node["default_src_type"]) {
    const int64_t value =
        reader.Integer(src_type, "discovery.default_src_type");
    if (!IsValidSrcType(value)) {
      reader.Fail(
          src_type, "discovery.default_src_type",
          "invalid value " + std::to_string(value) + ": must be 1, 2 or 10");
    }
    discovery.default_src_type = static_cast<SrcType>(value);
  }
  if (YAML::Node include = node["include_in_metrics"]) {
    discovery.include_in_metrics =
        reader.Bool(include, "discovery.include_in_metrics");
  }
  return discovery;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total_ms = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    int64_t number = 0;
    auto [end, error] = std::from_chars(text.data() + position,
                                        text.data() + text.size(), number);
    if (error != std::errc() || number < 0) return std::nullopt;
    position = static_cast<std::size_t>(end - text.data());

    int64_t unit_ms = 0;
    if (text.substr(position, 2) == "ms") {
      unit_ms = 1;
      position += 2;
    } else if (position < text.size() && text[position] == 's') {
      unit_ms = 1000;
      ++position;
    } else if (position < text.size() && text[position] == 'm') {
      unit_ms = int64_t{60} * 1000;
      ++position;
    } else if (position < text.size() && text[position] == 'h') {
      unit_ms = int64_t{60} * 60 * 1000;
      ++position;
    } else {
      return std::nullopt;
    }
    // A day in milliseconds is far below this; larger values are typos.
    constexpr int64_t kMaxMs = int64_t{1} << 40;
    if (number > kMaxMs / unit_ms) return std::nullopt;
    total_ms += number * unit_ms;
    if (total_ms > kMaxMs) return std::nullopt;
  }
  return std::chrono::milliseconds(total_ms);
}

std::optional<std::size_t> ParseByteSize(std::string_view text) {
  uint64_t number = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  const std::string_view unit(end, text.data() + text.size() - end);
  uint64_t multiplier = 0;
  if (unit.empty() || unit == "B") {
    multiplier = 1;
  } else if (unit == "KiB") {
    multiplier = uint64_t{1} << 10;
  } else if (unit == "MiB") {
    multiplier = uint64_t{1} << 20;
  } else {
    return std::nullopt;
  }
  if (number > (uint64_t{1} << 40) / multiplier) return std::nullopt;
  return static_cast<std::size_t>(number * multiplier);
}

Expected<Config> ParseConfig(std::string_view yaml, std::string_view source) {
  const ConfigReader reader(source);
  try {
    const std::string text(yaml);
    const YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull()) {
      reader.Fail(root, "(file)",
                  "is empty; it needs an api section and a jobs list");
    }
    if (CountDocuments(text, 2) > 1) {
      reader.Fail(root, "(file)",
                  "contains at least 2 YAML documents; keep only one");
    }
    reader.RequireMap(root, "(top level)");
    reader.RejectUnknownKeys(root, "", {"api", "dts", "jobs", "discovery"});

    Config config;
    // A configuration with DTS jobs only may leave the api section out.
    config.api = ParseApi(
        reader, root["api"] ? root["api"] : YAML::Node(YAML::NodeType::Map));
    config.api.dts = ParseDts(reader, root["dts"], config.api.region);
    if (root["discovery"]) {
      config.discovery = ParseDiscovery(reader, root["discovery"]);
    }
    if (root["jobs"]) {
      config.jobs = ParseJobs(reader, root["jobs"],
                              /*allow_empty=*/config.discovery.enabled);
    } else if (!config.discovery.enabled) {
      reader.Fail(root, "jobs",
                  "missing; list the jobs, or add a discovery section");
    }
    CheckRegionsSet(reader, root, config);
    return config;
  } catch (const ConfigError& error) {
    return Error{error.message};
  } catch (const YAML::Exception& error) {
    // yaml-cpp's what() already carries "yaml-cpp: error at line L, column C".
    return Error{std::string(source) + ": invalid YAML: " + error.what()};
  } catch (const std::exception& error) {
    // yaml-cpp can run out of memory on hostile input.
    return Error{std::string(source) +
                 ": cannot parse the file: " + error.what()};
  }
}

Expected<Config> LoadConfigFile(const std::string& path) {
  // Real configurations are a few kilobytes.
  constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;
  Expected<std::string> contents = ReadSmallFile(path, kMaxConfigBytes);
  if (!contents.ok()) {
    return Error{"cannot read config file " + contents.error() +
                 "; pass a YAML file with --config-file"};
  }
  return ParseConfig(contents.value(), path);
}

}  // namespace cdb_sync
