// cdb_sync_exporter: a Prometheus exporter for the data-sync checks of
// Tencent Cloud databases (GetCdbDataSyncTaskCheckInfo).
#include <curl/curl.h>
#include <gflags/gflags.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <thread>

#include "exporter/api/curl_transport.h"
#include "exporter/app/discovery.h"
#include "exporter/app/runtime.h"
#include "exporter/metrics/families.h"
#include "exporter/metrics/self_metrics.h"
#include "exporter/util/log.h"
#include "exporter/version.h"
#include "exporter/web/listen_address.h"
#include "exporter/web/server.h"

DECLARE_bool(help);

DEFINE_string(config_file, "cdb_sync_exporter.yml",
              "Path of the YAML configuration file (API settings and jobs). "
              "Reloaded on SIGHUP and on POST /-/reload.");
DEFINE_string(web_listen_address, ":10025",
              "Address to serve HTTP on, as HOST:PORT; \":PORT\" listens on "
              "every IPv4 interface and port 0 picks a free port.");
DEFINE_string(web_telemetry_path, "/metrics",
              "URL path under which the metrics are served.");
DEFINE_string(web_config_file, "",
              "Path of a YAML file that enables TLS and basic authentication "
              "(the Prometheus exporter-toolkit format); empty serves plain "
              "HTTP without authentication.");
DEFINE_int32(web_max_requests, 32,
             "Requests served at once; further connections wait for a free "
             "worker (1-1024).");
DEFINE_double(scrape_timeout_offset, 0.5,
              "Seconds subtracted from the scrape timeout that Prometheus "
              "sends (X-Prometheus-Scrape-Timeout-Seconds), so that the reply "
              "arrives in time.");
DEFINE_string(log_level, "info",
              "Lowest level of log lines written to stderr: debug, info, "
              "warn or error.");
DEFINE_string(log_format, "logfmt",
              "Format of log lines: logfmt or json (one object per line).");

namespace cdb_sync {
namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "cdb_sync_exporter: %s\n", message.c_str());
  return 1;
}

bool IsValidTelemetryPath(const std::string& path) {
  if (path.empty() || path.front() != '/') return false;
  // The /-/ prefix is reserved for /-/healthy and the other operational
  // endpoints; /probe and /sd serve single jobs and their targets.
  if (path.rfind("/-/", 0) == 0) return false;
  if (path == "/probe" || path == "/sd") return false;
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

// Waits for SIGHUP (reload) and for SIGTERM or SIGINT (stop). Runs on its
// own thread; the signals are blocked in every other thread.
void HandleSignals(const sigset_t& signals, RuntimeHolder& runtimes,
                   WebServer& server, CurlTransport& transport) {
  while (true) {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      log::Info("reloading the configuration", {{"signal", "SIGHUP"}});
      (void)runtimes.Reload();
      continue;
    }
    log::Info("stopping", {{"signal", strsignal(signal_number)}});
    // Stop accepting, then end the API calls in flight so that running
    // scrapes finish at once instead of after api.timeout.
    server.Stop();
    transport.Shutdown();
    return;
  }
}

// Returns the discovered jobs that /metrics scrapes and the status page
// lists: none unless discovery.include_in_metrics is on. `discovered` may be
// null.
std::span<const Job> JobsToScrape(const Runtime& runtime,
                                  const DiscoveredTasks* discovered) {
  const DiscoveryConfig& config = runtime.config.discovery;
  if (discovered == nullptr || !config.enabled || !config.include_in_metrics) {
    return {};
  }
  return discovered->jobs;
}

