// Request input that would reach upstream as something it is not: the real
// server (dev mode) against the strict emulator, and the emulator's request
// log to prove that nothing left.
//
//   - `.` and `..` as ids (issue 16, finding 8): as a path segment they name
//     another upstream path (`GetJob("media/..")` was sent as `GET /v2/`
//     with the tenant's key); refused in every request field that becomes
//     one, and an upstream answer naming such an id is a malformed answer
//     that is never polled.
//   - control characters in free text (issue 18, point 1): every string
//     field of every request message, found by reflection, refuses C0
//     controls other than tab, LF and CR, and DEL, naming the field, before
//     anything is sent.
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/stable_audio.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "tests/security/raw_call.h"
#include "tests/testing_util/api_methods.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"
#include "tests/testing_util/url_fields.h"

namespace mediagen::testing {
namespace {

using grpc::StatusCode;
using json = nlohmann::json;

std::unique_ptr<grpc::ClientContext> Ctx(
    absl::Duration timeout = absl::Seconds(15)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  return ctx;
}

// The field paths of the BadRequest violations `s` carries.
std::vector<std::string> ViolatedFields(const grpc::Status& s) {
  std::vector<std::string> out;
  std::optional<google::rpc::BadRequest> br =
      rpc::GetBadRequest(rpc::FromGrpcStatus(s));
  if (!br.has_value()) return out;
  for (const auto& v : br->field_violations()) out.push_back(v.field());
  return out;
}

std::string Reason(const grpc::Status& s) {
  std::optional<google::rpc::ErrorInfo> info =
      rpc::GetErrorInfo(rpc::FromGrpcStatus(s));
  return info.has_value() ? info->reason() : "";
}

class InputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emu = EmulatorProcess::Start({"--time_scale=0.01"});
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);
    ServerConfig config;
    config.emulator_port = emu_->port();
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

  grpc::Status RawCall(const std::string& method, const std::string& request) {
    return testing::RawCall(server_->channel(), method, request);
  }

  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
};

// ---- `.` and `..` as ids
// -----------------------------------------------------

TEST_F(InputTest, DotSegmentIdsAreRefusedBeforeUpstream) {
  auto jobs = v1::JobService::NewStub(server_->channel());
  auto media = v1::MediaService::NewStub(server_->channel());
  auto stable = v1::StableAudioService::NewStub(server_->channel());
  auto eleven = v1::ElevenLabsService::NewStub(server_->channel());
  const std::vector<std::string> names = {"media/..",       "media/.",
                                          "assets/..",      "assets/.",
                                          "generations/..", "generations/."};
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    v1::GetJobRequest get;
    get.set_name(name);
    v1::GetJobResponse job;
    grpc::Status s = jobs->GetJob(Ctx().get(), get, &job);
    EXPECT_THAT(s, StatusIs(StatusCode::INVALID_ARGUMENT));
    EXPECT_THAT(ViolatedFields(s), ::testing::ElementsAre("name"));

    v1::WatchJobRequest watch;
    watch.set_name(name);
    auto ctx = Ctx();
    auto reader = jobs->WatchJob(ctx.get(), watch);
    v1::WatchJobResponse event;
    EXPECT_FALSE(reader->Read(&event));
    grpc::Status w = reader->Finish();
    EXPECT_THAT(w, StatusIs(StatusCode::INVALID_ARGUMENT));
    EXPECT_THAT(ViolatedFields(w), ::testing::ElementsAre("name"));
  }
  for (const char* name : {"media/..", "media/."}) {
    SCOPED_TRACE(name);
    v1::GetMediaRequest get;
    get.set_name(name);
    v1::GetMediaResponse m;
    grpc::Status s = media->GetMedia(Ctx().get(), get, &m);
    EXPECT_THAT(s, StatusIs(StatusCode::INVALID_ARGUMENT));
    EXPECT_THAT(ViolatedFields(s), ::testing::ElementsAre("name"));
    v1::UpdateMediaRequest update;
    update.set_name(name);
    update.set_prompt("p");
    v1::UpdateMediaResponse updated;
    s = media->UpdateMedia(Ctx().get(), update, &updated);
    EXPECT_THAT(s, StatusIs(StatusCode::INVALID_ARGUMENT));
    EXPECT_THAT(ViolatedFields(s), ::testing::ElementsAre("name"));
  }
  for (const char* name : {"generations/..", "generations/."}) {
    v1::GetGenerationRequest get;
    get.set_name(name);
    v1::GetGenerationResponse g;
    grpc::Status s = stable->GetGeneration(Ctx().get(), get, &g);
    EXPECT_THAT(s, StatusIs(StatusCode::INVALID_ARGUMENT)) << name;
    EXPECT_THAT(ViolatedFields(s), ::testing::ElementsAre("name"));
  }
  for (const char* voice : {"..", "."}) {
    // `/v1/text-to-speech/../stream` would be sent as `/v1/stream`.
    v1::SynthesizeSpeechRequest speak;
    speak.set_voice_id(voice);
    speak.set_text("hello");
    auto ctx = Ctx();
    auto reader = eleven->SynthesizeSpeech(ctx.get(), speak);
    v1::SynthesizeSpeechResponse chunk;
    while (reader->Read(&chunk)) {
    }
    grpc::Status s = reader->Finish();
    EXPECT_THAT(s, StatusIs(StatusCode::INVALID_ARGUMENT)) << voice;
    EXPECT_THAT(ViolatedFields(s), ::testing::ElementsAre("voice_id"));
  }
  EXPECT_EQ(emu_->Requests().size(), 0u)
      << "a dot segment reached upstream: " << emu_->Requests().dump();
}

