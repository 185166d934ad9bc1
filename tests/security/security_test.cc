// Security tests (issue 9): the real server, configured with two tenants
// and distinctive keys and tokens, against the strict emulator.
//
//   - tenant isolation on every read path: GetJob, WatchJob, resumed
//     watches, GetMedia, GetGeneration, UpdateMedia, and request_id (the
//     idempotency key), with and without the other tenant's job cached;
//   - every RPC without a token or with a wrong one: UNAUTHENTICATED,
//     nothing sent upstream, the token never echoed;
//   - webhooks: forged, cross-tenant, lying, replayed, malformed and
//     oversized ones change nothing and cost at most one read.
//
// Inputs (URL fields, oversized and undecodable requests) and secrets in
// every output: security_inputs_test.cc.
#include <signal.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "mediagen/v1/audio.grpc.pb.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/stable_audio.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/common/sha256.h"
#include "tests/security/security_test_util.h"
#include "tests/testing_util/api_methods.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"
#include "tests/testing_util/url_fields.h"
#include "tests/testing_util/watch_client.h"

namespace mediagen::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using grpc::StatusCode;
using security::Ctx;
using security::FindSecret;
using security::kAcmeToken;
using security::kAcmeVim;
using security::kGlobexToken;
using security::SecurityRpcTest;
using security::SecurityTest;
using security::WebhookToken;

// ---- tenant isolation -------------------------------------------------------

