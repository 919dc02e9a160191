#include "exporter/parse/check_info_parser.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "exporter/parse/json_reader.h"
#include "exporter/util/utf8.h"

namespace cdb_sync {
namespace {

namespace ondemand = simdjson::ondemand;
using json_reader::ErrorSink;
using json_reader::FailDuplicate;
using json_reader::JsonTypeName;
using json_reader::KeySet;
using json_reader::ReadInteger;
using json_reader::ReadString;
using json_reader::ValidateUnknown;

bool ReadStep(ondemand::value value, const std::string& path, CheckStep& step,
              ErrorSink& errors) {
  std::optional<int64_t> error_code;
  const bool ok = json_reader::ForEachField(
      value, path, {"stepName", "errno", "error"}, errors,
      [&](std::string_view key, ondemand::value field,
          const std::string& field_path) {
        if (key == "stepName") {
          return ReadString(field, field_path, step.name, errors);
        }
        if (key == "errno") {
          return ReadInteger(field, field_path, error_code, errors,
                             /*allow_null=*/false);
        }
        if (key == "error") {
          return ReadString(field, field_path, step.error_message, errors);
        }
        return ValidateUnknown(field, field_path, 1, errors);
      });
  if (!ok) return false;

  if (!error_code) {
    return errors.Fail("field \"" + path +
                       ".errno\" is missing; every step needs one");
  }
  step.error_code = *error_code;
  step.state = StepStateFromCode(*error_code);
  return true;
}

bool ReadSteps(ondemand::value value, std::vector<CheckStep>& steps,
               ErrorSink& errors) {
  steps.clear();
  return json_reader::ForEachElement(
      value, "data.stepInfo", errors,
      [&](std::size_t index, ondemand::value element) {
        if (index == kMaxCheckSteps) {
          return errors.Fail("field \"data.stepInfo\" has more than " +
                             std::to_string(kMaxCheckSteps) + " steps");
        }
        return ReadStep(element, "data.stepInfo[" + std::to_string(index) + "]",
                        steps.emplace_back(), errors);
      });
}

bool ReadCheckInfo(ondemand::object object, CheckInfo& info,
                   ErrorSink& errors) {
  KeySet keys({"stepAll", "stepNow", "errno", "check_finished", "stepComment",
               "error", "stepInfo"});
  for (auto field_result : object) {
    ondemand::field field;
    std::string_view key;
    if (auto error = std::move(field_result).get(field)) {
      return errors.Fail("data", error);
    }
    if (auto error = field.unescaped_key().get(key)) {
      return errors.Fail("data", error);
    }
    if (!keys.Insert(key)) {
      return FailDuplicate(errors, "data." + std::string(key));
    }

    bool ok = true;
    if (key == "stepAll") {
      ok = ReadInteger(field.value(), "data.stepAll", info.step_all, errors);
    } else if (key == "stepNow") {
      ok = ReadInteger(field.value(), "data.stepNow", info.step_now, errors);
    } else if (key == "errno") {
      ok = ReadInteger(field.value(), "data.errno", info.error_code, errors);
    } else if (key == "check_finished") {
      ok = ReadInteger(field.value(), "data.check_finished",
                       info.check_finished, errors);
    } else if (key == "stepComment") {
      ok = ReadString(field.value(), "data.stepComment", info.step_comment,
                      errors);
    } else if (key == "error") {
      ok = ReadString(field.value(), "data.error", info.error_message, errors);
    } else if (key == "stepInfo") {
      ok = ReadSteps(field.value(), info.steps, errors);
    } else {
      ok =
          ValidateUnknown(field.value(), "data." + std::string(key), 1, errors);
    }
    if (!ok) return false;
  }

  // Values that no real check produces: reject them so that alerts built on
  // these series never see nonsense.
  if (info.check_finished && *info.check_finished != 0 &&
      *info.check_finished != 1) {
    return errors.Fail("field \"data.check_finished\": value " +
                       std::to_string(*info.check_finished) +
                       " is neither 0 nor 1");
  }
  for (const auto& [name, count] : {std::pair{"data.stepAll", info.step_all},
                                    std::pair{"data.stepNow", info.step_now}}) {
    if (count && *count < 0) {
      return errors.Fail("field \"" + std::string(name) + "\": value " +
                         std::to_string(*count) + " is negative");
    }
  }
  return true;
}

// Reads `data`: an object, a one-element array holding an object, an empty
// array, or null.
bool ReadData(ondemand::value value, std::optional<CheckInfo>& data,
              ErrorSink& errors) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return errors.Fail("data", error);

  switch (type) {
    case ondemand::json_type::null:
      data.reset();
      return true;
    case ondemand::json_type::object: {
      ondemand::object object;
      if (auto error = value.get_object().get(object)) {
        return errors.Fail("data", error);
      }
      data.emplace();
      return ReadCheckInfo(object, *data, errors);
    }
    case ondemand::json_type::array: {
      ondemand::array array;
      if (auto error = value.get_array().get(array)) {
        return errors.Fail("data", error);
      }
      data.reset();
      std::size_t count = 0;
      for (auto element_result : array) {
        ondemand::value element;
        if (auto error = element_result.get(element)) {
          return errors.Fail("data", error);
        }
        if (++count > 1) {
          return errors.Fail(
              "field \"data\" is an array of more than one element; expected "
              "an object or a one-element array");
        }
        ondemand::object object;
        if (element.get_object().get(object) != simdjson::SUCCESS) {
          return errors.Fail("field \"data[0]\" is not an object");
        }
        data.emplace();
        if (!ReadCheckInfo(object, *data, errors)) return false;
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

Expected<CheckInfoReply> ParseCheckInfoReply(std::string_view body) {
  CheckInfoReply reply;
  std::optional<std::string> error = json_reader::ParseReply(
      body, reply, [&reply](ondemand::value data, ErrorSink& errors) {
        return ReadData(data, reply.data, errors);
      });
  if (error) return Error{std::move(*error)};
  return reply;
}

}  // namespace cdb_sync
