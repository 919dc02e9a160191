// Expected<T> carries either a value or an error message. The scrape path
// returns errors as values so that no exception leaves a collector.
#ifndef CDB_SYNC_EXPORTER_UTIL_EXPECTED_H_
#define CDB_SYNC_EXPORTER_UTIL_EXPECTED_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace cdb_sync {

// An error message meant for a person: it names the failing value and,
// where one exists, the fix.
struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(Error error) : error_(std::move(error.message)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }

  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }

  // The error message; empty when ok().
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_UTIL_EXPECTED_H_
