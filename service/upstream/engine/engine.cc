#include "service/upstream/engine/engine.h"

#include <atomic>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/rpc/error_details.h"
#include "service/http/multipart_body.h"
#include "service/upstream/providers/aimlapi.h"
#include "service/upstream/providers/elevenlabs.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/job_state.h"
#include "service/upstream/providers/resource_name.h"
#include "service/upstream/providers/validation.h"
#include "service/upstream/providers/vimmerse.h"

namespace mediagen::upstream {
namespace {

using aimlapi::BuildRequest;
using elevenlabs::BuildRequest;
using vimmerse::BuildRequest;

// FAILED_PRECONDITION unless the tenant holds a usable key for `provider`.
absl::Status CheckKey(const Credentials& credentials, v1::Provider provider) {
  const std::string& key = credentials.KeyFor(provider);
  if (key.empty()) return MissingKeyError(provider);
  for (char c : key) {
    if (c <= ' ' || c > '~') {
      // The key itself never appears: only that it cannot be sent.
      absl::Status s = absl::FailedPreconditionError(absl::StrCat(
          "this tenant's ", ProviderDisplayName(provider),
          " API key holds characters that cannot go in an HTTP header"));
      google::rpc::ErrorInfo info;
      info.set_domain(std::string(ProviderDomain(provider)));
      info.set_reason("PROVIDER_KEY_MALFORMED");
      (*info.mutable_metadata())["provider"] =
          std::string(ProviderId(provider));
      rpc::SetErrorInfo(&s, info);
      return s;
    }
  }
  return absl::OkStatus();
}

// Records whether the transport ever read the caller's file, because a
// stream that has been read from cannot be sent again.
class TrackingSource : public http::BodySource {
 public:
  explicit TrackingSource(std::shared_ptr<http::BodySource> inner)
      : inner_(std::move(inner)) {}
  void SetResumeCallback(std::function<void()> resume) override {
    inner_->SetResumeCallback(std::move(resume));
  }
  ReadResult Read(char* buf, size_t max, size_t* n) override {
    touched_.store(true);
    return inner_->Read(buf, max, n);
  }
  absl::Status error() const override { return inner_->error(); }
  std::optional<int64_t> size() const override { return inner_->size(); }
  bool touched() const { return touched_.load(); }

