// Integration tests of the mediagen server: the real server binary against
// the real, strict emulator, over loopback: job watching, webhooks,
// request_id, tenants, cancellation and deadlines, health and reflection,
// memory under a large upload. Every RPC's own round trip: every_rpc_test.cc.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "mediagen/v1/audio.grpc.pb.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/stable_audio.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "service/common/sha256.h"
#include "tests/integration/server_test_util.h"
#include "tests/testing_util/api_methods.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/health_check.h"
#include "tests/testing_util/status_matchers.h"
#include "tests/testing_util/watch_client.h"

namespace mediagen::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

// ---- job watching ---------------------------------------------------------

TEST_F(ServerTest, TwoHundredWatchersShareOnePollerAndSeeTheSameVersions) {
  ServerConfig config;
  config.flags = {"--poll_min_interval=200ms", "--poll_max_interval=200ms"};
  // A media job of about 3 s.
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.15"}, config));
  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());
  v1::CreateMediaRequest cm;
  cm.set_prompt("a slow sunrise");
  v1::CreateMediaResponse created;
  ASSERT_THAT(media->CreateMedia(Ctx().get(), cm, &created), IsOk());
  const std::string name = created.media().name();
  const std::string get_route = "GET /v2/media/{id}";
  const int reads_before = CountRoute(*emu_, get_route);

  std::vector<std::unique_ptr<WatchClient>> watchers;
  const absl::Time start = absl::Now();
  for (int i = 0; i < 200; ++i) {
    watchers.push_back(std::make_unique<WatchClient>(jobs.get(), name));
  }
  for (auto& w : watchers) ASSERT_TRUE(w->WaitDone(absl::Seconds(30)));
  const absl::Duration watched = absl::Now() - start;
  const int reads = CountRoute(*emu_, get_route) - reads_before;

  // One poller for 200 watchers: about one read per 200 ms interval (plus
  // the first read), not 200 per interval.
  const int intervals = static_cast<int>(watched / absl::Milliseconds(200));
  std::cout << "watched " << watched << ", " << reads
            << " upstream reads for 200 watchers (" << intervals
            << " intervals)\n";
  EXPECT_LE(reads, intervals + 2);
  EXPECT_GE(reads, intervals - 2);

  const std::vector<v1::Job> reference = watchers[0]->jobs();
  ASSERT_FALSE(reference.empty());
  EXPECT_EQ(reference.back().state(), v1::JOB_STATE_SUCCEEDED);
  for (size_t i = 1; i < reference.size(); ++i) {
    EXPECT_GT(reference[i].version(), reference[i - 1].version());
  }
  for (auto& w : watchers) {
    EXPECT_THAT(*w->status(), IsOk());
    std::vector<v1::Job> got = w->jobs();
    // Late joiners may miss early versions, never the end.
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.back().version(), reference.back().version());
    EXPECT_EQ(got.back().state(), v1::JOB_STATE_SUCCEEDED);
  }
}

TEST_F(ServerTest, AWatchResumedFromAVersionMissesNothing) {
  ServerConfig config;
  config.flags = {"--poll_min_interval=100ms", "--poll_max_interval=100ms"};
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.1"}, config));
  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());
  v1::CreateMediaRequest cm;
  cm.set_prompt("resume me");
  v1::CreateMediaResponse created;
  ASSERT_THAT(media->CreateMedia(Ctx().get(), cm, &created), IsOk());

  auto first =
      std::make_unique<WatchClient>(jobs.get(), created.media().name());
  ASSERT_TRUE(first->WaitMessages(1, absl::Seconds(10)));
  const int64_t seen = first->jobs().at(0).version();
  first->Cancel();  // the client "disconnects" with version `seen`
  first->WaitDone(absl::Seconds(5));

  absl::SleepFor(absl::Milliseconds(500));  // the job moves on meanwhile
  WatchClient resumed(jobs.get(), created.media().name(), seen);
  ASSERT_TRUE(resumed.WaitDone(absl::Seconds(30)));
  EXPECT_THAT(*resumed.status(), IsOk());
  std::vector<v1::Job> got = resumed.jobs();
  ASSERT_FALSE(got.empty());
  // Every message carries the whole job: the first one after resuming is
  // already the current state, newer than what the client had.
  EXPECT_GT(got.front().version(), seen);
  EXPECT_EQ(got.back().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_FALSE(got.back().result_urls().empty());
}

