// Security tests (issue 9): the real server, configured with two tenants
// and distinctive keys and tokens, against the strict emulator.
//
//   - tenant isolation on every read path: GetJob, WatchJob, resumed
//     watches, GetMedia, GetGeneration, UpdateMedia, and request_id (the
//     idempotency key), with and without the other tenant's job cached;
//   - every RPC without a token or with a wrong one: UNAUTHENTICATED,
//     nothing sent upstream, the token never echoed;
//   - webhooks: forged, cross-tenant, lying, replayed, malformed and
//     oversized ones change nothing and cost at most one read;
//   - every URL field of every RPC with a non-http(s) URL or control
//     characters: INVALID_ARGUMENT naming the field, nothing sent;
//   - oversized gRPC messages and metadata, undecodable requests: refused,
//     nothing sent, the server keeps serving;
//   - a full run (every kind of call, upstream errors that quote the keys,
//     webhooks, shutdown): no key, token or webhook secret in any error,
//     response, log line or metrics body.
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

// Every secret of the configuration; none may ever leave the server.
constexpr char kAcmeToken[] = "tok-acme-7Hc9QvX2mN4pL8rT";
constexpr char kGlobexToken[] = "tok-globex-3Fz6WbY1kJ5sD0eU";
constexpr char kAcmeVim[] = "vk-acme-Zq8Lw3Xe5Rt2Yu7I";
constexpr char kGlobexVim[] = "vk-globex-Pa4Sd6Fg8Hj1Kl3M";
constexpr char kAcmeEl[] = "ek-acme-Nb2Vc4Xz6Lk8Jh0G";
constexpr char kGlobexEl[] = "ek-globex-Wq3Er5Ty7Ui9Op1A";
constexpr char kAcmeAiml[] = "ak-acme-Sd2Fg4Hj6Kl8Zx0C";
constexpr char kGlobexAiml[] = "ak-globex-Vb1Nm3Qw5Er7Ty9U";
constexpr char kWebhookSecret[] = "whs-Ty5Ui7Op9As1Df3GhJ2";

std::string WebhookToken(const std::string& tenant) {
  return HmacSha256Hex(kWebhookSecret, "mediagen-webhook:" + tenant);
}

std::vector<std::string> Secrets() {
  return {kAcmeToken,   kGlobexToken, kAcmeVim,       kGlobexVim,
          kAcmeEl,      kGlobexEl,    kAcmeAiml,      kGlobexAiml,
          kWebhookSecret, WebhookToken("acme"), WebhookToken("globex")};
}

