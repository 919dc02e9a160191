// Readers for the Tencent Cloud API's JSON replies on simdjson On-Demand,
// shared by the reply parsers. Each reader reports its first error to an
// ErrorSink and returns false; integers may arrive as JSON numbers or as
// numeric strings.
#ifndef CDB_SYNC_EXPORTER_PARSE_JSON_READER_H_
#define CDB_SYNC_EXPORTER_PARSE_JSON_READER_H_

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/util/utf8.h"

namespace cdb_sync::json_reader {

namespace ondemand = simdjson::ondemand;

// Unknown fields deeper than this are rejected instead of walked.
inline constexpr int kMaxUnknownDepth = 64;

// Maximum length of a bad value quoted in an error message.
inline constexpr std::size_t kMaxQuotedValue = 64;

inline constexpr int64_t kMinInt = std::numeric_limits<int32_t>::min();
inline constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();

// Carries the first error of a parse; every reader returns false after
// setting it.
class ErrorSink {
 public:
  bool Fail(std::string message) {
    if (message_.empty()) message_ = std::move(message);
    return false;
  }
  bool Fail(std::string_view path, simdjson::error_code code) {
    return Fail("field \"" + std::string(path) +
                "\": " + simdjson::error_message(code));
  }
  std::string& message() { return message_; }

 private:
  std::string message_;
};

// Records the known keys of one object, to reject a known key given twice:
// with {"code":4100,"code":0} a reader could pick either value. Unknown keys
// are not recorded, since their values are never read.
class KeySet {
 public:
  explicit KeySet(std::initializer_list<std::string_view> known)
      : known_(known) {}

  // Returns false when `key` is known and was inserted before.
  bool Insert(std::string_view key) {
    bool is_known = false;
    for (std::string_view name : known_) is_known |= name == key;
    if (!is_known) return true;
    for (const std::string& seen : keys_) {
      if (seen == key) return false;
    }
    keys_.emplace_back(key);
    return true;
  }

 private:
  std::vector<std::string_view> known_;
  std::vector<std::string> keys_;
};

inline bool FailDuplicate(ErrorSink& errors, std::string_view path) {
  return errors.Fail("field \"" + std::string(path) +
                     "\" appears more than once");
}

inline std::string Quote(std::string_view text) {
  if (text.size() > kMaxQuotedValue) {
    return std::string(text.substr(0, kMaxQuotedValue)) + "...";
  }
  return std::string(text);
}

inline std::string_view JsonTypeName(ondemand::json_type type) {
  switch (type) {
    case ondemand::json_type::array:
      return "an array";
    case ondemand::json_type::object:
      return "an object";
    case ondemand::json_type::number:
      return "a number";
    case ondemand::json_type::string:
      return "a string";
    case ondemand::json_type::boolean:
      return "a boolean";
    case ondemand::json_type::null:
      return "null";
  }
  return "an unknown type";
}

inline bool FailRange(ErrorSink& errors, std::string_view path,
                      std::string_view token, int64_t min = kMinInt,
                      int64_t max = kMaxInt) {
  return errors.Fail("field \"" + std::string(path) + "\": value " +
                     Quote(token) + " is not an integer from " +
                     std::to_string(min) + " to " + std::to_string(max));
}

// Returns true for "12", "-1" and "12.00": an optional minus sign, digits,
// and optionally a decimal point followed by digits.
inline bool IsPlainDecimal(std::string_view text) {
  std::size_t position = 0;
  if (position < text.size() && text[position] == '-') ++position;
  const std::size_t digits_start = position;
  while (position < text.size() && text[position] >= '0' &&
         text[position] <= '9') {
    ++position;
  }
  if (position == digits_start) return false;
  if (position == text.size()) return true;
  if (text[position] != '.') return false;
  const std::size_t fraction_start = ++position;
  while (position < text.size() && text[position] >= '0' &&
         text[position] <= '9') {
    ++position;
  }
  return position > fraction_start && position == text.size();
}

// Converts decimal text such as "12", "-1" or "12.0" to an integer from
// `min` to `max`, by default the 32-bit range. JSON number tokens may also
// use an exponent ("1e2").
inline std::optional<int64_t> IntegerFromText(std::string_view text,
                                              int64_t min = kMinInt,
                                              int64_t max = kMaxInt) {
  if (text.empty()) return std::nullopt;
  int64_t integer = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), integer);
  if (error == std::errc() && end == text.data() + text.size()) {
    if (integer < min || integer > max) return std::nullopt;
    return integer;
  }
  double real = 0;
  auto [real_end, real_error] =
      std::from_chars(text.data(), text.data() + text.size(), real);
  if (real_error != std::errc() || real_end != text.data() + text.size() ||
      !std::isfinite(real) || std::trunc(real) != real ||
      real < static_cast<double>(min) || real > static_cast<double>(max)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(real);
}