// ---- webhooks --------------------------------------------------------------

TEST_F(ServerTest,
       AWebhookWakesWatchersBeforeAnyPollAndForgeriesChangeNothing) {
  ServerConfig config;
  config.webhooks = true;
  config.env["HOOK_SECRET"] = "test-webhook-secret";
  // Polls are far apart: only a webhook can explain a quick update.
  config.flags = {"--poll_min_interval=30s", "--poll_max_interval=30s",
                  "--webhook_secret=env:HOOK_SECRET"};
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=1"}, config));
  emu_->Post("/_emulator/clock", {{"paused", true}});  // jobs stay put

  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());
  v1::CreateMediaRequest cm;
  cm.set_prompt("webhook me");
  v1::CreateMediaResponse created;
  ASSERT_THAT(media->CreateMedia(Ctx().get(), cm, &created), IsOk());
  // mediagen set its own receiver upstream, and does not show it.
  json sent = LastRequest(*emu_, "POST /v2/media")["json"];
  ASSERT_TRUE(sent.contains("webhook_url"));
  EXPECT_EQ(created.media().webhook_url(), "");
  const std::string id = created.media().id();

  WatchClient watch(jobs.get(), created.media().name());
  ASSERT_TRUE(watch.WaitMessages(1, absl::Seconds(10)));
  const int reads_before = CountRoute(*emu_, "GET /v2/media/{id}");

  // A forged webhook (right path, wrong token) is refused outright.
  httplib::Client admin("127.0.0.1", server_->admin_port());
  const json forged_body = {
      {"customer_id", "x"}, {"media_id", id}, {"status", "success"}};
  auto bad = admin.Post(
      absl::StrCat("/webhooks/vimmerse/dev/", std::string(64, 'a')).c_str(),
      forged_body.dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 404);
  // A well-addressed webhook that lies about the status costs one re-read
  // and changes nothing: upstream still says the job is not done.
  const std::string token =
      HmacSha256Hex("test-webhook-secret", "mediagen-webhook:dev");
  auto lie = admin.Post(absl::StrCat("/webhooks/vimmerse/dev/", token).c_str(),
                        forged_body.dump(), "application/json");
  ASSERT_TRUE(lie);
  EXPECT_EQ(lie->status, 204);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(watch.jobs().size(), 1u);
  EXPECT_NE(watch.jobs().back().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_LE(CountRoute(*emu_, "GET /v2/media/{id}") - reads_before, 1);

  // The real thing: upstream finishes the job and calls the webhook.
  const absl::Time completed = absl::Now();
  emu_->Post(absl::StrCat("/_emulator/jobs/", id, "/complete"),
             {{"outcome", "success"}});
  ASSERT_TRUE(watch.WaitDone(absl::Seconds(10)));
  const std::vector<WatchClient::Event> events = watch.events();
  absl::Time seen_success = absl::InfinitePast();
  for (const auto& e : events) {
    if (e.message.has_job() &&
        e.message.job().state() == v1::JOB_STATE_SUCCEEDED) {
      seen_success = e.at;
    }
  }
  const absl::Duration latency = seen_success - completed;
  std::cout << "webhook-to-watcher latency: " << latency << "\n";
  // Polls are 30 s apart, so anything well under that came from the
  // webhook. How fast exactly is a benchmark figure (bench/), not a test
  // bound: sanitizers and a busy CI machine stretch it.
  EXPECT_LT(latency, absl::Seconds(5));
  EXPECT_THAT(*watch.status(), IsOk());
}

// ---- idempotency ----------------------------------------------------------

