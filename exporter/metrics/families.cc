#include "exporter/metrics/families.h"

#include <optional>
#include <string>
#include <utility>

#include "exporter/util/utf8.h"

namespace cdb_sync {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr StepState kStepStates[] = {StepState::kSuccess, StepState::kFailed,
                                     StepState::kPending, StepState::kUnknown};

MetricFamily Gauge(std::string name, std::string help) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = MetricType::Gauge;
  return family;
}

// The two labels that identify a job: job_id, then src_type or api.
struct JobLabels {
  ClientMetric::Label id;
  ClientMetric::Label kind;
};

// Returns the job's labels, built once per job rather than once per sample.
JobLabels LabelsOf(const Job& job) {
  auto [kind_name, kind] = JobKindLabel(job);
  return {{"job_id", JobIdLabel(job)}, {std::move(kind_name), std::move(kind)}};
}

// Adds a sample with the job's labels followed by `extra` labels.
void AddSample(MetricFamily& family, const JobLabels& job, double value,
               std::vector<ClientMetric::Label> extra = {}) {
  ClientMetric metric;
  metric.label.reserve(2 + extra.size());
  metric.label.push_back(job.id);
  metric.label.push_back(job.kind);
  for (auto& label : extra) metric.label.push_back(std::move(label));
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

// Returns API text as a label value, cut to kMaxLabelValueBytes.
std::string LabelValue(std::string_view text) {
  if (text.size() <= kMaxLabelValueBytes) return std::string(text);
  constexpr std::string_view kEllipsis = "...";
  std::string value(TruncateUtf8(text, kMaxLabelValueBytes - kEllipsis.size()));
  value += kEllipsis;
  return value;
}

void AddIfPresent(MetricFamily& family, const JobLabels& job,
                  const std::optional<int64_t>& value) {
  if (value) AddSample(family, job, static_cast<double>(*value));
}

}  // namespace

std::vector<MetricFamily> BuildCheckFamilies(
    std::span<const JobResult> results) {
  MetricFamily up = Gauge(
      "cdb_sync_check_up",
      "1 if the last API call for the job returned a readable reply without "
      "an error (API 2.0 code 0, no API 3.0 Error), else 0.");
  MetricFamily outcome = Gauge(
      "cdb_sync_check_outcome",
      "Outcome of the last API call for the job, as the outcome label; the "
      "value is always 1.");
  MetricFamily api_code =
      Gauge("cdb_sync_check_api_code",
            "The code field of an API 2.0 reply: 0 on success, e.g. 4100 for "
            "an authentication failure or 9591 for a task that does not "
            "exist. DTS replies have 0 on success and no series on error.");
  MetricFamily api_error =
      Gauge("cdb_sync_check_api_error_info",
            "The codeDesc and message of an API 2.0 reply whose code is not 0, "
            "or the Error.Code and Error.Message of a DTS reply, as labels; "
            "the value is always 1.");
  MetricFamily current_step =
      Gauge("cdb_sync_check_current_step",
            "The step the check is at (stepNow, or DTS StepCur), counted from "
            "1.");
  MetricFamily steps =
      Gauge("cdb_sync_check_steps",
            "Number of steps the check runs (stepAll, or DTS StepCount).");
  MetricFamily error_code =
      Gauge("cdb_sync_check_errno",
            "The check's errno: 0 while no error occurred, else the error "
            "code.");
  MetricFamily finished =
      Gauge("cdb_sync_check_finished",
            "1 if the check has finished (check_finished), else 0. A "
            "finished check with errno 0 passed.");
  MetricFamily step_errno =
      Gauge("cdb_sync_check_step_errno",
            "Raw errno of each check step: 0 passed, -1 failed, -2 not checked "
            "yet. step is the 1-based position in stepInfo.");
  MetricFamily step_status = Gauge(
      "cdb_sync_check_step_status",
      "State of each check step: for every step, exactly one of the status "
      "values success, failed, pending and unknown is 1.");
  MetricFamily info =
      Gauge("cdb_sync_check_info",
            "The check's current step comment and error message as labels; the "
            "value is always 1.");
  MetricFamily duration =
      Gauge("cdb_sync_check_scrape_duration_seconds",
            "Time the API call for the job took during this scrape, in "
            "seconds.");

  for (const JobResult& entry : results) {
    const JobLabels job = LabelsOf(entry.job);
    const FetchResult& result = entry.result;

    AddSample(up, job, result.outcome == FetchOutcome::kSuccess ? 1 : 0);
    AddSample(outcome, job, 1,
              {{"outcome", std::string(FetchOutcomeName(result.outcome))}});
    AddSample(duration, job, result.duration_seconds);
    if (!result.reply) continue;

    const CheckInfoReply& reply = *result.reply;
    // An API 3.0 error has no numeric code; its Error.Code is the
    // code_desc label of cdb_sync_check_api_error_info.
    if (reply.error_code.empty()) {
      AddSample(api_code, job, static_cast<double>(reply.code));
    }
    if (reply.IsError()) {
      AddSample(api_error, job, 1,
                {{"code_desc", LabelValue(reply.code_desc)},
                 {"message", LabelValue(reply.message)}});
    }
    // A reply with a non-zero code describes no check, whatever its data.
    if (reply.IsError() || !reply.data) continue;

    const CheckInfo& data = *reply.data;
    AddIfPresent(current_step, job, data.step_now);
    AddIfPresent(steps, job, data.step_all);
    AddIfPresent(error_code, job, data.error_code);
    AddIfPresent(finished, job, data.check_finished);
    AddSample(info, job, 1,
              {{"step_comment", LabelValue(data.step_comment)},
               {"error", LabelValue(data.error_message)}});

    for (std::size_t i = 0; i < data.steps.size(); ++i) {
      const CheckStep& step = data.steps[i];
      const std::string position = std::to_string(i + 1);
      const std::string name = LabelValue(step.name);
      if (step.error_code) {
        AddSample(step_errno, job, static_cast<double>(*step.error_code),
                  {{"step", position}, {"step_name", name}});
      }
      const StepState state = step.state;
      for (StepState candidate : kStepStates) {
        AddSample(step_status, job, candidate == state ? 1 : 0,
                  {{"step", position},
                   {"step_name", name},
                   {"status", std::string(StepStateName(candidate))}});
      }
    }
  }

  std::vector<MetricFamily> families;
  for (MetricFamily* family :
       {&up, &outcome, &api_code, &api_error, &current_step, &steps,
        &error_code, &finished, &step_errno, &step_status, &info, &duration}) {
    if (!family->metric.empty()) families.push_back(std::move(*family));
  }
  return families;
}

