// Oversized request metadata on a shared HTTP/2 connection (issue 16,
// finding 5). A mesh sidecar carries many callers' calls on one connection
// to mediagen; with gRPC's default limit (8 KiB), one caller's 9 KiB header
// ended the whole connection, and every other tenant's open WatchJob on it
// ended with RESOURCE_EXHAUSTED (which clients do not resume).
//
// Here one channel (one connection) carries another tenant's open watches
// while calls with ever larger metadata go by: up to what the mesh forwards
// they are served; over the per-call limit (api::kDefaultMaxMetadataBytes, 72
// KiB) they fail alone with RESOURCE_EXHAUSTED, up to just under the
// transport's limit (twice that); the watches stay open and the connection
// stays the same one.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/watch_client.h"
#include "tests/security/two_tenants.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

using ::testing::HasSubstr;

// api::kDefaultMaxMetadataBytes, the per-call limit.
constexpr size_t kLimit = 72 << 10;

// One header whose own entry (name + value + 32) is `bytes` long.
std::string Padding(size_t bytes) {
  return std::string(bytes - (sizeof("x-padding") - 1) - 32, 'm');
}

class MetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(t_.Start({"--poll_min_interval=30s", "--poll_max_interval=30s",
                          "--heartbeat_interval=1s"})
                    .ok());
    // Jobs stay where they are: a watch ends only if something breaks it.
    t_.emulator().Post("/_emulator/clock", {{"paused", true}});
  }
  void TearDown() override {
    if (t_.started() && HasFailure()) {
      std::cerr << "--- server stderr ---\n"
                << t_.server().process().stderr_text();
    }
  }

  TwoTenants t_;
};

TEST_F(MetadataTest, OversizedMetadataFailsOnlyItsOwnCallOnASharedConnection) {
  // One channel: every call below shares its one HTTP/2 connection, as
  // callers behind one sidecar do.
  std::shared_ptr<grpc::Channel> channel = t_.server().NewChannel();
  auto media = v1::MediaService::NewStub(channel);
  auto jobs = v1::JobService::NewStub(channel);
  auto create = [&](const char* token) {
    v1::CreateMediaRequest req;
    req.set_prompt("metadata test");
    v1::CreateMediaResponse resp;
    grpc::Status s =
        media->CreateMedia(TwoTenants::Ctx(token).get(), req, &resp);
    EXPECT_THAT(s, IsOk());
    return resp.media().name();
  };
  const std::string globex_job = create(TwoTenants::kGlobexToken);
  const std::string acme_job = create(TwoTenants::kAcmeToken);
  std::vector<std::unique_ptr<WatchClient>> watches;
  for (int i = 0; i < 3; ++i) {
    watches.push_back(std::make_unique<WatchClient>(jobs.get(), globex_job, 0,
                                                    TwoTenants::kGlobexToken));
  }
  for (auto& w : watches) ASSERT_TRUE(w->WaitMessages(1, absl::Seconds(10)));
  const int connections = EstablishedConnectionsTo(t_.server().grpc_port());

  struct Case {
    std::string name;
    size_t bytes;
    bool served;
  };
  const std::vector<Case> cases = {
      {"7 KiB", 7 << 10, true},
      {"9 KiB (over gRPC's default)", 9 << 10, true},
      {"60 KiB (Envoy's default cap)", 60 << 10, true},
      {"just over the limit", kLimit + 1, false},
      {"just under the transport's limit", 2 * kLimit - 1024, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    {
      auto ctx = TwoTenants::Ctx(TwoTenants::kAcmeToken);
      ctx->AddMetadata("x-padding", Padding(c.bytes));
      v1::GetJobRequest req;
      req.set_name(acme_job);
      v1::GetJobResponse resp;
      grpc::Status s = jobs->GetJob(ctx.get(), req, &resp);
      if (c.served) {
        EXPECT_THAT(s, IsOk());
      } else {
        EXPECT_THAT(s, StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                HasSubstr("metadata")));
      }
    }
    {
      // An oversized watch is refused the same way, alone.
      auto ctx = TwoTenants::Ctx(TwoTenants::kAcmeToken);
      ctx->AddMetadata("x-padding", Padding(c.bytes));
      v1::WatchJobRequest req;
      req.set_name(acme_job);
      auto reader = jobs->WatchJob(ctx.get(), req);
      v1::WatchJobResponse first;
      const bool got = reader->Read(&first);
      EXPECT_EQ(got, c.served);
      if (got) ctx->TryCancel();
      grpc::Status s = reader->Finish();
      if (!c.served) {
        EXPECT_THAT(s, StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
      }
    }
    // The other tenant's watches are still open and still hear heartbeats.
    for (auto& w : watches) {
      EXPECT_FALSE(w->status().has_value())
          << "a watch ended: " << w->status()->error_code() << " "
          << w->status()->error_message();
    }
    const size_t events = watches[0]->events().size();
    EXPECT_TRUE(watches[0]->WaitMessages(events + 1, absl::Seconds(5)));
    // A later call on the same connection is served.
    v1::GetJobRequest req;
    req.set_name(globex_job);
    v1::GetJobResponse resp;
    EXPECT_THAT(jobs->GetJob(TwoTenants::Ctx(TwoTenants::kGlobexToken).get(),
                             req, &resp),
                IsOk());
    EXPECT_EQ(EstablishedConnectionsTo(t_.server().grpc_port()), connections)
        << "the connection was replaced";
  }
  for (auto& w : watches) w->Cancel();
  for (auto& w : watches) EXPECT_TRUE(w->WaitDone(absl::Seconds(5)));
}

}  // namespace
}  // namespace mediagen::testing
