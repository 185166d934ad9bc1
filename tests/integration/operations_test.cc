// Integration tests of production operation (issue 7): what an operator
// reads (/metrics and the JSON log lines) after a realistic run, that no
// secret or prompt leaks into either, trace context propagation, and the
// graceful drain under load with watchers resuming on another replica.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/common/sha256.h"
#include "proto/rpc/error_details.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/health_check.h"
#include "tests/testing_util/prometheus.h"
#include "tests/testing_util/status_matchers.h"
#include "tests/testing_util/watch_client.h"

namespace mediagen::testing {
namespace {

using json = nlohmann::json;

std::unique_ptr<grpc::ClientContext> Ctx(
    const std::string& token = "", absl::Duration timeout = absl::Seconds(20)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

// "name{labels}" -> value, from Prometheus text.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  auto parsed = mediagen::testing::ParseMetrics(text);
  EXPECT_THAT(parsed, IsOk());
  return parsed.ok() ? *std::move(parsed) : std::map<std::string, double>();
}

std::string Scrape(int admin_port) {
  httplib::Client admin("127.0.0.1", admin_port);
  auto res = admin.Get("/metrics");
  if (!res || res->status != 200) return "";
  EXPECT_TRUE(absl::StartsWith(res->get_header_value("Content-Type"),
                               "text/plain; version=0.0.4"));
  return res->body;
}

std::vector<json> LogLines(const std::string& stderr_text) {
  std::vector<json> lines;
  for (absl::string_view line : absl::StrSplit(stderr_text, '\n')) {
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
    if (!j.is_object()) continue;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg"))
        << line;
    lines.push_back(std::move(j));
  }
  return lines;
}

// The "rpc" line of `method` whose field `key` is `value`.
std::optional<json> RpcLine(const std::vector<json>& lines,
                            const std::string& method,
                            const std::string& key = "",
                            const json& value = nullptr) {
  for (const auto& l : lines) {
    if (l["msg"] == "rpc" && l["method"] == method &&
        (key.empty() || (l.contains(key) && l[key] == value))) {
      return l;
    }
  }
  return std::nullopt;
}

// ---- metrics and logs after a run -------------------------------------------

constexpr char kAcmeToken[] = "acme-bearer-9f1c2e7d55aa";
constexpr char kWrongToken[] = "wrong-bearer-31b0c9d4e2";
constexpr char kWebhookSecret[] = "hook-secret-6d2e8a1f0b";
constexpr char kPrompt[] =
    "A violet lighthouse on a basalt cliff at dawn, gulls circling 4471";
constexpr char kSpeech[] = "The quartz tortoise recites seventeen haiku today.";
// The emulator's keys this tenant uses.
const char* const kKeys[] = {"vimmerse-test-key", "elevenlabs-test-key",
                             "aimlapi-test-key"};

TEST(OperationsTest, MetricsAndLogsOfAFullRunMakeSenseAndHoldNoSecret) {
  auto emu = EmulatorProcess::Start({"--time_scale=0.02"});
  ASSERT_THAT(emu, IsOk());
  ServerConfig config;
  config.emulator_port = (*emu)->port();
  config.dev = false;
  config.webhooks = true;
  config.config_json =
      json({{"webhook_secret", {{"env", "HOOK_SECRET"}}},
            {"log_level", "debug"},
            {"tenants",
             {{{"name", "acme"},
               {"token_sha256", Sha256Hex(kAcmeToken)},
               {"keys",
                {{"vimmerse", {{"env", "ACME_VIM"}}},
                 {"elevenlabs", {{"env", "ACME_EL"}}},
                 {"aimlapi", {{"env", "ACME_AIML"}}}}}}}}})
          .dump();
  config.env = {{"ACME_VIM", kKeys[0]},
                {"ACME_EL", kKeys[1]},
                {"ACME_AIML", kKeys[2]},
                {"HOOK_SECRET", kWebhookSecret}};
  config.flags = {"--poll_min_interval=100ms", "--poll_max_interval=200ms",
                  "--drain_delay=0s"};
  auto server = ServerProcess::Start(config);
  ASSERT_THAT(server, IsOk());
  auto media = v1::MediaService::NewStub((*server)->channel());
  auto video = v1::VideoService::NewStub((*server)->channel());
  auto eleven = v1::ElevenLabsService::NewStub((*server)->channel());
  auto jobs = v1::JobService::NewStub((*server)->channel());

  // A create from a traced caller behind a mesh (x-request-id), twice with
  // one request_id: the second is answered from the idempotency store.
  constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
  constexpr char kParentSpan[] = "00f067aa0ba902b7";
  v1::CreateMediaRequest cm;
  cm.set_prompt(kPrompt);
  cm.set_request_id("7d3c1a52-0000-4000-8000-00000000abcd");
  v1::CreateMediaResponse created;
  for (int i = 0; i < 2; ++i) {
    auto ctx = Ctx(kAcmeToken);
    ctx->AddMetadata("traceparent",
                     absl::StrCat("00-", kTraceId, "-", kParentSpan, "-01"));
    ctx->AddMetadata("x-request-id", absl::StrCat("mesh-req-", i));
    ASSERT_THAT(media->CreateMedia(ctx.get(), cm, &created), IsOk());
  }
  const std::string name = created.media().name();
  // Watched to the end (webhooks arrive meanwhile), then read once more.
  WatchClient watch(jobs.get(), name, 0, kAcmeToken);
  ASSERT_TRUE(watch.WaitDone(absl::Seconds(30)));
  ASSERT_THAT(*watch.status(), IsOk());
  // A read that upstream fails once: retried inside mediagen.
  (*emu)->Post("/_emulator/faults", {{"method", "GET"},
                                     {"path", "/v2/media/*"},
                                     {"status", 503},
                                     {"times", 1}});
  v1::GetMediaRequest gm;
  gm.set_name(name);
  v1::GetMediaResponse got;
  ASSERT_THAT(media->GetMedia(Ctx(kAcmeToken).get(), gm, &got), IsOk());
  // An upload (bytes up) and streamed speech (bytes down).
  {
    auto ctx = Ctx(kAcmeToken);
    v1::UploadVideoResponse resp;
    auto writer = video->UploadVideo(ctx.get(), &resp);
    v1::UploadVideoRequest m;
    m.mutable_metadata()->set_file_name("clip.mp4");
    m.mutable_metadata()->set_content_type("video/mp4");
    m.mutable_metadata()->set_size_bytes(300000);
    ASSERT_TRUE(writer->Write(m));
    v1::UploadVideoRequest c;
    c.set_chunk(std::string(100000, 'v'));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer->Write(c));
    writer->WritesDone();
    ASSERT_THAT(writer->Finish(), IsOk());
  }
  size_t audio_bytes = 0;
  {
    auto ctx = Ctx(kAcmeToken);
    v1::SynthesizeSpeechRequest req;
    req.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
    req.set_text(kSpeech);
    auto reader = eleven->SynthesizeSpeech(ctx.get(), req);
    v1::SynthesizeSpeechResponse msg;
    while (reader->Read(&msg)) audio_bytes += msg.audio_chunk().size();
    ASSERT_THAT(reader->Finish(), IsOk());
  }
  v1::CreateMediaResponse ignored;
  // An invalid request (nothing sent), an unknown token, and an upstream
  // failure that is not retried.
  v1::CreateMediaRequest empty;
  EXPECT_THAT(media->CreateMedia(Ctx(kAcmeToken).get(), empty, &ignored),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(media->CreateMedia(Ctx(kWrongToken).get(), cm, &ignored),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  (*emu)->Post("/_emulator/faults", {{"method", "POST"},
                                     {"path", "/v2/video/reframe"},
                                     {"status", 402}});
  v1::ReframeVideoRequest rf;
  rf.set_video_url("https://example.com/in.mp4");
  rf.set_prompt(kPrompt);
  v1::ReframeVideoResponse rf_resp;
  EXPECT_THAT(video->ReframeVideo(Ctx(kAcmeToken).get(), rf, &rf_resp),
              StatusIs(grpc::StatusCode::FAILED_PRECONDITION));

  // Upstream saw the caller's trace, continued with mediagen's own span.
  json sent;
  for (const auto& r : (*emu)->Requests("POST", "/v2/media")) sent = r;
  ASSERT_TRUE(sent["headers"].contains("traceparent")) << sent.dump();
  const std::string traceparent = sent["headers"]["traceparent"];
  EXPECT_TRUE(absl::StartsWith(traceparent, absl::StrCat("00-", kTraceId, "-")))
      << traceparent;
  EXPECT_EQ(traceparent.find(kParentSpan), std::string::npos);
  // Calls without a traceparent (polls too) still send a fresh one.
  for (const auto& r : (*emu)->Requests("GET", "/v2/media/")) {
    ASSERT_TRUE(r["headers"].contains("traceparent")) << r.dump();
    EXPECT_EQ(r["headers"]["traceparent"].get<std::string>().size(), 55u);
  }

  // ---- /metrics ----
  const std::string metrics_text = Scrape((*server)->admin_port());
  std::cout << "---- /metrics (excerpt) ----\n";
  for (absl::string_view line : absl::StrSplit(metrics_text, '\n')) {
    if (!absl::StrContains(line, "_bucket")) std::cout << line << "\n";
  }
  std::map<std::string, double> m = ParseMetrics(metrics_text);
  auto metric = [&](const std::string& key) {
    auto it = m.find(key);
    if (it == m.end()) {
      ADD_FAILURE() << "no series " << key;
      return -1.0;
    }
    return it->second;
  };
  EXPECT_EQ(metric("mediagen_rpc_duration_seconds_count{method=\"mediagen.v1."
                   "MediaService/CreateMedia\",code=\"OK\"}"),
            2);
  EXPECT_EQ(metric("mediagen_rpc_duration_seconds_count{method=\"mediagen.v1."
                   "MediaService/CreateMedia\",code=\"UNAUTHENTICATED\"}"),
            1);
  EXPECT_EQ(metric("mediagen_rpc_duration_seconds_count{method=\"mediagen.v1."
                   "VideoService/ReframeVideo\",code=\"FAILED_PRECONDITION\"}"),
            1);
  EXPECT_EQ(metric("mediagen_rpc_duration_seconds_count{method=\"mediagen.v1."
                   "JobService/WatchJob\",code=\"OK\"}"),
            1);
  EXPECT_EQ(metric("mediagen_idempotency_hits_total{method=\"mediagen.v1."
                   "MediaService/CreateMedia\"}"),
            1);
  EXPECT_EQ(metric("mediagen_upstream_request_duration_seconds_count{provider="
                   "\"vimmerse\",route=\"POST /v2/media\",status=\"200\"}"),
            1);
  EXPECT_EQ(metric("mediagen_upstream_request_duration_seconds_count{provider="
                   "\"vimmerse\",route=\"GET /v2/media/{id}\",status=\"503\"}"),
            1);
  EXPECT_EQ(metric("mediagen_upstream_request_duration_seconds_count{provider="
                   "\"vimmerse\",route=\"POST /v2/video/reframe\",status="
                   "\"402\"}"),
            1);
  EXPECT_EQ(metric("mediagen_upstream_retries_total{provider=\"vimmerse\","
                   "route=\"GET /v2/media/{id}\"}"),
            1);
  EXPECT_EQ(metric("mediagen_stream_bytes_total{method=\"mediagen.v1."
                   "VideoService/UploadVideo\",direction=\"up\"}"),
            300000);
  EXPECT_EQ(metric("mediagen_stream_bytes_total{method=\"mediagen.v1."
                   "ElevenLabsService/SynthesizeSpeech\",direction=\"down\"}"),
            static_cast<double>(audio_bytes));
  EXPECT_GE(metric("mediagen_webhooks_received_total"), 1);
  EXPECT_GE(metric("mediagen_webhooks_accepted_total"), 1);
  EXPECT_EQ(metric("mediagen_watch_streams_open"), 0);
  EXPECT_EQ(metric("mediagen_draining"), 0);
  EXPECT_GE(metric("mediagen_job_pollers_active"), 0);
  EXPECT_EQ(metric("mediagen_rpcs_in_flight{method=\"mediagen.v1.JobService/"
                   "WatchJob\"}"),
            0);

  // ---- the log of the whole run, drain included ----
  auto code = (*server)->process().Stop(SIGTERM, absl::Seconds(30));
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, 0);
  const std::string log_text = (*server)->process().stderr_text();
  std::vector<json> lines = LogLines(log_text);
  std::cout << "---- log (first lines) ----\n";
  for (size_t i = 0; i < lines.size() && i < 12; ++i) {
    std::cout << lines[i].dump() << "\n";
  }
  std::optional<json> create = RpcLine(
      lines, "mediagen.v1.MediaService/CreateMedia", "request_id", "mesh-req-0");
  ASSERT_TRUE(create.has_value());
  EXPECT_EQ((*create)["level"], "info");
  EXPECT_EQ((*create)["tenant"], "acme");
  EXPECT_EQ((*create)["job"], name);
  EXPECT_EQ((*create)["code"], "OK");
  EXPECT_EQ((*create)["upstream_status"], 200);
  EXPECT_EQ((*create)["trace_id"], kTraceId);
  EXPECT_TRUE((*create)["duration_ms"].is_number());
  std::optional<json> replay = RpcLine(
      lines, "mediagen.v1.MediaService/CreateMedia", "request_id", "mesh-req-1");
  ASSERT_TRUE(replay.has_value());
  EXPECT_FALSE(replay->contains("upstream_status"));  // nothing sent upstream
  std::optional<json> read =
      RpcLine(lines, "mediagen.v1.MediaService/GetMedia");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ((*read)["upstream_attempts"], 2);
  EXPECT_EQ((*read)["upstream_status"], 200);
  std::optional<json> refused =
      RpcLine(lines, "mediagen.v1.VideoService/ReframeVideo");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ((*refused)["code"], "FAILED_PRECONDITION");
  EXPECT_EQ((*refused)["reason"], "INSUFFICIENT_CREDIT");
  EXPECT_EQ((*refused)["upstream_status"], 402);
  std::optional<json> invalid =
      RpcLine(lines, "mediagen.v1.MediaService/CreateMedia", "code",
              "INVALID_ARGUMENT");
  ASSERT_TRUE(invalid.has_value());
  ASSERT_TRUE((*invalid)["fields"].is_array());  // names, never values
  EXPECT_FALSE((*invalid)["fields"].empty());
  std::optional<json> unauth = RpcLine(
      lines, "mediagen.v1.MediaService/CreateMedia", "code", "UNAUTHENTICATED");
  ASSERT_TRUE(unauth.has_value());
  EXPECT_FALSE(unauth->contains("tenant"));
  std::optional<json> upload =
      RpcLine(lines, "mediagen.v1.VideoService/UploadVideo");
  ASSERT_TRUE(upload.has_value());
  EXPECT_EQ((*upload)["bytes_up"], 300000);
  bool saw_attempt = false, saw_drain = false;
  for (const auto& l : lines) {
    saw_attempt |= l["msg"] == "upstream attempt" && l["route"] == "GET /v2/media/{id}";
    saw_drain |= l["msg"] == "drain started";
  }
  EXPECT_TRUE(saw_attempt);
  EXPECT_TRUE(saw_drain);

  // No secret and no prompt, anywhere an operator looks.
  const std::string webhook_token =
      HmacSha256Hex(kWebhookSecret, "mediagen-webhook:acme");
  std::vector<std::string> forbidden = {kAcmeToken, kWrongToken,
                                        kWebhookSecret, webhook_token, kPrompt,
                                        kSpeech};
  for (const char* key : kKeys) forbidden.push_back(key);
  for (const std::string& secret : forbidden) {
    EXPECT_EQ(log_text.find(secret), std::string::npos) << secret;
    EXPECT_EQ(metrics_text.find(secret), std::string::npos) << secret;
  }
  // Nor a long piece of the prompt.
  EXPECT_EQ(log_text.find("violet lighthouse"), std::string::npos);
}

// ---- graceful drain ---------------------------------------------------------

void SleepUntil(absl::Time t) {
  const absl::Time now = absl::Now();
  if (t > now) absl::SleepFor(t - now);
}

// Reads the `last_version` ErrorInfo metadata a drained watch ends with.
std::optional<int64_t> LastVersion(const grpc::Status& status) {
  auto info = rpc::GetErrorInfo(rpc::FromGrpcStatus(status));
  if (!info.has_value()) return std::nullopt;
  auto it = info->metadata().find("last_version");
  int64_t v = 0;
  if (it == info->metadata().end() || !absl::SimpleAtoi(it->second, &v)) {
    return std::nullopt;
  }
  return v;
}

TEST(DrainTest, SigtermUnderLoadFailsNoCallInFlightAndWatchersResumeElsewhere) {
  // Media jobs take about 8 s; the drain refuses new calls 2 s after the
  // signal, so every watch is interrupted mid-job.
  auto emu = EmulatorProcess::Start({"--time_scale=0.4"});
  ASSERT_THAT(emu, IsOk());
  // Creates are slow upstream, so some are in flight when calls are refused.
  (*emu)->Post("/_emulator/faults", {{"method", "POST"},
                                     {"path", "/v2/video/reframe"},
                                     {"latency_ms", 1500}});
  ServerConfig config;
  config.emulator_port = (*emu)->port();
  config.dev_vimmerse_key = "vimmerse-demo-key";
  config.flags = {"--poll_min_interval=100ms", "--poll_max_interval=300ms",
                  "--drain_delay=2s", "--shutdown_grace=10s"};
  auto a = ServerProcess::Start(config);
  ASSERT_THAT(a, IsOk());
  // The replica the clients move to, sharing the same upstream.
  auto b = ServerProcess::Start(config);
  ASSERT_THAT(b, IsOk());
  auto media_a = v1::MediaService::NewStub((*a)->channel());
  auto video_a = v1::VideoService::NewStub((*a)->channel());
  auto jobs_a = v1::JobService::NewStub((*a)->channel());
  auto jobs_b = v1::JobService::NewStub((*b)->channel());

  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i) {
    v1::CreateMediaRequest cm;
    cm.set_prompt(absl::StrCat("drain test job ", i));
    v1::CreateMediaResponse resp;
    ASSERT_THAT(media_a->CreateMedia(Ctx().get(), cm, &resp), IsOk());
    names.push_back(resp.media().name());
  }
  std::vector<std::unique_ptr<WatchClient>> watches;
  for (int i = 0; i < 20; ++i) {
    watches.push_back(
        std::make_unique<WatchClient>(jobs_a.get(), names[i % names.size()]));
  }
  for (auto& w : watches) ASSERT_TRUE(w->WaitMessages(1, absl::Seconds(10)));

