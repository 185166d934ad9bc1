// What the server integration tests share (test-only): a client context
// with a deadline and an optional bearer token, reads of the emulator's
// request log, and the ServerTest fixture (the real server binary against
// the real, strict emulator, over loopback; its stderr printed on failure).
//
//   class MyTest : public ServerTest {};
//   TEST_F(MyTest, X) {
//     StartBoth({}, ServerConfig{});
//     EXPECT_EQ(CountRoute(*emu_, "POST /v2/media"), 0);
//   }
#ifndef MEDIAGEN_TESTS_INTEGRATION_SERVER_TEST_UTIL_H_
#define MEDIAGEN_TESTS_INTEGRATION_SERVER_TEST_UTIL_H_

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {

inline std::unique_ptr<grpc::ClientContext> Ctx(
    absl::Duration timeout = absl::Seconds(10), const std::string& token = "") {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

// The last logged upstream request for `route` (e.g. "POST /v2/media").
inline nlohmann::json LastRequest(EmulatorProcess& emu,
                                  const std::string& route) {
  nlohmann::json all = emu.Requests();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if ((*it)["route"] == route) return *it;
  }
  return nlohmann::json();
}

inline int CountRoute(EmulatorProcess& emu, const std::string& route) {
  int n = 0;
  for (const auto& r : emu.Requests()) n += r["route"] == route ? 1 : 0;
  return n;
}

class ServerTest : public ::testing::Test {
 protected:
  grpc::Status finish_status_;
  void StartBoth(std::vector<std::string> emulator_flags, ServerConfig config) {
    auto emu = EmulatorProcess::Start(std::move(emulator_flags));
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);
    config.emulator_port = emu_->port();
    auto server = ServerProcess::Start(config);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_ && HasFailure()) {
      std::cerr << "--- server stderr ---\n"
                << server_->process().stderr_text();
    }
  }
  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_INTEGRATION_SERVER_TEST_UTIL_H_