TEST_F(SecurityTest, ATenantNeverReachesAnotherTenantsJobsOnAnyReadPath) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto ch = server_->channel();
  auto media = v1::MediaService::NewStub(ch);
  auto video = v1::VideoService::NewStub(ch);
  auto stable = v1::StableAudioService::NewStub(ch);
  auto jobs = v1::JobService::NewStub(ch);

  // acme's jobs of every kind; each create with a request_id.
  v1::CreateMediaRequest cm;
  cm.set_request_id("shared-request-id");
  cm.set_title("acme's launch video");
  cm.set_prompt("acme's secret product");
  v1::CreateMediaResponse acme_media;
  ASSERT_THAT(media->CreateMedia(Ctx(kAcmeToken).get(), cm, &acme_media),
              IsOk());
  v1::CropToAspectRatioRequest crop;
  crop.set_request_id("shared-crop-id");
  crop.set_video_url("https://example.com/acme.mp4");
  crop.set_aspect_ratio("9:16");
  v1::CropToAspectRatioResponse acme_asset;
  ASSERT_THAT(
      video->CropToAspectRatio(Ctx(kAcmeToken).get(), crop, &acme_asset),
      IsOk());
  v1::GenerateAudioRequest ga;
  ga.set_request_id("shared-audio-id");
  ga.set_prompt("acme jingle");
  ga.set_seconds_total(5);
  v1::GenerateAudioResponse acme_gen;
  ASSERT_THAT(stable->GenerateAudio(Ctx(kAcmeToken).get(), ga, &acme_gen),
              IsOk());
  const std::vector<std::string> names = {acme_media.media().name(),
                                          acme_asset.asset().name(),
                                          acme_gen.generation().name()};

  auto globex_cannot_read = [&](const std::string& when) {
    for (const std::string& name : names) {
      SCOPED_TRACE(when + " " + name);
      v1::GetJobRequest gj;
      gj.set_name(name);
      v1::GetJobResponse gj_resp;
      grpc::Status s = jobs->GetJob(Ctx(kGlobexToken).get(), gj, &gj_resp);
      EXPECT_THAT(s, StatusIs(StatusCode::NOT_FOUND, Not(HasSubstr("acme"))));
      EXPECT_FALSE(gj_resp.has_job());
      WatchClient watch(jobs.get(), name, 0, kGlobexToken);
      ASSERT_TRUE(watch.WaitDone(absl::Seconds(15)));
      EXPECT_THAT(*watch.status(), StatusIs(StatusCode::NOT_FOUND));
      EXPECT_TRUE(watch.events().empty());
    }
    v1::GetMediaRequest gm;
    gm.set_name(acme_media.media().name());
    v1::GetMediaResponse gm_resp;
    EXPECT_THAT(media->GetMedia(Ctx(kGlobexToken).get(), gm, &gm_resp),
                StatusIs(StatusCode::NOT_FOUND));
    v1::GetGenerationRequest gg;
    gg.set_name(acme_gen.generation().name());
    v1::GetGenerationResponse gg_resp;
    EXPECT_THAT(stable->GetGeneration(Ctx(kGlobexToken).get(), gg, &gg_resp),
                StatusIs(StatusCode::NOT_FOUND));
    v1::UpdateMediaRequest um;
    um.set_name(acme_media.media().name());
    um.set_title("defaced by globex");
    v1::UpdateMediaResponse um_resp;
    EXPECT_THAT(media->UpdateMedia(Ctx(kGlobexToken).get(), um, &um_resp),
                StatusIs(StatusCode::NOT_FOUND));
  };
  // Nothing of acme's is cached yet...
  globex_cannot_read("uncached");

  // ...then acme watches each job to its end, which caches it.
  std::vector<int64_t> last_versions;
  for (const std::string& name : names) {
    WatchClient watch(jobs.get(), name, 0, kAcmeToken);
    ASSERT_TRUE(watch.WaitDone(absl::Seconds(30))) << name;
    ASSERT_THAT(*watch.status(), IsOk()) << name;
    ASSERT_FALSE(watch.jobs().empty());
    last_versions.push_back(watch.jobs().back().version());
    v1::GetJobRequest gj;
    gj.set_name(name);
    v1::GetJobResponse gj_resp;
    ASSERT_THAT(jobs->GetJob(Ctx(kAcmeToken).get(), gj, &gj_resp), IsOk());
  }
  globex_cannot_read("cached");
  // A resumed watch with acme's version is no key either.
  for (size_t i = 0; i < names.size(); ++i) {
    WatchClient resumed(jobs.get(), names[i], last_versions[i], kGlobexToken);
    ASSERT_TRUE(resumed.WaitDone(absl::Seconds(15)));
    EXPECT_THAT(*resumed.status(), StatusIs(StatusCode::NOT_FOUND)) << names[i];
    EXPECT_TRUE(resumed.events().empty()) << names[i];
  }

  // request_id is per tenant: globex's identical creates are its own.
  v1::CreateMediaResponse globex_media;
  ASSERT_THAT(media->CreateMedia(Ctx(kGlobexToken).get(), cm, &globex_media),
              IsOk());
  EXPECT_NE(globex_media.media().name(), acme_media.media().name());
  EXPECT_NE(globex_media.media().customer_id(),
            acme_media.media().customer_id());
  v1::CropToAspectRatioResponse globex_asset;
  ASSERT_THAT(
      video->CropToAspectRatio(Ctx(kGlobexToken).get(), crop, &globex_asset),
      IsOk());
  EXPECT_NE(globex_asset.asset().name(), acme_asset.asset().name());
  v1::GenerateAudioResponse globex_gen;
  ASSERT_THAT(stable->GenerateAudio(Ctx(kGlobexToken).get(), ga, &globex_gen),
              IsOk());
  EXPECT_NE(globex_gen.generation().name(), acme_gen.generation().name());
  // ...and acme's own retry still gets acme's first answer.
  v1::CreateMediaResponse acme_again;
  ASSERT_THAT(media->CreateMedia(Ctx(kAcmeToken).get(), cm, &acme_again),
              IsOk());
  EXPECT_EQ(acme_again.media().name(), acme_media.media().name());

  // globex's attempted update changed nothing upstream.
  v1::GetMediaRequest gm;
  gm.set_name(acme_media.media().name());
  v1::GetMediaResponse gm_resp;
  ASSERT_THAT(media->GetMedia(Ctx(kAcmeToken).get(), gm, &gm_resp), IsOk());
  EXPECT_EQ(gm_resp.media().title(), "acme's launch video");
  // Each tenant's calls went out with its own key only.
  json counters = emu_->Counters()["customers"];
  EXPECT_EQ(counters["acme-vim"]["creates_total"], 2);  // media + crop
  EXPECT_EQ(counters["globex-vim"]["creates_total"], 2);
}

