// Parsing of --web-listen-address values.
#ifndef CDB_SYNC_EXPORTER_WEB_LISTEN_ADDRESS_H_
#define CDB_SYNC_EXPORTER_WEB_LISTEN_ADDRESS_H_

#include <string>
#include <string_view>

#include "exporter/util/expected.h"

namespace cdb_sync {

struct ListenAddress {
  std::string host;  // "0.0.0.0" when the address gave none
  int port = 0;      // 0 lets the kernel pick a free port
};

// Formats `host` and `port` as HOST:PORT, with an IPv6 host in brackets.
std::string FormatHostPort(std::string_view host, int port);

// Parses "HOST:PORT", ":PORT" (every IPv4 interface) or "[IPV6]:PORT".
Expected<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_WEB_LISTEN_ADDRESS_H_
