// A std::mutex with the capability annotations that libstdc++'s own mutex
// lacks, so that clang's -Wthread-safety can check GUARDED_BY members.
#ifndef CDB_SYNC_EXPORTER_UTIL_MUTEX_H_
#define CDB_SYNC_EXPORTER_UTIL_MUTEX_H_

#include <condition_variable>
#include <mutex>

#include "exporter/util/thread_annotations.h"

namespace cdb_sync {

// Mutex is a non-recursive lock. It is thread-safe; it cannot be copied or
// moved.
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mutex_.lock(); }
  void Unlock() RELEASE() { mutex_.unlock(); }

  // Blocks until `condition` is notified, releasing the mutex while waiting.
  // Spurious wake-ups happen, so callers re-check their predicate.
  void Wait(std::condition_variable& condition) REQUIRES(this) {
    std::unique_lock<std::mutex> lock(mutex_, std::adopt_lock);
    condition.wait(lock);
    lock.release();
  }

  // Like Wait, but gives up at `deadline`. Returns false on time-out.
  template <typename Clock, typename Duration>
  bool WaitUntil(std::condition_variable& condition,
                 const std::chrono::time_point<Clock, Duration>& deadline)
      REQUIRES(this) {
    std::unique_lock<std::mutex> lock(mutex_, std::adopt_lock);
    const bool notified =
        condition.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return notified;
  }

 private:
  std::mutex mutex_;
};

// MutexLock holds a Mutex for the lifetime of the object.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ACQUIRE(mutex) : mutex_(mutex) {
    mutex_.Lock();
  }
  ~MutexLock() RELEASE() { mutex_.Unlock(); }

  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mutex_;
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_UTIL_MUTEX_H_
