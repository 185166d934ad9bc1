// Mutex, MutexLock and CondVar: std::mutex and std::condition_variable with
// Clang's thread-safety annotations, so that every member a lock guards
// says so (ABSL_GUARDED_BY(mu_)) and `bazel build --config=thread-safety`
// (clang, -Werror=thread-safety) proves each access holds it.
//
//   class Counter {
//    public:
//     void Add() {
//       MutexLock lock(&mu_);
//       ++n_;
//       changed_.SignalAll();
//     }
//     void WaitFor(int want) {
//       MutexLock lock(&mu_);
//       while (n_ < want) changed_.Wait(&mu_);
//     }
//    private:
//     Mutex mu_;
//     CondVar changed_;
//     int n_ ABSL_GUARDED_BY(mu_) = 0;
//   };
//
// Why not absl::Mutex, which carries the same annotations: Debian's Abseil
// is not built with ThreadSanitizer, so under `--config=tsan` TSan would
// not see absl::Mutex's synchronization and would report races in correct
// code. These wrap pthread mutexes, which TSan intercepts.
#ifndef MEDIAGEN_SERVICE_COMMON_MUTEX_H_
#define MEDIAGEN_SERVICE_COMMON_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace mediagen {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    return mu_.try_lock();
  }
  // Tells the analysis the lock is held where it cannot follow (a lambda
  // run while its caller holds it); checks nothing at run time.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable used with a Mutex held by the caller.
class CondVar {
 public:
  // Releases `mu`, waits for a signal (or a spurious wake-up), takes `mu`
  // again. Callers loop on their condition.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // The same, giving up at `deadline`; false when it passed.
  bool WaitUntil(Mutex* mu, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    const bool signalled = cv_.wait_until(lock, absl::ToChronoTime(deadline)) ==
                           std::cv_status::no_timeout;
    lock.release();
    return signalled;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace mediagen

#endif  // MEDIAGEN_SERVICE_COMMON_MUTEX_H_
