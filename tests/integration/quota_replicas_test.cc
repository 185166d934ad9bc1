// Tenant quotas across replicas (issue 17, point 3): two real server
// replicas sharing one real redis-server, against the emulator. A job
// created through one replica holds its tenant's place on the other, the
// request rate is shared out between the replicas instead of multiplied by
// them, 50 concurrent creates over both replicas racing for a budget's last
// credits never exceed it, a replica killed while its tenant's job runs
// does not keep that job's place once the job ends, and with Redis
// unreachable a create whose limits need it is refused with nothing sent,
// until Redis is back. GetUsage reads the shared counters: both replicas
// answer alike, and neither answers without Redis.
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/usage.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/common/mutex.h"
#include "service/common/sha256.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/prometheus.h"
#include "tests/testing_util/redis_server.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

using json = nlohmann::json;

constexpr char kAcmeToken[] = "acme-replicas-token-3f9a";
// The emulator prices a ReferenceToVideo with the defaults at 20 credits
// (tests/emulator/vimmerse_prices.h).
constexpr char kReferencePath[] = "/v2/video/reference-to-video";

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(20));
  ctx->AddMetadata("authorization", std::string("Bearer ") + kAcmeToken);
  return ctx;
}

std::string Reason(const grpc::Status& status) {
  auto info = rpc::GetErrorInfo(rpc::FromGrpcStatus(status));
  return info ? info->reason() : "";
}

class QuotaReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = RedisServer::Start();
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
    // Jobs take 20 s: they end only when the test ends them.
    auto emu = EmulatorProcess::Start({"--time_scale=1"});
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);
  }

  // Two replicas, acme with `limits` and the emulator's Vimmerse account
  // `vimmerse_key`.
  void StartReplicas(const json& limits,
                     const std::string& vimmerse_key = "vimmerse-test-key",
                     const std::vector<std::string>& flags = {}) {
    ServerConfig config;
    config.emulator_port = emu_->port();
    config.dev = false;
    config.config_json =
        json({{"tenants",
               {{{"name", "acme"},
                 {"token_sha256", Sha256Hex(kAcmeToken)},
                 {"keys", {{"vimmerse", {{"env", "ACME_VIM"}}}}},
                 {"limits", limits}}}}})
            .dump();
    config.env = {{"ACME_VIM", vimmerse_key}};
    config.flags = {"--redis_url=" + redis_->url(), "--poll_min_interval=30s"};
    config.flags.insert(config.flags.end(), flags.begin(), flags.end());
    for (int i = 0; i < 2; ++i) {
      auto server = ServerProcess::Start(config);
      ASSERT_THAT(server, IsOk());
      media_.push_back(v1::MediaService::NewStub(server->get()->channel()));
      jobs_.push_back(v1::JobService::NewStub(server->get()->channel()));
      video_.push_back(v1::VideoService::NewStub(server->get()->channel()));
      usage_.push_back(v1::UsageService::NewStub(server->get()->channel()));
      replicas_.push_back(*std::move(server));
    }
  }

  grpc::Status Create(int replica, v1::CreateMediaResponse* out) {
    v1::CreateMediaRequest req;
    req.set_prompt("a lighthouse at dawn");
    return media_[replica]->CreateMedia(Ctx().get(), req, out);
  }

  grpc::Status Reference(int replica) {
    v1::ReferenceToVideoRequest req;
    req.add_image_urls("https://example.com/cat.png");
    req.set_prompt("a cat on a windowsill");
    v1::ReferenceToVideoResponse resp;
    return video_[replica]->ReferenceToVideo(Ctx().get(), req, &resp);
  }

  // Until replica `r`'s mediagen_redis_up is `up` (10 s at most).
  bool WaitRedisUp(int r, bool up) {
    for (int i = 0; i < 200; ++i) {
      auto m = ScrapeMetrics(replicas_[r]->admin_port());
      if (m.ok() && m->count("mediagen_redis_up") == 1 &&
          (m->at("mediagen_redis_up") == 1) == up) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  size_t UpstreamCreates() {
    return emu_->Requests("POST", "/v2/media").size();
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<EmulatorProcess> emu_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;
  std::vector<std::unique_ptr<v1::MediaService::Stub>> media_;
  std::vector<std::unique_ptr<v1::JobService::Stub>> jobs_;
  std::vector<std::unique_ptr<v1::VideoService::Stub>> video_;
  std::vector<std::unique_ptr<v1::UsageService::Stub>> usage_;
};

TEST_F(QuotaReplicasTest, AJobOnOneReplicaHoldsThePlaceOnTheOther) {
  ASSERT_NO_FATAL_FAILURE(StartReplicas({{"concurrent_jobs", 1}}));
  v1::CreateMediaResponse first, second;
  ASSERT_THAT(Create(0, &first), IsOk());
  ASSERT_EQ(UpstreamCreates(), 1u);

  // Replica 1 has never seen that job, and still refuses, sending nothing.
  const grpc::Status refused = Create(1, &second);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Reason(refused), "TENANT_CONCURRENT_JOBS_EXCEEDED")
      << refused.error_message();
  EXPECT_EQ(UpstreamCreates(), 1u);

  // The job ends; a read on replica 1 sees it, and frees the place for
  // replica 0.
  emu_->Post(absl::StrCat("/_emulator/jobs/", first.media().id(), "/complete"),
             {{"outcome", "success"}});
  v1::GetJobRequest get;
  get.set_name(first.media().name());
  v1::GetJobResponse got;
  ASSERT_THAT(jobs_[1]->GetJob(Ctx().get(), get, &got), IsOk());
  ASSERT_EQ(got.job().state(), v1::JOB_STATE_SUCCEEDED);
  ASSERT_THAT(Create(0, &second), IsOk());
  EXPECT_EQ(UpstreamCreates(), 2u);
}

TEST_F(QuotaReplicasTest, FiftyCreatesOverTwoReplicasNeverExceedTheBudget) {
  // 210 credits a day; one create (20) spent first: 190 left, room for 9
  // more ReferenceToVideo creates at the emulator's 20 credits.
  ASSERT_NO_FATAL_FAILURE(
      StartReplicas({{"budgets", json::array({{{"provider", "vimmerse"},
                                               {"unit", "credits"},
                                               {"amount", 210},
                                               {"period", "day"}}})}},
                    "vimmerse-demo-key"));
  ASSERT_THAT(Reference(0), IsOk());
  // Upstream answers slowly, so the creates overlap on both replicas.
  emu_->Post(
      "/_emulator/faults",
      {{"method", "POST"}, {"path", kReferencePath}, {"latency_ms", 300}});
  Mutex mu;
  int accepted = 0, refused = 0;
  std::vector<std::string> other;
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      const grpc::Status s = Reference(i % 2);
      MutexLock lock(&mu);
      if (s.ok()) {
        ++accepted;
      } else if (Reason(s) == "TENANT_BUDGET_EXCEEDED") {
        ++refused;
      } else {
        other.push_back(s.error_message());
      }
    });
  }
  for (auto& t : threads) t.join();
  MutexLock lock(&mu);
  EXPECT_EQ(accepted, 9);
  EXPECT_EQ(refused, 41);
  EXPECT_TRUE(other.empty()) << other.front();
  // Upstream saw the first create and the 9: 200 of 210 credits, as the
  // replicas' spend metrics add up to.
  EXPECT_EQ(emu_->Requests("POST", kReferencePath).size(), 10u);
  double spent = 0;
  for (const auto& replica : replicas_) {
    auto m = ScrapeMetrics(replica->admin_port());
    ASSERT_THAT(m, IsOk());
    auto it = m->find(
        "mediagen_spent_total{tenant=\"acme\",provider=\"vimmerse\","
        "unit=\"credits\"}");
    if (it != m->end()) spent += it->second;
  }
  EXPECT_EQ(spent, 200);
  // Each replica settled only its own creates, yet both read the whole
  // tenant's spend from Redis.
  for (int r = 0; r < 2; ++r) {
    v1::GetUsageResponse usage;
    ASSERT_THAT(usage_[r]->GetUsage(Ctx().get(), {}, &usage), IsOk());
    ASSERT_EQ(usage.providers_size(), 1) << usage.DebugString();
    EXPECT_EQ(usage.providers(0).spent_day(), 200) << "replica " << r;
    EXPECT_EQ(usage.providers(0).reserved(), 0) << "replica " << r;
    ASSERT_EQ(usage.providers(0).budgets_size(), 1);
    EXPECT_EQ(usage.providers(0).budgets(0).remaining(), 10);
  }
}

