// Every mediagen.v1 RPC that makes one upstream call, as one row of data:
// the RPC, the provider's route (provider, HTTP method, the path as the
// provider documents it, idempotent or not), the translator that builds the
// HTTP request and the reader that turns a 2xx answer into the RPC's
// response. The engine serves every row the same way (Engine::Call,
// ::Upload, ::Stream in ../engine/engine.h), so adding such an RPC is one
// row here plus its Validate overload (README, "How a call travels / adding
// an RPC"). JobService is the exception: GetJob picks the GetMedia or
// GetGeneration row (or the asset poll) by resource name, and WatchJob
// polls through GetJob.
//
//   const auto& row = RouteFor<v1::ReframeVideoRequest>();
//   row.rpc;                       // "mediagen.v1.VideoService/ReframeVideo"
//   row.route.ToRoute().Label();   // "POST /v2/video/reframe"
//   absl::StatusOr<UpstreamRequest> up =
//       BuildRequest(endpoints, key, reframe_request);  // as the engine does
//
// A request type without a row fails to compile where it is used
// (RouteFor: "this request type has no row in routes::kTable");
// route_table_test checks the rows against the services in the protos and
// against the README's RPC table.
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ROUTE_TABLE_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ROUTE_TABLE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/http/transport.h"
#include "service/upstream/providers/aimlapi.h"
#include "service/upstream/providers/elevenlabs.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/route.h"
#include "service/upstream/providers/vimmerse.h"