int Run() {
  // Each scrape runs on one of up to --web-max-requests worker threads, and
  // glibc gives threads their own malloc arenas (8 per core by default),
  // each keeping the memory a scrape freed. Two arenas keep RSS near one
  // scrape's worth. bench/load measured 812 MiB after 30 scrapes of 1,000
  // jobs with the default, and about 76 MiB with one arena.
  mallopt(M_ARENA_MAX, 2);
  std::optional<log::Level> level = log::ParseLevel(FLAGS_log_level);
  if (!level) {
    return Fail("invalid --log-level \"" + FLAGS_log_level +
                "\": use debug, info, warn or error");
  }
  std::optional<log::Format> format = log::ParseFormat(FLAGS_log_format);
  if (!format) {
    return Fail("invalid --log-format \"" + FLAGS_log_format +
                "\": use logfmt or json");
  }
  log::Init(*level, *format);

  if (!IsValidTelemetryPath(FLAGS_web_telemetry_path)) {
    return Fail("invalid --web-telemetry-path \"" + FLAGS_web_telemetry_path +
                "\": it must start with /, must not start with /-/ or be "
                "/probe or /sd, and must not contain spaces, ? or #");
  }
  if (!std::isfinite(FLAGS_scrape_timeout_offset) ||
      FLAGS_scrape_timeout_offset < 0 || FLAGS_scrape_timeout_offset > 60) {
    return Fail("invalid --scrape-timeout-offset " +
                std::to_string(FLAGS_scrape_timeout_offset) +
                ": use seconds from 0 to 60, e.g. 0.5");
  }
  Expected<ListenAddress> address =
      ParseListenAddress(FLAGS_web_listen_address);
  if (!address.ok()) return Fail("--web-listen-address: " + address.error());
  if (FLAGS_web_max_requests < 1 || FLAGS_web_max_requests > 1024) {
    return Fail("invalid --web-max-requests " +
                std::to_string(FLAGS_web_max_requests) +
                ": use a number from 1 to 1024");
  }
  WebConfig web_config;
  if (!FLAGS_web_config_file.empty()) {
    Expected<WebConfig> loaded = LoadWebConfigFile(FLAGS_web_config_file);
    if (!loaded.ok()) return Fail(loaded.error());
    web_config = std::move(loaded).value();
  }

  // Read the configuration once before the signals are blocked, so that
  // Ctrl-C still works if reading it hangs. The transport outlives every
  // Runtime, so its concurrency comes from this first read.
  Expected<Config> startup_config = LoadConfigFile(FLAGS_config_file);
  if (!startup_config.ok()) return Fail(startup_config.error());

  // Block the signals before any thread starts, so every thread inherits
  // the mask and only HandleSignals receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    return Fail(std::string("curl_global_init failed: ") +
                curl_easy_strerror(code));
  }

  const std::string user_agent = std::string("cdb_sync_exporter/") + kVersion;
  Expected<std::unique_ptr<CurlTransport>> transport = CurlTransport::Create(
      startup_config.value().api.max_concurrency, user_agent);
  if (!transport.ok()) return Fail(transport.error());

  SelfMetrics self_metrics;
  RuntimeHolder runtimes(FLAGS_config_file, GetEnvironment, *transport.value(),
                         self_metrics);
  if (Expected<std::shared_ptr<const Runtime>> loaded = runtimes.Reload();
      !loaded.ok()) {
    return Fail(loaded.error());
  }

  const prometheus::MetricFamily build_info =
      BuildInfoFamily(kVersion, kRevision);
  WebHandlers handlers;
  handlers.metrics = [&](Deadline deadline) {
    std::vector<prometheus::MetricFamily> families = {build_info};
    std::shared_ptr<const Runtime> runtime = runtimes.Current();
    std::shared_ptr<const DiscoveredTasks> discovered =
        runtime->config.discovery.enabled ? runtimes.Discovered() : nullptr;
    std::vector<prometheus::MetricFamily> checks = runtime->collector->Collect(
        deadline, JobsToScrape(*runtime, discovered.get()));
    if (discovered) {
      std::vector<prometheus::MetricFamily> tasks =
          BuildTaskFamilies(discovered->tasks, discovered->jobs);
      checks.insert(checks.end(), std::make_move_iterator(tasks.begin()),
                    std::make_move_iterator(tasks.end()));
    }
    // The self-metrics are collected after the checks, so they count this
    // scrape's API calls.
    std::vector<prometheus::MetricFamily> own = self_metrics.Collect();
    families.insert(families.end(), std::make_move_iterator(checks.begin()),
                    std::make_move_iterator(checks.end()));
    families.insert(families.end(), std::make_move_iterator(own.begin()),
                    std::make_move_iterator(own.end()));
    return families;
  };
  handlers.probe = [&runtimes](const Job& job, Deadline deadline) {
    std::shared_ptr<const DiscoveredTasks> discovered = runtimes.Discovered();
    return runtimes.Current()->collector->CollectJob(
        job, deadline,
        discovered ? std::span<const Job>(discovered->jobs)
                   : std::span<const Job>());
  };
  handlers.statuses = [&runtimes] {
    std::shared_ptr<const Runtime> runtime = runtimes.Current();
    std::shared_ptr<const DiscoveredTasks> discovered = runtimes.Discovered();
    return runtime->collector->Statuses(
        std::nullopt, JobsToScrape(*runtime, discovered.get()));
  };
  handlers.service_discovery = [&runtimes] {
    ServiceDiscoveryState state;
    state.enabled = runtimes.Current()->config.discovery.enabled;
    std::shared_ptr<const DiscoveredTasks> discovered = runtimes.Discovered();
    if (!state.enabled || !discovered) return state;
    state.listed = true;
    for (std::size_t i = 0; i < discovered->jobs.size(); ++i) {
      state.targets.push_back({discovered->jobs[i], discovered->tasks[i].name,
                               discovered->tasks[i].StatusText()});
    }
    return state;
  };
  handlers.reload = [&runtimes] {
    log::Info("reloading the configuration", {{"trigger", "POST /-/reload"}});
    Expected<std::shared_ptr<const Runtime>> reloaded = runtimes.Reload();
    return reloaded.ok() ? std::string() : reloaded.error();
  };

  WebOptions web_options;
  web_options.listen_address = address.value();
  web_options.telemetry_path = FLAGS_web_telemetry_path;
  web_options.version = kVersion;
  web_options.web_config = std::move(web_config);
  web_options.max_requests = static_cast<std::size_t>(FLAGS_web_max_requests);
  web_options.scrape_timeout_offset = std::chrono::milliseconds(
      std::llround(FLAGS_scrape_timeout_offset * 1000));
  WebServer server(web_options, std::move(handlers));
  Expected<int> port = server.Bind();
  if (!port.ok()) return Fail(port.error());

  CurlTransport& curl_transport = *transport.value();
  std::thread signal_thread(
      [&] { HandleSignals(signals, runtimes, server, curl_transport); });
  Discovery discovery(runtimes, self_metrics);
  discovery.Start();

  log::Info("cdb_sync_exporter started",
            {{"version", kVersion},
             {"revision", kRevision},
             {"address", FormatHostPort(address.value().host, port.value())},
             {"telemetry_path", FLAGS_web_telemetry_path},
             {"tls", web_options.web_config.tls ? "on" : "off"},
             {"basic_auth",
              web_options.web_config.basic_auth_users.empty() ? "off" : "on"}});

  const bool served = server.Serve();
  if (!served) {
    log::Error("the HTTP server stopped unexpectedly");
    // Wake the signal thread so that it can be joined.
    kill(getpid(), SIGTERM);
  }
  signal_thread.join();
  discovery.Stop();
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
      "TENCENTCLOUD_SESSION_TOKEN (or from the files that the configuration "
      "names).\nUsage: cdb_sync_exporter --config-file=PATH [flags]");
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
