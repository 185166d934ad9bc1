#include "service/upstream/engine/engine.h"

#include <atomic>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/rpc/error_details.h"
#include "service/http/multipart_body.h"
#include "service/upstream/providers/aimlapi.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/job_state.h"
#include "service/upstream/providers/resource_name.h"
#include "service/upstream/providers/vimmerse.h"

namespace mediagen::upstream {
namespace {

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

// Nothing was sent: callers (idempotency) may let a retry go upstream.
std::shared_ptr<CallHandle> FailNow(UnaryOperation::Completion done,
                                    absl::Status status) {
  std::move(done)(http::MarkNotSent(std::move(status)));
  return CompletedHandle();
}

std::shared_ptr<CallHandle> FailNow(AudioSink& sink, absl::Status status) {
  sink.OnDone(http::MarkNotSent(std::move(status)));
  return CompletedHandle();
}

}  // namespace

Engine::Engine(Options options, http::HttpTransport* transport,
               Scheduler* scheduler, http::HttpTransport* long_transport)
    : options_(std::move(options)),
      transport_(transport),
      long_transport_(long_transport != nullptr ? long_transport : transport),
      scheduler_(scheduler) {}

Engine::Handle Engine::StartCall(const CallContext& ctx, absl::Status valid,
                                 v1::Provider provider, Translate translate,
                                 UnaryOperation::ReadAnswer read,
                                 UnaryOperation::Completion done) {
  if (!valid.ok()) return FailNow(std::move(done), std::move(valid));
  if (absl::Status s = CheckKey(ctx.credentials, provider); !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  absl::StatusOr<UpstreamRequest> up =
      translate(options_.endpoints, ctx.credentials.KeyFor(provider));
  if (!up.ok()) return FailNow(std::move(done), up.status());
  auto op = std::make_shared<UnaryOperation>(
      options_, transport_, scheduler_, ctx, up->route,
      [request = std::move(up->http)]() -> absl::StatusOr<http::HttpRequest> {
        return request;
      },
      std::move(read), std::move(done));
  op->Start();
  return op;
}

Engine::Handle Engine::StartUpload(const CallContext& ctx, absl::Status valid,
                                   Route route, absl::string_view file_field,
                                   std::string file_name,
                                   std::string content_type,
                                   std::shared_ptr<http::BodySource> file,
                                   TranslateUpload translate,
                                   UnaryOperation::ReadAnswer read,
                                   UnaryOperation::Completion done) {
  if (!valid.ok()) return FailNow(std::move(done), std::move(valid));
  if (file == nullptr) {
    return FailNow(std::move(done),
                   absl::InvalidArgumentError("upload without a file source"));
  }
  if (absl::Status s = CheckKey(ctx.credentials, route.provider); !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  auto tracked = std::make_shared<TrackingSource>(std::move(file));
  const Endpoints& endpoints = options_.endpoints;
  // Each attempt gets a fresh multipart body around the same file; a second
  // attempt only happens when the first never read from it.
  auto make = [&endpoints, route, key = ctx.credentials.KeyFor(route.provider),
               tracked, field = std::string(file_field),
               file_name = std::move(file_name),
               content_type = std::move(content_type),
               translate = std::move(
                   translate)]() mutable -> absl::StatusOr<http::HttpRequest> {
    absl::StatusOr<std::shared_ptr<http::MultipartBody>> body =
        http::MultipartBody::Create({}, field, file_name, content_type,
                                    tracked);
    if (!body.ok()) return body.status();
    const std::string body_content_type = (*body)->content_type();
    return translate(endpoints, route, key, *std::move(body), body_content_type)
        .http;
  };
  auto op = std::make_shared<UnaryOperation>(
      options_, long_transport_, scheduler_, ctx, route, std::move(make),
      std::move(read), std::move(done),
      [tracked] { return !tracked->touched(); });
  op->Start();
  return op;
}

Engine::Handle Engine::StartStream(const CallContext& ctx, absl::Status valid,
                                   v1::Provider provider, Translate translate,
                                   std::string output_format,
                                   std::shared_ptr<AudioSink> sink) {
  if (!valid.ok()) return FailNow(*sink, std::move(valid));
  if (absl::Status s = CheckKey(ctx.credentials, provider); !s.ok()) {
    return FailNow(*sink, std::move(s));
  }
  absl::StatusOr<UpstreamRequest> up =
      translate(options_.endpoints, ctx.credentials.KeyFor(provider));
  if (!up.ok()) return FailNow(*sink, up.status());
  auto op = std::make_shared<AudioOperation>(
      options_, long_transport_, scheduler_, ctx, *std::move(up),
      std::move(output_format), std::move(sink));
  op->Start();
  return op;
}

// ---- JobService ----

absl::Status Engine::JobReadDeadlineExceeded(absl::string_view name) const {
  absl::StatusOr<ResourceName> parsed = ParseResourceName(name);
  if (!parsed.ok()) return parsed.status();
  Route route;
  switch (parsed->kind) {
    case ResourceKind::kMedia:
      route = RouteFor<v1::GetMediaRequest>().route.ToRoute();
      break;
    case ResourceKind::kAsset:
      route = Route{v1::PROVIDER_VIMMERSE, "GET",
                    options_.endpoints.asset_path_template,
                    Idempotency::kIdempotent};
      break;
    case ResourceKind::kGeneration:
      route = RouteFor<v1::GetGenerationRequest>().route.ToRoute();
      break;
  }
  return MapTransportError(
      absl::DeadlineExceededError("no answer before the call's deadline"),
      ErrorContext::For(route, {}));
}

Engine::Handle Engine::GetJob(const CallContext& ctx, absl::string_view name,
                              Done<v1::Job> done) {
  auto job = std::make_shared<v1::Job>();
  UnaryOperation::Completion deliver = Deliver(job, std::move(done));
  absl::StatusOr<ResourceName> parsed = ParseResourceName(name);
  if (!parsed.ok()) return FailNow(std::move(deliver), parsed.status());
  const std::string id = parsed->id;
  switch (parsed->kind) {
    case ResourceKind::kMedia: {
      v1::GetMediaRequest request;
      request.set_name(std::string(name));
      return StartCall(
          ctx, absl::OkStatus(), v1::PROVIDER_VIMMERSE,
          [&request](const Endpoints& endpoints, absl::string_view key) {
            return BuildRequest(endpoints, key, request);
          },
          ReadInto<v1::Job>(
              job,
              [id](const http::HttpResponse& r) -> absl::StatusOr<v1::Job> {
                absl::StatusOr<v1::Media> m = vimmerse::ParseMedia(r.body, id);
                if (!m.ok()) return m.status();
                return JobFromMedia(*m);
              }),
          std::move(deliver));
    }
    case ResourceKind::kAsset:
      return StartCall(
          ctx, absl::OkStatus(), v1::PROVIDER_VIMMERSE,
          [&id](const Endpoints& endpoints,
                absl::string_view key) -> absl::StatusOr<UpstreamRequest> {
            return vimmerse::BuildGetAsset(endpoints, key, id);
          },
          ReadInto<v1::Job>(
              job,
              [id](const http::HttpResponse& r) -> absl::StatusOr<v1::Job> {
                absl::StatusOr<v1::Asset> a = vimmerse::ParseAsset(r.body, id);
                if (!a.ok()) return a.status();
                return JobFromAsset(*a);
              }),
          std::move(deliver));
    case ResourceKind::kGeneration: {
      v1::GetGenerationRequest request;
      request.set_name(std::string(name));
      return StartCall(
          ctx, absl::OkStatus(), v1::PROVIDER_AIMLAPI,
          [&request](const Endpoints& endpoints, absl::string_view key) {
            return BuildRequest(endpoints, key, request);
          },
          ReadInto<v1::Job>(
              job,
              [id](const http::HttpResponse& r) -> absl::StatusOr<v1::Job> {
                absl::StatusOr<v1::Generation> g =
                    aimlapi::ParseGeneration(r.body, id, /*from_create=*/false);
                if (!g.ok()) return g.status();
                return JobFromGeneration(*g);
              }),
          std::move(deliver));
    }
  }
  return FailNow(std::move(deliver),
                 absl::InternalError("unknown resource kind"));
}

}  // namespace mediagen::upstream