TEST_F(QuotaReplicasTest, TheRateIsSharedNotMultiplied) {
  ASSERT_NO_FATAL_FAILURE(
      StartReplicas({{"requests_per_second", 10}, {"burst", 10}}));
  // Each replica learns of the other at its next heartbeat (every 2 s).
  absl::SleepFor(absl::Seconds(3));
  int admitted = 0, limited = 0;
  for (int i = 0; i < 20; ++i) {
    for (int r = 0; r < 2; ++r) {
      v1::GetJobRequest get;
      get.set_name("media/not-a-job");
      v1::GetJobResponse got;
      const grpc::Status s = jobs_[r]->GetJob(Ctx().get(), get, &got);
      if (Reason(s) == "TENANT_RATE_LIMITED") {
        ++limited;
      } else {
        ++admitted;
      }
    }
  }
  // A burst of 10 in all (5 per replica, plus what refills meanwhile at
  // 5/s each), not 10 per replica.
  EXPECT_GE(admitted, 10);
  EXPECT_LE(admitted, 12);
  EXPECT_EQ(admitted + limited, 40);
}

TEST_F(QuotaReplicasTest, RedisDownRefusesLimitedCreatesUntilItIsBack) {
  ASSERT_NO_FATAL_FAILURE(StartReplicas({{"concurrent_jobs", 5}}));
  ASSERT_THAT(redis_->Stop(), IsOk());
  ASSERT_TRUE(WaitRedisUp(1, false));
  v1::CreateMediaResponse resp;
  const grpc::Status s = Create(1, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Reason(s), "QUOTA_STORE_UNAVAILABLE") << s.error_message();
  EXPECT_EQ(UpstreamCreates(), 0u);
  // The counters are not there to read: an error, not a made-up zero.
  v1::GetUsageResponse usage;
  const grpc::Status u = usage_[1]->GetUsage(Ctx().get(), {}, &usage);
  EXPECT_EQ(u.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Reason(u), "QUOTA_STORE_UNAVAILABLE") << u.error_message();

  // Redis is back (empty: its data did not survive): the replica
  // reconnects by itself and limited creates go through again.
  ASSERT_THAT(redis_->Restart(), IsOk());
  ASSERT_TRUE(WaitRedisUp(1, true));
  ASSERT_THAT(Create(1, &resp), IsOk());
  EXPECT_EQ(UpstreamCreates(), 1u);
  ASSERT_THAT(usage_[1]->GetUsage(Ctx().get(), {}, &usage), IsOk());
  EXPECT_EQ(usage.jobs_in_flight(), 1);
}

TEST_F(QuotaReplicasTest, AKilledReplicasJobFreesItsPlaceWhenItEnds) {
  // Unread jobs are checked upstream every 300 ms (default: a minute).
  ASSERT_NO_FATAL_FAILURE(StartReplicas({{"concurrent_jobs", 1}},
                                        "vimmerse-test-key",
                                        {"--quota_job_check_interval=300ms"}));
  v1::CreateMediaResponse first, second;
  ASSERT_THAT(Create(0, &first), IsOk());
  // The replica that created (and would have watched) the job dies.
  ASSERT_THAT(replicas_[0]->process().Stop(SIGKILL, absl::Seconds(5)), IsOk());
  EXPECT_EQ(Reason(Create(1, &second)), "TENANT_CONCURRENT_JOBS_EXCEEDED");

  // The job ends upstream; nobody reads it, yet the surviving replica
  // checks it and frees its place.
  emu_->Post(absl::StrCat("/_emulator/jobs/", first.media().id(), "/complete"),
             {{"outcome", "success"}});
  grpc::Status s;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  do {
    absl::SleepFor(absl::Milliseconds(100));
    s = Create(1, &second);
  } while (!s.ok() && absl::Now() < give_up);
  EXPECT_THAT(s, IsOk());
  EXPECT_EQ(UpstreamCreates(), 2u);
}

}  // namespace
}  // namespace mediagen::testing
