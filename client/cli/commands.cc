#include "client/cli/commands.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/cli/usage_text.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::google::protobuf::Message;
using ::mediagen::client::CallOptions;
using ::mediagen::client::Client;

// Wraps a typed Client call as a reflection-level invoker.
template <typename Request, typename Call>
UnaryInvoker Bind(Call call) {
  return [call](Client& client, const Message& request,
                const CallOptions& options)
             -> absl::StatusOr<std::unique_ptr<Message>> {
    auto response = call(client, static_cast<const Request&>(request), options);
    if (!response.ok()) return response.status();
    using Response = typename decltype(response)::value_type;
    return std::unique_ptr<Message>(new Response(std::move(*response)));
  };
}

struct Spec {
  const char* group;
  const char* verb;
  const char* method;  // full name
  UnaryInvoker invoke;
  std::string (*text)(const Message&) = nullptr;
};

std::vector<Spec> Specs() {
  return {
      {"media", "create", "mediagen.v1.MediaService.CreateMedia",
       Bind<v1::CreateMediaRequest>(
           [](Client& c, auto& r, auto& o) { return c.CreateMedia(r, o); })},
      {"media", "get", "mediagen.v1.MediaService.GetMedia",
       Bind<v1::GetMediaRequest>(
           [](Client& c, auto& r, auto& o) { return c.GetMedia(r, o); })},
      {"media", "update", "mediagen.v1.MediaService.UpdateMedia",
       Bind<v1::UpdateMediaRequest>(
           [](Client& c, auto& r, auto& o) { return c.UpdateMedia(r, o); })},
      {"video", "upload", "mediagen.v1.VideoService.UploadVideo", nullptr},
      {"video", "estimate-credits",
       "mediagen.v1.VideoService.EstimateVideoCredits",
       Bind<v1::EstimateVideoCreditsRequest>([](Client& c, auto& r, auto& o) {
         return c.EstimateVideoCredits(r, o);
       })},
      {"video", "crop-to-aspect-ratio",
       "mediagen.v1.VideoService.CropToAspectRatio",
       Bind<v1::CropToAspectRatioRequest>([](Client& c, auto& r, auto& o) {
         return c.CropToAspectRatio(r, o);
       })},
      {"video", "reframe", "mediagen.v1.VideoService.ReframeVideo",
       Bind<v1::ReframeVideoRequest>(
           [](Client& c, auto& r, auto& o) { return c.ReframeVideo(r, o); })},
      {"video", "enhance", "mediagen.v1.VideoService.EnhanceVideo",
       Bind<v1::EnhanceVideoRequest>(
           [](Client& c, auto& r, auto& o) { return c.EnhanceVideo(r, o); })},
      {"video", "add-sound-effect", "mediagen.v1.VideoService.AddSoundEffect",
       Bind<v1::AddSoundEffectRequest>(
           [](Client& c, auto& r, auto& o) { return c.AddSoundEffect(r, o); })},
      {"video", "avatar-lip-sync", "mediagen.v1.VideoService.AvatarLipSync",
       Bind<v1::AvatarLipSyncRequest>(
           [](Client& c, auto& r, auto& o) { return c.AvatarLipSync(r, o); })},
      {"video", "lip-sync", "mediagen.v1.VideoService.LipSync",
       Bind<v1::LipSyncRequest>(
           [](Client& c, auto& r, auto& o) { return c.LipSync(r, o); })},
      {"video", "effect", "mediagen.v1.VideoService.GenerateVideoEffect",
       Bind<v1::GenerateVideoEffectRequest>([](Client& c, auto& r, auto& o) {
         return c.GenerateVideoEffect(r, o);
       })},
      {"video", "replace-background",
       "mediagen.v1.VideoService.ReplaceBackground",
       Bind<v1::ReplaceBackgroundRequest>([](Client& c, auto& r, auto& o) {
         return c.ReplaceBackground(r, o);
       })},
      {"video", "reference-to-video",
       "mediagen.v1.VideoService.ReferenceToVideo",
       Bind<v1::ReferenceToVideoRequest>([](Client& c, auto& r, auto& o) {
         return c.ReferenceToVideo(r, o);
       })},
      {"video", "video-to-video", "mediagen.v1.VideoService.VideoToVideo",
       Bind<v1::VideoToVideoRequest>(
           [](Client& c, auto& r, auto& o) { return c.VideoToVideo(r, o); })},
      {"video", "attach-audio", "mediagen.v1.VideoService.AttachAudio",
       Bind<v1::AttachAudioRequest>(
           [](Client& c, auto& r, auto& o) { return c.AttachAudio(r, o); })},
      {"audio", "upload", "mediagen.v1.AudioService.UploadAudio", nullptr},
      {"audio", "estimate-credits",
       "mediagen.v1.AudioService.EstimateAudioCredits",
       Bind<v1::EstimateAudioCreditsRequest>([](Client& c, auto& r, auto& o) {
         return c.EstimateAudioCredits(r, o);
       })},
      {"audio", "text-to-speech", "mediagen.v1.AudioService.TextToSpeech",
       Bind<v1::TextToSpeechRequest>(
           [](Client& c, auto& r, auto& o) { return c.TextToSpeech(r, o); })},
      {"audio", "text-to-sound-effect",
       "mediagen.v1.AudioService.TextToSoundEffect",
       Bind<v1::TextToSoundEffectRequest>([](Client& c, auto& r, auto& o) {
         return c.TextToSoundEffect(r, o);
       })},
      {"audio", "text-to-music", "mediagen.v1.AudioService.TextToMusic",
       Bind<v1::TextToMusicRequest>(
           [](Client& c, auto& r, auto& o) { return c.TextToMusic(r, o); })},
      {"elevenlabs", "speech", "mediagen.v1.ElevenLabsService.SynthesizeSpeech",
       nullptr},
      {"elevenlabs", "sound-effect",
       "mediagen.v1.ElevenLabsService.GenerateSoundEffect", nullptr},
      {"stable-audio", "generate",
       "mediagen.v1.StableAudioService.GenerateAudio",
       Bind<v1::GenerateAudioRequest>(
           [](Client& c, auto& r, auto& o) { return c.GenerateAudio(r, o); })},
      {"stable-audio", "get", "mediagen.v1.StableAudioService.GetGeneration",
       Bind<v1::GetGenerationRequest>(
           [](Client& c, auto& r, auto& o) { return c.GetGeneration(r, o); })},
      {"job", "get", "mediagen.v1.JobService.GetJob",
       Bind<v1::GetJobRequest>(
           [](Client& c, auto& r, auto& o) { return c.GetJob(r, o); })},
      {"job", "watch", "mediagen.v1.JobService.WatchJob", nullptr},
      // Also plain `mediagen usage` (run.cc).
      {"usage", "get", "mediagen.v1.UsageService.GetUsage",
       Bind<v1::GetUsageRequest>(
           [](Client& c, auto& r, auto& o) { return c.GetUsage(r, o); }),
       UsageMessageText},
  };
}