  // Unary load on A: creates (slow upstream) and reads, issued until just
  // before A stops accepting calls. Every one of them was accepted, so
  // every one must succeed.
  const absl::Time sigterm_at = absl::Now() + absl::Milliseconds(500);
  const absl::Time stop_issuing = sigterm_at + absl::Milliseconds(1700);
  std::atomic<int> ok{0}, failed{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      while (absl::Now() < stop_issuing) {
        grpc::Status s;
        if (t % 2 == 0) {
          v1::ReframeVideoRequest rf;
          rf.set_video_url("https://example.com/in.mp4");
          v1::ReframeVideoResponse resp;
          s = video_a->ReframeVideo(Ctx().get(), rf, &resp);
        } else {
          v1::EstimateVideoCreditsRequest est;
          est.set_app_name("reference-to-video");
          est.set_option("KlingO");
          est.set_duration(5);
          v1::EstimateVideoCreditsResponse resp;
          s = video_a->EstimateVideoCredits(Ctx().get(), est, &resp);
          absl::SleepFor(absl::Milliseconds(50));
        }
        if (s.ok()) {
          ++ok;
        } else {
          ++failed;
          std::lock_guard<std::mutex> lock(failures_mu);
          failures.push_back(absl::StrCat(s.error_code(), " ", s.error_message()));
        }
      }
    });
  }
  // An upload that is half sent when A stops accepting calls.
  std::thread uploader([&] {
    SleepUntil(sigterm_at + absl::Seconds(1));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(60));
    v1::UploadVideoResponse resp;
    auto writer = video_a->UploadVideo(&ctx, &resp);
    v1::UploadVideoRequest m;
    m.mutable_metadata()->set_file_name("drain.mp4");
    m.mutable_metadata()->set_content_type("video/mp4");
    m.mutable_metadata()->set_size_bytes(30 * 65536);
    bool sent = writer->Write(m);
    v1::UploadVideoRequest c;
    c.set_chunk(std::string(65536, 'd'));
    for (int i = 0; i < 30 && sent; ++i) {
      sent = writer->Write(c);
      absl::SleepFor(absl::Milliseconds(100));  // ~3 s in all
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    if (s.ok() && sent) {
      ++ok;
    } else {
      ++failed;
      std::lock_guard<std::mutex> lock(failures_mu);
      failures.push_back(absl::StrCat("upload: ", s.error_code(), " ",
                                      s.error_message()));
    }
  });

  SleepUntil(sigterm_at);
  ASSERT_EQ(kill((*a)->process().pid(), SIGTERM), 0);
  // During the delay: health says NOT_SERVING (liveness stays SERVING) and
  // /readyz 503, yet calls are still served (the load above).
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_THAT(CheckHealth((*a)->NewChannel(), ""),
              IsOkAndHolds(ServingStatus::kNotServing));
  EXPECT_THAT(CheckHealth((*a)->NewChannel(), "mediagen.v1.JobService"),
              IsOkAndHolds(ServingStatus::kNotServing));
  EXPECT_THAT(CheckHealth((*a)->NewChannel(), "liveness"),
              IsOkAndHolds(ServingStatus::kServing));
  {
    httplib::Client admin("127.0.0.1", (*a)->admin_port());
    auto ready = admin.Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 503);
    auto metrics = admin.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_NE(metrics->body.find("\nmediagen_draining 1\n"), std::string::npos);
  }

  for (auto& t : load) t.join();
  // After the delay, A refuses new calls; clients go elsewhere.
  SleepUntil(sigterm_at + absl::Milliseconds(2500));
  {
    v1::EstimateVideoCreditsRequest est;
    est.set_app_name("reference-to-video");
    est.set_option("KlingO");
    v1::EstimateVideoCreditsResponse resp;
    auto fresh = v1::VideoService::NewStub((*a)->NewChannel());
    EXPECT_THAT(fresh->EstimateVideoCredits(Ctx("", absl::Seconds(2)).get(),
                                            est, &resp),
                StatusIs(grpc::StatusCode::UNAVAILABLE));
  }

  // Every watcher was told UNAVAILABLE with the last version it holds, and
  // resumes on B from there to the end of its job.
  int resumed = 0;
  for (auto& w : watches) {
    ASSERT_TRUE(w->WaitDone(absl::Seconds(10)));
    const grpc::Status end = *w->status();
    ASSERT_THAT(end, StatusIs(grpc::StatusCode::UNAVAILABLE));
    const std::vector<v1::Job> seen = w->jobs();
    ASSERT_FALSE(seen.empty());
    EXPECT_NE(seen.back().state(), v1::JOB_STATE_SUCCEEDED);
    std::optional<int64_t> last = LastVersion(end);
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(*last, seen.back().version());
    const std::string name = seen.back().name();
    WatchClient again(jobs_b.get(), name, *last);
    ASSERT_TRUE(again.WaitDone(absl::Seconds(30))) << name;
    EXPECT_THAT(*again.status(), IsOk());
    std::vector<v1::Job> rest = again.jobs();
    ASSERT_FALSE(rest.empty()) << name;
    EXPECT_EQ(rest.back().name(), name);
    EXPECT_EQ(rest.back().state(), v1::JOB_STATE_SUCCEEDED);
    ++resumed;
  }
  EXPECT_EQ(resumed, 20);

  uploader.join();
  std::cout << "drain: " << ok.load() << " calls in flight or accepted "
            << "during the delay succeeded, " << failed.load() << " failed\n";
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 8);

  // A exits cleanly, well within drain delay + grace.
  auto code = (*a)->process().Stop(0, absl::Seconds(15));
  ASSERT_THAT(code, IsOk()) << "A did not exit";
  EXPECT_EQ(*code, 0);
  const std::vector<json> lines = LogLines((*a)->process().stderr_text());
  std::vector<std::string> drain_events;
  for (const auto& l : lines) {
    const std::string msg = l["msg"];
    if (msg == "signal received" || msg == "drain started" ||
        msg == "refusing new calls" || msg == "stopped") {
      drain_events.push_back(msg);
      std::cout << l.dump() << "\n";
    }
  }
  EXPECT_EQ(drain_events,
            std::vector<std::string>({"signal received", "drain started",
                                      "refusing new calls", "stopped"}));
  // The interrupted watches are logged with the version to resume from.
  std::optional<json> cut = RpcLine(lines, "mediagen.v1.JobService/WatchJob",
                                    "code", "UNAVAILABLE");
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ((*cut)["reason"], "WATCH_INTERRUPTED");
  EXPECT_TRUE(cut->contains("last_version"));
}

}  // namespace
}  // namespace mediagen::testing
