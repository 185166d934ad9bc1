// Security tests of what callers send and what the server says (issue 9),
// the real server with two tenants against the strict emulator:
//
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
using security::kAcmeAiml;
using security::kAcmeToken;
using security::kAcmeVim;
using security::kGlobexEl;
using security::kGlobexToken;
using security::kGlobexVim;
using security::kWebhookSecret;
using security::Secrets;
using security::SecurityRpcTest;
using security::SecurityTest;
using security::WebhookToken;

// ---- URL fields
// -------------------------------------------------------------------

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

// ---- oversized and undecodable requests
// --------------------------------------------

TEST_F(SecurityTest,
       OversizedMessagesAndUndecodableRequestsAreRefusedBeforeUpstream) {
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
       {std::string("\xff\xff\xff\xff\x0f", 5),
        std::string("\x0a\x05\xc3\x28\xff\xfe\x80", 7),
        std::string(100, '\x80')}) {
    grpc::Status g =
        RawCall("/mediagen.v1.MediaService/CreateMedia", garbage, md);
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

// ---- secrets in outputs
// ----------------------------------------------------------

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
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
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
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
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
              {"body",
               {{"message", absl::StrCat("Bearer ", kAcmeAiml)},
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
  std::cout << "scanned for " << Secrets().size()
            << " secrets: " << absl::StrJoin(scanned, ", ") << " ("
            << outputs.size() << " texts)\n";
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string found = FindSecret(outputs[i]);
    EXPECT_EQ(found, "") << "a secret in output " << i << ": "
                         << absl::CEscape(outputs[i].substr(0, 400));
  }
}

}  // namespace
}  // namespace mediagen::testing
