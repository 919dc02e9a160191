#include "exporter/web/listen_address.h"

#include <charconv>

namespace cdb_sync {

std::string FormatHostPort(std::string_view host, int port) {
  // Appended piece by piece: g++ 12 at -O3 warns falsely (-Wrestrict)
  // about `"[" + text`.
  const bool ipv6 = host.find(':') != std::string_view::npos;
  std::string text;
  if (ipv6) text += '[';
  text += host;
  if (ipv6) text += ']';
  text += ':';
  text += std::to_string(port);
  return text;
}

Expected<ListenAddress> ParseListenAddress(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.find("://") != std::string_view::npos) {
    return Error{"invalid listen address " + quoted +
                 ": write HOST:PORT without a scheme, e.g. 127.0.0.1:10025"};
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Error{"invalid listen address " + quoted +
                 ": write HOST:PORT or :PORT, e.g. :10025"};
  }

  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Error{"invalid listen address " + quoted +
                 ": put an IPv6 address in brackets, e.g. [::1]:10025"};
  }

  int port = -1;
  auto [end, error] = std::from_chars(
      port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() ||
      end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return Error{"invalid listen address " + quoted +
                 ": the port must be a number from 0 to 65535"};
  }

  ListenAddress address;
  address.host = host.empty() ? "0.0.0.0" : std::string(host);
  address.port = port;
  return address;
}

}  // namespace cdb_sync
