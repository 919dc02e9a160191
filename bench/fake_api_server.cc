// A fast fake API for the load benchmark (bench/load): an HTTP/1.1 server on
// 127.0.0.1 that replies to every request, whatever its method, path or
// parameters, with 200 and the same JSON body, after an optional fixed delay.
// It does not check signatures. tests/fake_api/fake_api.py does that for the
// functional tests.
//
// One thread runs an epoll loop over non-blocking sockets, with keep-alive
// and pipelining, so a single core serves tens of thousands of requests per
// second. With --latency-ms, each reply is held in a queue until its time
// has come. The delay is the same for every request, so the queue stays in
// time order. SIGTERM or SIGINT stops the server, which then prints the
// number of replies it sent to stderr.
//
// Usage:
//   cdb_sync_bench_fake_api --reply=FILE [--port=0] [--port-file=FILE]
//                           [--latency-ms=0]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

using Clock = std::chrono::steady_clock;

// The server closes a connection whose request header block grows past this.
// Real clients send well under 1 KiB.
constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxBodyBytes = std::size_t{1024} * 1024;
constexpr int kMaxEvents = 256;
// epoll user data of the listening socket and the signal fd. Connections get
// ids from 2 up and ids are never reused, so a delayed reply cannot reach a
// new connection that got the old one's fd number.
constexpr uint64_t kListenId = 0;
constexpr uint64_t kSignalId = 1;

struct Options {
  std::string reply_path;
  int port = 0;
  std::string port_file;
  int latency_ms = 0;
};

struct Connection {
  int fd = -1;
  std::string input;
  std::string output;
  std::size_t output_sent = 0;
  // Replies still waiting in the delay queue.
  int delayed = 0;
  // Close once every reply has been written (Connection: close, HTTP/1.0).
  bool close_when_done = false;
  bool want_write = false;
};

struct DelayedReply {
  Clock::time_point due;
  uint64_t connection_id;
};

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "cdb_sync_bench_fake_api: " << what << ": "
            << std::strerror(errno) << "\n";
  std::exit(1);
}

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "cdb_sync_bench_fake_api: " << problem << "\n"
            << "usage: cdb_sync_bench_fake_api --reply=FILE [--port=0] "
               "[--port-file=FILE] [--latency-ms=0]\n";
  std::exit(2);
}

int ParseNonNegative(std::string_view name, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < 0 ||
      value > std::numeric_limits<int>::max()) {
    Usage("invalid value for " + std::string(name) + ": '" + text + "'");
  }
  return static_cast<int>(value);
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    const std::size_t equals = argument.find('=');
    if (equals == std::string::npos) Usage("unknown argument " + argument);
    const std::string name = argument.substr(0, equals);
    const std::string value = argument.substr(equals + 1);
    if (name == "--reply") {
      options.reply_path = value;
    } else if (name == "--port") {
      options.port = ParseNonNegative(name, value);
      if (options.port > 65535) Usage("--port must be at most 65535");
    } else if (name == "--port-file") {
      options.port_file = value;
    } else if (name == "--latency-ms") {
      options.latency_ms = ParseNonNegative(name, value);
    } else {
      Usage("unknown flag " + name);
    }
  }
  if (options.reply_path.empty()) Usage("--reply is required");
  return options;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// The parts of a request header block the server acts on.
struct RequestHead {
  std::size_t body_bytes = 0;
  bool close = false;
  bool valid = true;
};

RequestHead ReadHead(std::string_view head) {
  RequestHead result;
  const std::size_t line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  // The server closes an HTTP/1.0 connection after the reply, because it
  // never offers keep-alive to HTTP/1.0 clients.
  if (request_line.ends_with("HTTP/1.0")) result.close = true;
  std::size_t position =
      line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (position < head.size()) {
    std::size_t end = head.find("\r\n", position);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(position, end - position);
    position = end + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Content-Length")) {
      char* parse_end = nullptr;
      const std::string text(value);
      errno = 0;
      const unsigned long long bytes =
          std::strtoull(text.c_str(), &parse_end, 10);
      if (text.empty() || *parse_end != '\0' || errno != 0 ||
          bytes > kMaxBodyBytes) {
        result.valid = false;
      } else {
        result.body_bytes = static_cast<std::size_t>(bytes);
      }
    } else if (EqualsIgnoreCase(name, "Connection") &&
               EqualsIgnoreCase(value, "close")) {
      result.close = true;
    }
  }
  return result;
}

