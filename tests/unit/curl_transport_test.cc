#include "exporter/api/curl_transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "exporter/util/mutex.h"

namespace cdb_sync {
namespace {

// A real HTTP server on 127.0.0.1 with a few routes for the transport.
class LoopbackServer {
 public:
  LoopbackServer() {
    server_.Get("/ok", [](const httplib::Request& request,
                          httplib::Response& response) {
      response.set_content("host=" + request.get_header_value("Host"),
                           "text/plain");
    });
    server_.Post("/echo", [](const httplib::Request& request,
                             httplib::Response& response) {
      response.set_content(request.body, "text/plain");
    });
    server_.Get("/status",
                [](const httplib::Request&, httplib::Response& response) {
                  response.status = 503;
                  response.set_content("<html>down</html>", "text/html");
                });
    server_.Get("/large",
                [](const httplib::Request&, httplib::Response& response) {
                  response.set_content(std::string(std::size_t{64} * 1024, 'x'),
                                       "text/plain");
                });
    server_.Get("/slow",
                [this](const httplib::Request&, httplib::Response& response) {
                  // Hold the response until the test lets go, so the client
                  // times out.
                  MutexLock lock(mutex_);
                  while (!release_) mutex_.Wait(released_);
                  response.set_content("late", "text/plain");
                });
    // Responds only once `concurrency_goal_` requests are in flight at once.
    server_.Get("/together", [this](const httplib::Request&,
                                    httplib::Response& response) {
      MutexLock lock(mutex_);
      ++in_flight_;
      all_in_flight_.notify_all();
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (in_flight_ < concurrency_goal_ &&
             std::chrono::steady_clock::now() < deadline) {
        mutex_.WaitUntil(all_in_flight_, deadline);
      }
      response.set_content(
          in_flight_ >= concurrency_goal_ ? "together" : "alone", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() does nothing before the accept loop runs, and a test that never
    // calls the server would then hang in the destructor's join().
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  ~LoopbackServer() {
    Release();
    server_.stop();
    thread_.join();
  }

  void Release() {
    MutexLock lock(mutex_);
    release_ = true;
    released_.notify_all();
  }

  void SetConcurrencyGoal(int goal) {
    MutexLock lock(mutex_);
    concurrency_goal_ = goal;
  }

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  Mutex mutex_;
  std::condition_variable released_;
  std::condition_variable all_in_flight_;
  bool release_ GUARDED_BY(mutex_) = false;
  int in_flight_ GUARDED_BY(mutex_) = 0;
  int concurrency_goal_ GUARDED_BY(mutex_) = 1;
};

class CurlTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  static void TearDownTestSuite() { curl_global_cleanup(); }

  std::unique_ptr<CurlTransport> MakeTransport(int max_concurrency = 8) {
    Expected<std::unique_ptr<CurlTransport>> transport =
        CurlTransport::Create(max_concurrency, "test-agent");
    EXPECT_TRUE(transport.ok()) << transport.error();
    return std::move(transport).value();
  }

  static HttpRequest Get(std::string url) {
    HttpRequest request;
    request.url = std::move(url);
    request.timeout = std::chrono::seconds(10);
    return request;
  }

  LoopbackServer server_;
};

TEST_F(CurlTransportTest, GetReturnsBodyAndSendsHostHeader) {
  auto transport = MakeTransport();
  HttpRequest request = Get(server_.Url("/ok"));
  request.headers.push_back("Host: signed.example:1234");
  const HttpResponse response = transport->Send(request).get();
  EXPECT_EQ(response.error, TransportError::kNone) << response.error_message;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "host=signed.example:1234");
}

TEST_F(CurlTransportTest, PostSendsBody) {
  auto transport = MakeTransport();
  HttpRequest request = Get(server_.Url("/echo"));
  request.method = HttpMethod::kPost;
  request.body = "a=1&b=%2B";
  const HttpResponse response = transport->Send(request).get();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "a=1&b=%2B");
}

TEST_F(CurlTransportTest, ErrorStatusIsNotTransportError) {
  auto transport = MakeTransport();
  const HttpResponse response =
      transport->Send(Get(server_.Url("/status"))).get();
  EXPECT_EQ(response.error, TransportError::kNone);
  EXPECT_EQ(response.status, 503);
}

// Returns a loopback port that nothing listens on: bound without listen(),
// then closed.
int ClosedLoopbackPort() {
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(socket_fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(
      bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
      0);
  socklen_t length = sizeof(address);
  EXPECT_EQ(
      getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length),
      0);
  close(socket_fd);
  return ntohs(address.sin_port);
}

TEST_F(CurlTransportTest, ConnectionRefused) {
  auto transport = MakeTransport();
  const HttpResponse response =
      transport
          ->Send(Get("http://127.0.0.1:" +
                     std::to_string(ClosedLoopbackPort()) + "/x"))
          .get();
  EXPECT_EQ(response.error, TransportError::kConnectFailed)
      << response.error_message;
  EXPECT_EQ(response.status, 0);
}

TEST_F(CurlTransportTest, TimeoutEndsStalledRequest) {
  auto transport = MakeTransport();
  HttpRequest request = Get(server_.Url("/slow"));
  request.timeout = std::chrono::milliseconds(200);
  const HttpResponse response = transport->Send(request).get();
  server_.Release();
  EXPECT_EQ(response.error, TransportError::kTimeout) << response.error_message;
}

TEST_F(CurlTransportTest, BodyOverCapIsAbandoned) {
  auto transport = MakeTransport();
  HttpRequest request = Get(server_.Url("/large"));
  request.max_body_bytes = 1024;
  const HttpResponse response = transport->Send(request).get();
  EXPECT_EQ(response.error, TransportError::kBodyTooLarge)
      << response.error_message;
  EXPECT_NE(response.error_message.find("1024"), std::string::npos);
}

TEST_F(CurlTransportTest, ErrorMessageOmitsQueryString) {
  auto transport = MakeTransport();
  const HttpResponse response =
      transport
          ->Send(
              Get("http://127.0.0.1:" + std::to_string(ClosedLoopbackPort()) +
                  "/x?Signature=SECRET"))
          .get();
  EXPECT_NE(response.error, TransportError::kNone);
  EXPECT_EQ(response.error_message.find("SECRET"), std::string::npos)
      << response.error_message;
}

TEST_F(CurlTransportTest, RequestsRunConcurrently) {
  constexpr int kRequests = 6;
  server_.SetConcurrencyGoal(kRequests);
  auto transport = MakeTransport(kRequests);
  std::vector<std::future<HttpResponse>> futures;
  futures.reserve(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    futures.push_back(transport->Send(Get(server_.Url("/together"))));
  }
  for (auto& future : futures) {
    const HttpResponse response = future.get();
    EXPECT_EQ(response.error, TransportError::kNone) << response.error_message;
    EXPECT_EQ(response.body, "together");
  }
}

TEST_F(CurlTransportTest, SendFromManyThreads) {
  auto transport = MakeTransport(4);
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (transport->Send(Get(server_.Url("/ok"))).get().status == 200) {
          ++succeeded;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), 40);
}

TEST_F(CurlTransportTest, DestructionFailsPendingRequests) {
  auto transport = MakeTransport(1);
  HttpRequest request = Get(server_.Url("/slow"));
  std::future<HttpResponse> running = transport->Send(request);
  std::future<HttpResponse> queued = transport->Send(request);
  transport.reset();
  server_.Release();
  EXPECT_EQ(running.get().error, TransportError::kInternal);
  EXPECT_EQ(queued.get().error, TransportError::kInternal);
}

}  // namespace
}  // namespace cdb_sync