 private:
  const std::shared_ptr<http::BodySource> inner_;
  std::atomic<bool> touched_{false};
};

template <typename T>
std::shared_ptr<CallHandle> FailNow(Engine::Done<T> done, absl::Status status) {
  // Nothing was sent: callers (idempotency) may let a retry go upstream.
  std::move(done)(http::MarkNotSent(std::move(status)));
  return CompletedHandle();
}

template <typename Resp>
absl::StatusOr<Resp> AssetAnswer(const http::HttpResponse& r) {
  absl::StatusOr<v1::Asset> asset = vimmerse::ParseAsset(r.body);
  if (!asset.ok()) return asset.status();
  Resp out;
  *out.mutable_asset() = *std::move(asset);
  return out;
}

template <typename Resp>
absl::StatusOr<Resp> EstimateAnswer(const http::HttpResponse& r) {
  Resp out;
  if (absl::Status s = vimmerse::ParseEstimate(r.body, &out); !s.ok()) return s;
  return out;
}

template <typename Resp>
auto MediaAnswer(std::string known_id = "") {
  return [known_id = std::move(known_id)](
             const http::HttpResponse& r) -> absl::StatusOr<Resp> {
    absl::StatusOr<v1::Media> media = vimmerse::ParseMedia(r.body, known_id);
    if (!media.ok()) return media.status();
    Resp out;
    *out.mutable_media() = *std::move(media);
    return out;
  };
}

template <typename Resp>
auto GenerationAnswer(std::string known_id, bool from_create) {
  return [known_id = std::move(known_id),
          from_create](const http::HttpResponse& r) -> absl::StatusOr<Resp> {
    absl::StatusOr<v1::Generation> g =
        aimlapi::ParseGeneration(r.body, known_id, from_create);
    if (!g.ok()) return g.status();
    Resp out;
    *out.mutable_generation() = *std::move(g);
    return out;
  };
}

// The id in a request's `name`, or "" when it has none (validated already).
template <typename Req>
std::string KnownId(const Req& /*request*/) {
  return "";
}
std::string KnownId(const v1::GetMediaRequest& r) {
  auto id = ParseResourceId(r.name(), ResourceKind::kMedia);
  return id.ok() ? *id : "";
}
std::string KnownId(const v1::UpdateMediaRequest& r) {
  auto id = ParseResourceId(r.name(), ResourceKind::kMedia);
  return id.ok() ? *id : "";
}
std::string KnownId(const v1::GetGenerationRequest& r) {
  auto id = ParseResourceId(r.name(), ResourceKind::kGeneration);
  return id.ok() ? *id : "";
}

// Starts a UnaryOperation whose 2xx answer `parse` reads into a Resp for
// `done`.
template <typename Resp, typename Parse>
std::shared_ptr<CallHandle> StartOperation(
    const OperationOptions& options, http::HttpTransport* transport,
    Scheduler* scheduler, const CallContext& ctx, const Route& route,
    UnaryOperation::MakeRequest make, Parse parse, Engine::Done<Resp> done,
    absl::AnyInvocable<bool() const> can_resend = nullptr) {
  auto answer = std::make_shared<Resp>();
  auto op = std::make_shared<UnaryOperation>(
      options, transport, scheduler, ctx, route, std::move(make),
      [answer, parse = std::move(parse)](
          const http::HttpResponse& r) mutable -> absl::Status {
        absl::StatusOr<Resp> parsed = parse(r);
        if (!parsed.ok()) return parsed.status();
        *answer = *std::move(parsed);
        return absl::OkStatus();
      },
      [answer, done = std::move(done)](absl::Status status) mutable {
        if (status.ok()) {
          std::move(done)(std::move(*answer));
        } else {
          std::move(done)(std::move(status));
        }
      },
      std::move(can_resend));
  op->Start();
  return op;
}

// Starts a unary call whose translated request is `up`.
template <typename Resp, typename Parse>
std::shared_ptr<CallHandle> StartUnary(const OperationOptions& options,
                                       http::HttpTransport* transport,
                                       Scheduler* scheduler,
                                       const CallContext& ctx,
                                       UpstreamRequest up, Parse parse,
                                       Engine::Done<Resp> done) {
  return StartOperation<Resp>(
      options, transport, scheduler, ctx, up.route,
      [request = std::move(up.http)]() -> absl::StatusOr<http::HttpRequest> {
        return request;
      },
      std::move(parse), std::move(done));
}

}  // namespace

Engine::Engine(Options options, http::HttpTransport* transport,
               Scheduler* scheduler)
    : options_(std::move(options)),
      transport_(transport),
      scheduler_(scheduler) {}

template <typename Req, typename Resp, typename Parse>
Engine::Handle Engine::Unary(const CallContext& ctx, const Req& request,
                             v1::Provider provider, Parse parse,
                             Done<Resp> done) {
  if (absl::Status s = Validate(request); !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  if (absl::Status s = CheckKey(ctx.credentials, provider); !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  absl::StatusOr<UpstreamRequest> up = BuildRequest(
      options_.endpoints, ctx.credentials.KeyFor(provider), request);
  if (!up.ok()) return FailNow(std::move(done), up.status());
  return StartUnary<Resp>(options_, transport_, scheduler_, ctx, *std::move(up),
                          std::move(parse), std::move(done));
}

template <typename Meta, typename Resp>
Engine::Handle Engine::Upload(const CallContext& ctx, const Meta& metadata,
                              std::shared_ptr<http::BodySource> file,
                              absl::string_view field, Done<Resp> done) {
  if (absl::Status s = Validate(metadata); !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  if (file == nullptr) {
    return FailNow(std::move(done),
                   absl::InvalidArgumentError("upload without a file source"));
  }
  if (absl::Status s = CheckKey(ctx.credentials, v1::PROVIDER_VIMMERSE);
      !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  auto tracked = std::make_shared<TrackingSource>(std::move(file));
  const Endpoints& endpoints = options_.endpoints;
  const std::string key = ctx.credentials.vimmerse_api_key;
  // Each attempt gets a fresh multipart body around the same file; a second
  // attempt only happens when the first never read from it.
  auto make = [&endpoints, key, metadata, tracked,
               field =
                   std::string(field)]() -> absl::StatusOr<http::HttpRequest> {
    absl::StatusOr<std::shared_ptr<http::MultipartBody>> body =
        http::MultipartBody::Create({}, field, metadata.file_name(),
                                    metadata.content_type(), tracked);
    if (!body.ok()) return body.status();
    const std::string content_type = (*body)->content_type();
    return vimmerse::BuildUpload(endpoints, key, metadata, *std::move(body),
                                 content_type)
        .http;
  };
  const Route route = std::is_same_v<Meta, v1::UploadVideoMetadata>
                          ? vimmerse::UploadVideoRoute()
                          : vimmerse::UploadAudioRoute();
  return StartOperation<Resp>(options_, transport_, scheduler_, ctx, route,
                              std::move(make), &AssetAnswer<Resp>,
                              std::move(done),
                              [tracked] { return !tracked->touched(); });
}

template <typename Req>
Engine::Handle Engine::Audio(const CallContext& ctx, const Req& request,
                             std::shared_ptr<AudioSink> sink) {
  if (absl::Status s = Validate(request); !s.ok()) {
    sink->OnDone(http::MarkNotSent(std::move(s)));
    return CompletedHandle();
  }
  if (absl::Status s = CheckKey(ctx.credentials, v1::PROVIDER_ELEVENLABS);
      !s.ok()) {
    sink->OnDone(http::MarkNotSent(std::move(s)));
    return CompletedHandle();
  }
  absl::StatusOr<UpstreamRequest> up = BuildRequest(
      options_.endpoints, ctx.credentials.elevenlabs_api_key, request);
  if (!up.ok()) {
    sink->OnDone(http::MarkNotSent(up.status()));
    return CompletedHandle();
  }
  auto op = std::make_shared<AudioOperation>(
      options_, transport_, scheduler_, ctx, *std::move(up),
      elevenlabs::OutputFormatOf(request), std::move(sink));
  op->Start();
  return op;
}

// ---- MediaService ----

Engine::Handle Engine::CreateMedia(const CallContext& ctx,
                                   const v1::CreateMediaRequest& r,
                                   Done<v1::CreateMediaResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_VIMMERSE,
               MediaAnswer<v1::CreateMediaResponse>(), std::move(done));
}

Engine::Handle Engine::GetMedia(const CallContext& ctx,
                                const v1::GetMediaRequest& r,
                                Done<v1::GetMediaResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_VIMMERSE,
               MediaAnswer<v1::GetMediaResponse>(KnownId(r)), std::move(done));
}

Engine::Handle Engine::UpdateMedia(const CallContext& ctx,
                                   const v1::UpdateMediaRequest& r,
                                   Done<v1::UpdateMediaResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_VIMMERSE,
               MediaAnswer<v1::UpdateMediaResponse>(KnownId(r)),
               std::move(done));
}

// ---- VideoService ----

Engine::Handle Engine::StartVideoUpload(const CallContext& ctx,
                                        const v1::UploadVideoMetadata& metadata,
                                        std::shared_ptr<http::BodySource> file,
                                        Done<v1::UploadVideoResponse> done) {
  return Upload(ctx, metadata, std::move(file), vimmerse::kVideoFileField,
                std::move(done));
}

Engine::Handle Engine::EstimateVideoCredits(
    const CallContext& ctx, const v1::EstimateVideoCreditsRequest& r,
    Done<v1::EstimateVideoCreditsResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_VIMMERSE,
               &EstimateAnswer<v1::EstimateVideoCreditsResponse>,
               std::move(done));
}

#define MEDIAGEN_ASSET_ROUTE(Rpc)                                   \
  Engine::Handle Engine::Rpc(const CallContext& ctx,                \
                             const v1::Rpc##Request& r,             \
                             Done<v1::Rpc##Response> done) {        \
    return Unary(ctx, r, v1::PROVIDER_VIMMERSE,                     \
                 &AssetAnswer<v1::Rpc##Response>, std::move(done)); \
  }

MEDIAGEN_ASSET_ROUTE(CropToAspectRatio)
MEDIAGEN_ASSET_ROUTE(ReframeVideo)
MEDIAGEN_ASSET_ROUTE(EnhanceVideo)
MEDIAGEN_ASSET_ROUTE(AddSoundEffect)
MEDIAGEN_ASSET_ROUTE(AvatarLipSync)
MEDIAGEN_ASSET_ROUTE(LipSync)
MEDIAGEN_ASSET_ROUTE(GenerateVideoEffect)
MEDIAGEN_ASSET_ROUTE(ReplaceBackground)
MEDIAGEN_ASSET_ROUTE(ReferenceToVideo)
MEDIAGEN_ASSET_ROUTE(VideoToVideo)
MEDIAGEN_ASSET_ROUTE(AttachAudio)
MEDIAGEN_ASSET_ROUTE(TextToSpeech)
MEDIAGEN_ASSET_ROUTE(TextToSoundEffect)
MEDIAGEN_ASSET_ROUTE(TextToMusic)

#undef MEDIAGEN_ASSET_ROUTE

// ---- AudioService ----

Engine::Handle Engine::StartAudioUpload(const CallContext& ctx,
                                        const v1::UploadAudioMetadata& metadata,
                                        std::shared_ptr<http::BodySource> file,
                                        Done<v1::UploadAudioResponse> done) {
  return Upload(ctx, metadata, std::move(file), vimmerse::kAudioFileField,
                std::move(done));
}

Engine::Handle Engine::EstimateAudioCredits(
    const CallContext& ctx, const v1::EstimateAudioCreditsRequest& r,
    Done<v1::EstimateAudioCreditsResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_VIMMERSE,
               &EstimateAnswer<v1::EstimateAudioCreditsResponse>,
               std::move(done));
}

// ---- ElevenLabsService ----

Engine::Handle Engine::SynthesizeSpeech(const CallContext& ctx,
                                        const v1::SynthesizeSpeechRequest& r,
                                        std::shared_ptr<AudioSink> sink) {
  return Audio(ctx, r, std::move(sink));
}

Engine::Handle Engine::GenerateSoundEffect(
    const CallContext& ctx, const v1::GenerateSoundEffectRequest& r,
    std::shared_ptr<AudioSink> sink) {
  return Audio(ctx, r, std::move(sink));
}

// ---- StableAudioService ----

Engine::Handle Engine::GenerateAudio(const CallContext& ctx,
                                     const v1::GenerateAudioRequest& r,
                                     Done<v1::GenerateAudioResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_AIMLAPI,
               GenerationAnswer<v1::GenerateAudioResponse>("", true),
               std::move(done));
}

