#include "exporter/web/status_page.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "exporter/util/utf8.h"

namespace cdb_sync {
namespace {

// Colours: green passed, red failed, blue running, grey pending or no data,
// orange unknown step codes, purple unreachable.
constexpr char kStyle[] = R"css(
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1f2328; }
header p { color: #57606a; }
a { color: #0969da; }
.summary { display: flex; gap: .5rem; flex-wrap: wrap; margin: 1rem 0; }
.count { padding: .3rem .7rem; border-radius: 1rem; color: #fff; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .45rem .6rem;
         border-bottom: 1px solid #d0d7de; }
th { background: #f6f8fa; }
.state { display: inline-block; padding: .15rem .55rem; border-radius: .8rem;
         color: #fff; font-weight: 600; }
.passed { background: #1a7f37; }
.failed { background: #cf222e; }
.running { background: #0969da; }
.no_data, .not_fetched { background: #6e7781; }
.unreachable { background: #8250df; }
.steps { display: flex; flex-wrap: wrap; gap: 2px; list-style: none;
         margin: 0 0 .3rem; padding: 0; max-width: 28rem; }
.steps li { width: 1.1rem; height: .9rem; border-radius: 2px; }
.steps li.current { outline: 2px solid #1f2328; outline-offset: 1px; }
.success { background: #2da44e; }
.pending { background: #d0d7de; }
.unknown { background: #bc4c00; }
.steps li.failed { background: #cf222e; }
details ol { margin: .3rem 0; padding-left: 1.4rem; }
.step-failed { color: #cf222e; }
.error { color: #cf222e; max-width: 32rem; overflow-wrap: anywhere; }
/* Bidirectional control characters in API text stay inside their cell. */
td, li, small { unicode-bidi: isolate; }
small { color: #57606a; }
/* A long word in API text wraps instead of widening the table. */
small, details li { overflow-wrap: anywhere; }
)css";

// API texts longer than this are cut on the page, as in label values, so a
// huge message cannot make the page megabytes long.
constexpr std::size_t kMaxPageTextBytes = 1024;

// Returns API text cut to kMaxPageTextBytes at a character boundary, ending
// in "...", and HTML-escaped.
std::string PageText(std::string_view text) {
  if (text.size() <= kMaxPageTextBytes) return EscapeHtml(text);
  return EscapeHtml(TruncateUtf8(text, kMaxPageTextBytes - 3)) + "...";
}

// Returns the job's type for people, e.g. "2 (public network)" or "DTS
// migration check".
std::string JobTypeText(const Job& job) {
  switch (job.api) {
    case JobApi::kDtsSyncCheck:
      return "DTS sync check";
    case JobApi::kDtsMigrationCheck:
      return "DTS migration check";
    case JobApi::kCdbSyncCheck:
      break;
  }
  std::string text = SrcTypeLabel(job.src_type) + " <small>(";
  switch (job.src_type) {
    case SrcType::kSelfBuilt:
      text += "self-built";
      break;
    case SrcType::kPublicNetwork:
      text += "public network";
      break;
    case SrcType::kDisasterRecovery:
      text += "disaster recovery";
      break;
  }
  return text + ")</small>";
}

// Returns the state's name for people: "no data" rather than "no_data".
std::string StateText(CheckState state) {
  std::string text(CheckStateName(state));
  std::replace(text.begin(), text.end(), '_', ' ');
  return text;
}

// Formats `time` as "2026-12-04 18:50:01 UTC", or as RFC 3339 for a
// <time datetime> attribute.
std::string FormatUtc(std::chrono::system_clock::time_point time,
                      bool rfc3339) {
  const time_t seconds = std::chrono::system_clock::to_time_t(time);
  struct tm utc {};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  strftime(text.data(), text.size(),
           rfc3339 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text.data();
}

// Formats the time from `then` to `now` as "42 s ago", "5 min ago", ...
std::string FormatAge(std::chrono::system_clock::time_point then,
                      std::chrono::system_clock::time_point now) {
  const long long seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
  if (seconds < 0) return "just now";
  if (seconds < 120) return std::to_string(seconds) + " s ago";
  if (seconds < 2LL * 3600) return std::to_string(seconds / 60) + " min ago";
  if (seconds < 2LL * 86400) return std::to_string(seconds / 3600) + " h ago";
  return std::to_string(seconds / 86400) + " d ago";
}

// Returns the message that explains a failed call or a failed check, or
// empty when there is nothing to report.
std::string LastErrorText(const Job& job, const FetchResult& result) {
  if (result.outcome != FetchOutcome::kSuccess) {
    std::string text(FetchOutcomeName(result.outcome));
    if (result.http_status != 0 && result.http_status != 200) {
      text += ", HTTP " + std::to_string(result.http_status);
    }
    if (result.reply) {
      text += ", code " + result.reply->CodeText();
      if (!result.reply->code_desc.empty() &&
          result.reply->code_desc != result.reply->error_code) {
        text += " (" + result.reply->code_desc + ")";
      }
      if (!result.reply->message.empty()) text += ": " + result.reply->message;
    } else if (!result.error.empty()) {
      text += ": " + result.error;
    }
    return text;
  }
  if (!result.reply || !result.reply->data) return "";
  const CheckInfo& check = *result.reply->data;
  if (!check.error_message.empty() && check.error_code.value_or(0) != 0) {
    return check.error_message;
  }
  for (std::size_t i = 0; i < check.steps.size(); ++i) {
    const CheckStep& step = check.steps[i];
    if (step.state != StepState::kFailed) continue;
    std::string text =
        "step " + std::to_string(i + 1) + " (" + step.name + ") failed";
    if (!step.error_message.empty()) text += ": " + step.error_message;
    return text;
  }
  if (check.error_code.value_or(0) != 0) {
    // A DTS check has no errno of its own; -1 only marks it failed.
    if (job.is_dts()) return "the check failed";
    return "errno " + std::to_string(*check.error_code);
  }
  return "";
}

// Appends the progress cell: the steps as coloured cells, "step x of y", the
// step comment, and the step list with each step's message.
void AppendProgress(const CheckInfo& check, std::string& page) {
  const int64_t step_now = check.step_now.value_or(0);
  page += "<td>";
  if (!check.steps.empty()) {
    page += "<ol class=\"steps\" aria-hidden=\"true\">";
    for (std::size_t i = 0; i < check.steps.size(); ++i) {
      const CheckStep& step = check.steps[i];
      const std::string_view state = StepStateName(step.state);
      const bool current = static_cast<int64_t>(i) + 1 == step_now;
      page += "<li class=\"";
      page += state;
      if (current) page += " current";
      page += "\" title=\"" + std::to_string(i + 1) + ". " +
              PageText(step.name) + ": " + std::string(state) + "\"></li>";
    }
    page += "</ol>";
  }
  if (check.step_now && check.step_all) {
    page += "step " + std::to_string(*check.step_now) + " of " +
            std::to_string(*check.step_all);
  }
  if (!check.step_comment.empty()) {
    page += "<br><small>" + PageText(check.step_comment) + "</small>";
  }
  if (!check.steps.empty()) {
    page += "<details><summary>" + std::to_string(check.steps.size()) +
            " steps</summary><ol>";
    for (const CheckStep& step : check.steps) {
      const StepState state = step.state;
      page += "<li class=\"step-" + std::string(StepStateName(state)) +
              "\" data-status=\"" + std::string(StepStateName(state)) + "\">" +
              PageText(step.name) + " &middot; " +
              std::string(StepStateName(state));
      if (state != StepState::kSuccess && !step.error_message.empty()) {
        page += ": " + PageText(step.error_message);
      }
      page += "</li>";
    }
    page += "</ol></details>";
  }
  page += "</td>";
}

void AppendJobRow(const JobStatus& status,
                  std::chrono::system_clock::time_point now,
                  std::string& page) {
  // Both are safe in HTML as they are: DTS job ids are checked on input.
  const std::string job_id = JobIdLabel(status.job);
  const auto [kind_name, kind] = JobKindLabel(status.job);
  const CheckState state = status.last_result
                               ? CheckStateOf(*status.last_result)
                               : CheckState::kNotFetched;
  const std::string state_name(CheckStateName(state));

  page += "<tr id=\"job-" + job_id + "-" + kind + "\" data-job-id=\"" + job_id +
          "\" data-" + (kind_name == "api" ? "api" : "src-type") + "=\"" +
          kind + "\" data-state=\"" + state_name + "\">";
  page += "<td>" + job_id + "</td><td>" + JobTypeText(status.job) + "</td>";
  page += "<td><span class=\"state " + state_name + "\">" + StateText(state) +
          "</span></td>";

  const FetchResult* result =
      status.last_result ? &*status.last_result : nullptr;
  if (result != nullptr && result->reply && result->reply->data &&
      result->outcome == FetchOutcome::kSuccess) {
    AppendProgress(*result->reply->data, page);
  } else {
    page += "<td></td>";
  }

  const std::string error =
      result != nullptr ? LastErrorText(status.job, *result) : "";
  page += "<td class=\"error\">" + PageText(error) + "</td>";

  page += "<td>";
  if (status.last_success_at) {
    page += "<time datetime=\"" + FormatUtc(*status.last_success_at, true) +
            "\">" + FormatUtc(*status.last_success_at, false) +
            "</time><br><small>" + FormatAge(*status.last_success_at, now) +
            "</small>";
  } else {
    page += "never";
  }
  if (result != nullptr) {
    page += "<br><small>last call " + FormatAge(status.fetched_at, now) +
            "</small>";
  }
  page += "</td></tr>\n";
}

}  // namespace

std::string RenderStatusPage(const StatusPageData& data) {
  constexpr CheckState kShownStates[] = {
      CheckState::kFailed, CheckState::kRunning,     CheckState::kPassed,
      CheckState::kNoData, CheckState::kUnreachable, CheckState::kNotFetched,
  };
  std::array<std::size_t, std::size(kShownStates)> counts{};
  for (const JobStatus& status : data.jobs) {
    const CheckState state = status.last_result
                                 ? CheckStateOf(*status.last_result)
                                 : CheckState::kNotFetched;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      if (kShownStates[i] == state) ++counts[i];
    }
  }

  const std::string metrics = EscapeHtml(data.telemetry_path);
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n<meta http-equiv=\"refresh\" content=\"30\">\n"
      "<title>cdb-sync-exporter</title>\n<style>";
  page += kStyle;
  page += "</style>\n</head>\n<body>\n<header><h1>cdb-sync-exporter</h1>\n<p>";
  page += "Version " + EscapeHtml(data.version) + " &middot; <a href=\"" +
          metrics +
          "\">Metrics</a> &middot; <a href=\"/-/healthy\">Health</a>"
          " &middot; <a href=\"/-/ready\">Readiness</a> &middot; " +
          FormatUtc(data.now, false) + "</p></header>\n";

  page += "<section class=\"summary\" aria-label=\"Job states\">";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const std::string name(CheckStateName(kShownStates[i]));
    page += "<span class=\"count ";
    page += name;
    page += "\" data-state=\"";
    page += name;
    page += "\">";
    page += std::to_string(counts[i]);
    page += ' ';
    page += StateText(kShownStates[i]);
    page += "</span>";
  }
  page += "</section>\n";

  if (data.jobs.empty()) {
    page += "<p>No jobs are configured.</p>\n";
  } else {
    page +=
        "<table>\n<thead><tr><th>Job</th><th>Type</th><th>State</th>"
        "<th>Progress</th><th>Last error</th><th>Last success</th></tr>"
        "</thead>\n<tbody>\n";
    for (const JobStatus& status : data.jobs) {
      AppendJobRow(status, data.now, page);
    }
    page += "</tbody>\n</table>\n";
  }
  page +=
      "<p><small>The page shows each job's result from the most recent scrape "
      "of <a href=\"" +
      metrics + "\">" + metrics +
      "</a>; opening it calls the API only for jobs not fetched yet."
      "</small></p>\n</body>\n</html>\n";
  return page;
}

std::string EscapeHtml(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped.append("&amp;");
        break;
      case '<':
        escaped.append("&lt;");
        break;
      case '>':
        escaped.append("&gt;");
        break;
      case '"':
        escaped.append("&quot;");
        break;
      case '\'':
        escaped.append("&#39;");
        break;
      default:
        escaped.push_back(c);
    }
  }
  return escaped;
}

}  // namespace cdb_sync