// Where `text` holds a secret (as it is or base64-encoded); "" if nowhere.
std::string FindSecret(absl::string_view text) {
  for (const std::string& s : Secrets()) {
    for (const std::string& form : {s, absl::Base64Escape(s)}) {
      if (absl::StrContains(text, form)) return s;
    }
  }
  return "";
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token,
                                         absl::Duration timeout = absl::Seconds(15)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

class SecurityTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra_server_flags = {},
             std::vector<std::string> extra_emulator_flags = {}) {
    std::vector<std::string> emu_flags = {
        "--time_scale=0.01",
        absl::StrCat("--vimmerse_key=", kAcmeVim, ":1000000:acme-vim"),
        absl::StrCat("--vimmerse_key=", kGlobexVim, ":1000000:globex-vim"),
        absl::StrCat("--elevenlabs_key=", kAcmeEl, ":acme-el:10"),
        absl::StrCat("--elevenlabs_key=", kGlobexEl, ":globex-el:10"),
        absl::StrCat("--aimlapi_key=", kAcmeAiml, ":100000000:acme-aiml"),
        absl::StrCat("--aimlapi_key=", kGlobexAiml, ":100000000:globex-aiml"),
    };
    emu_flags.insert(emu_flags.end(), extra_emulator_flags.begin(),
                     extra_emulator_flags.end());
    auto emu = EmulatorProcess::Start(emu_flags);
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);

    ServerConfig config;
    config.emulator_port = emu_->port();
    config.dev = false;
    config.webhooks = true;
    auto tenant = [](const char* name, const char* token) {
      const std::string up = absl::AsciiStrToUpper(name);
      return json{{"name", name},
                  {"token_sha256", Sha256Hex(token)},
                  {"keys",
                   {{"vimmerse", {{"env", up + "_VIM"}}},
                    {"elevenlabs", {{"env", up + "_EL"}}},
                    {"aimlapi", {{"env", up + "_AIML"}}}}}};
    };
    config.config_json =
        json{{"webhook_secret", {{"env", "HOOK_SECRET"}}},
             {"tenants", {tenant("acme", kAcmeToken),
                          tenant("globex", kGlobexToken)}}}
            .dump();
    config.env = {{"ACME_VIM", kAcmeVim},       {"GLOBEX_VIM", kGlobexVim},
                  {"ACME_EL", kAcmeEl},         {"GLOBEX_EL", kGlobexEl},
                  {"ACME_AIML", kAcmeAiml},     {"GLOBEX_AIML", kGlobexAiml},
                  {"HOOK_SECRET", kWebhookSecret}};
    config.flags = std::move(extra_server_flags);
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

  int CountRequests(const std::string& method, const std::string& prefix) {
    return static_cast<int>(emu_->Requests(method, prefix).size());
  }

  // One call of `method` ("/mediagen.v1.X/Y") with `request` bytes, on
  // the wire as every kind of RPC is (one message out, all messages in).
  grpc::Status RawCall(const std::string& method, const std::string& request,
                       const std::multimap<std::string, std::string>& metadata,
                       std::vector<std::string>* responses = nullptr) {
    grpc::GenericStub stub(server_->channel());
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
    for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
    auto call = stub.PrepareCall(&ctx, method, &cq);
    void* tag;
    bool ok;
    auto step = [&](intptr_t want) {
      EXPECT_TRUE(cq.Next(&tag, &ok));
      EXPECT_EQ(reinterpret_cast<intptr_t>(tag), want);
      return ok;
    };
    call->StartCall(reinterpret_cast<void*>(1));
    step(1);
    grpc::Slice slice(request);
    grpc::ByteBuffer out(&slice, 1);
    call->Write(out, reinterpret_cast<void*>(2));
    step(2);
    call->WritesDone(reinterpret_cast<void*>(3));
    step(3);
    while (true) {
      grpc::ByteBuffer in;
      call->Read(&in, reinterpret_cast<void*>(4));
      if (!step(4)) break;
      if (responses != nullptr) {
        std::vector<grpc::Slice> slices;
        (void)in.Dump(&slices);
        std::string bytes;
        for (const auto& s : slices) {
          bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
        responses->push_back(std::move(bytes));
      }
    }
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(5));
    step(5);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  }

  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
};

// A test of one RPC: GetParam() is its method.
class SecurityRpcTest : public SecurityTest,
                        public ::testing::WithParamInterface<
                            const google::protobuf::MethodDescriptor*> {};

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
  EXPECT_NE(globex_media.media().customer_id(), acme_media.media().customer_id());
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
  EXPECT_EQ(counters["acme-vim"]["creates_total"], 2);    // media + crop
  EXPECT_EQ(counters["globex-vim"]["creates_total"], 2);
}

// ---- authentication ------------------------------------------------------------

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

