#include "exporter/web/server.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

#include "exporter/util/log.h"
#include "exporter/web/probe.h"

namespace cdb_sync {
namespace {

constexpr char kExpositionContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// The largest request body read; no endpoint takes more than an empty one.
constexpr std::size_t kMaxRequestBodyBytes = std::size_t{64} * 1024;

// Seconds a connection may take to send a request, and may stay idle
// between keep-alive requests.
constexpr time_t kReadTimeoutSeconds = 5;
constexpr time_t kKeepAliveTimeoutSeconds = 5;

// Like cpp-httplib's default socket options, but without SO_REUSEPORT, which
// would let a second exporter bind the same port and take half the scrapes.
void SetSocketOptions(int socket) {
  int yes = 1;
  setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

std::string OpenSslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

// Accepts any client certificate; for the client_auth_type values that ask
// for one without verifying it.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

// Configures `context` from `tls`. Returns an error message, or empty.
std::string SetUpTls(SSL_CTX& context, const TlsServerConfig& tls) {
  // TLS 1.2 suites with forward secrecy and AEAD only; TLS 1.3 suites all
  // qualify.
  if (SSL_CTX_set_cipher_list(&context,
                              "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM") != 1) {
    return "cannot set the TLS cipher list: " + OpenSslErrors();
  }
  SSL_CTX_set_min_proto_version(&context, tls.min_version == TlsVersion::kTls13
                                              ? TLS1_3_VERSION
                                              : TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(&context, tls.cert_file.c_str()) !=
      1) {
    return "tls_server_config.cert_file \"" + tls.cert_file +
           "\": cannot load the certificate: " + OpenSslErrors();
  }
  if (SSL_CTX_use_PrivateKey_file(&context, tls.key_file.c_str(),
                                  SSL_FILETYPE_PEM) != 1) {
    return "tls_server_config.key_file \"" + tls.key_file +
           "\": cannot load the private key: " + OpenSslErrors();
  }
  if (SSL_CTX_check_private_key(&context) != 1) {
    return "tls_server_config.key_file \"" + tls.key_file +
           "\" does not match the certificate in cert_file";
  }
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(&context, tls.client_ca_file.c_str(),
                                      nullptr) != 1) {
      return "tls_server_config.client_ca_file \"" + tls.client_ca_file +
             "\": cannot load the CA certificates: " + OpenSslErrors();
    }
    SSL_CTX_set_client_CA_list(
        &context, SSL_load_client_CA_file(tls.client_ca_file.c_str()));
  }