// Reads an integer from `min` to `max` given as a JSON number or a numeric
// string. A null leaves `out` unset when `allow_null` is true.
inline bool ReadInteger(ondemand::value value, std::string_view path,
                        std::optional<int64_t>& out, ErrorSink& errors,
                        bool allow_null = true, int64_t min = kMinInt,
                        int64_t max = kMaxInt) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return errors.Fail(path, error);

  switch (type) {
    case ondemand::json_type::null:
      if (!allow_null) {
        return errors.Fail("field \"" + std::string(path) +
                           "\" is null; expected an integer");
      }
      out.reset();
      return true;
    case ondemand::json_type::number: {
      std::string_view token = value.raw_json_token();
      // Trim the whitespace simdjson leaves after a number token.
      while (!token.empty() && (token.back() == ' ' || token.back() == '\n' ||
                                token.back() == '\r' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      std::optional<int64_t> integer = IntegerFromText(token, min, max);
      if (!integer) return FailRange(errors, path, token, min, max);
      // The whole-token check above does not validate the number's grammar
      // (e.g. "01"), so let simdjson parse it too.
      double ignored = 0;
      if (auto error = value.get_double().get(ignored)) {
        return errors.Fail(path, error);
      }
      out = integer;
      return true;
    }
    case ondemand::json_type::string: {
      std::string_view text;
      if (auto error = value.get_string().get(text)) {
        return errors.Fail(path, error);
      }
      std::optional<int64_t> integer;
      if (IsPlainDecimal(text)) integer = IntegerFromText(text, min, max);
      if (!integer) {
        return FailRange(errors, path, "\"" + Quote(text) + "\"", min, max);
      }
      out = integer;
      return true;
    }
    default:
      return errors.Fail("field \"" + std::string(path) + "\" is " +
                         std::string(JsonTypeName(type)) +
                         "; expected an integer or a numeric string");
  }
}

// Reads a finite number given as a JSON number or a numeric string such as
// "100.00". A null leaves `out` unset.
inline bool ReadNumber(ondemand::value value, std::string_view path,
                       std::optional<double>& out, ErrorSink& errors) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return errors.Fail(path, error);
  double number = 0;
  switch (type) {
    case ondemand::json_type::null:
      out.reset();
      return true;
    case ondemand::json_type::number:
      if (auto error = value.get_double().get(number)) {
        return errors.Fail(path, error);
      }
      break;
    case ondemand::json_type::string: {
      std::string_view text;
      if (auto error = value.get_string().get(text)) {
        return errors.Fail(path, error);
      }
      auto [end, error] =
          std::from_chars(text.data(), text.data() + text.size(), number);
      if (!IsPlainDecimal(text) || error != std::errc() ||
          end != text.data() + text.size()) {
        return errors.Fail("field \"" + std::string(path) + "\": value \"" +
                           Quote(text) + "\" is not a number");
      }
      break;
    }
    default:
      return errors.Fail("field \"" + std::string(path) + "\" is " +
                         std::string(JsonTypeName(type)) +
                         "; expected a number or a numeric string");
  }
  if (!std::isfinite(number)) {
    return errors.Fail("field \"" + std::string(path) +
                       "\" is not a finite number");
  }
  out = number;
  return true;
}

