// Hardening finding 6: one tenant cannot take the upstream connections the
// others need. Tenant acme opens 40 uploads that send their metadata and
// then nothing (before the fix they held 32 upstream connections, and
// globex's CreateMedia and GetMedia failed DEADLINE_EXCEEDED until acme
// gave up). Now uploads and audio run in a pool of their own, acme holds at
// most its share (--max_transfers_per_tenant) and is refused beyond it, and
// an upload that sends nothing for --upload_idle_timeout is cancelled
// upstream, giving its connection and its slot back.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "tests/security/two_tenants.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

using ::grpc::StatusCode;

constexpr int kShare = 4;
constexpr absl::Duration kIdle = absl::Seconds(3);

std::string Reason(const grpc::Status& status) {
  std::optional<google::rpc::ErrorInfo> info =
      rpc::GetErrorInfo(rpc::FromGrpcStatus(status));
  return info ? info->reason() : "";
}

// An upload that sent its metadata and nothing else.
struct StalledUpload {
  std::unique_ptr<grpc::ClientContext> ctx;
  v1::UploadVideoResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::UploadVideoRequest>> writer;
};

std::unique_ptr<StalledUpload> Stall(v1::VideoService::Stub* video,
                                     const std::string& token) {
  auto u = std::make_unique<StalledUpload>();
  u->ctx = TwoTenants::Ctx(token, absl::Seconds(60));
  u->writer = video->UploadVideo(u->ctx.get(), &u->response);
  v1::UploadVideoRequest m;
  m.mutable_metadata()->set_file_name("stalled.mp4");
  m.mutable_metadata()->set_content_type("video/mp4");
  u->writer->Write(m);
  return u;
}

grpc::Status UploadSmall(v1::VideoService::Stub* video,
                         const std::string& token) {
  auto ctx = TwoTenants::Ctx(token, absl::Seconds(10));
  v1::UploadVideoResponse resp;
  auto writer = video->UploadVideo(ctx.get(), &resp);
  v1::UploadVideoRequest m;
  m.mutable_metadata()->set_file_name("small.mp4");
  m.mutable_metadata()->set_content_type("video/mp4");
  writer->Write(m);
  v1::UploadVideoRequest chunk;
  chunk.set_chunk(std::string(64 << 10, 'v'));
  writer->Write(chunk);
  writer->WritesDone();
  return writer->Finish();
}

TEST(TransfersTest, ATenantHoldingUploadsOpenLeavesOthersTheirCalls) {
  TwoTenants t;
  ASSERT_TRUE(t.Start({absl::StrCat("--max_transfers_per_tenant=", kShare),
                       absl::StrCat("--upload_idle_timeout=",
                                    absl::FormatDuration(kIdle))})
                  .ok());
  auto video = v1::VideoService::NewStub(t.server().channel());
  auto media = v1::MediaService::NewStub(t.server().channel());
  auto eleven = v1::ElevenLabsService::NewStub(t.server().channel());

  // acme: 40 uploads that never send a chunk.
  const absl::Time stalled_at = absl::Now();
  std::vector<std::unique_ptr<StalledUpload>> stalled;
  for (int i = 0; i < 40; ++i) {
    stalled.push_back(Stall(video.get(), TwoTenants::kAcmeToken));
  }
  absl::SleepFor(absl::Milliseconds(500));

  // globex meanwhile: creates and reads go through at once.
  v1::CreateMediaRequest create;
  create.set_prompt("a lighthouse at dusk");
  v1::CreateMediaResponse created;
  ASSERT_THAT(
      media->CreateMedia(
          TwoTenants::Ctx(TwoTenants::kGlobexToken, absl::Seconds(2)).get(),
          create, &created),
      IsOk());
  std::vector<absl::Duration> took;
  for (int i = 0; i < 30; ++i) {
    v1::GetMediaRequest get;
    get.set_name(created.media().name());
    v1::GetMediaResponse got;
    const absl::Time start = absl::Now();
    grpc::Status s = media->GetMedia(
        TwoTenants::Ctx(TwoTenants::kGlobexToken, absl::Seconds(2)).get(), get,
        &got);
    took.push_back(absl::Now() - start);
    EXPECT_THAT(s, IsOk()) << "globex GetMedia " << i;
  }
  std::sort(took.begin(), took.end());
  std::cout << "globex GetMedia while acme holds 40 uploads: p50 "
            << absl::FormatDuration(took[took.size() / 2]) << ", max "
            << absl::FormatDuration(took.back()) << std::endl;
  // p99 of 30 is the slowest: a loopback read that waits for no connection.
  EXPECT_LT(took.back(), absl::Milliseconds(500))
      << "slowest GetMedia " << absl::FormatDuration(took.back());
  // globex's own long transfers have their own share.
  EXPECT_THAT(UploadSmall(video.get(), TwoTenants::kGlobexToken), IsOk());

  // acme's share is full: its speech stream is refused before upstream,
  // globex's is not.
  v1::SynthesizeSpeechRequest speech;
  speech.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  speech.set_text("hello there");
  for (const char* token : {TwoTenants::kAcmeToken, TwoTenants::kGlobexToken}) {
    auto ctx = TwoTenants::Ctx(token, absl::Seconds(10));
    auto reader = eleven->SynthesizeSpeech(ctx.get(), speech);
    v1::SynthesizeSpeechResponse chunk;
    while (reader->Read(&chunk)) {
    }
    grpc::Status s = reader->Finish();
    if (token == TwoTenants::kAcmeToken) {
      EXPECT_THAT(s, StatusIs(StatusCode::RESOURCE_EXHAUSTED));
      EXPECT_EQ(Reason(s), "TENANT_TRANSFERS_EXCEEDED");
    } else {
      EXPECT_THAT(s, IsOk());
    }
  }

  // acme's stalled uploads: kShare held until the idle limit cancelled
  // them, the rest refused at once; none reached upstream whole.
  int idle = 0, refused = 0;
  for (auto& u : stalled) {
    grpc::Status s = u->writer->Finish();
    if (s.error_code() == StatusCode::DEADLINE_EXCEEDED &&
        Reason(s) == "UPLOAD_IDLE") {
      ++idle;
    } else if (s.error_code() == StatusCode::RESOURCE_EXHAUSTED &&
               Reason(s) == "TENANT_TRANSFERS_EXCEEDED") {
      ++refused;
    } else {
      ADD_FAILURE() << "unexpected " << s.error_code() << " "
                    << s.error_message();
    }
  }
  const absl::Duration ended_after = absl::Now() - stalled_at;
  EXPECT_EQ(idle, kShare);
  EXPECT_EQ(refused, 40 - kShare);
  EXPECT_GE(ended_after, kIdle);
  EXPECT_LT(ended_after, 2 * kIdle + absl::Seconds(2));
  // Upstream saw globex's upload finish, and none of acme's.
  int uploads_created = 0;
  for (const auto& r : t.emulator().Requests("POST", "/v2/video")) {
    if (r.value("path", "") == "/v2/video" && r.value("status", 0) / 100 == 2) {
      ++uploads_created;
    }
  }
  EXPECT_EQ(uploads_created, 1);

  // Cancelled, the stalled uploads gave their slots back.
  EXPECT_THAT(UploadSmall(video.get(), TwoTenants::kAcmeToken), IsOk());
}

}  // namespace
}  // namespace mediagen::testing