// ---- authentication
// ------------------------------------------------------------

// Authorization headers that must not let a call in.
std::vector<std::pair<std::string, std::string>> BadAuthorizations() {
  return {
      {"no metadata", ""},
      {"empty bearer", "Bearer "},
      {"unknown token", "Bearer tok-nobody-1234567890"},
      {"token with a suffix", absl::StrCat("Bearer ", kAcmeToken, "x")},
      {"token prefix", absl::StrCat("Bearer ", std::string(kAcmeToken, 10))},
      {"the stored hash instead of the token",
       absl::StrCat("Bearer ", Sha256Hex(kAcmeToken))},
      {"a webhook token", absl::StrCat("Bearer ", WebhookToken("acme"))},
      {"an upstream key", absl::StrCat("Bearer ", kAcmeVim)},
      {"basic scheme", absl::StrCat("Basic ", kAcmeToken)},
      {"no scheme", kAcmeToken},
  };
}

using UnauthenticatedRpcTest = SecurityRpcTest;

TEST_P(UnauthenticatedRpcTest,
       WithoutAValidTokenIsUnauthenticatedAndSendsNothing) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const google::protobuf::MethodDescriptor* method = GetParam();
  for (const auto& [what, header] : BadAuthorizations()) {
    std::multimap<std::string, std::string> md;
    if (!header.empty()) md.emplace("authorization", header);
    grpc::Status s = RawCall(MethodPath(method), "", md);
    EXPECT_THAT(s, StatusIs(StatusCode::UNAUTHENTICATED)) << "with " << what;
    const std::string echoed =
        FindSecret(s.error_message() + s.error_details());
    EXPECT_EQ(echoed, "") << "echoed a secret";
    if (header.size() > 7) {
      EXPECT_FALSE(absl::StrContains(s.error_message(), header.substr(7)))
          << "echoed the token";
    }
  }
  EXPECT_EQ(emu_->Requests().size(), 0u) << "something was sent upstream";
  EXPECT_EQ(FindSecret(server_->process().stderr_text()), "");
}

INSTANTIATE_TEST_SUITE_P(EveryRpc, UnauthenticatedRpcTest,
                         ::testing::ValuesIn(ApiMethods()), MethodTestName);

TEST(UnauthenticatedRpcTableTest, EveryRpcTriesEveryBadAuthorization) {
  EXPECT_GE(ApiMethods().size() * BadAuthorizations().size(), 27u * 10);
}

// ---- webhooks
// --------------------------------------------------------------------

