#include "exporter/parse/dts_check_parser.h"

#include <simdjson.h>

#include <string>
#include <utility>

#include "exporter/parse/check_info_parser.h"
#include "exporter/parse/json_reader.h"
#include "exporter/util/utf8.h"

namespace cdb_sync {
namespace {

namespace ondemand = simdjson::ondemand;
using json_reader::ErrorSink;
using json_reader::ForEachElement;
using json_reader::ForEachField;
using json_reader::JsonTypeName;
using json_reader::ReadInteger;
using json_reader::ReadString;
using json_reader::ValidateUnknown;

// A step's messages are joined and cut to this size; labels and the status
// page cut them much shorter anyway.
constexpr std::size_t kMaxStepMessageBytes = std::size_t{16} * 1024;

bool ReadBool(ondemand::value value, const std::string& path, bool& out,
              ErrorSink& errors) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return errors.Fail(path, error);
  if (type == ondemand::json_type::null) {
    out = false;
    return true;
  }
  if (type != ondemand::json_type::boolean ||
      value.get_bool().get(out) != simdjson::SUCCESS) {
    return errors.Fail("field \"" + path + "\" is " +
                       std::string(JsonTypeName(type)) +
                       "; expected true or false");
  }
  return true;
}

// Appends the Message of each tip in an Errors or Warnings array.
bool ReadTips(ondemand::value value, const std::string& path,
              std::string& messages, ErrorSink& errors) {
  return ForEachElement(
      value, path, errors, [&](std::size_t index, ondemand::value tip) {
        const std::string tip_path = path + "[" + std::to_string(index) + "]";
        return ForEachField(
            tip, tip_path, {"Message"}, errors,
            [&](std::string_view key, ondemand::value field,
                const std::string& field_path) {
              if (key != "Message") {
                return ValidateUnknown(field, field_path, 1, errors);
              }
              std::string message;
              if (!ReadString(field, field_path, message, errors)) {
                return false;
              }
              if (message.empty() || messages.size() >= kMaxStepMessageBytes) {
                return true;
              }
              if (!messages.empty()) messages += "; ";
              messages += message;
              if (messages.size() > kMaxStepMessageBytes) {
                // Cut, not dropped: a long message still names the problem.
                messages.resize(
                    TruncateUtf8(messages, kMaxStepMessageBytes - 3).size());
                messages += "...";
              }
              return true;
            });
      });
}

bool ReadStep(ondemand::value value, const std::string& path,
              DtsCheckStep& step, ErrorSink& errors) {
  std::string error_messages;
  std::string warning_messages;
  const bool ok = ForEachField(
      value, path,
      {"StepNo", "StepId", "StepName", "Status", "StepStatus", "StepMessage",
       "HasSkipped", "Errors", "Warnings"},
      errors,
      [&](std::string_view key, ondemand::value field,
          const std::string& field_path) {
        if (key == "StepNo") {
          return ReadInteger(field, field_path, step.number, errors);
        }
        if (key == "StepId")
          return ReadString(field, field_path, step.id, errors);
        if (key == "StepName") {
          return ReadString(field, field_path, step.name, errors);
        }
        if (key == "Status" || key == "StepStatus") {
          return ReadString(field, field_path, step.status, errors);
        }
        if (key == "StepMessage") {
          return ReadString(field, field_path, step.message, errors);
        }
        if (key == "HasSkipped") {
          return ReadBool(field, field_path, step.skipped, errors);
        }
        if (key == "Errors") {
          return ReadTips(field, field_path, error_messages, errors);
        }
        if (key == "Warnings") {
          return ReadTips(field, field_path, warning_messages, errors);
        }
        return ValidateUnknown(field, field_path, 1, errors);
      });
  if (!ok) return false;
  if (step.message.empty()) {
    step.message = error_messages.empty() ? std::move(warning_messages)
                                          : std::move(error_messages);
  }
  return true;
}

bool ReadSteps(ondemand::value value, const std::string& path,
               std::vector<DtsCheckStep>& steps, ErrorSink& errors) {
  steps.clear();
  return ForEachElement(
      value, path, errors, [&](std::size_t index, ondemand::value element) {
        if (index == kMaxCheckSteps) {
          return errors.Fail("field \"" + path + "\" has more than " +
                             std::to_string(kMaxCheckSteps) + " steps");
        }
        return ReadStep(element, path + "[" + std::to_string(index) + "]",
                        steps.emplace_back(), errors);
      });
}

// Reads Response.Error's Code and Message. "Error": null reads as no error,
// like any other null field, and leaves `code` empty.
bool ReadErrorInto(ondemand::value value, std::string& code,
                   std::string& message, ErrorSink& errors) {
  bool is_null = false;
  if (value.is_null().get(is_null) == simdjson::SUCCESS && is_null) {
    return true;
  }
  const bool ok =
      ForEachField(value, "Response.Error", {"Code", "Message"}, errors,
                   [&](std::string_view key, ondemand::value field,
                       const std::string& field_path) {
                     if (key == "Code")
                       return ReadString(field, field_path, code, errors);
                     if (key == "Message") {
                       return ReadString(field, field_path, message, errors);
                     }
                     return ValidateUnknown(field, field_path, 1, errors);
                   });
  if (!ok) return false;
  if (code.empty()) {
    return errors.Fail("field \"Response.Error.Code\" is missing or empty");
  }
  return true;
}

bool ReadResponse(ondemand::value value, DtsCheckReply& reply,
                  ErrorSink& errors) {
  DtsCheck check;
  const bool ok = ForEachField(
      value, "Response",
      {"Error", "RequestId", "Status", "StepCount", "StepCur", "Progress",
       "StepInfos", "StepInfo", "BriefMsg", "CheckFlag"},
      errors,
      [&](std::string_view key, ondemand::value field,
          const std::string& path) {
        if (key == "Error") {
          return ReadErrorInto(field, reply.error_code, reply.error_message,
                               errors);
        }
        if (key == "RequestId") {
          return ReadString(field, path, reply.request_id, errors);
        }
        if (key == "Status")
          return ReadString(field, path, check.status, errors);
        if (key == "StepCount") {
          return ReadInteger(field, path, check.step_count, errors);
        }
        if (key == "StepCur") {
          return ReadInteger(field, path, check.step_cur, errors);
        }
        if (key == "Progress") {
          return ReadInteger(field, path, check.progress, errors);
        }
        if (key == "StepInfos" || key == "StepInfo") {
          return ReadSteps(field, path, check.steps, errors);
        }
        if (key == "BriefMsg") {
          return ReadString(field, path, check.brief_message, errors);
        }
        if (key == "CheckFlag") {
          return ReadString(field, path, check.check_flag, errors);
        }
        return ValidateUnknown(field, path, 1, errors);
      });
  if (!ok) return false;
  for (const auto& [name, count] :
       {std::pair{"Response.StepCount", check.step_count},
        std::pair{"Response.StepCur", check.step_cur}}) {
    if (count && *count < 0) {
      return errors.Fail("field \"" + std::string(name) + "\": value " +
                         std::to_string(*count) + " is negative");
    }
  }
  if (reply.error_code.empty()) reply.check = std::move(check);
  return true;
}

bool ReadJob(ondemand::value value, const std::string& path, JobApi api,
             SyncTask& job, ErrorSink& errors) {
  job.api = api;
  const bool ok = ForEachField(
      value, path, {"JobId", "JobName", "Status"}, errors,
      [&](std::string_view key, ondemand::value field,
          const std::string& field_path) {
        if (key == "JobId") {
          return ReadString(field, field_path, job.dts_job_id, errors);
        }
        if (key == "JobName") {
          return ReadString(field, field_path, job.name, errors);
        }
        if (key == "Status") {
          return ReadString(field, field_path, job.dts_status, errors);
        }
        return ValidateUnknown(field, field_path, 1, errors);
      });
  if (!ok) return false;
  if (job.dts_job_id.empty()) {
    return errors.Fail("field \"" + path + ".JobId\" is missing or empty");
  }
  if (!IsValidDtsJobId(job.dts_job_id)) {
    return errors.Fail("field \"" + path + ".JobId\": value \"" +
                       json_reader::Quote(job.dts_job_id) +
                       "\" is not a DTS job id");
  }
  return true;
}

bool ReadJobList(ondemand::value value, JobApi api, DtsJobListReply& reply,
                 ErrorSink& errors) {
  return ForEachField(
      value, "Response", {"Error", "RequestId", "TotalCount", "JobList"},
      errors,
      [&](std::string_view key, ondemand::value field,
          const std::string& path) {
        if (key == "Error") {
          return ReadErrorInto(field, reply.error_code, reply.error_message,
                               errors);
        }
        if (key == "RequestId") {
          return ReadString(field, path, reply.request_id, errors);
        }
        if (key == "TotalCount") {
          return ReadInteger(field, path, reply.total_count, errors);
        }
        if (key == "JobList") {
          return ForEachElement(
              field, path, errors,
              [&](std::size_t index, ondemand::value element) {
                if (index == kMaxDtsJobsPerPage) {
                  return errors.Fail("field \"" + path + "\" has more than " +
                                     std::to_string(kMaxDtsJobsPerPage) +
                                     " jobs");
                }
                return ReadJob(element,
                               path + "[" + std::to_string(index) + "]", api,
                               reply.jobs.emplace_back(), errors);
              });
        }
        return ValidateUnknown(field, path, 1, errors);
      });
}

// Parses an API 3.0 reply, {"Response": {...}}, reading the Response object
// with read_response(value, errors). Returns the error message, or nullopt.
template <typename ReadResponse>
std::optional<std::string> ParseApi3Reply(std::string_view body,
                                          ReadResponse read_response) {
  bool has_response = false;
  std::optional<std::string> error = json_reader::ParseObject(
      body, {"Response"},
      [&](std::string_view key, ondemand::value value, ErrorSink& errors) {
        if (key != "Response") return ValidateUnknown(value, key, 1, errors);
        has_response = true;
        return read_response(value, errors);
      });
  if (error) return error;
  if (!has_response) return "field \"Response\" is missing";
  return std::nullopt;
}

}  // namespace

Expected<DtsCheckReply> ParseDtsCheckReply(std::string_view body) {
  DtsCheckReply reply;
  std::optional<std::string> error = ParseApi3Reply(
      body, [&reply](ondemand::value response, ErrorSink& errors) {
        return ReadResponse(response, reply, errors);
      });
  if (error) return Error{std::move(*error)};
  return reply;
}

Expected<DtsJobListReply> ParseDtsJobListReply(std::string_view body,
                                               JobApi api) {
  DtsJobListReply reply;
  std::optional<std::string> error =
      ParseApi3Reply(body, [&](ondemand::value response, ErrorSink& errors) {
        return ReadJobList(response, api, reply, errors);
      });
  if (error) return Error{std::move(*error)};
  return reply;
}

}  // namespace cdb_sync