namespace mediagen::upstream {

// The HTTP request for one call: auth, URL, body. `route` is the row's; a
// translator that fills in a path parameter or picks a documented variant
// (UpdateMedia's method, speech without `/stream`) returns it adjusted.
template <typename Req>
using Translator = absl::StatusOr<UpstreamRequest> (*)(const Endpoints& e,
                                                       const Route& route,
                                                       absl::string_view key,
                                                       const Req& request);

// A unary RPC: one request, one buffered answer.
template <typename Req, typename Resp>
struct UnaryRoute {
  using Request = Req;
  using Response = Resp;
  absl::string_view rpc;  // "mediagen.v1.MediaService/CreateMedia"
  RouteSpec route;
  Translator<Req> translate;
  // The reader of this request's 2xx answer.
  AnswerReader<Resp> (*answer)(const Req& request);
};

// An upload (a client stream: the metadata message, then the file's
// chunks). The file goes upstream inside a streamed multipart body.
template <typename Meta, typename Resp>
struct UploadRoute {
  using Request = Meta;
  using Response = Resp;
  absl::string_view rpc;
  RouteSpec route;
  // The multipart part that holds the file ("video_file").
  absl::string_view file_field;
  UpstreamRequest (*translate)(const Endpoints& e, const Route& route,
                               absl::string_view key, const Meta& metadata,
                               std::shared_ptr<http::BodySource> body,
                               absl::string_view body_content_type);
  AnswerReader<Resp> (*answer)(const Meta& metadata);
};

// Audio streamed back (a server stream): the answer's bytes go to the
// caller as they arrive.
template <typename Req>
struct AudioRoute {
  using Request = Req;
  absl::string_view rpc;
  RouteSpec route;
  Translator<Req> translate;
  // The output format asked for (for AudioStreamInfo).
  std::string (*output_format)(const Req& request);
};

namespace routes {

inline constexpr v1::Provider kVimmerse = v1::PROVIDER_VIMMERSE;
inline constexpr v1::Provider kElevenLabs = v1::PROVIDER_ELEVENLABS;
inline constexpr v1::Provider kAimlapi = v1::PROVIDER_AIMLAPI;
// Reads (and estimates, which create nothing) may be repeated; everything
// that may create something or spend credits is sent again only when it
// provably never left (route.h, retry_policy.h).
inline constexpr Idempotency kRead = Idempotency::kIdempotent;
inline constexpr Idempotency kCreate = Idempotency::kNonIdempotent;

// One row per RPC, in the order of the README's RPC table (JobService
// aside). The paths are the providers' documented templates: they label
// errors, logs and metrics, so they never hold an id.
// clang-format off
inline constexpr std::tuple kTable{
    // ---- MediaService (media.proto) ----
    UnaryRoute<v1::CreateMediaRequest, v1::CreateMediaResponse>{
        "mediagen.v1.MediaService/CreateMedia",
        {kVimmerse, "POST", "/v2/media", kCreate},
        &vimmerse::PostJson, &vimmerse::MediaAnswer},
    UnaryRoute<v1::GetMediaRequest, v1::GetMediaResponse>{
        "mediagen.v1.MediaService/GetMedia",
        {kVimmerse, "GET", "/v2/media/{id}", kRead},
        &vimmerse::TranslateGetMedia, &vimmerse::NamedMediaAnswer},
    // The method is Endpoints::media_update_method (PUT unless configured).
    UnaryRoute<v1::UpdateMediaRequest, v1::UpdateMediaResponse>{
        "mediagen.v1.MediaService/UpdateMedia",
        {kVimmerse, "PUT", "/v2/media/{id}", kCreate},
        &vimmerse::TranslateUpdateMedia, &vimmerse::NamedMediaAnswer},
    // ---- VideoService (video.proto) ----
    UploadRoute<v1::UploadVideoMetadata, v1::UploadVideoResponse>{
        "mediagen.v1.VideoService/UploadVideo",
        {kVimmerse, "POST", "/v2/video", kCreate},
        "video_file", &vimmerse::TranslateUpload, &vimmerse::AssetAnswer},
    // Prices only; creates nothing, so it may be repeated.
    UnaryRoute<v1::EstimateVideoCreditsRequest, v1::EstimateVideoCreditsResponse>{
        "mediagen.v1.VideoService/EstimateVideoCredits",
        {kVimmerse, "POST", "/v2/video/estimate-credits", kRead},
        &vimmerse::PostJson, &vimmerse::EstimateAnswer},
    UnaryRoute<v1::CropToAspectRatioRequest, v1::CropToAspectRatioResponse>{
        "mediagen.v1.VideoService/CropToAspectRatio",
        {kVimmerse, "POST", "/v2/video/crop-to-aspect-ratio", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::ReframeVideoRequest, v1::ReframeVideoResponse>{
        "mediagen.v1.VideoService/ReframeVideo",
        {kVimmerse, "POST", "/v2/video/reframe", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::EnhanceVideoRequest, v1::EnhanceVideoResponse>{
        "mediagen.v1.VideoService/EnhanceVideo",
        {kVimmerse, "POST", "/v2/video/enhance", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::AddSoundEffectRequest, v1::AddSoundEffectResponse>{
        "mediagen.v1.VideoService/AddSoundEffect",
        {kVimmerse, "POST", "/v2/video/sound-effect", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::AvatarLipSyncRequest, v1::AvatarLipSyncResponse>{
        "mediagen.v1.VideoService/AvatarLipSync",
        {kVimmerse, "POST", "/v2/video/avatars/lip-sync", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::LipSyncRequest, v1::LipSyncResponse>{
        "mediagen.v1.VideoService/LipSync",
        {kVimmerse, "POST", "/v2/video/lip-sync", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::GenerateVideoEffectRequest, v1::GenerateVideoEffectResponse>{
        "mediagen.v1.VideoService/GenerateVideoEffect",
        {kVimmerse, "POST", "/v2/video/video-effects", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::ReplaceBackgroundRequest, v1::ReplaceBackgroundResponse>{
        "mediagen.v1.VideoService/ReplaceBackground",
        {kVimmerse, "POST", "/v2/video/replace-background", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::ReferenceToVideoRequest, v1::ReferenceToVideoResponse>{
        "mediagen.v1.VideoService/ReferenceToVideo",
        {kVimmerse, "POST", "/v2/video/reference-to-video", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::VideoToVideoRequest, v1::VideoToVideoResponse>{
        "mediagen.v1.VideoService/VideoToVideo",
        {kVimmerse, "POST", "/v2/video/video-to-video", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::AttachAudioRequest, v1::AttachAudioResponse>{
        "mediagen.v1.VideoService/AttachAudio",
        {kVimmerse, "POST", "/v2/video/audio", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    // ---- AudioService (audio.proto) ----
    UploadRoute<v1::UploadAudioMetadata, v1::UploadAudioResponse>{
        "mediagen.v1.AudioService/UploadAudio",
        {kVimmerse, "POST", "/v2/audio", kCreate},
        "audio_file", &vimmerse::TranslateUpload, &vimmerse::AssetAnswer},
    UnaryRoute<v1::EstimateAudioCreditsRequest, v1::EstimateAudioCreditsResponse>{
        "mediagen.v1.AudioService/EstimateAudioCredits",
        {kVimmerse, "POST", "/v2/audio/estimate-credits", kRead},
        &vimmerse::PostJson, &vimmerse::EstimateAnswer},
    UnaryRoute<v1::TextToSpeechRequest, v1::TextToSpeechResponse>{
        "mediagen.v1.AudioService/TextToSpeech",
        {kVimmerse, "POST", "/v2/audio/text-2-speech", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::TextToSoundEffectRequest, v1::TextToSoundEffectResponse>{
        "mediagen.v1.AudioService/TextToSoundEffect",
        {kVimmerse, "POST", "/v2/audio/text-2-sound-effect", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    UnaryRoute<v1::TextToMusicRequest, v1::TextToMusicResponse>{
        "mediagen.v1.AudioService/TextToMusic",
        {kVimmerse, "POST", "/v2/audio/text-2-music", kCreate},
        &vimmerse::PostJson, &vimmerse::AssetAnswer},
    // ---- ElevenLabsService (elevenlabs.proto): streamed, every call billed ----
    // Without /stream when the request sets `stream: false`.
    AudioRoute<v1::SynthesizeSpeechRequest>{
        "mediagen.v1.ElevenLabsService/SynthesizeSpeech",
        {kElevenLabs, "POST", "/v1/text-to-speech/{voice_id}/stream", kCreate},
        &elevenlabs::TranslateSpeech, &elevenlabs::OutputFormatOf},
    AudioRoute<v1::GenerateSoundEffectRequest>{
        "mediagen.v1.ElevenLabsService/GenerateSoundEffect",
        {kElevenLabs, "POST", "/v1/sound-generation", kCreate},
        &elevenlabs::TranslateSoundEffect, &elevenlabs::OutputFormatOf},
    // ---- StableAudioService (stable_audio.proto) ----
    UnaryRoute<v1::GenerateAudioRequest, v1::GenerateAudioResponse>{
        "mediagen.v1.StableAudioService/GenerateAudio",
        {kAimlapi, "POST", "/v2/generate/audio", kCreate},
        &aimlapi::TranslateGenerateAudio, &aimlapi::GenerationAnswer},
    UnaryRoute<v1::GetGenerationRequest, v1::GetGenerationResponse>{
        "mediagen.v1.StableAudioService/GetGeneration",
        {kAimlapi, "GET", "/v2/generate/audio?generation_id={id}", kRead},
        &aimlapi::TranslateGetGeneration, &aimlapi::PolledGenerationAnswer},
};
// clang-format on

// The index of the row whose request type is `Req`.
template <typename Req, size_t I = 0>
constexpr size_t RowOf() {
  using Table = std::remove_const_t<decltype(kTable)>;
  if constexpr (I == std::tuple_size_v<Table>) {
    static_assert(I < std::tuple_size_v<Table>,
                  "this request type has no row in routes::kTable");
    return I;
  } else if constexpr (std::is_same_v<
                           typename std::tuple_element_t<I, Table>::Request,
                           Req>) {
    return I;
  } else {
    return RowOf<Req, I + 1>();
  }
}

}  // namespace routes

// The row of the RPC whose request (or upload metadata) type is `Req`:
// a UnaryRoute, UploadRoute or AudioRoute.
template <typename Req>
constexpr const auto& RouteFor() {
  return std::get<routes::RowOf<Req>()>(routes::kTable);
}

// The response type of a unary or upload RPC, from its row.
template <typename Req>
using ResponseOf =
    typename std::remove_reference_t<decltype(RouteFor<Req>())>::Response;

// Calls `f(row)` for every row, in order (tests, listings).
template <typename F>
void ForEachRoute(F&& f) {
  std::apply([&f](const auto&... row) { (f(row), ...); }, routes::kTable);
}

// The HTTP request the engine sends for `request`: its row's translator on
// its row's route.
template <typename Req>
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const Req& request) {
  const auto& row = RouteFor<Req>();
  return row.translate(e, row.route.ToRoute(), key, request);
}

// The same for an upload, around an already built multipart `body`.
template <typename Meta>
UpstreamRequest BuildUpload(const Endpoints& e, absl::string_view key,
                            const Meta& metadata,
                            std::shared_ptr<http::BodySource> body,
                            absl::string_view body_content_type) {
  const auto& row = RouteFor<Meta>();
  return row.translate(e, row.route.ToRoute(), key, metadata, std::move(body),
                       body_content_type);
}

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ROUTE_TABLE_H_