// Reads a string; null reads as empty.
inline bool ReadString(ondemand::value value, std::string_view path,
                       std::string& out, ErrorSink& errors) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return errors.Fail(path, error);
  if (type == ondemand::json_type::null) {
    out.clear();
    return true;
  }
  if (type != ondemand::json_type::string) {
    return errors.Fail("field \"" + std::string(path) + "\" is " +
                       std::string(JsonTypeName(type)) + "; expected a string");
  }
  std::string_view text;
  if (auto error = value.get_string().get(text)) {
    return errors.Fail(path, error);
  }
  out.assign(text);
  return true;
}

// Walks a value the parser does not use, so that malformed JSON inside an
// unknown field is rejected like malformed JSON anywhere else.
inline bool ValidateUnknown(ondemand::value value, std::string_view path,
                            int depth, ErrorSink& errors) {
  if (depth > kMaxUnknownDepth) {
    return errors.Fail("field \"" + std::string(path) +
                       "\" nests deeper than " +
                       std::to_string(kMaxUnknownDepth) + " levels");
  }
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return errors.Fail(path, error);

  switch (type) {
    case ondemand::json_type::object: {
      ondemand::object object;
      if (auto error = value.get_object().get(object)) {
        return errors.Fail(path, error);
      }
      for (auto field_result : object) {
        ondemand::field field;
        std::string_view key;
        if (auto error = std::move(field_result).get(field)) {
          return errors.Fail(path, error);
        }
        if (auto error = field.unescaped_key().get(key)) {
          return errors.Fail(path, error);
        }
        if (!ValidateUnknown(field.value(), path, depth + 1, errors)) {
          return false;
        }
      }
      return true;
    }
    case ondemand::json_type::array: {
      ondemand::array array;
      if (auto error = value.get_array().get(array)) {
        return errors.Fail(path, error);
      }
      for (auto element_result : array) {
        ondemand::value element;
        if (auto error = element_result.get(element)) {
          return errors.Fail(path, error);
        }
        if (!ValidateUnknown(element, path, depth + 1, errors)) return false;
      }
      return true;
    }
    case ondemand::json_type::number: {
      double number = 0;
      if (auto error = value.get_double().get(number)) {
        return errors.Fail(path, error);
      }
      return true;
    }
    case ondemand::json_type::string: {
      std::string_view text;
      if (auto error = value.get_string().get(text)) {
        return errors.Fail(path, error);
      }
      return true;
    }
    case ondemand::json_type::boolean: {
      bool flag = false;
      if (auto error = value.get_bool().get(flag)) {
        return errors.Fail(path, error);
      }
      return true;
    }
    case ondemand::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null)) {
        return errors.Fail(path, error);
      }
      if (!is_null) return errors.Fail(path, simdjson::N_ATOM_ERROR);
      return true;
    }
  }
  return errors.Fail(path, simdjson::INCORRECT_TYPE);
}

// Calls read(key, value, field_path) for each field of `value`, which must
// be an object, after checking that no key of `known` repeats. `read`
// validates and skips the unknown keys itself.
template <typename ReadField>
bool ForEachField(ondemand::value value, const std::string& path,
                  std::initializer_list<std::string_view> known,
                  ErrorSink& errors, ReadField read) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return errors.Fail(path, error);
  ondemand::object object;
  if (type != ondemand::json_type::object ||
      value.get_object().get(object) != simdjson::SUCCESS) {
    return errors.Fail("field \"" + path + "\" is " +
                       std::string(JsonTypeName(type)) +
                       "; expected an object");
  }
  KeySet keys(known);
  for (auto field_result : object) {
    ondemand::field field;
    std::string_view key;
    if (auto error = std::move(field_result).get(field)) {
      return errors.Fail(path, error);
    }
    if (auto error = field.unescaped_key().get(key)) {
      return errors.Fail(path, error);
    }
    const std::string field_path = path + "." + std::string(key);
    if (!keys.Insert(key)) return FailDuplicate(errors, field_path);
    if (!read(key, field.value(), field_path)) return false;
  }
  return true;
}