std::vector<Command> Build() {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<Command> commands;
  for (Spec& spec : Specs()) {
    Command command;
    command.group = spec.group;
    command.verb = spec.verb;
    command.method = pool->FindMethodByName(spec.method);
    if (command.method == nullptr) continue;  // caught by commands_test
    command.kind = command.method->client_streaming() ? CallKind::kUpload
                   : command.method->server_streaming()
                       ? CallKind::kServerStream
                       : CallKind::kUnary;
    if (command.method->full_name() == "mediagen.v1.JobService.WatchJob") {
      command.kind = CallKind::kWatch;  // a stream of jobs, not of audio
    }
    command.flags_message = command.method->input_type();
    if (command.kind == CallKind::kUpload) {
      // The first message's `metadata` carries what flags can say.
      command.flags_message =
          command.flags_message->FindFieldByName("metadata")->message_type();
    }
    command.creates =
        command.flags_message->FindFieldByName("request_id") != nullptr;
    command.invoke = std::move(spec.invoke);
    command.text = spec.text;
    commands.push_back(std::move(command));
  }
  return commands;
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command>* const commands =
      new std::vector<Command>(Build());
  return *commands;
}

const Command* FindCommand(absl::string_view group, absl::string_view verb) {
  for (const Command& command : Commands()) {
    if (command.group == group && command.verb == verb) return &command;
  }
  return nullptr;
}

}  // namespace mediagen::cli
