#include "exporter/parse/task_list_parser.h"

#include <simdjson.h>

#include <limits>
#include <string>
#include <utility>

#include "exporter/parse/json_reader.h"

namespace cdb_sync {
namespace {

namespace ondemand = simdjson::ondemand;
using json_reader::ErrorSink;
using json_reader::ForEachElement;
using json_reader::ForEachField;
using json_reader::JsonTypeName;
using json_reader::ReadInteger;
using json_reader::ReadNumber;
using json_reader::ReadString;
using json_reader::ValidateUnknown;

constexpr int64_t kMaxJobId = std::numeric_limits<int64_t>::max();

bool ReadCheckFlag(ondemand::value value, const std::string& path,
                   SyncTask& task, ErrorSink& errors) {
  return ForEachField(
      value, path, {"checkInfo"}, errors,
      [&](std::string_view key, ondemand::value field,
          const std::string& field_path) {
        if (key != "checkInfo") {
          return ValidateUnknown(field, field_path, 1, errors);
        }
        return ForEachField(
            field, field_path, {"checkFlag"}, errors,
            [&](std::string_view inner_key, ondemand::value inner,
                const std::string& inner_path) {
              if (inner_key == "checkFlag") {
                return ReadInteger(inner, inner_path, task.check_flag, errors);
              }
              return ValidateUnknown(inner, inner_path, 1, errors);
            });
      });
}

bool ReadTask(ondemand::value value, const std::string& path, SyncTask& task,
              ErrorSink& errors) {
  std::optional<int64_t> job_id;
  const bool ok = ForEachField(
      value, path, {"jobId", "jobName", "type", "status", "progress", "detail"},
      errors,
      [&](std::string_view key, ondemand::value field,
          const std::string& field_path) {
        if (key == "jobId") {
          return ReadInteger(field, field_path, job_id, errors,
                             /*allow_null=*/false, 1, kMaxJobId);
        }
        if (key == "jobName") {
          return ReadString(field, field_path, task.name, errors);
        }
        if (key == "type") {
          return ReadInteger(field, field_path, task.type, errors);
        }
        if (key == "status") {
          return ReadInteger(field, field_path, task.status, errors);
        }
        if (key == "progress") {
          return ReadNumber(field, field_path, task.progress, errors);
        }
        if (key == "detail") {
          ondemand::json_type type;
          if (auto error = field.type().get(type)) {
            return errors.Fail(field_path, error);
          }
          if (type == ondemand::json_type::null) return true;
          return ReadCheckFlag(field, field_path, task, errors);
        }
        return ValidateUnknown(field, field_path, 1, errors);
      });
  if (!ok) return false;
  if (!job_id) return errors.Fail("field \"" + path + ".jobId\" is missing");
  task.job_id = *job_id;
  return true;
}

bool ReadJobList(ondemand::value value, TaskListReply& reply,
                 ErrorSink& errors) {
  return ForEachElement(
      value, "data.jobList", errors,
      [&](std::size_t index, ondemand::value element) {
        if (index == kMaxTasksPerPage) {
          return errors.Fail("field \"data.jobList\" has more than " +
                             std::to_string(kMaxTasksPerPage) + " tasks");
        }
        return ReadTask(element, "data.jobList[" + std::to_string(index) + "]",
                        reply.tasks.emplace_back(), errors);
      });
}

bool ReadListData(ondemand::value value, TaskListReply& reply,
                  ErrorSink& errors) {
  return ForEachField(
      value, "data", {"totalCount", "totalNum", "jobList"}, errors,
      [&](std::string_view key, ondemand::value field,
          const std::string& field_path) {
        if (key == "totalCount" || key == "totalNum") {
          return ReadInteger(field, field_path, reply.total_count, errors,
                             /*allow_null=*/true, 0, kMaxJobId);
        }
        if (key == "jobList") return ReadJobList(field, reply, errors);
        return ValidateUnknown(field, field_path, 1, errors);
      });
}

// Reads `data`: an object, a one-element array holding an object, an empty
// array, or null.
bool ReadData(ondemand::value value, TaskListReply& reply, ErrorSink& errors) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return errors.Fail("data", error);
  switch (type) {
    case ondemand::json_type::null:
      return true;
    case ondemand::json_type::object:
      return ReadListData(value, reply, errors);
    case ondemand::json_type::array: {
      ondemand::array array;
      if (auto error = value.get_array().get(array)) {
        return errors.Fail("data", error);
      }
      std::size_t count = 0;
      for (auto element_result : array) {
        ondemand::value element;
        if (auto error = element_result.get(element)) {
          return errors.Fail("data", error);
        }
        if (++count > 1) {
          return errors.Fail(
              "field \"data\" is an array of more than one "
              "element");
        }
        if (!ReadListData(element, reply, errors)) return false;
      }
      return true;
    }
    default:
      return errors.Fail("field \"data\" is " +
                         std::string(JsonTypeName(type)) +
                         "; expected an object or an array");
  }
}

}  // namespace

Expected<TaskListReply> ParseTaskListReply(std::string_view body) {
  TaskListReply reply;
  std::optional<std::string> error = json_reader::ParseReply(
      body, reply, [&reply](ondemand::value data, ErrorSink& errors) {
        return ReadData(data, reply, errors);
      });
  if (error) return Error{std::move(*error)};
  return reply;
}

}  // namespace cdb_sync