  switch (tls.client_auth_type) {
    case ClientAuthType::kNoClientCert:
      SSL_CTX_set_verify(&context, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuthType::kRequestClientCert:
      SSL_CTX_set_verify(&context, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuthType::kRequireAnyClientCert:
      SSL_CTX_set_verify(&context,
                         SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         AcceptAnyCertificate);
      break;
    case ClientAuthType::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(&context, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuthType::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(
          &context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  return "";
}

void RejectMethod(const httplib::Request&, httplib::Response& response) {
  response.status = 405;
  response.set_header("Allow", "GET, HEAD");
  response.set_content("method not allowed; use GET or HEAD\n",
                       "text/plain; charset=utf-8");
}

// cpp-httplib takes route patterns as regular expressions.
std::string EscapeRegex(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    if (std::strchr("\\^$.|?*+()[]{}", c) != nullptr) escaped.push_back('\\');
    escaped.push_back(c);
  }
  return escaped;
}

// Returns the parameters of the query string in `target`, each one as often
// as it is given. cpp-httplib's request.params drops a parameter that
// repeats with the same value, so /probe could not reject it.
std::multimap<std::string, std::string> QueryParams(const std::string& target) {
  std::multimap<std::string, std::string> params;
  const std::size_t question = target.find('?');
  if (question == std::string::npos) return params;
  std::string_view query(target);
  query.remove_prefix(question + 1);
  while (!query.empty()) {
    const std::size_t end = std::min(query.find('&'), query.size());
    const std::string_view pair = query.substr(0, end);
    query.remove_prefix(std::min(end + 1, query.size()));
    if (pair.empty()) continue;
    const std::size_t equals = std::min(pair.find('='), pair.size());
    const std::string_view value =
        equals < pair.size() ? pair.substr(equals + 1) : std::string_view();
    params.emplace(
        httplib::detail::decode_url(std::string(pair.substr(0, equals)), true),
        httplib::detail::decode_url(std::string(value), true));
  }
  return params;
}

}  // namespace

WebServer::WebServer(WebOptions options, WebHandlers handlers)
    : options_(std::move(options)), handlers_(std::move(handlers)) {
  if (options_.web_config.tls) {
    const TlsServerConfig tls = *options_.web_config.tls;
    server_ =
        std::make_unique<httplib::SSLServer>([this, tls](SSL_CTX& context) {
          tls_error_ = SetUpTls(context, tls);
          return tls_error_.empty();
        });
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (!options_.web_config.basic_auth_users.empty()) {
    authenticator_ = std::make_unique<BasicAuthenticator>(
        options_.web_config.basic_auth_users);
  }

  const std::size_t workers = options_.max_requests;
  server_->new_task_queue = [workers] {
    return new httplib::ThreadPool(workers);
  };
  server_->set_payload_max_length(kMaxRequestBodyBytes);
  server_->set_socket_options(SetSocketOptions);
  server_->set_read_timeout(kReadTimeoutSeconds, 0);
  server_->set_keep_alive_timeout(kKeepAliveTimeoutSeconds);
  RegisterRoutes();
}

WebServer::~WebServer() = default;

Deadline WebServer::ScrapeDeadline(const httplib::Request& request) const {
  const auto now = std::chrono::steady_clock::now();
  if (!request.has_header(kScrapeTimeoutHeader)) return std::nullopt;
  const std::string text = request.get_header_value(kScrapeTimeoutHeader);
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() ||
      !std::isfinite(seconds) || seconds <= 0 || seconds > 24 * 3600) {
    log::Debug("ignoring an invalid scrape timeout header",
               {{"header", kScrapeTimeoutHeader}, {"value", text}});
    return std::nullopt;
  }
  const std::chrono::duration<double> timeout(seconds);
  std::chrono::duration<double> budget =
      timeout - options_.scrape_timeout_offset;
  if (budget <= std::chrono::duration<double>::zero()) budget = timeout / 2;
  return now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   budget);
}

std::string WebServer::RenderMetrics(Deadline deadline) const {
  std::vector<prometheus::MetricFamily> families = handlers_.metrics(deadline);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

std::string WebServer::RenderProbe(const Job& job, Deadline deadline) const {
  std::vector<prometheus::MetricFamily> families =
      handlers_.probe(job, deadline);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

std::string WebServer::RenderStatusPage() const {
  StatusPageData data;
  data.version = options_.version;
  data.telemetry_path = options_.telemetry_path;
  data.jobs = handlers_.statuses();
  data.now = std::chrono::system_clock::now();
  return cdb_sync::RenderStatusPage(data);
}

void WebServer::HandleServiceDiscovery(const httplib::Request& request,
                                       httplib::Response& response) const {
  const ServiceDiscoveryState state = handlers_.service_discovery();
  if (!state.enabled) {
    // An empty list, not an error: Prometheus keeps the last targets it got
    // while /sd fails, so after a reload that turned discovery off an error
    // would leave it probing the old tasks.
    response.set_header("X-Cdb-Sync-Discovery", "not configured");
    response.set_content("[]\n", "application/json");
    return;
  }
  if (!state.listed) {
    response.status = 503;
    response.set_content(
        "the first listing of the sync tasks has not succeeded yet; see the "
        "exporter's log\n",
        "text/plain; charset=utf-8");
    return;
  }
  // Prometheus requests /sd from the address it scrapes the exporter at, so
  // the Host header is that address. Without a usable one, fall back to the
  // listen address.
  std::string address = request.get_header_value("Host");
  if (!IsValidHostHeader(address)) {
    const ListenAddress& listen = options_.listen_address;
    address = FormatHostPort(listen.host.empty() ? "localhost" : listen.host,
                             listen.port);
  }
  response.set_content(RenderServiceDiscovery(state.targets, address),
                       "application/json");
}

void WebServer::HandleReload(httplib::Response& response) const {
  const std::string error = handlers_.reload();
  if (error.empty()) {
    response.set_content("configuration reloaded\n",
                         "text/plain; charset=utf-8");
    return;
  }
  response.status = 500;
  response.set_content(
      "reload failed; the previous configuration stays in use: " + error + "\n",
      "text/plain; charset=utf-8");
}

void WebServer::RegisterRoutes() {
  server_->set_pre_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        if (authenticator_ &&
            !authenticator_->Check(request.get_header_value("Authorization"))) {
          response.status = 401;
          response.set_header(
              "WWW-Authenticate",
              "Basic realm=\"cdb_sync_exporter\", charset=\"UTF-8\"");
          response.set_content("unauthorized\n", "text/plain; charset=utf-8");
          return httplib::Server::HandlerResponse::Handled;
        }
        // Reload is handled here, before cpp-httplib reads a body: it rejects a
        // POST without Content-Length, which is what `curl -X POST` sends.
        if (request.path == "/-/reload" && request.method == "POST") {
          HandleReload(response);
          return httplib::Server::HandlerResponse::Handled;
        }
        // Other methods on the GET paths get 405 here for the same reason:
        // after the body check, a POST without a body would get 400.
        const bool get_path = request.path == options_.telemetry_path ||
                              request.path == "/probe" ||
                              request.path == "/sd" || request.path == "/";
        if (get_path && request.method != "GET" && request.method != "HEAD") {
          RejectMethod(request, response);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });

  const std::string metrics_pattern = EscapeRegex(options_.telemetry_path);
  server_->Get(metrics_pattern, [this](const httplib::Request& request,
                                       httplib::Response& response) {
    response.set_content(RenderMetrics(ScrapeDeadline(request)),
                         kExpositionContentType);
  });
  server_->Get("/probe", [this](const httplib::Request& request,
                                httplib::Response& response) {
    Expected<Job> job = ParseProbeTarget(QueryParams(request.target));
    if (!job.ok()) {
      log::Debug("rejected a /probe request", {{"error", job.error()}});
      response.status = 400;
      response.set_content(job.error() + "\n", "text/plain; charset=utf-8");
      return;
    }
    response.set_content(RenderProbe(job.value(), ScrapeDeadline(request)),
                         kExpositionContentType);
  });
  server_->Get("/sd", [this](const httplib::Request& request,
                             httplib::Response& response) {
    HandleServiceDiscovery(request, response);
  });
  if (options_.telemetry_path != "/") {
    server_->Get("/", [this](const httplib::Request&,
                             httplib::Response& response) {
      response.set_header("Content-Security-Policy", kStatusPageSecurityPolicy);
      response.set_header("X-Content-Type-Options", "nosniff");
      response.set_header("Cache-Control", "no-store");
      response.set_content(RenderStatusPage(), "text/html; charset=utf-8");
    });
  }
  server_->Get("/-/healthy",
               [](const httplib::Request&, httplib::Response& response) {
                 response.set_content("OK\n", "text/plain; charset=utf-8");
               });
  // The server listens only once the configuration has loaded, so it is
  // ready whenever it responds.
  server_->Get("/-/ready",
               [](const httplib::Request&, httplib::Response& response) {
                 response.set_content("Ready\n", "text/plain; charset=utf-8");
               });

  server_->Get("/-/reload", [](const httplib::Request&,
                               httplib::Response& response) {
    response.status = 405;
    response.set_header("Allow", "POST");
    response.set_content("use POST to reload\n", "text/plain; charset=utf-8");
  });

  server_->set_exception_handler([](const httplib::Request& request,
                                    httplib::Response& response,
                                    std::exception_ptr exception) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(std::move(exception));
    } catch (const std::exception& error) {
      what = error.what();
    } catch (...) {
    }
    log::Error("request handler failed",
               {{"path", request.path}, {"error", what}});
    response.status = 500;
    response.set_content("internal error; see the exporter's log\n",
                         "text/plain; charset=utf-8");
  });
  server_->set_error_handler(
      [](const httplib::Request&, httplib::Response& response) {
        if (response.body.empty()) {
          response.set_content(
              "HTTP status " + std::to_string(response.status) + "\n",
              "text/plain; charset=utf-8");
        }
      });
}

Expected<int> WebServer::Bind() {
  if (!server_->is_valid()) {
    return Error{
        "cannot set up TLS from --web-config-file: " +
        (tls_error_.empty() ? std::string("unknown error") : tls_error_)};
  }
  const ListenAddress& address = options_.listen_address;
  const std::string shown = FormatHostPort(address.host, address.port);
  errno = 0;
  int port = address.port;
  bool bound = false;
  if (address.port == 0) {
    port = server_->bind_to_any_port(address.host);
    bound = port > 0;
  } else {
    bound = server_->bind_to_port(address.host, address.port);
  }
  if (!bound) {
    const int saved_errno = errno;
    // cpp-httplib fails without errno when the host does not resolve.
    std::string reason = saved_errno != 0
                             ? std::strerror(saved_errno)
                             : "the host is not a valid local address";
    return Error{"cannot listen on " + shown + ": " + reason +
                 "; choose another address with --web-listen-address"};
  }
  return port;
}

bool WebServer::Serve() {
  serve_called_ = true;
  // Stop() may have run before this call, when its stop() had nothing to
  // stop yet.
  const bool served = stop_requested_ || server_->listen_after_bind();
  serve_returned_ = true;
  return served;
}

void WebServer::Stop() {
  stop_requested_ = true;
  // cpp-httplib's stop() does nothing until listen_after_bind() has started
  // its accept loop, so a stop that arrives just after Serve() was called
  // waits for that loop. It does not wait for Serve() to return, which
  // happens only after the requests in flight end.
  while (serve_called_ && !serve_returned_) {
    if (server_->is_running()) {
      server_->stop();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace cdb_sync