TEST_F(ServerTest, TenConcurrentDuplicatesMakeOneUpstreamCreate) {
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  // Upstream is slow, so the duplicates really overlap the first call.
  emu_->Post("/_emulator/faults",
             {{"method", "POST"}, {"path", "/v2/media"}, {"latency_ms", 300}});
  std::vector<std::thread> threads;
  std::vector<std::string> names(10);
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      auto media = v1::MediaService::NewStub(server_->NewChannel());
      v1::CreateMediaRequest cm;
      cm.set_request_id("5b1f1c9e-0000-4000-8000-000000000001");
      cm.set_prompt("only once");
      v1::CreateMediaResponse resp;
      if (media->CreateMedia(Ctx().get(), cm, &resp).ok()) {
        ++ok;
        names[i] = resp.media().name();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 1u);
  EXPECT_EQ(CountRoute(*emu_, "POST /v2/media"), 1);

  // Same id, different content: refused, nothing sent.
  auto media = v1::MediaService::NewStub(server_->channel());
  v1::CreateMediaRequest other;
  other.set_request_id("5b1f1c9e-0000-4000-8000-000000000001");
  other.set_prompt("something else");
  v1::CreateMediaResponse resp;
  grpc::Status s = media->CreateMedia(Ctx().get(), other, &resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(CountRoute(*emu_, "POST /v2/media"), 1);
}

// ---- tenants ----------------------------------------------------------------

std::string TwoTenantConfig() {
  return json({{"tenants",
                {{{"name", "acme"},
                  {"token_sha256", Sha256Hex("acme-token")},
                  {"keys", {{"vimmerse", {{"env", "ACME_KEY"}}}}}},
                 {{"name", "globex"},
                  {"token_sha256", Sha256Hex("globex-token")},
                  {"keys", {{"vimmerse", {{"env", "GLOBEX_KEY"}}}}}}}}})
      .dump();
}

TEST_F(ServerTest, TenantsNeverSeeEachOthersJobsCachedOrNot) {
  ServerConfig config;
  config.dev = false;
  config.config_json = TwoTenantConfig();
  // Two emulator customers (its default keys).
  config.env = {{"ACME_KEY", "vimmerse-test-key"},
                {"GLOBEX_KEY", "vimmerse-demo-key"}};
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.02"}, config));
  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());

  v1::CreateMediaRequest cm;
  cm.set_prompt("acme's video");
  cm.set_request_id("shared-request-id");
  v1::CreateMediaResponse acme_media;
  ASSERT_THAT(media->CreateMedia(Ctx(absl::Seconds(10), "acme-token").get(), cm,
                                 &acme_media),
              IsOk());
  const std::string name = acme_media.media().name();
  // Fill the cache with acme's view of the job.
  WatchClient acme_watch(jobs.get(), name, 0, "acme-token");
  ASSERT_TRUE(acme_watch.WaitDone(absl::Seconds(20)));
  ASSERT_THAT(*acme_watch.status(), IsOk());

  v1::GetJobRequest gj;
  gj.set_name(name);
  v1::GetJobResponse gj_resp;
  EXPECT_THAT(
      jobs->GetJob(Ctx(absl::Seconds(10), "globex-token").get(), gj, &gj_resp),
      StatusIs(grpc::StatusCode::NOT_FOUND));
  WatchClient globex_watch(jobs.get(), name, 0, "globex-token");
  ASSERT_TRUE(globex_watch.WaitDone(absl::Seconds(10)));
  EXPECT_THAT(*globex_watch.status(), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_TRUE(globex_watch.jobs().empty());
  WatchClient globex_resume(jobs.get(), name,
                            acme_watch.jobs().back().version(), "globex-token");
  ASSERT_TRUE(globex_resume.WaitDone(absl::Seconds(10)));
  EXPECT_THAT(*globex_resume.status(), StatusIs(grpc::StatusCode::NOT_FOUND));
  v1::GetMediaRequest gm;
  gm.set_name(name);
  v1::GetMediaResponse gm_resp;
  EXPECT_THAT(media->GetMedia(Ctx(absl::Seconds(10), "globex-token").get(), gm,
                              &gm_resp),
              StatusIs(grpc::StatusCode::NOT_FOUND));

  // The same request_id from another tenant is another request.
  v1::CreateMediaResponse globex_media;
  ASSERT_THAT(media->CreateMedia(Ctx(absl::Seconds(10), "globex-token").get(),
                                 cm, &globex_media),
              IsOk());
  EXPECT_NE(globex_media.media().name(), name);
}

TEST_F(ServerTest, CallsWithoutAValidTokenAreUnauthenticatedAndSendNothing) {
  ServerConfig config;
  config.dev = false;
  config.config_json = TwoTenantConfig();
  config.env = {{"ACME_KEY", "vimmerse-test-key"},
                {"GLOBEX_KEY", "vimmerse-demo-key"}};
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.02"}, config));
  auto media = v1::MediaService::NewStub(server_->channel());
  v1::CreateMediaRequest cm;
  cm.set_prompt("x");
  v1::CreateMediaResponse resp;
  EXPECT_THAT(media->CreateMedia(Ctx().get(), cm, &resp),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  grpc::Status wrong =
      media->CreateMedia(Ctx(absl::Seconds(10), "nope").get(), cm, &resp);
  EXPECT_THAT(wrong, StatusIs(grpc::StatusCode::UNAUTHENTICATED,
                              Not(HasSubstr("nope"))));
  auto jobs = v1::JobService::NewStub(server_->channel());
  WatchClient watch(jobs.get(), "media/whatever");
  ASSERT_TRUE(watch.WaitDone(absl::Seconds(10)));
  EXPECT_THAT(*watch.status(), StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(emu_->Requests().size(), 0u);
}

TEST(ServerStartTest, DevModeIsRefusedOnAPublicAddressUnlessForced) {
  auto refused =
      Process::Start({Runfile("service/server/mediagen_server"), "--dev",
                      "--listen=0.0.0.0:0", "--admin_listen=127.0.0.1:0"});
  ASSERT_THAT(refused, IsOk());
  auto code = (*refused)->Stop(0, absl::Seconds(20));  // signal 0: just wait
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, 1);
  EXPECT_NE((*refused)->stderr_text().find("development mode"),
            std::string::npos);

  auto forced =
      Process::Start({Runfile("service/server/mediagen_server"), "--dev",
                      "--allow_dev_mode_on_any_address", "--listen=0.0.0.0:0",
                      "--admin_listen=127.0.0.1:0"});
  ASSERT_THAT(forced, IsOk());
  EXPECT_THAT((*forced)->FirstLine(absl::Seconds(20)), IsOk());
  auto stopped = (*forced)->Stop(SIGTERM, absl::Seconds(20));
  ASSERT_THAT(stopped, IsOk());
  EXPECT_EQ(*stopped, 0);  // a clean shutdown on SIGTERM
}

// ---- cancellation and deadlines -------------------------------------------

TEST_F(ServerTest, ACancelledUploadAbortsTheUpstreamTransfer) {
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  auto video = v1::VideoService::NewStub(server_->channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::seconds(60));
  v1::UploadVideoResponse resp;
  auto writer = video->UploadVideo(&ctx, &resp);
  v1::UploadVideoRequest m;
  m.mutable_metadata()->set_file_name("big.mp4");
  m.mutable_metadata()->set_content_type("video/mp4");
  m.mutable_metadata()->set_size_bytes(int64_t{100} << 20);
  ASSERT_TRUE(writer->Write(m));
  v1::UploadVideoRequest c;
  c.set_chunk(std::string(1 << 20, 'v'));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer->Write(c));
  // The upload is under way upstream: mediagen holds a connection to it...
  absl::Time until = absl::Now() + absl::Seconds(10);
  while (EstablishedConnectionsTo(emu_->port()) == 0 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_GT(EstablishedConnectionsTo(emu_->port()), 0);
  ctx.TryCancel();  // ...and the client gives up.
  EXPECT_THAT(writer->Finish(), Not(IsOk()));
  // The upstream transfer is aborted (its connection closed, not left
  // waiting for bytes that will never come) and nothing was created.
  until = absl::Now() + absl::Seconds(5);
  while (EstablishedConnectionsTo(emu_->port()) > 0 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(EstablishedConnectionsTo(emu_->port()), 0);
  json r = LastRequest(*emu_, "POST /v2/video");
  EXPECT_TRUE(r.is_null() || r["status"].get<int>() != 200) << r.dump();
}

TEST_F(ServerTest, AShortDeadlineGivesDeadlineExceededAndAbortsUpstream) {
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  // Upstream answers slowly: 200 bytes per second of audio.
  emu_->Post("/_emulator/faults", {{"method", "POST"},
                                   {"path", "/v1/text-to-speech/*"},
                                   {"drip_bytes_per_sec", 200}});
  auto eleven = v1::ElevenLabsService::NewStub(server_->channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(500));
  v1::SynthesizeSpeechRequest req;
  req.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  req.set_text(
      "A long sentence that takes a while to say at two hundred bytes a "
      "second.");
  const absl::Time start = absl::Now();
  auto reader = eleven->SynthesizeSpeech(&ctx, req);
  v1::SynthesizeSpeechResponse msg;
  while (reader->Read(&msg)) {
  }
  grpc::Status s = reader->Finish();
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::DEADLINE_EXCEEDED));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  // The upstream stream was dropped, not left running: ElevenLabs' in-flight
  // count for our key goes back to zero.
  absl::Time until = absl::Now() + absl::Seconds(5);
  int in_flight = -1;
  while (absl::Now() < until) {
    json c = emu_->Counters()["concurrency"];
    in_flight = 0;
    for (const auto& [key, v] : c.items())
      in_flight += v["in_flight"].get<int>();
    if (in_flight == 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(in_flight, 0);

  // A unary create whose upstream is slower than the deadline.
  emu_->Post("/_emulator/faults", {{"method", "POST"},
                                   {"path", "/v2/video/reframe"},
                                   {"latency_ms", 3000}});
  auto video = v1::VideoService::NewStub(server_->channel());
  v1::ReframeVideoRequest rf;
  rf.set_video_url("https://example.com/in.mp4");
  v1::ReframeVideoResponse rf_resp;
  const absl::Time t0 = absl::Now();
  grpc::Status rs =
      video->ReframeVideo(Ctx(absl::Milliseconds(300)).get(), rf, &rf_resp);
  EXPECT_THAT(rs, StatusIs(grpc::StatusCode::DEADLINE_EXCEEDED));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(2));
}

// ---- health and reflection
// ----------------------------------------------------

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const auto& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// Encoded by hand (health in //tests/testing_util:health_check): the
// grpc.health.v1 and reflection protos are not among Debian's C++ headers,
// and a test of the wire protocol needs no stubs.
TEST_F(ServerTest, HealthIsServingPerServiceAndReflectionListsTheApi) {
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  for (const std::string service :
       {"", "mediagen.v1.MediaService", "mediagen.v1.JobService",
        "mediagen.v1.ElevenLabsService", "mediagen.v1.UsageService"}) {
    EXPECT_THAT(CheckHealth(server_->channel(), service, absl::Seconds(10)),
                IsOkAndHolds(ServingStatus::kServing))
        << service;
  }

  grpc::GenericStub stub(server_->channel());
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::seconds(30));
  auto call = stub.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      &cq);
  void* tag;
  bool ok;
  auto step = [&](int want) {
    ASSERT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(tag, reinterpret_cast<void*>(want));
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  // ServerReflectionRequest{list_services = 7: ""}.
  grpc::Slice list(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&list, 1), response;
  call->Write(request, reinterpret_cast<void*>(2));
  step(2);
  call->Read(&response, reinterpret_cast<void*>(3));
  step(3);
  ASSERT_TRUE(ok);
  const std::string listed = Bytes(response);
  for (const char* service :
       {"mediagen.v1.MediaService", "mediagen.v1.VideoService",
        "mediagen.v1.AudioService", "mediagen.v1.ElevenLabsService",
        "mediagen.v1.StableAudioService", "mediagen.v1.JobService",
        "mediagen.v1.UsageService"}) {
    EXPECT_NE(listed.find(service), std::string::npos) << service;
  }
  ctx.TryCancel();
  call->Finish(&finish_status_, reinterpret_cast<void*>(4));
  step(4);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// ---- resources
// ----------------------------------------------------------------

TEST_F(ServerTest, AQuarterGigabyteUploadDoesNotGrowServerMemory) {
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed blocks in a quarantine (256 MiB by default), so RSS
  // under ASan says nothing about what the server holds on to.
  GTEST_SKIP() << "memory growth is measured in the plain build";
#endif
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  auto video = v1::VideoService::NewStub(server_->channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::seconds(300));
  v1::UploadVideoResponse resp;
  auto writer = video->UploadVideo(&ctx, &resp);
  constexpr int64_t kChunk = 1 << 20, kChunks = 256;
  v1::UploadVideoRequest m;
  m.mutable_metadata()->set_file_name("big.mp4");
  m.mutable_metadata()->set_content_type("video/mp4");
  m.mutable_metadata()->set_size_bytes(kChunk * kChunks);
  ASSERT_TRUE(writer->Write(m));
  v1::UploadVideoRequest c;
  c.set_chunk(std::string(kChunk, 'q'));
  // Warm up (allocator arenas, gRPC buffers), then measure the rest.
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(writer->Write(c));
  const long rss_start = server_->process().RssKiB();
  long rss_peak = rss_start;
  for (int i = 16; i < kChunks; ++i) {
    ASSERT_TRUE(writer->Write(c));
    if (i % 16 == 0) rss_peak = std::max(rss_peak, server_->process().RssKiB());
  }
  writer->WritesDone();
  ASSERT_THAT(writer->Finish(), IsOk());
  json r = LastRequest(*emu_, "POST /v2/video");
  EXPECT_EQ(r["parts"][0]["size"], kChunk * kChunks);
  std::cout << "256 MiB upload: server RSS " << rss_start << " KiB -> peak "
            << rss_peak << " KiB\n";
  EXPECT_LT(rss_peak - rss_start, 64 * 1024);
}

TEST_F(ServerTest, ThreadCountDoesNotGrowWithOpenWatchStreams) {
  ASSERT_NO_FATAL_FAILURE(
      StartBoth({"--time_scale=1", "--job_seconds=600"}, ServerConfig{}));
  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) {
    v1::CreateMediaRequest cm;
    cm.set_prompt(absl::StrCat("long job ", i));
    v1::CreateMediaResponse resp;
    ASSERT_THAT(media->CreateMedia(Ctx().get(), cm, &resp), IsOk());
    names.push_back(resp.media().name());
  }
  // Warm up: one stream per job, so every lazily started thread exists.
  std::vector<std::unique_ptr<WatchClient>> streams;
  for (const auto& n : names) {
    streams.push_back(std::make_unique<WatchClient>(jobs.get(), n));
  }
  for (auto& s : streams) ASSERT_TRUE(s->WaitMessages(1, absl::Seconds(10)));
  const int baseline = server_->process().ThreadCount();
  const long rss_before = server_->process().RssKiB();
  for (int i = 0; i < 990; ++i) {
    streams.push_back(
        std::make_unique<WatchClient>(jobs.get(), names[i % names.size()]));
  }
  for (auto& s : streams) ASSERT_TRUE(s->WaitMessages(1, absl::Seconds(20)));
  const int with_streams = server_->process().ThreadCount();
  const long rss_after = server_->process().RssKiB();
  std::cout << "server threads: " << baseline << " with 10 streams, "
            << with_streams << " with " << streams.size() << " streams; RSS +"
            << (rss_after - rss_before) << " KiB ("
            << (rss_after - rss_before) * 1024 / 990 << " bytes/stream)\n";
  EXPECT_LE(with_streams, baseline + 4);
  for (auto& s : streams) s->Cancel();
  for (auto& s : streams) s->WaitDone(absl::Seconds(10));
}

}  // namespace
}  // namespace mediagen::testing
