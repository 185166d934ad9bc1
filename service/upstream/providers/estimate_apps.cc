#include "service/upstream/providers/estimate_apps.h"

namespace mediagen::upstream {
namespace {

// clang-format off
constexpr EstimateApp kApps[] = {
    // ---- POST /v2/video/estimate-credits ----
    {"mediagen.v1.VideoService/CropToAspectRatio",  "edit-video",               "CropToAspectRatio", false},
    {"mediagen.v1.VideoService/ReframeVideo",       "edit-video",               "LumaReframe",       false},
    {"mediagen.v1.VideoService/EnhanceVideo",       "edit-video",               "4X&DeepClean",      false},
    {"mediagen.v1.VideoService/AddSoundEffect",     "edit-video",               "SoundEffect",       false},
    {"mediagen.v1.VideoService/AttachAudio",        "edit-video",               "AttachAudio",       false},
    {"mediagen.v1.VideoService/AvatarLipSync",      "lip-sync",                 "AvatarLipSync",     false},
    {"mediagen.v1.VideoService/LipSync",            "lip-sync",                 "AutoLipSync",       false},
    {"mediagen.v1.VideoService/GenerateVideoEffect","video-effects",            "HiggsfieldEffects", false},
    {"mediagen.v1.VideoService/ReplaceBackground",  "replace-background-video", "ReplaceBackground", false},
    {"mediagen.v1.VideoService/ReferenceToVideo",   "reference-to-video",       "KlingO",            false},
    {"mediagen.v1.VideoService/VideoToVideo",       "video-to-video",           "KlingO",            false},
    // ---- POST /v2/audio/estimate-credits ----
    {"mediagen.v1.AudioService/TextToSpeech",       "text-to-speech",           "ElevenLabsTTS",     true},
    {"mediagen.v1.AudioService/TextToSoundEffect",  "text-to-audio",            "ElevenLabsSE",      true},
    {"mediagen.v1.AudioService/TextToMusic",        "text-to-music",            "Lyria",             true},
};
// clang-format on

}  // namespace

const EstimateApp* EstimateAppFor(absl::string_view rpc) {
  for (const EstimateApp& app : kApps) {
    if (app.rpc == rpc) return &app;
  }
  return nullptr;
}

}  // namespace mediagen::upstream
