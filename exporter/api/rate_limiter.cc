#include "exporter/api/rate_limiter.h"

#include <algorithm>

namespace cdb_sync {

RateLimiter::RateLimiter(int rate, int burst)
    : rate_(std::max(rate, 0)), burst_(std::max(burst, 1)), tokens_(burst_) {}

void RateLimiter::SetLimit(int rate, int burst) {
  MutexLock lock(mutex_);
  const bool was_unlimited = rate_ == 0;
  rate_ = std::max(rate, 0);
  burst_ = std::max(burst, 1);
  // Turning the limit on starts with a full bucket; changing it keeps the
  // tokens saved so far, up to the new burst.
  tokens_ = was_unlimited ? burst_ : std::min(tokens_, burst_);
}

std::optional<RateLimiter::Clock::time_point> RateLimiter::Reserve(
    Clock::time_point now, Clock::time_point latest) {
  MutexLock lock(mutex_);
  if (rate_ == 0) return now;

  if (updated_ && now > *updated_) {
    const double elapsed =
        std::chrono::duration<double>(now - *updated_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  }
  if (!updated_ || now > *updated_) updated_ = now;

  // The start is when the bucket, refilled at rate_, contains one token again.
  const Clock::time_point start =
      tokens_ >= 1
          ? now
          : *updated_ +
                std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>((1 - tokens_) / rate_));
  if (start > latest) return std::nullopt;
  tokens_ -= 1;
  return std::max(start, now);
}

}  // namespace cdb_sync
