// The drain on SIGTERM/SIGINT, with signals sent to this test process: the
// drain runs on the first signal; a second signal or an overrun calls the
// (injected) exit instead of ending the test.
#include "service/server/signals.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mediagen::server {
namespace {

using telemetry::Logger;
using telemetry::LogLevel;

class SignalsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As main() does, before any thread of the test starts.
    signals_ = BlockTerminationSignals();
  }
  DrainOnSignalOptions Options(absl::Duration max_drain) {
    DrainOnSignalOptions o;
    o.signals = signals_;
    o.max_drain = max_drain;
    o.log = &log_;
    o.exit = [this](int code) {
      exit_code_ = code;
      exited_.Notify();
    };
    return o;
  }
  std::string Logged() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  // To the whole process, as `kill` from outside would send it.
  static void Send(int sig) { kill(getpid(), sig); }

  sigset_t signals_;
  std::mutex mu_;
  std::string lines_;
  Logger log_{LogLevel::kDebug, [this](absl::string_view line) {
                std::lock_guard<std::mutex> lock(mu_);
                lines_.append(line.data(), line.size());
              }};
  std::atomic<int> exit_code_{-1};
  absl::Notification exited_;
};

TEST_F(SignalsTest, BlocksTheDrainSignalsAndIgnoresSigpipe) {
  sigset_t blocked;
  pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
  EXPECT_TRUE(sigismember(&blocked, SIGTERM));
  EXPECT_TRUE(sigismember(&blocked, SIGINT));
  EXPECT_TRUE(sigismember(&blocked, SIGHUP));  // a reload, never an exit
  EXPECT_FALSE(sigismember(&signals_, SIGHUP));
  EXPECT_TRUE(sigismember(&signals_, SIGTERM));
  EXPECT_TRUE(sigismember(&signals_, SIGINT));
  struct sigaction pipe;
  sigaction(SIGPIPE, nullptr, &pipe);
  EXPECT_EQ(pipe.sa_handler, SIG_IGN);
}

TEST_F(SignalsTest, EachSighupRunsTheReloadAndNeverTheDrain) {
  // Shared: the reload thread outlives the test.
  auto count = std::make_shared<std::atomic<int>>(0);
  std::atomic<int>& reloads = *count;
  ReloadOnSignal([count] { ++*count; });
  Send(SIGHUP);
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (reloads.load() < 1 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(reloads.load(), 1);
  Send(SIGHUP);
  while (reloads.load() < 2 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(reloads.load(), 2);
  EXPECT_FALSE(exited_.HasBeenNotified());
}

TEST_F(SignalsTest, SigtermRunsTheDrainAndReturnsWithoutExiting) {
  bool drained = false;
  std::thread sender([] {
    absl::SleepFor(absl::Milliseconds(50));
    Send(SIGTERM);
  });
  const int sig =
      DrainOnSignal(Options(absl::Seconds(30)), [&] { drained = true; });
  sender.join();
  EXPECT_EQ(sig, SIGTERM);
  EXPECT_TRUE(drained);
  EXPECT_EQ(exit_code_.load(), -1);
  EXPECT_NE(Logged().find("\"msg\":\"signal received\""), std::string::npos);
  EXPECT_NE(Logged().find("\"signal\":15"), std::string::npos);
  EXPECT_EQ(Logged().find("exiting"), std::string::npos);
}

TEST_F(SignalsTest, SigintWorksTooAndAPendingSignalIsTaken) {
  Send(SIGINT);  // before anyone waits: stays pending, blocked
  bool drained = false;
  EXPECT_EQ(DrainOnSignal(Options(absl::Seconds(30)), [&] { drained = true; }),
            SIGINT);
  EXPECT_TRUE(drained);
  EXPECT_EQ(exit_code_.load(), -1);
}

TEST_F(SignalsTest, ADrainPastItsDeadlineCallsExit) {
  Send(SIGTERM);
  DrainOnSignal(Options(absl::Milliseconds(100)), [&] {
    // Hangs until the watchdog gives up on it.
    EXPECT_TRUE(exited_.WaitForNotificationWithTimeout(absl::Seconds(30)));
  });
  EXPECT_EQ(exit_code_.load(), 1);
  EXPECT_NE(Logged().find("drain overran its deadline"), std::string::npos);
}

TEST_F(SignalsTest, ASecondSignalCallsExitAtOnce) {
  Send(SIGTERM);
  const absl::Time start = absl::Now();
  DrainOnSignal(Options(absl::Seconds(60)), [&] {
    Send(SIGINT);
    EXPECT_TRUE(exited_.WaitForNotificationWithTimeout(absl::Seconds(30)));
  });
  EXPECT_EQ(exit_code_.load(), 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_NE(Logged().find("second signal"), std::string::npos);
}

}  // namespace
}  // namespace mediagen::server
