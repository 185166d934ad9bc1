// Every URL field and every string field of every request message, found by
// reflection, against Validate: a field added later is covered the day it
// is added, without a line here (a new request type needs its row in
// Validators()). The rules one by one are in validation_test.cc.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/upstream/providers/validation.h"
#include "tests/testing_util/url_fields.h"

namespace mediagen::upstream {
namespace {

using ValidateFn =
    std::function<absl::Status(const google::protobuf::Message&)>;

template <typename T>
std::pair<const std::string, ValidateFn> V() {
  return {T::descriptor()->full_name(), [](const google::protobuf::Message& m) {
            return Validate(static_cast<const T&>(m));
          }};
}

// Every request type with a CheckFields overload. A new request type with
// string (or URL) fields and no entry here fails the tests below.
const std::map<std::string, ValidateFn>& Validators() {
  static const auto* validators = new std::map<std::string, ValidateFn>{
      V<v1::CreateMediaRequest>(),
      V<v1::GetMediaRequest>(),
      V<v1::UpdateMediaRequest>(),
      V<v1::UploadVideoMetadata>(),
      V<v1::EstimateVideoCreditsRequest>(),
      V<v1::CropToAspectRatioRequest>(),
      V<v1::ReframeVideoRequest>(),
      V<v1::EnhanceVideoRequest>(),
      V<v1::AddSoundEffectRequest>(),
      V<v1::AvatarLipSyncRequest>(),
      V<v1::LipSyncRequest>(),
      V<v1::GenerateVideoEffectRequest>(),
      V<v1::ReplaceBackgroundRequest>(),
      V<v1::ReferenceToVideoRequest>(),
      V<v1::VideoToVideoRequest>(),
      V<v1::AttachAudioRequest>(),
      V<v1::UploadAudioMetadata>(),
      V<v1::EstimateAudioCreditsRequest>(),
      V<v1::TextToSpeechRequest>(),
      V<v1::TextToSoundEffectRequest>(),
      V<v1::TextToMusicRequest>(),
      V<v1::SynthesizeSpeechRequest>(),
      V<v1::GenerateSoundEffectRequest>(),
      V<v1::GenerateAudioRequest>(),
      V<v1::GetGenerationRequest>(),
      V<v1::GetJobRequest>(),
      V<v1::WatchJobRequest>(),
  };
  return *validators;
}

using ::mediagen::testing::FieldPath;
using ::mediagen::testing::FindStringFields;
using ::mediagen::testing::FindUrlFields;
using ::mediagen::testing::SetUrlField;

bool HasViolationOn(const absl::Status& s, const std::string& field) {
  std::optional<google::rpc::BadRequest> br = rpc::GetBadRequest(s);
  if (!br.has_value()) return false;
  for (const auto& v : br->field_violations()) {
    if (v.field() == field) return true;
  }
  return false;
}

// Not http(s), or http(s) with something that must never reach upstream.
const char* const kBadUrls[] = {
    "javascript:alert(1)",
    "file:///etc/passwd",
    "ftp://cdn.example/a.mp4",
    "gopher://cdn.example:70/_GET",
    "data:text/html,<script>alert(1)</script>",
    "//cdn.example/a.mp4",
    "cdn.example/a.mp4",
    "https://",
    "http:///a.mp4",
    "https://cdn.example/a b.mp4",
    "https://cdn.example/a.mp4\r\nX-Injected: 1",
    "https://cdn.example/a.mp4\nmore",
    "https://cdn.example/\ta.mp4",
    "https://cdn.example/\x01"
    "a.mp4",
    "https://cdn.example/\x7f"
    "a.mp4",
    "https://cdn.example/\xc2\x85"
    "a.mp4",
    "https://cdn.example/\xe2\x80\xae"
    "a.mp4",
};

TEST(ValidateTest, EveryUrlFieldOfEveryRequestRejectsBadUrls) {
  std::set<const google::protobuf::FileDescriptor*> files = {
      v1::CreateMediaRequest::descriptor()->file(),
      v1::CropToAspectRatioRequest::descriptor()->file(),
      v1::TextToSpeechRequest::descriptor()->file(),
      v1::SynthesizeSpeechRequest::descriptor()->file(),
      v1::GenerateAudioRequest::descriptor()->file(),
      v1::GetJobRequest::descriptor()->file()};
  std::string long_url = "https://cdn.example/" + std::string(2100, 'a');
  int checked = 0;
  for (const google::protobuf::FileDescriptor* file : files) {
    for (int i = 0; i < file->message_type_count(); ++i) {
      const google::protobuf::Descriptor* d = file->message_type(i);
      if (!absl::EndsWith(d->name(), "Request") &&
          !absl::EndsWith(d->name(), "Metadata")) {
        continue;
      }
      const std::vector<FieldPath> urls = FindUrlFields(d);
      // UploadVideoRequest / UploadAudioRequest only wrap the metadata (or
      // a chunk); their URL fields are checked as the metadata's.
      if (urls.empty() || d->FindFieldByName("chunk") != nullptr) continue;
      auto validator = Validators().find(d->full_name());
      ASSERT_NE(validator, Validators().end())
          << d->full_name() << " has URL fields and no validator";
      for (const FieldPath& path : urls) {
        const google::protobuf::Message* prototype =
            google::protobuf::MessageFactory::generated_factory()->GetPrototype(
                d);
        std::vector<std::string> bad(std::begin(kBadUrls), std::end(kBadUrls));
        bad.push_back(long_url);
        for (const std::string& url : bad) {
          std::unique_ptr<google::protobuf::Message> m(prototype->New());
          const std::string field = SetUrlField(m.get(), path, url);
          EXPECT_TRUE(HasViolationOn(validator->second(*m), field))
              << d->name() << "." << field << " accepted "
              << absl::CEscape(url);
          ++checked;
        }
        std::unique_ptr<google::protobuf::Message> good(prototype->New());
        const std::string field =
            SetUrlField(good.get(), path, "https://cdn.example/a%20b.mp4?x=1");
        EXPECT_FALSE(HasViolationOn(validator->second(*good), field))
            << d->name() << "." << field << " refused a good URL";
      }
    }
  }
  // 40-odd URL fields exist today; a lookup that finds none is broken.
  EXPECT_GT(checked, 30 * static_cast<int>(std::size(kBadUrls)));
}

// Issue 18: control characters in free text reached the providers. Every
// string field of every request, found by reflection, must refuse them with
// a violation on its own path; a field added later is covered the day it
// is added.
TEST(ValidateTest, EveryStringFieldOfEveryRequestRefusesControlCharacters) {
  std::set<const google::protobuf::FileDescriptor*> files = {
      v1::CreateMediaRequest::descriptor()->file(),
      v1::CropToAspectRatioRequest::descriptor()->file(),
      v1::TextToSpeechRequest::descriptor()->file(),
      v1::SynthesizeSpeechRequest::descriptor()->file(),
      v1::GenerateAudioRequest::descriptor()->file(),
      v1::GetJobRequest::descriptor()->file()};
  const std::vector<std::string> bad = {std::string("hello\0world", 11),
                                        "a\x1b[2Jb",
                                        "ding\adong",
                                        "del\x7f",
                                        "vt\x0b",
                                        "us\x1f"};
  int checked = 0;
  for (const google::protobuf::FileDescriptor* file : files) {
    for (int i = 0; i < file->message_type_count(); ++i) {
      const google::protobuf::Descriptor* d = file->message_type(i);
      if (!absl::EndsWith(d->name(), "Request") &&
          !absl::EndsWith(d->name(), "Metadata")) {
        continue;
      }
      const std::vector<FieldPath> fields = FindStringFields(d);
      if (fields.empty() || d->FindFieldByName("chunk") != nullptr) continue;
      auto validator = Validators().find(d->full_name());
      ASSERT_NE(validator, Validators().end())
          << d->full_name() << " has string fields and no validator";
      const google::protobuf::Message* prototype =
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(
              d);
      for (const FieldPath& path : fields) {
        for (const std::string& text : bad) {
          std::unique_ptr<google::protobuf::Message> m(prototype->New());
          const std::string field = SetUrlField(m.get(), path, text);
          const absl::Status s = validator->second(*m);
          EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
          EXPECT_TRUE(HasViolationOn(s, field))
              << d->name() << "." << field << " accepted "
              << absl::CEscape(text);
          ++checked;
        }
      }
    }
  }
  // About 150 string fields exist today; a walk that finds few is broken.
  EXPECT_GT(checked, 100 * static_cast<int>(bad.size()));
}

}  // namespace
}  // namespace mediagen::upstream