std::vector<MetricFamily> BuildTaskFamilies(std::span<const SyncTask> tasks,
                                            std::span<const Job> jobs) {
  MetricFamily status = Gauge(
      "cdb_sync_task_status",
      "The sync task's status from the task list, as a state set: exactly "
      "one status value is 1 when the API returned a documented status.");
  MetricFamily progress =
      Gauge("cdb_sync_task_progress_ratio",
            "The sync task's progress from the task list, from 0 to 1.");
  MetricFamily check_flag =
      Gauge("cdb_sync_task_check_flag",
            "The task's check flag from the task list, as a state set over "
            "not_checked, passed and failed.");
  MetricFamily info =
      Gauge("cdb_sync_task_info",
            "The sync task's name from the task list as a label; the value "
            "is always 1.");

  for (std::size_t i = 0; i < tasks.size() && i < jobs.size(); ++i) {
    const SyncTask& task = tasks[i];
    const JobLabels job = LabelsOf(jobs[i]);
    AddSample(info, job, 1, {{"name", LabelValue(task.name)}});
    // The status, progress and check flag series describe API 2.0 tasks;
    // DTS lists have other statuses and no check flag.
    if (task.api != JobApi::kCdbSyncCheck) continue;
    for (std::size_t code = 0; code < kTaskStatusNames.size(); ++code) {
      const bool current =
          task.status && *task.status == static_cast<int64_t>(code);
      AddSample(status, job, current ? 1 : 0,
                {{"status", std::string(kTaskStatusNames[code])}});
    }
    if (task.progress) AddSample(progress, job, *task.progress / 100);
    for (std::size_t code = 0; code < kCheckFlagNames.size(); ++code) {
      const bool current =
          task.check_flag && *task.check_flag == static_cast<int64_t>(code);
      AddSample(check_flag, job, current ? 1 : 0,
                {{"flag", std::string(kCheckFlagNames[code])}});
    }
  }

  std::vector<MetricFamily> families;
  for (MetricFamily* family : {&status, &progress, &check_flag, &info}) {
    if (!family->metric.empty()) families.push_back(std::move(*family));
  }
  return families;
}

std::optional<MetricFamily> BuildLastSuccessFamily(
    std::span<const JobStatus> statuses) {
  MetricFamily family = Gauge(
      "cdb_sync_check_last_success_timestamp_seconds",
      "Unix time of the job's last successful API call. With api.cache_ttl "
      "set, the check series can be a cached result up to that old; the "
      "time shows how fresh they are, also while calls fail.");
  for (const JobStatus& status : statuses) {
    if (!status.last_success_at) continue;
    AddSample(family, LabelsOf(status.job),
              std::chrono::duration<double>(
                  status.last_success_at->time_since_epoch())
                  .count());
  }
  if (family.metric.empty()) return std::nullopt;
  return family;
}

MetricFamily BuildInfoFamily(std::string_view version,
                             std::string_view revision) {
  MetricFamily family =
      Gauge("cdb_sync_exporter_build_info",
            "The exporter's version and the git revision it was built from; "
            "the value is always 1.");
  ClientMetric metric;
  metric.label.push_back({"version", std::string(version)});
  metric.label.push_back({"revision", std::string(revision)});
  metric.gauge.value = 1;
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace cdb_sync