class Server {
 public:
  Server(const Options& options, const std::string& reply_body)
      : latency_(std::chrono::milliseconds(options.latency_ms)) {
    response_ =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(reply_body.size()) + "\r\n\r\n" + reply_body;
    Listen(options);
  }

  // Serves until SIGTERM or SIGINT. Returns the number of replies sent.
  uint64_t Run() {
    epoll_event events[kMaxEvents];
    while (!stopping_) {
      const std::optional<timespec> wait = WaitTime();
      const int ready = epoll_pwait2(epoll_fd_, events, kMaxEvents,
                                     wait ? &*wait : nullptr, nullptr);
      if (ready < 0) {
        if (errno == EINTR) continue;
        Die("epoll_pwait2 failed");
      }
      for (int i = 0; i < ready; ++i) {
        const uint64_t id = events[i].data.u64;
        if (id == kListenId) {
          Accept();
        } else if (id == kSignalId) {
          stopping_ = true;
        } else {
          HandleEvent(id, events[i].events);
        }
      }
      ReleaseDueReplies();
    }
    return replies_sent_;
  }

  int port() const { return port_; }

 private:
  void Listen(const Options& options) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) Die("socket failed");
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(options.port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address),
             sizeof address) != 0) {
      Die("bind to 127.0.0.1:" + std::to_string(options.port) + " failed");
    }
    if (listen(listen_fd_, SOMAXCONN) != 0) Die("listen failed");
    socklen_t length = sizeof address;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);

    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) Die("epoll_create1 failed");
    Watch(listen_fd_, kListenId, EPOLLIN, EPOLL_CTL_ADD);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    signal_fd_ = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0) Die("signalfd failed");
    Watch(signal_fd_, kSignalId, EPOLLIN, EPOLL_CTL_ADD);
  }

  void Watch(int fd, uint64_t id, uint32_t events, int operation) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = id;
    if (epoll_ctl(epoll_fd_, operation, fd, &event) != 0) {
      Die("epoll_ctl failed");
    }
  }

  // Time until the first delayed reply is due, or nullopt (no timeout).
  // epoll_pwait2 takes nanoseconds, so a reply leaves within microseconds
  // of its due time, where epoll_wait's milliseconds would add up to 1 ms.
  std::optional<timespec> WaitTime() const {
    if (delayed_.empty()) return std::nullopt;
    auto left = delayed_.front().due - Clock::now();
    if (left < Clock::duration::zero()) left = Clock::duration::zero();
    const auto nanoseconds =
        std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec wait{};
    wait.tv_sec = static_cast<time_t>(nanoseconds / 1'000'000'000);
    wait.tv_nsec = static_cast<long>(nanoseconds % 1'000'000'000);
    return wait;
  }

  void Accept() {
    while (true) {
      const int fd =
          accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        if (errno == ECONNABORTED) continue;
        // EMFILE and similar: leave the rest in the backlog for later.
        std::cerr << "cdb_sync_bench_fake_api: accept failed: "
                  << std::strerror(errno) << "\n";
        return;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const uint64_t id = next_id_++;
      auto connection = std::make_unique<Connection>();
      connection->fd = fd;
      connections_.emplace(id, std::move(connection));
      Watch(fd, id, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
    }
  }

  void HandleEvent(uint64_t id, uint32_t events) {
    auto found = connections_.find(id);
    if (found == connections_.end()) return;
    Connection& connection = *found->second;
    if (events & (EPOLLERR | EPOLLHUP)) {
      Close(id);
      return;
    }
    if (events & EPOLLOUT) {
      if (!Flush(id, connection)) return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP)) Read(id, connection);
  }

  void Read(uint64_t id, Connection& connection) {
    char buffer[16 * 1024];
    while (true) {
      const ssize_t got = recv(connection.fd, buffer, sizeof buffer, 0);
      if (got > 0) {
        connection.input.append(buffer, static_cast<std::size_t>(got));
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (got < 0 && errno == EINTR) continue;
      // The peer closed (got == 0) or the socket failed.
      Close(id);
      return;
    }
    HandleRequests(id, connection);
  }

  // Queues a reply to every complete request in the input buffer.
  void HandleRequests(uint64_t id, Connection& connection) {
    while (!connection.close_when_done) {
      const std::size_t head_end = connection.input.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        if (connection.input.size() > kMaxHeaderBytes) {
          Close(id);
          return;
        }
        break;
      }
      const RequestHead head =
          ReadHead(std::string_view(connection.input).substr(0, head_end));
      if (!head.valid) {
        Close(id);
        return;
      }
      const std::size_t request_bytes = head_end + 4 + head.body_bytes;
      if (connection.input.size() < request_bytes) break;
      connection.input.erase(0, request_bytes);
      if (head.close) connection.close_when_done = true;
      if (latency_ == Clock::duration::zero()) {
        connection.output += response_;
        ++replies_sent_;
      } else {
        ++connection.delayed;
        delayed_.push_back({Clock::now() + latency_, id});
      }
    }
    if (latency_ == Clock::duration::zero()) Flush(id, connection);
  }

  void ReleaseDueReplies() {
    const Clock::time_point now = Clock::now();
    while (!delayed_.empty() && delayed_.front().due <= now) {
      const uint64_t id = delayed_.front().connection_id;
      delayed_.pop_front();
      auto found = connections_.find(id);
      if (found == connections_.end()) continue;
      Connection& connection = *found->second;
      --connection.delayed;
      connection.output += response_;
      ++replies_sent_;
      Flush(id, connection);
    }
  }

  // Writes what the socket takes. Returns false when the connection closed.
  bool Flush(uint64_t id, Connection& connection) {
    while (connection.output_sent < connection.output.size()) {
      const ssize_t sent =
          send(connection.fd, connection.output.data() + connection.output_sent,
               connection.output.size() - connection.output_sent, MSG_NOSIGNAL);
      if (sent > 0) {
        connection.output_sent += static_cast<std::size_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!connection.want_write) {
          connection.want_write = true;
          Watch(connection.fd, id, EPOLLIN | EPOLLRDHUP | EPOLLOUT,
                EPOLL_CTL_MOD);
        }
        return true;
      }
      Close(id);
      return false;
    }
    connection.output.clear();
    connection.output_sent = 0;
    if (connection.want_write) {
      connection.want_write = false;
      Watch(connection.fd, id, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
    }
    if (connection.close_when_done && connection.delayed == 0) {
      Close(id);
      return false;
    }
    return true;
  }

  void Close(uint64_t id) {
    auto found = connections_.find(id);
    if (found == connections_.end()) return;
    close(found->second->fd);
    connections_.erase(found);
  }

  const Clock::duration latency_;
  std::string response_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int signal_fd_ = -1;
  int port_ = 0;
  bool stopping_ = false;
  uint64_t next_id_ = 2;
  uint64_t replies_sent_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::deque<DelayedReply> delayed_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) Die("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(file),
                     std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  Server server(options, ReadFile(options.reply_path));
  if (!options.port_file.empty()) {
    // Written to a temporary name and renamed, so a reader never sees a
    // partial port number.
    const std::string temporary = options.port_file + ".tmp";
    {
      std::ofstream file(temporary);
      file << server.port() << "\n";
      if (!file) Die("cannot write " + temporary);
    }
    if (std::rename(temporary.c_str(), options.port_file.c_str()) != 0) {
      Die("cannot rename " + temporary);
    }
  }
  std::cerr << "cdb_sync_bench_fake_api listening on 127.0.0.1:"
            << server.port() << " latency_ms=" << options.latency_ms << "\n";
  const uint64_t replies = server.Run();
  std::cerr << "cdb_sync_bench_fake_api stopped after " << replies
            << " replies\n";
  return 0;
}
