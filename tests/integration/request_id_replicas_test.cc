// request_id across replicas (issue 15, points 2 and 6): three real server
// replicas sharing one real redis-server, against the emulator. A
// request_id creates upstream once wherever and however often it is sent;
// other content is refused on any replica; with Redis unreachable, creates
// with a request_id are refused (nothing sent) and others still work; a
// replica killed after sending leaves its retries ABORTED
// REQUEST_OUTCOME_UNKNOWN, never a second create.
#include <signal.h>
#include <stdio.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/prometheus.h"
#include "tests/testing_util/redis_server.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

using grpc::StatusCode;

std::unique_ptr<grpc::ClientContext> Ctx(
    absl::Duration timeout = absl::Seconds(20)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  return ctx;
}

std::string Reason(const grpc::Status& status) {
  auto info = rpc::GetErrorInfo(rpc::FromGrpcStatus(status));
  return info ? info->reason() : "";
}

v1::CreateMediaRequest Request(const std::string& request_id,
                               const std::string& prompt = "a lighthouse") {
  v1::CreateMediaRequest req;
  req.set_request_id(request_id);
  req.set_prompt(prompt);
  return req;
}

class RequestIdReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = RedisServer::Start();
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
    auto emu = EmulatorProcess::Start({"--time_scale=0.05"});
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);
    for (int i = 0; i < 3; ++i) {
      ServerConfig config;
      config.emulator_port = emu_->port();
      config.flags = {"--redis_url=" + redis_->url(),
                      "--poll_min_interval=30s"};
      auto server = ServerProcess::Start(config);
      ASSERT_THAT(server, IsOk());
      media_.push_back(v1::MediaService::NewStub(server->get()->channel()));
      replicas_.push_back(*std::move(server));
    }
  }

  grpc::Status Create(int replica, const v1::CreateMediaRequest& req,
                      v1::CreateMediaResponse* resp,
                      absl::Duration timeout = absl::Seconds(20)) {
    return media_[replica]->CreateMedia(Ctx(timeout).get(), req, resp);
  }

  int UpstreamCreates() {
    return static_cast<int>(emu_->Requests("POST", "/v2/media").size());
  }

  // Waits until `replica`'s mediagen_redis_up is `up`.
  bool WaitRedisUp(int replica, bool up) {
    for (int i = 0; i < 200; ++i) {
      auto m = ScrapeMetrics(replicas_[replica]->admin_port());
      if (m.ok()) {
        auto it = m->find("mediagen_redis_up");
        if (it != m->end() && (it->second == 1) == up) return true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<EmulatorProcess> emu_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;
  std::vector<std::unique_ptr<v1::MediaService::Stub>> media_;
};

TEST_F(RequestIdReplicasTest, ThirtyCreatesWithTenIdsMakeTenUpstreamCreates) {
  // Upstream answers slowly, so the duplicates overlap the first calls.
  emu_->Post("/_emulator/faults",
             {{"method", "POST"}, {"path", "/v2/media"}, {"latency_ms", 300}});
  absl::Mutex mu;
  std::map<std::string, std::vector<std::string>> answers;
  int failures = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 30; ++i) {
    threads.emplace_back([&, i] {
      const std::string id = absl::StrCat("order-", i % 10);
      v1::CreateMediaResponse resp;
      const grpc::Status s = Create(i % 3, Request(id), &resp);
      absl::MutexLock lock(&mu);
      if (!s.ok()) {
        ++failures;
        ADD_FAILURE() << id << ": " << s.error_message();
        return;
      }
      answers[id].push_back(resp.SerializeAsString());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(UpstreamCreates(), 10);
  ASSERT_EQ(answers.size(), 10u);
  for (const auto& [id, bytes] : answers) {
    ASSERT_EQ(bytes.size(), 3u) << id;
    EXPECT_EQ(bytes[0], bytes[1]) << id;
    EXPECT_EQ(bytes[0], bytes[2]) << id;
  }

  // The same id with other content, on another replica: refused, unsent.
  v1::CreateMediaResponse resp;
  const grpc::Status reused =
      Create(2, Request("order-0", "something else"), &resp);
  EXPECT_EQ(reused.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(reused), "REQUEST_ID_REUSED");
  EXPECT_EQ(UpstreamCreates(), 10);
}

TEST_F(RequestIdReplicasTest, RedisDownRefusesRequestIdsOnlyThenRecovers) {
  ASSERT_THAT(redis_->Stop(), IsOk());
  for (int r = 0; r < 3; ++r) ASSERT_TRUE(WaitRedisUp(r, false)) << r;

  for (int r = 0; r < 3; ++r) {
    v1::CreateMediaResponse resp;
    const grpc::Status s = Create(r, Request(absl::StrCat("down-", r)), &resp);
    EXPECT_EQ(s.error_code(), StatusCode::UNAVAILABLE) << r;
    EXPECT_EQ(Reason(s), "IDEMPOTENCY_STORE_UNAVAILABLE") << r;
  }
  EXPECT_EQ(UpstreamCreates(), 0);
  // Without a request_id nothing needs Redis.
  v1::CreateMediaResponse plain;
  EXPECT_THAT(Create(1, Request(""), &plain), IsOk());
  EXPECT_EQ(UpstreamCreates(), 1);

  ASSERT_THAT(redis_->Restart(), IsOk());
  for (int r = 0; r < 3; ++r) ASSERT_TRUE(WaitRedisUp(r, true)) << r;
  v1::CreateMediaResponse a, b;
  ASSERT_THAT(Create(0, Request("down-0"), &a), IsOk());
  ASSERT_THAT(Create(2, Request("down-0"), &b), IsOk());
  EXPECT_EQ(a.media().name(), b.media().name());
  EXPECT_EQ(UpstreamCreates(), 2);
}

TEST_F(RequestIdReplicasTest, AReplicaKilledAfterSendingNeverCausesASecond) {
  // The create reaches upstream, which answers after 3 s; the replica
  // that sent it dies before the answer.
  emu_->Post("/_emulator/faults", {{"method", "POST"},
                                   {"path", "/v2/media"},
                                   {"latency_ms", 3000},
                                   {"times", 1}});
  std::thread first([&] {
    v1::CreateMediaResponse resp;
    Create(0, Request("lost"), &resp);  // fails: its server is killed
  });
  absl::SleepFor(absl::Milliseconds(1000));
  ASSERT_THAT(replicas_[0]->process().Stop(SIGKILL, absl::Seconds(5)), IsOk());
  first.join();

  // The retry elsewhere waits for the dead claim to run out, then is told
  // the outcome is unknown rather than creating again.
  const absl::Time start = absl::Now();
  v1::CreateMediaResponse resp;
  const grpc::Status retry = Create(1, Request("lost"), &resp);
  EXPECT_EQ(retry.error_code(), StatusCode::ABORTED) << retry.error_message();
  EXPECT_EQ(Reason(retry), "REQUEST_OUTCOME_UNKNOWN");
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  const grpc::Status again = Create(2, Request("lost"), &resp);
  EXPECT_EQ(Reason(again), "REQUEST_OUTCOME_UNKNOWN");
  absl::SleepFor(absl::Seconds(3));  // the emulator's delayed create done
  EXPECT_EQ(UpstreamCreates(), 1);
}

// `redis-cli` (Debian's, beside redis-server) against the test's Redis.
std::string RedisCli(int port, const std::string& args) {
  const std::string cmd =
      absl::StrCat("/usr/bin/redis-cli -p ", port, " --raw ", args);
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof(buf), f) != nullptr) out += buf;
    pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  return out;
}

TEST_F(RequestIdReplicasTest, AReplicaKilledBeforeSendingLetsTheRetryCreate) {
  // Redis stalls with the replica's claim in its socket; the replica dies
  // before it could mark the request sent (so it sent nothing); Redis
  // then runs the claim, which belongs to a dead replica. (A first create
  // loads the claim script, so the stalled EVALSHA needs no resend.)
  v1::CreateMediaResponse warm_up;
  ASSERT_THAT(Create(0, Request("warm-up"), &warm_up), IsOk());
  redis_->Pause();
  std::thread first([&] {
    v1::CreateMediaResponse resp;
    Create(0, Request("never-sent"), &resp);  // its server is killed
  });
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_THAT(replicas_[0]->process().Stop(SIGKILL, absl::Seconds(5)), IsOk());
  first.join();
  redis_->Resume();
  std::string key;
  for (int i = 0; i < 50 && key.empty(); ++i) {
    key = RedisCli(redis_->port(), "KEYS '*:rid:never-sent'");
    if (key.empty()) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_FALSE(key.empty()) << "the dead replica's claim never reached Redis";
  EXPECT_EQ(RedisCli(redis_->port(), absl::StrCat("HGET '", key, "' s")),
            "claimed");
  EXPECT_EQ(UpstreamCreates(), 1);  // the warm-up

  // The retry on another replica waits for the dead claim to run out,
  // takes it over and creates, once.
  v1::CreateMediaResponse resp;
  ASSERT_THAT(Create(1, Request("never-sent"), &resp), IsOk());
  EXPECT_EQ(UpstreamCreates(), 2);
  v1::CreateMediaResponse again;
  ASSERT_THAT(Create(2, Request("never-sent"), &again), IsOk());
  EXPECT_EQ(again.media().name(), resp.media().name());
  EXPECT_EQ(UpstreamCreates(), 2);
}

}  // namespace
}  // namespace mediagen::testing
