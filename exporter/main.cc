// cdb_sync_exporter: a Prometheus exporter for the data-sync checks of
// Tencent Cloud databases (GetCdbDataSyncTaskCheckInfo).
#include <curl/curl.h>
#include <gflags/gflags.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "exporter/api/check_info_client.h"
#include "exporter/api/credentials.h"
#include "exporter/api/curl_transport.h"
#include "exporter/config/config.h"
#include "exporter/metrics/check_collector.h"
#include "exporter/metrics/families.h"
#include "exporter/util/log.h"
#include "exporter/version.h"
#include "exporter/web/listen_address.h"
#include "exporter/web/server.h"

DECLARE_bool(help);

DEFINE_string(config_file, "cdb_sync_exporter.yml",
              "Path of the YAML configuration file (API settings and jobs).");
DEFINE_string(web_listen_address, ":10025",
              "Address to serve HTTP on, as HOST:PORT; \":PORT\" listens on "
              "every IPv4 interface and port 0 picks a free port.");
DEFINE_string(web_telemetry_path, "/metrics",
              "URL path under which the metrics are served.");
DEFINE_string(log_level, "info",
              "Lowest level of log lines written to stderr: debug, info, "
              "warn or error.");

namespace cdb_sync {
namespace {

// The collectable for metrics that do not change while the process runs.
class StaticCollectable : public prometheus::Collectable {
 public:
  explicit StaticCollectable(std::vector<prometheus::MetricFamily> families)
      : families_(std::move(families)) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    return families_;
  }

 private:
  const std::vector<prometheus::MetricFamily> families_;
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "cdb_sync_exporter: %s\n", message.c_str());
  return 1;
}

bool IsValidTelemetryPath(const std::string& path) {
  if (path.empty() || path.front() != '/') return false;
  // The /-/ prefix is reserved for /-/healthy and the other operational
  // endpoints.
  if (path.rfind("/-/", 0) == 0) return false;
  for (unsigned char c : path) {
    if (c <= ' ' || c >= 0x7f || c == '?' || c == '#') return false;
  }
  return true;
}

std::optional<std::string> GetEnvironment(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

int Run() {
  std::optional<log::Level> level = log::ParseLevel(FLAGS_log_level);
  if (!level) {
    return Fail("invalid --log-level \"" + FLAGS_log_level +
                "\": use debug, info, warn or error");
  }
  log::Init(*level);

  if (!IsValidTelemetryPath(FLAGS_web_telemetry_path)) {
    return Fail("invalid --web-telemetry-path \"" + FLAGS_web_telemetry_path +
                "\": it must start with /, must not start with /-/ and must "
                "not contain spaces, ? or #");
  }
  Expected<ListenAddress> address =
      ParseListenAddress(FLAGS_web_listen_address);
  if (!address.ok()) return Fail("--web-listen-address: " + address.error());

  Expected<Config> config = LoadConfigFile(FLAGS_config_file);
  if (!config.ok()) return Fail(config.error());
  Expected<Credentials> credentials =
      CredentialsFromEnvironment(GetEnvironment);
  if (!credentials.ok()) return Fail(credentials.error());
  if (credentials.value().secret_id.rfind("AKID", 0) != 0) {
    log::Warn(
        "TENCENTCLOUD_SECRET_ID does not start with AKID; check that it and "
        "TENCENTCLOUD_SECRET_KEY are not swapped");
  }

  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and only the waiting thread below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    return Fail(std::string("curl_global_init failed: ") +
                curl_easy_strerror(code));
  }

  const std::string user_agent = std::string("cdb_sync_exporter/") + kVersion;
  Expected<std::unique_ptr<CurlTransport>> transport =
      CurlTransport::Create(config.value().api.max_concurrency, user_agent);
  if (!transport.ok()) return Fail(transport.error());

  const Config& settings = config.value();
  CheckInfoClient client(settings.api, credentials.value(), *transport.value());
  CheckCollector collector(settings.jobs, client);
  StaticCollectable build_info({BuildInfoFamily(kVersion, kRevision)});

  WebOptions web_options;
  web_options.listen_address = address.value();
  web_options.telemetry_path = FLAGS_web_telemetry_path;
  web_options.version = kVersion;
  WebServer server(web_options, {&build_info, &collector}, settings.jobs);
  Expected<int> port = server.Bind();
  if (!port.ok()) return Fail(port.error());

  CurlTransport& curl_transport = *transport.value();
  std::thread signal_waiter([&server, &curl_transport, stop_signals] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log::Info("stopping", {{"signal", strsignal(signal_number)}});
    // Stop accepting, then end the API calls in flight so that running
    // scrapes finish at once instead of after api.timeout.
    server.Stop();
    curl_transport.Shutdown();
  });

  const std::string listening =
      FormatHostPort(address.value().host, port.value());
  log::Info("cdb_sync_exporter started",
            {{"version", kVersion},
             {"revision", kRevision},
             {"address", listening},
             {"telemetry_path", FLAGS_web_telemetry_path},
             {"endpoint", settings.api.endpoint.url},
             {"region", settings.api.region},
             {"jobs", std::to_string(settings.jobs.size())},
             {"secret_id", credentials.value().MaskedSecretId()}});

  const bool served = server.Serve();
  if (!served) {
    log::Error("the HTTP server stopped unexpectedly");
    // Wake the signal thread so that it can be joined.
    kill(getpid(), SIGTERM);
  }
  signal_waiter.join();
  transport.value().reset();
  curl_global_cleanup();
  log::Info("cdb_sync_exporter stopped");
  return served ? 0 : 1;
}

}  // namespace
}  // namespace cdb_sync

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "Prometheus exporter for Tencent Cloud data-sync checks.\n"
      "Credentials come from the environment: TENCENTCLOUD_SECRET_ID, "
      "TENCENTCLOUD_SECRET_KEY and, for temporary credentials, "
      "TENCENTCLOUD_SESSION_TOKEN.\nUsage: cdb_sync_exporter "
      "--config-file=PATH [flags]");
  gflags::SetVersionString(std::string(cdb_sync::kVersion) + " (revision " +
                           cdb_sync::kRevision + ")");
  gflags::ParseCommandLineNonHelpFlags(&argc, &argv, /*remove_flags=*/true);
  if (FLAGS_help) {
    // gflags' own --help lists its internal flags too and exits with 1.
    gflags::ShowUsageWithFlagsRestrict(argv[0], "exporter/main.cc");
    return 0;
  }
  gflags::HandleCommandLineHelpFlags();
  if (argc > 1) {
    std::fprintf(stderr,
                 "cdb_sync_exporter: unexpected argument \"%s\"; flags look "
                 "like --config-file=PATH (see --help)\n",
                 argv[1]);
    return 1;
  }
  return cdb_sync::Run();
}