Engine::Handle Engine::GetGeneration(const CallContext& ctx,
                                     const v1::GetGenerationRequest& r,
                                     Done<v1::GetGenerationResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_AIMLAPI,
               GenerationAnswer<v1::GetGenerationResponse>(KnownId(r), false),
               std::move(done));
}

// ---- JobService ----

Engine::Handle Engine::GetJob(const CallContext& ctx, absl::string_view name,
                              Done<v1::Job> done) {
  absl::StatusOr<ResourceName> parsed = ParseResourceName(name);
  if (!parsed.ok()) return FailNow(std::move(done), parsed.status());
  const std::string id = parsed->id;
  v1::Provider provider = parsed->kind == ResourceKind::kGeneration
                              ? v1::PROVIDER_AIMLAPI
                              : v1::PROVIDER_VIMMERSE;
  if (absl::Status s = CheckKey(ctx.credentials, provider); !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  const std::string& key = ctx.credentials.KeyFor(provider);
  switch (parsed->kind) {
    case ResourceKind::kMedia: {
      v1::GetMediaRequest request;
      request.set_name(std::string(name));
      absl::StatusOr<UpstreamRequest> up =
          BuildRequest(options_.endpoints, key, request);
      if (!up.ok()) return FailNow(std::move(done), up.status());
      return StartUnary<v1::Job>(
          options_, transport_, scheduler_, ctx, *std::move(up),
          [id](const http::HttpResponse& r) -> absl::StatusOr<v1::Job> {
            absl::StatusOr<v1::Media> m = vimmerse::ParseMedia(r.body, id);
            if (!m.ok()) return m.status();
            return JobFromMedia(*m);
          },
          std::move(done));
    }
    case ResourceKind::kAsset:
      return StartUnary<v1::Job>(
          options_, transport_, scheduler_, ctx,
          vimmerse::BuildGetAsset(options_.endpoints, key, id),
          [id](const http::HttpResponse& r) -> absl::StatusOr<v1::Job> {
            absl::StatusOr<v1::Asset> a = vimmerse::ParseAsset(r.body, id);
            if (!a.ok()) return a.status();
            return JobFromAsset(*a);
          },
          std::move(done));
    case ResourceKind::kGeneration:
      return StartUnary<v1::Job>(
          options_, transport_, scheduler_, ctx,
          aimlapi::BuildGetGeneration(options_.endpoints, key, id),
          [id](const http::HttpResponse& r) -> absl::StatusOr<v1::Job> {
            absl::StatusOr<v1::Generation> g =
                aimlapi::ParseGeneration(r.body, id, /*from_create=*/false);
            if (!g.ok()) return g.status();
            return JobFromGeneration(*g);
          },
          std::move(done));
  }
  return FailNow(std::move(done), absl::InternalError("unknown resource kind"));
}

}  // namespace mediagen::upstream
