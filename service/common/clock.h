// Clock: the time source business logic reads, so tests can fake it.
//
//   const Clock& clock = SystemClock();
//   absl::Time now = clock.Now();
//
//   FakeClock fake(absl::FromUnixSeconds(1000));   // in tests
//   fake.Advance(absl::Seconds(5));
#ifndef MEDIAGEN_SERVICE_COMMON_CLOCK_H_
#define MEDIAGEN_SERVICE_COMMON_CLOCK_H_

#include "absl/time/time.h"
#include "service/common/mutex.h"

namespace mediagen {

// Thread-safe source of the current time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The real clock (absl::Now()). Lives for the whole program.
const Clock& SystemClock();

// A clock that moves only when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch() + absl::Hours(24))
      : now_(start) {}
  absl::Time Now() const override;
  void Advance(absl::Duration d);
  void Set(absl::Time t);

 private:
  mutable Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagen

#endif  // MEDIAGEN_SERVICE_COMMON_CLOCK_H_
