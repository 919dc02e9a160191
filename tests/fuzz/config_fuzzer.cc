// libFuzzer target for ParseConfig, which must return, for any input, either a
// configuration that passes the validation in config.cc or a non-empty error
// that starts with the source name, without a crash, sanitizer report, leak,
// hang or exception. A broken rule aborts, so libFuzzer saves the input.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string_view>
#include <utility>

#include "exporter/config/config.h"
#include "exporter/model/job.h"
#include "exporter/util/expected.h"

namespace cdb_sync {
namespace {

constexpr std::string_view kSource = "fuzz.yml";

// Prints `invariant` and aborts when `condition` is false.
void Require(bool condition, const char* invariant) {
  if (condition) return;
  std::fprintf(stderr, "config_fuzzer: invariant failed: %s\n", invariant);
  std::abort();
}

// Checks what config.cc validates before it accepts a configuration. The
// limits (1 to 1024 calls, timeouts up to 5 minutes) are the ones config.cc
// enforces and states in its error messages.
void CheckConfig(const Config& config) {
  const ApiConfig& api = config.api;
  Require(api.endpoint.scheme == "http" || api.endpoint.scheme == "https",
          "api.endpoint scheme is http or https");
  Require(!api.endpoint.host.empty(), "api.endpoint has a host");
  Require(!api.endpoint.path.empty() && api.endpoint.path.front() == '/',
          "api.endpoint path starts with /");
  Require(!api.region.empty(), "api.region is not empty");
  Require(api.timeout.count() > 0, "api.timeout is positive");
  Require(api.timeout <= std::chrono::minutes(5), "api.timeout is at most 5m");
  Require(api.connect_timeout.count() > 0, "api.connect_timeout is positive");
  Require(api.connect_timeout <= api.timeout,
          "api.connect_timeout is at most api.timeout");
  Require(api.max_concurrency >= 1 && api.max_concurrency <= 1024,
          "api.max_concurrency is from 1 to 1024");

  Require(!config.jobs.empty(), "jobs is not empty");
  std::set<std::pair<int64_t, int>> seen;
  for (const Job& job : config.jobs) {
    const int src_type = static_cast<int>(job.src_type);
    Require(job.job_id > 0, "jobs[].job_id is positive");
    Require(IsValidSrcType(src_type), "jobs[].src_type is 1, 2 or 10");
    Require(seen.emplace(job.job_id, src_type).second,
            "no job is listed twice");
  }
}

}  // namespace
}  // namespace cdb_sync

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cdb_sync::Config;
  using cdb_sync::Expected;
  using cdb_sync::kSource;
  using cdb_sync::Require;

  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  const Expected<Config> config = cdb_sync::ParseConfig(yaml, kSource);
  if (config.ok()) {
    cdb_sync::CheckConfig(config.value());
  } else {
    Require(!config.error().empty(), "a rejected config has an error message");
    Require(config.error().starts_with(kSource),
            "the error message starts with the source name");
  }
  return 0;
}
