// Tenant quotas (issue 17) against the real server and emulator: jobs in
// flight capped per tenant before anything goes upstream, the request rate
// of a token bucket with a RetryInfo that works, tenant isolation, and the
// interplay with request_id.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/common/sha256.h"
#include "tests/integration/quota_test_util.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"
#include "tests/testing_util/watch_client.h"

namespace mediagen::testing {
namespace {

using json = nlohmann::json;

// The ErrorInfo reason of a refusal, and that it has the QuotaFailure of
// `tenant`.
std::string QuotaReason(const grpc::Status& status, const std::string& tenant) {
  absl::Status s = rpc::FromGrpcStatus(status);
  if (s.code() != absl::StatusCode::kResourceExhausted) return "not refused";
  auto failure = rpc::GetQuotaFailure(s);
  if (!failure.has_value() || failure->violations_size() != 1 ||
      failure->violations(0).subject() != "tenants/" + tenant) {
    return "no QuotaFailure for tenants/" + tenant;
  }
  auto info = rpc::GetErrorInfo(s);
  return info.has_value() ? info->reason() : "no ErrorInfo";
}

size_t MediaCreatesUpstream(EmulatorProcess& emu) {
  return emu.Requests("POST", "/v2/media").size();
}

grpc::Status Create(v1::MediaService::Stub& media, const std::string& token,
                    v1::CreateMediaResponse* out,
                    const std::string& request_id = "") {
  v1::CreateMediaRequest req;
  req.set_prompt("a lighthouse at dawn");
  if (!request_id.empty()) req.set_request_id(request_id);
  return media.CreateMedia(Ctx(token).get(), req, out);
}

TEST(QuotaTest, AThirdJobIsRefusedBeforeUpstreamUntilOneEnds) {
  // Jobs take 20 s: they end only when the test ends them.
  auto emu = EmulatorProcess::Start({"--time_scale=1"});
  ASSERT_THAT(emu, IsOk());
  auto server = StartServer((*emu)->port(), {{"concurrent_jobs", 2}},
                            {{"concurrent_jobs", 2}});
  ASSERT_THAT(server, IsOk());
  auto media = v1::MediaService::NewStub((*server)->channel());
  auto jobs = v1::JobService::NewStub((*server)->channel());

  v1::CreateMediaResponse first, second, third;
  ASSERT_THAT(Create(*media, kAcmeToken, &first), IsOk());
  ASSERT_THAT(Create(*media, kAcmeToken, &second), IsOk());
  ASSERT_EQ(MediaCreatesUpstream(**emu), 2u);

  // The third, with a request_id: refused, and nothing sent upstream.
  grpc::Status refused = Create(*media, kAcmeToken, &third, "retry-me-1");
  EXPECT_EQ(QuotaReason(refused, "acme"), "TENANT_CONCURRENT_JOBS_EXCEEDED")
      << refused.error_message();
  EXPECT_EQ(MediaCreatesUpstream(**emu), 2u);
  EXPECT_EQ(rpc::GetQuotaFailure(rpc::FromGrpcStatus(refused))
                ->violations(0)
                .description(),
            "at most 2 jobs in flight");

  // Another tenant's jobs are its own.
  v1::CreateMediaResponse other;
  ASSERT_THAT(Create(*media, kGlobexToken, &other), IsOk());
  ASSERT_EQ(MediaCreatesUpstream(**emu), 3u);

  // The first job ends upstream; a read sees it, and its place is free.
  (*emu)->Post(
      absl::StrCat("/_emulator/jobs/", first.media().id(), "/complete"),
      {{"outcome", "success"}});
  v1::GetJobRequest get;
  get.set_name(first.media().name());
  v1::GetJobResponse got;
  ASSERT_THAT(jobs->GetJob(Ctx(kAcmeToken).get(), get, &got), IsOk());
  ASSERT_EQ(got.job().state(), v1::JOB_STATE_SUCCEEDED);

  // The refused request_id was not remembered as refused: its retry goes.
  ASSERT_THAT(Create(*media, kAcmeToken, &third, "retry-me-1"), IsOk());
  EXPECT_EQ(MediaCreatesUpstream(**emu), 4u);
  // And now the tenant is at its limit again.
  v1::CreateMediaResponse fourth;
  EXPECT_EQ(QuotaReason(Create(*media, kAcmeToken, &fourth), "acme"),
            "TENANT_CONCURRENT_JOBS_EXCEEDED");
  // A duplicate of an accepted create is answered from the request_id
  // store and takes no place (it would be refused if it did).
  v1::CreateMediaResponse again;
  ASSERT_THAT(Create(*media, kAcmeToken, &again, "retry-me-1"), IsOk());
  EXPECT_EQ(again.media().name(), third.media().name());
  EXPECT_EQ(MediaCreatesUpstream(**emu), 4u);
  // Operators see each refusal, per tenant and limit.
  EXPECT_EQ(Refusals(**server, "acme", "concurrent_jobs"), 2);
  EXPECT_EQ(Refusals(**server, "globex", "concurrent_jobs"), 0);
}

TEST(QuotaTest, AJobNobodyReadsFreesItsPlaceSoonAfterItEnds) {
  auto emu = EmulatorProcess::Start({"--time_scale=1"});
  ASSERT_THAT(emu, IsOk());
  auto server =
      StartServer((*emu)->port(), {{"concurrent_jobs", 1}}, json::object(),
                  {"--quota_job_check_interval=200ms"});
  ASSERT_THAT(server, IsOk());
  auto media = v1::MediaService::NewStub((*server)->channel());

  v1::CreateMediaResponse first, next;
  ASSERT_THAT(Create(*media, kAcmeToken, &first), IsOk());
  // Still running after a few checks: the place stays taken.
  absl::SleepFor(absl::Milliseconds(700));
  EXPECT_EQ(QuotaReason(Create(*media, kAcmeToken, &next), "acme"),
            "TENANT_CONCURRENT_JOBS_EXCEEDED");
  (*emu)->Post(
      absl::StrCat("/_emulator/jobs/", first.media().id(), "/complete"),
      {{"outcome", "fail"}});
  // Nobody reads it: the server's own check finds it ended.
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  grpc::Status status;
  do {
    absl::SleepFor(absl::Milliseconds(100));
    status = Create(*media, kAcmeToken, &next);
  } while (!status.ok() && absl::Now() < give_up);
  EXPECT_THAT(status, IsOk()) << status.error_message();
}

TEST(QuotaTest, RateLetsTheBurstAndTheRateThroughAndItsRetryDelayWorks) {
  auto emu = EmulatorProcess::Start({"--time_scale=1"});
  ASSERT_THAT(emu, IsOk());
  const json limits = {{"requests_per_second", 50}, {"burst", 100}};
  auto server = StartServer((*emu)->port(), limits, limits);
  ASSERT_THAT(server, IsOk());
  auto media = v1::MediaService::NewStub((*server)->channel());
  auto jobs = v1::JobService::NewStub((*server)->channel());
  v1::CreateMediaResponse created;
  ASSERT_THAT(Create(*media, kAcmeToken, &created), IsOk());
  absl::SleepFor(absl::Seconds(1));  // the bucket refills (it holds 100)

  // 200 reads spread evenly over one second.
  v1::GetJobRequest get;
  get.set_name(created.media().name());
  int accepted = 0, refused = 0, other = 0;
  const absl::Time start = absl::Now();
  // When the first call came back and the last one left: the server took
  // its tokens at some point between each call's leaving and its answer.
  absl::Time first_done, last_sent;
  for (int i = 0; i < 200; ++i) {
    absl::SleepFor(start + absl::Milliseconds(5 * i) - absl::Now());
    v1::GetJobResponse got;
    last_sent = absl::Now();
    grpc::Status s = jobs->GetJob(Ctx(kAcmeToken).get(), get, &got);
    if (i == 0) first_done = absl::Now();
    if (s.ok()) {
      ++accepted;
    } else if (QuotaReason(s, "acme") == "TENANT_RATE_LIMITED") {
      ++refused;
    } else {
      ++other;
    }
  }
  const absl::Duration took = absl::Now() - start;
  // 100 held at the start + 50 a second for the time between the first
  // call's tokens and the last's: at least from the first answer to the
  // last send, at most from the start to the end. About 150 on an idle
  // machine; a loaded one (CI runs tests side by side) may delay the
  // first calls, which shortens the window and so the count.
  const double fewest =
      100 + 50 * absl::ToDoubleSeconds(last_sent - first_done);
  const double most = 100 + 50 * absl::ToDoubleSeconds(took);
  EXPECT_GE(accepted, fewest - 1) << "took " << took;
  EXPECT_LE(accepted, most + 1) << "took " << took;
  EXPECT_GT(accepted, 100);  // the rate added tokens to the burst
  EXPECT_EQ(accepted + refused, 200);
  EXPECT_EQ(other, 0);

  // Empty the bucket, then wait what the refusal says: the next call passes.
  grpc::Status s;
  for (int i = 0; i < 200; ++i) {
    v1::GetJobResponse got;
    s = jobs->GetJob(Ctx(kAcmeToken).get(), get, &got);
    if (!s.ok()) break;
  }
  ASSERT_EQ(QuotaReason(s, "acme"), "TENANT_RATE_LIMITED");
  std::optional<absl::Duration> delay = rpc::RetryDelay(rpc::FromGrpcStatus(s));
  ASSERT_TRUE(delay.has_value());
  EXPECT_GT(*delay, absl::ZeroDuration());
  EXPECT_LE(*delay, absl::Milliseconds(20));  // one token at 50/s
  // Meanwhile another tenant is served at once.
  v1::GetJobResponse not_found;
  grpc::Status globex = jobs->GetJob(Ctx(kGlobexToken).get(), get, &not_found);
  EXPECT_EQ(globex.error_code(), grpc::StatusCode::NOT_FOUND)
      << globex.error_message();  // acme's job is invisible to globex
  absl::SleepFor(*delay);
  v1::GetJobResponse got;
  EXPECT_THAT(jobs->GetJob(Ctx(kAcmeToken).get(), get, &got), IsOk());
  EXPECT_EQ(Refusals(**server, "acme", "requests_per_second"), refused + 1);
}

TEST(QuotaTest, DevModeTakesTheLimitsOfTheConfigsDevTenant) {
  auto emu = EmulatorProcess::Start({"--time_scale=1"});
  ASSERT_THAT(emu, IsOk());
  ServerConfig config;
  config.emulator_port = (*emu)->port();
  config.dev = true;
  config.config_json =
      json({{"tenants",
             {{{"name", "dev"},
               {"token_sha256", Sha256Hex("unused in dev mode")},
               {"limits", {{"concurrent_jobs", 1}}}}}}})
          .dump();
  auto server = ServerProcess::Start(config);
  ASSERT_THAT(server, IsOk());
  auto media = v1::MediaService::NewStub((*server)->channel());
  v1::CreateMediaRequest req;
  req.set_prompt("a lighthouse at dawn");
  v1::CreateMediaResponse created;
  grpc::ClientContext first, second;
  ASSERT_THAT(media->CreateMedia(&first, req, &created), IsOk());
  EXPECT_EQ(QuotaReason(media->CreateMedia(&second, req, &created), "dev"),
            "TENANT_CONCURRENT_JOBS_EXCEEDED");
}

TEST(QuotaTest, SighupReloadsTenantsAndLimitsAndABrokenFileKeepsThem) {
  auto emu = EmulatorProcess::Start({"--time_scale=1"});
  ASSERT_THAT(emu, IsOk());
  auto server =
      StartServer((*emu)->port(), {{"concurrent_jobs", 1}}, json::object());
  ASSERT_THAT(server, IsOk());
  auto media = v1::MediaService::NewStub((*server)->channel());
  auto jobs = v1::JobService::NewStub((*server)->channel());

  v1::CreateMediaResponse first, next;
  ASSERT_THAT(Create(*media, kAcmeToken, &first), IsOk());
  ASSERT_EQ(QuotaReason(Create(*media, kAcmeToken, &next), "acme"),
            "TENANT_CONCURRENT_JOBS_EXCEEDED");
  WatchClient watch(jobs.get(), first.media().name(), 0, kAcmeToken);
  ASSERT_TRUE(watch.WaitMessages(1, absl::Seconds(10)));

  // A larger limit for acme and a new tenant, without a restart.
  constexpr char kInitechToken[] = "initech-quota-token-03d9";
  const json reloaded = {
      {"tenants",
       {Tenant("acme", kAcmeToken, "ACME_VIM", {{"concurrent_jobs", 2}}),
        Tenant("globex", kGlobexToken, "GLOBEX_VIM", json::object()),
        Tenant("initech", kInitechToken, "GLOBEX_VIM", json::object())}}};
  ASSERT_TRUE((*server)->Reload(reloaded.dump(), "config reloaded"))
      << (*server)->process().stderr_text();
  EXPECT_THAT(Create(*media, kAcmeToken, &next), IsOk());
  EXPECT_EQ(QuotaReason(Create(*media, kAcmeToken, &next), "acme"),
            "TENANT_CONCURRENT_JOBS_EXCEEDED");
  v1::CreateMediaResponse theirs;
  EXPECT_THAT(Create(*media, kInitechToken, &theirs), IsOk());

  // Broken files change nothing: not JSON, then a tenant list that fails
  // validation (two tenants with one token).
  ASSERT_TRUE((*server)->Reload("{not json", "config reload failed"));
  json duplicate = reloaded;
  duplicate["tenants"][2]["token_sha256"] = Sha256Hex(kAcmeToken);
  ASSERT_TRUE((*server)->Reload(duplicate.dump(), "config reload failed"));
  EXPECT_THAT(Create(*media, kInitechToken, &theirs), IsOk());
  EXPECT_EQ(QuotaReason(Create(*media, kAcmeToken, &next), "acme"),
            "TENANT_CONCURRENT_JOBS_EXCEEDED");

  // The watch opened before the reloads never broke: it sees its job end.
  EXPECT_FALSE(watch.status().has_value());
  (*emu)->Post(
      absl::StrCat("/_emulator/jobs/", first.media().id(), "/complete"),
      {{"outcome", "success"}});
  ASSERT_TRUE(watch.WaitDone(absl::Seconds(30)));
  EXPECT_THAT(*watch.status(), IsOk());
  EXPECT_EQ(watch.jobs().back().state(), v1::JOB_STATE_SUCCEEDED);
  // A removed tenant is refused.
  ASSERT_TRUE((*server)->Reload(
      json({{"tenants",
             {Tenant("acme", kAcmeToken, "ACME_VIM", json::object())}}})
          .dump(),
      "config reloaded"));
  EXPECT_EQ(Create(*media, kInitechToken, &theirs).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST(QuotaTest, AStreamedSpeechHoldsAPlaceUntilUpstreamHasAnswered) {
  // At real time a 60-character text streams for well over a second.
  auto emu = EmulatorProcess::Start({"--time_scale=1"});
  ASSERT_THAT(emu, IsOk());
  ServerConfig config;
  config.emulator_port = (*emu)->port();
  config.dev = false;
  config.config_json = json({{"tenants",
                              {{{"name", "acme"},
                                {"token_sha256", Sha256Hex(kAcmeToken)},
                                {"keys",
                                 {{"vimmerse", {{"env", "ACME_VIM"}}},
                                  {"elevenlabs", {{"env", "ACME_EL"}}}}},
                                {"limits", {{"concurrent_jobs", 1}}}}}}})
                           .dump();
  config.env = {{"ACME_VIM", "vimmerse-test-key"},
                {"ACME_EL", "elevenlabs-test-key"}};
  auto server = ServerProcess::Start(config);
  ASSERT_THAT(server, IsOk());
  auto eleven = v1::ElevenLabsService::NewStub((*server)->channel());
  auto media = v1::MediaService::NewStub((*server)->channel());
  v1::SynthesizeSpeechRequest req;
  req.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  req.set_text("The quartz tortoise recites seventeen haiku at every dawn.");

  auto first_ctx = Ctx(kAcmeToken);
  auto first = eleven->SynthesizeSpeech(first_ctx.get(), req);
  v1::SynthesizeSpeechResponse msg;
  ASSERT_TRUE(first->Read(&msg));  // streaming now
  {
    auto ctx = Ctx(kAcmeToken);
    auto second = eleven->SynthesizeSpeech(ctx.get(), req);
    while (second->Read(&msg)) {
    }
    EXPECT_EQ(QuotaReason(second->Finish(), "acme"),
              "TENANT_CONCURRENT_JOBS_EXCEEDED");
    v1::CreateMediaResponse created;
    EXPECT_EQ(QuotaReason(Create(*media, kAcmeToken, &created), "acme"),
              "TENANT_CONCURRENT_JOBS_EXCEEDED");
  }
  EXPECT_EQ((*emu)->Requests("POST", "/v1/text-to-speech/").size(), 1u);
  while (first->Read(&msg)) {
  }
  ASSERT_THAT(first->Finish(), IsOk());
  // The first has ended: its place is free again.
  auto ctx = Ctx(kAcmeToken);
  auto third = eleven->SynthesizeSpeech(ctx.get(), req);
  while (third->Read(&msg)) {
  }
  EXPECT_THAT(third->Finish(), IsOk());
}

TEST(QuotaTest, KeysOfATenantAddedBySighupAreScrubbedFromOtherTenantsErrors) {
  auto emu = EmulatorProcess::Start({"--time_scale=1"});
  ASSERT_THAT(emu, IsOk());
  ServerConfig config;
  config.emulator_port = (*emu)->port();
  config.dev = false;
  config.config_json =
      json({{"tenants",
             {Tenant("acme", kAcmeToken, "ACME_VIM", json::object())}}})
          .dump();
  constexpr char kNewKey[] = "vimmerse-initech-key-9d41c7";
  config.env = {{"ACME_VIM", "vimmerse-test-key"}, {"INITECH_VIM", kNewKey}};
  auto server = ServerProcess::Start(config);
  ASSERT_THAT(server, IsOk());
  auto media = v1::MediaService::NewStub((*server)->channel());
  ASSERT_TRUE((*server)->Reload(
      json({{"tenants",
             {Tenant("acme", kAcmeToken, "ACME_VIM", json::object()),
              Tenant("initech", "initech-quota-token-03d9", "INITECH_VIM",
                     json::object())}}})
          .dump(),
      "config reloaded"));
  // An upstream (or a proxy) that quotes the new tenant's key to acme.
  (*emu)->Post("/_emulator/faults",
               {{"method", "POST"},
                {"path", "/v2/media"},
                {"status", 401},
                {"times", 1},
                {"code", kNewKey},
                {"message", absl::StrCat("Invalid API key; try ", kNewKey)},
                {"headers", {{"request-id", kNewKey}}}});
  v1::CreateMediaResponse created;
  grpc::Status refused = Create(*media, kAcmeToken, &created);
  ASSERT_FALSE(refused.ok());
  // (Not printed on failure: the text would carry the key.)
  EXPECT_EQ(refused.error_message().find(kNewKey), std::string::npos);
  EXPECT_EQ(refused.error_details().find(kNewKey), std::string::npos);
  EXPECT_EQ((*server)->process().stderr_text().find(kNewKey),
            std::string::npos);
}

}  // namespace
}  // namespace mediagen::testing
