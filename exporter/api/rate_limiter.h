// A token bucket that spaces out API calls across all scrapes.
#ifndef CDB_SYNC_EXPORTER_API_RATE_LIMITER_H_
#define CDB_SYNC_EXPORTER_API_RATE_LIMITER_H_

#include <chrono>
#include <optional>

#include "exporter/util/mutex.h"

namespace cdb_sync {

// RateLimiter hands out at most `rate` starts per second, with bursts of up
// to `burst`. A caller reserves a start time ahead: Reserve() returns when
// the call may start, or nullopt when that would be after the caller's
// latest useful time, in which case nothing is taken from the bucket. A rate
// of 0 lets every call start at once. Thread-safe.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts with a full bucket.
  RateLimiter(int rate, int burst);

  // Changes the limit. A limit turned on starts with a full bucket; a changed
  // one keeps the tokens saved so far, up to the new burst.
  void SetLimit(int rate, int burst) EXCLUDES(mutex_);

  // Reserves one start at or after `now`, no later than `latest`.
  std::optional<Clock::time_point> Reserve(Clock::time_point now,
                                           Clock::time_point latest)
      EXCLUDES(mutex_);

 private:
  Mutex mutex_;
  double rate_ GUARDED_BY(mutex_) = 0;
  double burst_ GUARDED_BY(mutex_) = 1;
  // Tokens in the bucket at updated_; negative while starts are reserved
  // ahead of the refill.
  double tokens_ GUARDED_BY(mutex_) = 0;
  std::optional<Clock::time_point> updated_ GUARDED_BY(mutex_);
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_API_RATE_LIMITER_H_
