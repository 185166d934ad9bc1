#include "service/common/clock.h"

#include "absl/time/clock.h"
#include "service/common/mutex.h"

namespace mediagen {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock& SystemClock() {
  static const RealClock* const clock = new RealClock;
  return *clock;
}

absl::Time FakeClock::Now() const {
  MutexLock lock(&mu_);
  return now_;
}

void FakeClock::Advance(absl::Duration d) {
  MutexLock lock(&mu_);
  now_ += d;
}

void FakeClock::Set(absl::Time t) {
  MutexLock lock(&mu_);
  now_ = t;
}

}  // namespace mediagen