// Calls read(index, element) for each element of the array `value`. A null
// reads as an empty array.
template <typename ReadElement>
bool ForEachElement(ondemand::value value, const std::string& path,
                    ErrorSink& errors, ReadElement read) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return errors.Fail(path, error);
  if (type == ondemand::json_type::null) return true;
  ondemand::array array;
  if (type != ondemand::json_type::array ||
      value.get_array().get(array) != simdjson::SUCCESS) {
    return errors.Fail("field \"" + path + "\" is " +
                       std::string(JsonTypeName(type)) + "; expected an array");
  }
  std::size_t index = 0;
  for (auto element_result : array) {
    ondemand::value element;
    if (auto error = element_result.get(element)) {
      return errors.Fail(path, error);
    }
    if (!read(index++, element)) return false;
  }
  return true;
}

// Copies a reply body into simdjson's padded buffer. A leading byte-order
// mark, which JSON forbids but which some servers send, is skipped. Invalid
// UTF-8 would make simdjson reject the whole reply, so the bad bytes are
// replaced with U+FFFD: they are most likely inside a message, and label
// values must be valid UTF-8.
inline simdjson::padded_string PrepareBody(std::string_view body) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (body.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
    body.remove_prefix(kByteOrderMark.size());
  }
  if (!simdjson::validate_utf8(body.data(), body.size())) {
    return simdjson::padded_string(RepairUtf8(body));
  }
  return simdjson::padded_string(body);
}

// Parses `body` as one JSON object and calls read_field(key, value, errors)
// for each of its fields, which must return false after reporting an error.
// A key of `known` given twice, or bytes after the object, is an error.
// Returns the error message, or nullopt.
template <typename ReadField>
std::optional<std::string> ParseObject(
    std::string_view body, std::initializer_list<std::string_view> known,
    ReadField read_field) {
  thread_local ondemand::parser parser;
  ErrorSink errors;
  const simdjson::padded_string padded = PrepareBody(body);

  ondemand::document document;
  if (auto error = parser.iterate(padded).get(document)) {
    return std::string("invalid JSON: ") + simdjson::error_message(error);
  }
  ondemand::object root;
  if (auto error = document.get_object().get(root)) {
    if (error == simdjson::INCORRECT_TYPE) {
      return "the reply is not a JSON object";
    }
    // simdjson reports bytes after the object here, as an unclosed document.
    return std::string("invalid JSON: ") + simdjson::error_message(error);
  }

  KeySet keys(known);
  for (auto field_result : root) {
    ondemand::field field;
    std::string_view key;
    if (auto error = std::move(field_result).get(field)) {
      return std::string("invalid JSON: ") + simdjson::error_message(error);
    }
    if (auto error = field.unescaped_key().get(key)) {
      errors.Fail("a key", error);
      return std::move(errors.message());
    }
    if (!keys.Insert(key)) {
      FailDuplicate(errors, key);
      return std::move(errors.message());
    }
    if (!read_field(key, field.value(), errors)) {
      return std::move(errors.message());
    }
  }

  // current_location() reports OUT_OF_BOUNDS once every token is consumed;
  // anything else means bytes follow the reply object.
  if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return "invalid JSON: unexpected bytes after the reply object";
  }
  return std::nullopt;
}

// Parses `body` as an API 2.0 reply object into `reply`, which has the
// members code, message and code_desc, and reads `data` with
// read_data(value, errors). Unknown fields are validated and skipped. A
// missing code, a known key given twice, or bytes after the object is an
// error. Returns the error message, or nullopt.
template <typename Reply, typename ReadData>
std::optional<std::string> ParseReply(std::string_view body, Reply& reply,
                                      ReadData read_data) {
  std::optional<int64_t> code;
  std::optional<std::string> error = ParseObject(
      body, {"code", "message", "codeDesc", "data"},
      [&](std::string_view key, ondemand::value value, ErrorSink& errors) {
        if (key == "code") {
          return ReadInteger(value, "code", code, errors,
                             /*allow_null=*/false);
        }
        if (key == "message") {
          return ReadString(value, "message", reply.message, errors);
        }
        if (key == "codeDesc") {
          return ReadString(value, "codeDesc", reply.code_desc, errors);
        }
        if (key == "data") return read_data(value, errors);
        return ValidateUnknown(value, key, 1, errors);
      });
  if (error) return error;
  if (!code) return "field \"code\" is missing";
  reply.code = *code;
  return std::nullopt;
}

}  // namespace cdb_sync::json_reader

#endif  // CDB_SYNC_EXPORTER_PARSE_JSON_READER_H_