TEST_F(SecurityTest, ForgedReplayedMalformedAndOversizedWebhooksChangeNothing) {
  // Polls are 30 s apart: any read in this test is a webhook's doing.
  ASSERT_NO_FATAL_FAILURE(
      Start({"--poll_min_interval=30s", "--poll_max_interval=30s"}));
  emu_->Post("/_emulator/clock", {{"paused", true}});
  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());
  v1::CreateMediaRequest cm;
  cm.set_prompt("webhook target");
  v1::CreateMediaResponse created;
  ASSERT_THAT(media->CreateMedia(Ctx(kAcmeToken).get(), cm, &created), IsOk());
  const std::string id = created.media().id();
  const std::string get_path = "/v2/media/" + id;
  WatchClient watch(jobs.get(), created.media().name(), 0, kAcmeToken);
  ASSERT_TRUE(watch.WaitMessages(1, absl::Seconds(10)));
  const v1::Job before = watch.jobs().at(0);

  httplib::Client admin("127.0.0.1", server_->admin_port());
  const std::string body = json{
      {"customer_id", "acme-vim"},
      {"media_id", id},
      {"status", "success"}}.dump();
  auto post = [&](const std::string& path, const std::string& b) {
    auto r = admin.Post(path.c_str(), b, "application/json");
    return r ? r->status : -1;
  };
  const std::string acme_url =
      "/webhooks/vimmerse/acme/" + WebhookToken("acme");
  int reads = CountRequests("GET", get_path);

  // Forged: wrong token, another tenant's token, no such tenant, bad shapes.
  for (const std::string& path :
       {"/webhooks/vimmerse/acme/" + std::string(64, 'a'),
        "/webhooks/vimmerse/acme/" + WebhookToken("globex"),
        "/webhooks/vimmerse/globex/" + WebhookToken("acme"),
        "/webhooks/vimmerse/initech/" + WebhookToken("initech"),
        "/webhooks/vimmerse/acme/" + WebhookToken("acme").substr(1),
        "/webhooks/vimmerse/acme/" +
            absl::AsciiStrToUpper(WebhookToken("acme")),
        "/webhooks/vimmerse/acme/" + WebhookToken("acme") + "/x",
        "/webhooks/vimmerse/ACME/" + WebhookToken("acme"),
        "/webhooks/vimmerse/acme/" + WebhookToken("acme") + "%00"}) {
    EXPECT_EQ(post(path, body), 404) << path;
  }
  {
    auto r = admin.Get(acme_url.c_str());
    ASSERT_TRUE(r);
    EXPECT_NE(r->status / 100, 2);
  }
  // globex's own valid webhook naming acme's media re-reads only globex's
  // (tenant, name), which nobody watches: no read at all.
  EXPECT_EQ(post("/webhooks/vimmerse/globex/" + WebhookToken("globex"), body),
            204);
  // Malformed bodies.
  for (const std::string& bad :
       {std::string(""), std::string("not json"), std::string("[1,2]"),
        json{{"media_id", 5}}.dump(), json{{"media_id", "../v2/media"}}.dump(),
        json{{"media_id", ""}}.dump(), json{{"status", "success"}}.dump(),
        std::string(10000, '[')}) {
    EXPECT_EQ(post(acme_url, bad), 400) << bad.substr(0, 40);
  }
  // Oversized: refused before it is read, and the receiver keeps serving.
  EXPECT_EQ(post(acme_url, std::string((64 << 10) + 1, ' ')), 413);
  // 8 MiB: refused from its Content-Length; the connection may close
  // before the client has sent it all (-1).
  const int huge = post(acme_url, std::string(8 << 20, 'x'));
  EXPECT_TRUE(huge == 413 || huge == -1) << huge;
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(CountRequests("GET", get_path), reads)
      << "a refused webhook caused an upstream read";

  // A well-addressed webhook that lies ("success") costs one read and
  // changes nothing: upstream still says the job is new.
  EXPECT_EQ(post(acme_url, body), 204);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_LE(CountRequests("GET", get_path), reads + 1);
  reads = CountRequests("GET", get_path);

  // Replayed 100 times as fast as possible: pokes closer than 50 ms share
  // one read, so the reads stay proportional to time, not to webhooks.
  const absl::Time start = absl::Now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(post(acme_url, body), 204);
  const absl::Duration took = absl::Now() - start;
  absl::SleepFor(absl::Milliseconds(300));
  const int replay_reads = CountRequests("GET", get_path) - reads;
  const int bound = 2 + static_cast<int>((took + absl::Milliseconds(300)) /
                                         absl::Milliseconds(50));
  std::cout << "100 replayed webhooks in " << took << ": " << replay_reads
            << " upstream reads (bound " << bound << ")\n";
  EXPECT_LE(replay_reads, bound);
  EXPECT_LT(replay_reads, 100);

  // The watcher saw no change through all of it, and healthz still works.
  std::vector<v1::Job> seen = watch.jobs();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().version(), before.version());
  EXPECT_EQ(seen.back().state(), before.state());
  EXPECT_FALSE(watch.status().has_value());
  auto health = admin.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  watch.Cancel();
  watch.WaitDone(absl::Seconds(5));
}

}  // namespace
}  // namespace mediagen::testing