// ---- webhooks --------------------------------------------------------------------

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
  const std::string body =
      json{{"customer_id", "acme-vim"}, {"media_id", id}, {"status", "success"}}
          .dump();
  auto post = [&](const std::string& path, const std::string& b) {
    auto r = admin.Post(path.c_str(), b, "application/json");
    return r ? r->status : -1;
  };
  const std::string acme_url = "/webhooks/vimmerse/acme/" + WebhookToken("acme");
  int reads = CountRequests("GET", get_path);

  // Forged: wrong token, another tenant's token, no such tenant, bad shapes.
  for (const std::string& path :
       {"/webhooks/vimmerse/acme/" + std::string(64, 'a'),
        "/webhooks/vimmerse/acme/" + WebhookToken("globex"),
        "/webhooks/vimmerse/globex/" + WebhookToken("acme"),
        "/webhooks/vimmerse/initech/" + WebhookToken("initech"),
        "/webhooks/vimmerse/acme/" + WebhookToken("acme").substr(1),
        "/webhooks/vimmerse/acme/" + absl::AsciiStrToUpper(WebhookToken("acme")),
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
  EXPECT_EQ(post("/webhooks/vimmerse/globex/" + WebhookToken("globex"), body), 204);
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

// ---- URL fields -------------------------------------------------------------------

// The BadRequest path the server reports for the field at `proto_path`: it
// validates an upload stream's metadata message on its own, so the path of
// a field in it leaves the stream's `metadata.` wrapper out.
std::string ReportedField(const std::string& proto_path) {
  return std::string(absl::StripPrefix(proto_path, "metadata."));
}

// Not http(s), or http(s) with control characters.
std::vector<std::string> BadUrls() {
  return {
      "javascript:alert(document.cookie)",
      "file:///etc/passwd",
      "ftp://cdn.example/a.mp4",
      "gopher://127.0.0.1:6379/_FLUSHALL",
      "//cdn.example/a.mp4",
      "https://cdn.example/a.mp4\r\nX-Injected: 1",
      std::string("https://cdn.example/a\0b.mp4", 27),
      "https://cdn.example/\x1b[31ma.mp4",
      "https://cdn.example/\xe2\x80\xae"
      "4pm.exe",
  };
}

// The RPCs whose requests have a URL field: one row each.
std::vector<const google::protobuf::MethodDescriptor*> MethodsWithUrlFields() {
  std::vector<const google::protobuf::MethodDescriptor*> out;
  for (const auto* method : ApiMethods()) {
    if (!FindUrlFields(method->input_type()).empty()) out.push_back(method);
  }
  return out;
}

using UrlFieldRpcTest = SecurityRpcTest;

TEST_P(UrlFieldRpcTest,
       EveryUrlFieldRejectsNonHttpAndControlCharactersBeforeUpstream) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const google::protobuf::MethodDescriptor* method = GetParam();
  std::multimap<std::string, std::string> md = {
      {"authorization", absl::StrCat("Bearer ", kAcmeToken)}};
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(
          method->input_type());
  std::set<std::string> seen;
  for (const FieldPath& path : FindUrlFields(method->input_type())) {
    for (const std::string& url : BadUrls()) {
      std::unique_ptr<google::protobuf::Message> req(prototype->New());
      const std::string field =
          ReportedField(SetUrlField(req.get(), path, url));
      seen.insert(field);
      grpc::Status s =
          RawCall(MethodPath(method), req->SerializeAsString(), md);
      ASSERT_THAT(s, StatusIs(StatusCode::INVALID_ARGUMENT))
          << field << " = " << absl::CEscape(url);
      std::optional<google::rpc::BadRequest> br =
          rpc::GetBadRequest(rpc::FromGrpcStatus(s));
      ASSERT_TRUE(br.has_value());
      bool named = false;
      for (const auto& v : br->field_violations()) named |= v.field() == field;
      EXPECT_TRUE(named) << "no violation on " << field << ": "
                         << br->ShortDebugString();
    }
  }
  std::cout << method->name() << ": " << absl::StrJoin(seen, ", ") << "\n";
  EXPECT_EQ(emu_->Requests().size(), 0u) << "a bad URL reached upstream";
}

INSTANTIATE_TEST_SUITE_P(EveryRpc, UrlFieldRpcTest,
                         ::testing::ValuesIn(MethodsWithUrlFields()),
                         MethodTestName);

TEST(UrlFieldRpcTableTest, CoversEveryUrlField) {
  int fields = 0;
  for (const auto* method : MethodsWithUrlFields()) {
    fields += static_cast<int>(FindUrlFields(method->input_type()).size());
  }
  EXPECT_GE(fields, 35);
}

// ---- oversized and undecodable requests --------------------------------------------

TEST_F(SecurityTest, OversizedMessagesAndUndecodableRequestsAreRefusedBeforeUpstream) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto media = v1::MediaService::NewStub(server_->channel());
  auto video = v1::VideoService::NewStub(server_->channel());
  // The server accepts messages of up to 8 MiB.
  v1::CreateMediaRequest big;
  big.set_prompt(std::string(9 << 20, 'p'));
  v1::CreateMediaResponse resp;
  grpc::Status s = media->CreateMedia(Ctx(kAcmeToken).get(), big, &resp);
  EXPECT_THAT(s, StatusIs(StatusCode::RESOURCE_EXHAUSTED));
  {
    auto ctx = Ctx(kAcmeToken);
    v1::UploadVideoResponse up;
    auto writer = video->UploadVideo(ctx.get(), &up);
    v1::UploadVideoRequest m;
    m.mutable_metadata()->set_file_name("big.mp4");
    m.mutable_metadata()->set_content_type("video/mp4");
    writer->Write(m);
    v1::UploadVideoRequest chunk;
    chunk.set_chunk(std::string(9 << 20, 'c'));
    writer->Write(chunk);
    writer->WritesDone();
    grpc::Status u = writer->Finish();
    EXPECT_THAT(u, Not(IsOk()));
    EXPECT_THAT(u, Not(StatusIs(StatusCode::UNKNOWN)));
  }
  // Metadata far past gRPC's limit.
  {
    auto ctx = Ctx(kAcmeToken);
    ctx->AddMetadata("x-padding", std::string(1 << 20, 'm'));
    v1::CreateMediaRequest small;
    small.set_prompt("x");
    grpc::Status m = media->CreateMedia(ctx.get(), small, &resp);
    EXPECT_THAT(m, Not(IsOk()));
  }
  // Bytes that are no request at all, and invalid UTF-8 in a string field
  // (proto3 refuses it).
  std::multimap<std::string, std::string> md = {
      {"authorization", absl::StrCat("Bearer ", kAcmeToken)}};
  for (const std::string& garbage :
       {std::string("\xff\xff\xff\xff\x0f", 5), std::string("\x0a\x05\xc3\x28\xff\xfe\x80", 7),
        std::string(100, '\x80')}) {
    grpc::Status g = RawCall("/mediagen.v1.MediaService/CreateMedia", garbage, md);
    EXPECT_THAT(g, Not(IsOk())) << absl::CEscape(garbage);
  }
  // An upload streams to upstream from its first message on (memory stays
  // flat), so the refused chunk may find its transfer begun: it must have
  // been aborted, never completed. Nothing else may have left at all.
  absl::SleepFor(absl::Milliseconds(500));
  for (const json& r : emu_->Requests()) {
    EXPECT_EQ(r.value("path", ""), "/v2/video") << r.dump();
    EXPECT_NE(r.value("status", 0) / 100, 2) << r.dump();
  }
  EXPECT_FALSE(emu_->Counters()["customers"].contains("acme-vim"))
      << "an oversized request created something upstream";
  // Still serving.
  v1::CreateMediaRequest ok;
  ok.set_prompt("still here");
  EXPECT_THAT(media->CreateMedia(Ctx(kAcmeToken).get(), ok, &resp), IsOk());
  EXPECT_TRUE(server_->process().Running());
}

