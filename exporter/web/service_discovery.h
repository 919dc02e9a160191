// The /sd endpoint: discovered tasks as Prometheus HTTP service-discovery
// targets that scrape /probe.
#ifndef CDB_SYNC_EXPORTER_WEB_SERVICE_DISCOVERY_H_
#define CDB_SYNC_EXPORTER_WEB_SERVICE_DISCOVERY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "exporter/model/job.h"

namespace cdb_sync {

// One discovered task.
struct ServiceDiscoveryTarget {
  Job job;
  std::string name;
  // The API 2.0 status code or the DTS status; empty when unknown.
  std::string status;
};

// Renders the targets in the format of Prometheus' http_sd_configs: one
// target group per task, whose target is `exporter_address` and whose labels
// make Prometheus scrape `/probe?job_id=..&src_type=..` with
// instance="<job_id>/<src_type>" (for DTS jobs `/probe?job_id=..&api=..`
// with instance="<job_id>/<api>"). The task's name and status go into
// __meta_cdb_sync_task_name and __meta_cdb_sync_task_status for relabelling.
std::string RenderServiceDiscovery(
    std::span<const ServiceDiscoveryTarget> targets,
    std::string_view exporter_address);

// Returns true when `host` (a Host header) is a host name, IPv4 address or
// bracketed IPv6 address with an optional port, and nothing else.
bool IsValidHostHeader(std::string_view host);

// Escapes `text` for a JSON string: quotes, backslashes and control
// characters. UTF-8 passes through.
std::string EscapeJson(std::string_view text);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_WEB_SERVICE_DISCOVERY_H_
