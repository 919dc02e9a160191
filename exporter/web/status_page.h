// The HTML status page served at `/`: every job's check at a glance.
#ifndef CDB_SYNC_EXPORTER_WEB_STATUS_PAGE_H_
#define CDB_SYNC_EXPORTER_WEB_STATUS_PAGE_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/model/job_status.h"

namespace cdb_sync {

// The Content-Security-Policy sent with the page: it loads nothing from
// anywhere and runs no script, so API text can never become active content
// even if escaping failed.
inline constexpr char kStatusPageSecurityPolicy[] =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

struct StatusPageData {
  std::string version;
  std::string telemetry_path = "/metrics";
  std::chrono::system_clock::time_point now;
  std::vector<JobStatus> jobs;
};

// Renders the page: a summary of the job states, then one table row per job
// with its state, a bar of its steps coloured by status, the last error
// message and the time of the last successful call. Every text that comes
// from the API or the configuration is HTML-escaped. The page needs no
// script and no external assets, and reloads itself every 30 seconds.
std::string RenderStatusPage(const StatusPageData& data);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_WEB_STATUS_PAGE_H_