// ---- secrets in outputs ----------------------------------------------------------

TEST_F(SecurityTest, KeysAndTokensNeverAppearInErrorsResponsesLogsOrMetrics) {
  ASSERT_NO_FATAL_FAILURE(Start({"--poll_min_interval=100ms"}));
  std::vector<std::string> outputs;  // everything a caller or operator sees
  auto keep = [&](const grpc::Status& s) {
    outputs.push_back(s.error_message());
    outputs.push_back(s.error_details());
  };
  auto keep_msg = [&](const google::protobuf::Message& m) {
    outputs.push_back(m.SerializeAsString());
    outputs.push_back(m.DebugString());
  };
  auto ch = server_->channel();
  auto media = v1::MediaService::NewStub(ch);
  auto video = v1::VideoService::NewStub(ch);
  auto audio = v1::AudioService::NewStub(ch);
  auto eleven = v1::ElevenLabsService::NewStub(ch);
  auto stable = v1::StableAudioService::NewStub(ch);
  auto jobs = v1::JobService::NewStub(ch);

  // Successful calls of every kind.
  v1::CreateMediaRequest cm;
  cm.set_prompt("a full run");
  v1::CreateMediaResponse created;
  grpc::Status s = media->CreateMedia(Ctx(kAcmeToken).get(), cm, &created);
  ASSERT_THAT(s, IsOk());
  keep_msg(created);
  {
    WatchClient watch(jobs.get(), created.media().name(), 0, kAcmeToken);
    ASSERT_TRUE(watch.WaitDone(absl::Seconds(30)));
    keep(*watch.status());
    for (const auto& e : watch.events()) keep_msg(e.message);
  }
  {
    auto ctx = Ctx(kAcmeToken);
    v1::UploadAudioResponse up;
    auto writer = audio->UploadAudio(ctx.get(), &up);
    v1::UploadAudioRequest m;
    m.mutable_metadata()->set_file_name("a.mp3");
    m.mutable_metadata()->set_content_type("audio/mpeg");
    writer->Write(m);
    v1::UploadAudioRequest c;
    c.set_chunk(std::string(10000, 'a'));
    writer->Write(c);
    writer->WritesDone();
    keep(writer->Finish());
    keep_msg(up);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kGlobexToken));
    v1::SynthesizeSpeechRequest req;
    req.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
    req.set_text("Secrets stay inside.");
    auto reader = eleven->SynthesizeSpeech(&ctx, req);
    v1::SynthesizeSpeechResponse msg;
    while (reader->Read(&msg)) {
      if (msg.has_info()) keep_msg(msg);
    }
    keep(reader->Finish());
  }
  {
    v1::GenerateAudioRequest ga;
    ga.set_prompt("secret jingle");
    v1::GenerateAudioResponse gen;
    keep(stable->GenerateAudio(Ctx(kGlobexToken).get(), ga, &gen));
    keep_msg(gen);
    v1::GetJobRequest gj;
    gj.set_name(gen.generation().name());
    v1::GetJobResponse job;
    keep(jobs->GetJob(Ctx(kGlobexToken).get(), gj, &job));
    keep_msg(job);
  }
  // Upstream errors that quote the keys back (as a careless upstream or a
  // proxy might): the server must scrub them everywhere.
  emu_->Post("/_emulator/faults",
             {{"method", "POST"},
              {"path", "/v2/media"},
              {"status", 401},
              {"times", 1},
              {"code", kAcmeVim},
              {"message", absl::StrCat("Invalid API key ", kAcmeVim,
                                       " (also tried ", kGlobexVim, ")")},
              {"headers", {{"request-id", kAcmeVim}}}});
  keep(media->CreateMedia(Ctx(kAcmeToken).get(), cm, &created));
  emu_->Post("/_emulator/faults",
             {{"method", "POST"},
              {"path", "/v1/text-to-speech/*"},
              {"status", 400},
              {"times", 1},
              {"code", kGlobexEl},
              {"message", absl::StrCat("xi-api-key=", kGlobexEl)}});
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kGlobexToken));
    v1::SynthesizeSpeechRequest req;
    req.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
    req.set_text("again");
    auto reader = eleven->SynthesizeSpeech(&ctx, req);
    v1::SynthesizeSpeechResponse msg;
    while (reader->Read(&msg)) {
    }
    grpc::Status e = reader->Finish();
    EXPECT_THAT(e, StatusIs(StatusCode::INVALID_ARGUMENT));
    keep(e);
  }
  emu_->Post("/_emulator/faults",
             {{"method", "POST"},
              {"path", "/v2/generate/audio"},
              {"status", 500},
              {"times", 1},
              {"body", {{"message", absl::StrCat("Bearer ", kAcmeAiml)},
                        {"requestId", kAcmeAiml},
                        {"statusCode", 500}}}});
  {
    v1::GenerateAudioRequest ga;
    ga.set_prompt("x");
    v1::GenerateAudioResponse gen;
    grpc::Status e = stable->GenerateAudio(Ctx(kAcmeToken).get(), ga, &gen);
    EXPECT_THAT(e, StatusIs(StatusCode::UNAVAILABLE));
    keep(e);
  }
  // Authentication failures with real secrets in the wrong place.
  for (const char* wrong : {kAcmeVim, kWebhookSecret}) {
    keep(media->CreateMedia(Ctx(wrong).get(), cm, &created));
  }
  // Webhooks, good and forged.
  httplib::Client admin("127.0.0.1", server_->admin_port());
  for (const std::string tenant : {"acme", "globex"}) {
    auto r = admin.Post(
        ("/webhooks/vimmerse/" + tenant + "/" + WebhookToken(tenant)).c_str(),
        json{{"media_id", created.media().id()}}.dump(), "application/json");
    ASSERT_TRUE(r);
    outputs.push_back(r->body);
    auto forged = admin.Post(
        ("/webhooks/vimmerse/" + tenant + "/" + WebhookToken("x")).c_str(),
        "{}", "application/json");
    ASSERT_TRUE(forged);
    outputs.push_back(forged->body);
  }
  // The admin port's other pages; /metrics when it serves one.
  std::vector<std::string> scanned = {"gRPC errors and responses",
                                      "webhook answers"};
  for (const char* page : {"/healthz", "/readyz", "/metrics"}) {
    auto r = admin.Get(page);
    ASSERT_TRUE(r) << page;
    if (r->status == 200) {
      outputs.push_back(r->body);
      scanned.push_back(page);
    }
  }
  // The keys were really in use: each tenant's traffic reached upstream
  // under its own customer.
  json customers = emu_->Counters()["customers"];
  EXPECT_TRUE(customers.contains("acme-vim")) << customers.dump();
  EXPECT_TRUE(customers.contains("globex-el")) << customers.dump();

  // Shutdown logs too.
  auto code = server_->process().Stop(SIGTERM, absl::Seconds(30));
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, 0);
  outputs.push_back(server_->process().stderr_text());
  scanned.push_back("server log");
  std::cout << "scanned for " << Secrets().size() << " secrets: "
            << absl::StrJoin(scanned, ", ") << " (" << outputs.size()
            << " texts)\n";
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string found = FindSecret(outputs[i]);
    EXPECT_EQ(found, "") << "a secret in output " << i << ": "
                         << absl::CEscape(outputs[i].substr(0, 400));
  }
}

}  // namespace
}  // namespace mediagen::testing