TEST_F(InputTest, UpstreamIdsThatAreDotSegmentsAreMalformedAnswers) {
  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());
  // A create answered with `{"id": ".."}` after upstream did the work.
  emu_->Post("/_emulator/faults",
             {{"method", "POST"},
              {"path", "/v2/media"},
              {"status", 200},
              {"after_processing", true},
              {"body", {{"id", ".."}, {"processing_status", "new"}}}});
  v1::CreateMediaRequest create;
  create.set_prompt("dot dot");
  v1::CreateMediaResponse created;
  grpc::Status s = media->CreateMedia(Ctx().get(), create, &created);
  EXPECT_THAT(s, StatusIs(StatusCode::UNKNOWN));
  EXPECT_EQ(Reason(s), "UPSTREAM_BAD_RESPONSE");
  EXPECT_EQ(created.media().name(), "");

  // A real job whose read answers `{"id": "."}`.
  emu_->Delete("/_emulator/faults");
  ASSERT_THAT(media->CreateMedia(Ctx().get(), create, &created), IsOk());
  const std::string name = created.media().name();
  emu_->Post("/_emulator/faults",
             {{"method", "GET"},
              {"path", "/v2/media/*"},
              {"status", 200},
              {"body", {{"id", "."}, {"processing_status", "success"}}}});
  v1::GetMediaRequest read;
  read.set_name(name);
  v1::GetMediaResponse media_read;
  s = media->GetMedia(Ctx().get(), read, &media_read);
  EXPECT_THAT(s, StatusIs(StatusCode::UNAVAILABLE));
  EXPECT_EQ(Reason(s), "UPSTREAM_BAD_RESPONSE");
  // Past the registry's freshness (1 s), GetJob reads it too.
  absl::SleepFor(absl::Milliseconds(1200));
  v1::GetJobRequest get;
  get.set_name(name);
  v1::GetJobResponse job;
  s = jobs->GetJob(Ctx().get(), get, &job);
  EXPECT_THAT(s, StatusIs(StatusCode::UNAVAILABLE));
  EXPECT_EQ(Reason(s), "UPSTREAM_BAD_RESPONSE");

  // Nothing was ever sent to a path a dot segment names.
  for (const json& r : emu_->Requests()) {
    const std::string path = r.value("path", "");
    EXPECT_TRUE(path == "/v2/media" ||
                path == "/v2/media/" + name.substr(name.find('/') + 1))
        << path;
  }
}

// ---- control characters in free text ------------------------------------

// The cases of issue 18 (a NUL in a prompt, an ANSI escape in a title, a
// BEL in a TextToSpeech prompt), DEL, and the rest of C0.
std::vector<std::string> ControlTexts() {
  return {std::string("hello\0world", 11),
          "a\x1b[2Jb",
          "ding\adong",
          "del\x7f",
          "form\x0c"
          "feed",
          "unit\x1fsep"};
}

// An upload stream's metadata is validated as a message of its own, so the
// server names its fields without the stream's `metadata.` wrapper.
std::string ReportedField(const std::string& proto_path) {
  return std::string(absl::StripPrefix(proto_path, "metadata."));
}

TEST_F(InputTest, EveryStringFieldOfEveryRequestRefusesControlCharacters) {
  int fields = 0;
  for (const google::protobuf::MethodDescriptor* method : ApiMethods()) {
    const google::protobuf::Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            method->input_type());
    for (const FieldPath& path : FindStringFields(method->input_type())) {
      ++fields;
      for (const std::string& text : ControlTexts()) {
        std::unique_ptr<google::protobuf::Message> req(prototype->New());
        const std::string field =
            ReportedField(SetUrlField(req.get(), path, text));
        grpc::Status s = RawCall(MethodPath(method), req->SerializeAsString());
        EXPECT_THAT(s, StatusIs(StatusCode::INVALID_ARGUMENT))
            << method->name() << " " << field << " = " << absl::CEscape(text);
        EXPECT_THAT(ViolatedFields(s), ::testing::Contains(field))
            << method->name() << " " << field << " = " << absl::CEscape(text);
      }
    }
  }
  std::cout << "string fields checked: " << fields << "\n";
  EXPECT_GT(fields, 100);  // ~150 today; a walk that finds few is broken
  const json sent = emu_->Requests();
  EXPECT_EQ(sent.size(), 0u)
      << "control characters reached upstream; first: "
      << (sent.empty() ? "" : sent[0].value("route", ""));
}

// Free text keeps what text needs: line breaks, tabs, any Unicode.
TEST_F(InputTest, TabsLineBreaksAndUnicodeInFreeTextAreSent) {
  auto media = v1::MediaService::NewStub(server_->channel());
  v1::CreateMediaRequest create;
  create.set_title("Caf\xc3\xa9 \xe2\x80\x94 t\xc3\xaate-\xc3\xa0-t\xc3\xaate");
  create.set_prompt("Scene one.\r\n\tA dog runs.\nScene two.");
  v1::CreateMediaResponse created;
  ASSERT_THAT(media->CreateMedia(Ctx().get(), create, &created), IsOk());
  json sent = emu_->Requests("POST", "/v2/media");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["json"].value("prompt", ""), create.prompt());
}

}  // namespace
}  // namespace mediagen::testing
