// GetJob under a slow upstream honours the caller's deadline (issue 16,
// finding 9): reads through the job registry end a little before the
// caller's deadline and answer DEADLINE_EXCEEDED with the ErrorInfo the
// README promises (UPSTREAM_DEADLINE_EXCEEDED), like GetMedia does, instead
// of waiting for the 30 s poll timeout and letting the caller's gRPC stack
// raise a bare DEADLINE_EXCEEDED at the deadline itself. Also when the read
// is not GetJob's own: a watcher's poll already in flight.
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"
#include "tests/testing_util/watch_client.h"

namespace mediagen::testing {
namespace {

using grpc::StatusCode;
using json = nlohmann::json;

constexpr absl::Duration kDeadline = absl::Milliseconds(1500);
// Slower than any caller here waits, faster than the poll timeout (30 s).
constexpr int kUpstreamLatencyMs = 5000;

std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  return ctx;
}

std::optional<google::rpc::ErrorInfo> Info(const grpc::Status& s) {
  return rpc::GetErrorInfo(rpc::FromGrpcStatus(s));
}

class GetJobDeadlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emu =
        EmulatorProcess::Start({"--time_scale=0.01", "--job_seconds=100000"});
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);
    ServerConfig config;
    config.emulator_port = emu_->port();
    auto server = ServerProcess::Start(config);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    media_ = v1::MediaService::NewStub(server_->channel());
    jobs_ = v1::JobService::NewStub(server_->channel());
  }

  void TearDown() override {
    if (server_ && HasFailure()) {
      std::cerr << "--- server stderr ---\n"
                << server_->process().stderr_text();
    }
  }

  std::string CreateJob() {
    v1::CreateMediaRequest req;
    req.set_prompt("slow reads");
    v1::CreateMediaResponse resp;
    EXPECT_THAT(media_->CreateMedia(Ctx(absl::Seconds(10)).get(), req, &resp),
                IsOk());
    return resp.media().name();
  }

  void SlowReads() {
    emu_->Post("/_emulator/faults", {{"method", "GET"},
                                     {"path", "/v2/media/*"},
                                     {"latency_ms", kUpstreamLatencyMs}});
  }

  // GetJob(name) under kDeadline: its status, and how long it took.
  grpc::Status TimedGetJob(const std::string& name, absl::Duration* took) {
    v1::GetJobRequest req;
    req.set_name(name);
    v1::GetJobResponse resp;
    const absl::Time start = absl::Now();
    grpc::Status s = jobs_->GetJob(Ctx(kDeadline).get(), req, &resp);
    *took = absl::Now() - start;
    std::cout << "GetJob under a " << kDeadline
              << " deadline: " << s.error_code() << " after " << *took << "\n";
    return s;
  }

  void ExpectAnsweredBeforeTheDeadline(const grpc::Status& s,
                                       absl::Duration took) {
    EXPECT_THAT(s, StatusIs(StatusCode::DEADLINE_EXCEEDED));
    std::optional<google::rpc::ErrorInfo> info = Info(s);
    ASSERT_TRUE(info.has_value())
        << "a bare DEADLINE_EXCEEDED: " << s.error_message();
    EXPECT_EQ(info->reason(), "UPSTREAM_DEADLINE_EXCEEDED");
    EXPECT_EQ(info->metadata().at("provider"), "vimmerse");
    EXPECT_EQ(info->metadata().at("route"), "GET /v2/media/{id}");
    // The server's own answer comes before the caller's deadline fires.
    EXPECT_LT(took, kDeadline - absl::Milliseconds(50));
  }

  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::MediaService::Stub> media_;
  std::unique_ptr<v1::JobService::Stub> jobs_;
};

TEST_F(GetJobDeadlineTest, ItsOwnReadEndsBeforeTheCallersDeadline) {
  const std::string name = CreateJob();
  SlowReads();
  absl::Duration took;
  grpc::Status s = TimedGetJob(name, &took);
  ExpectAnsweredBeforeTheDeadline(s, took);

  // GetMedia, the same read without the registry, for comparison.
  v1::GetMediaRequest get;
  get.set_name(name);
  v1::GetMediaResponse media;
  const absl::Time start = absl::Now();
  grpc::Status m = media_->GetMedia(Ctx(kDeadline).get(), get, &media);
  std::cout << "GetMedia under the same deadline: " << m.error_code()
            << " after " << absl::Now() - start << "\n";
  EXPECT_EQ(Info(m)->reason(), "UPSTREAM_DEADLINE_EXCEEDED");
}

TEST_F(GetJobDeadlineTest, ASharedReadInFlightDoesNotHoldItPastTheDeadline) {
  const std::string name = CreateJob();
  SlowReads();
  // A watcher's poll starts the (slow) read, with the 30 s poll timeout.
  WatchClient watch(jobs_.get(), name, 0, "");
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_GE(emu_->Requests("GET", "/v2/media/").size(), 1u);
  absl::Duration took;
  grpc::Status s = TimedGetJob(name, &took);
  ExpectAnsweredBeforeTheDeadline(s, took);
  watch.Cancel();
  EXPECT_TRUE(watch.WaitDone(absl::Seconds(10)));
}

}  // namespace
}  // namespace mediagen::testing
