#include "tests/testing_util/api_methods.h"

#include "absl/strings/str_cat.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/jobs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/usage.pb.h"
#include "mediagen/v1/video.pb.h"

namespace mediagen::testing {

namespace {

// The service named `name` in the file that defines `Message`: naming a
// message links its file in, so the descriptor pool knows the service.
template <typename Message>
const google::protobuf::ServiceDescriptor* ServiceOf(const char* name) {
  return Message::descriptor()->file()->FindServiceByName(name);
}

}  // namespace

std::vector<const MethodDescriptor*> ApiMethods() {
  std::vector<const MethodDescriptor*> methods;
  for (const google::protobuf::ServiceDescriptor* s : {
           ServiceOf<v1::CreateMediaRequest>("MediaService"),
           ServiceOf<v1::CropToAspectRatioRequest>("VideoService"),
           ServiceOf<v1::TextToSpeechRequest>("AudioService"),
           ServiceOf<v1::SynthesizeSpeechRequest>("ElevenLabsService"),
           ServiceOf<v1::GenerateAudioRequest>("StableAudioService"),
           ServiceOf<v1::GetJobRequest>("JobService"),
           ServiceOf<v1::GetUsageRequest>("UsageService"),
       }) {
    for (int i = 0; s != nullptr && i < s->method_count(); ++i) {
      methods.push_back(s->method(i));
    }
  }
  return methods;
}

std::string MethodPath(const MethodDescriptor* m) {
  return absl::StrCat("/", m->service()->full_name(), "/", m->name());
}

std::string MethodTestName(
    const ::testing::TestParamInfo<const MethodDescriptor*>& info) {
  return info.param->name();
}

}  // namespace mediagen::testing
