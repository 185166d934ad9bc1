// Engine: the asynchronous facade the server calls. Every RPC that makes
// one upstream call is a row of the route table
// (../providers/route_table.h); the engine serves each kind of row the same
// way: Call (unary), Upload (client stream) and Stream (audio streamed
// back), typed by the row's request and response. Inside each call:
// validation, the tenant's key check, the row's translator, then one
// Operation (operation.h: the HTTP transport, retries through a Scheduler so
// no thread sleeps, the deadline, cancellation, error mapping) and the
// row's answer reader. GetJob is the one method of its own: it picks a row
// by resource name.
//
// The completion runs exactly once: on a transport or scheduler thread, or
// on the calling thread before the method returns when the call fails
// before anything is sent (validation, missing key, deadline already
// passed); then the status carries http::MarkNotSent.
//
//   Engine engine(Engine::Options{}, &curl_transport, &thread_scheduler);
//   CallContext ctx;
//   ctx.credentials = tenant.keys;
//   ctx.deadline = grpc_context->deadline();            // absolute
//   ctx.extra_headers = {{"traceparent", traceparent}};
//   Engine::Handle h = engine.Call(ctx, create_media_request,
//       [reactor](absl::StatusOr<v1::CreateMediaResponse> r) {
//         reactor->Finish(r.ok() ? grpc::Status::OK
//                                : rpc::ToGrpcStatus(r.status()));
//       });
//   h->Cancel();                        // when the RPC is cancelled
//
// Streams (ElevenLabs): the sink gets OnInfo once on a 2xx, then OnChunk for
// each piece as it arrives (return false to pause; resume with
// Handle::ResumeReceive()), then OnDone. An error status's body is parsed,
// never streamed. Uploads: pass the file as a BodySource (a BodyPipe fed by
// the gRPC reader); it is sent inside a streamed multipart body.
//
// A call dropped without completing (its retry timer discarded by a
// stopping scheduler, or its completion by a stopping transport) completes
// with UNAVAILABLE when the last reference to it goes. The engine must
// outlive every call it started. Thread-safe.
#ifndef MEDIAGEN_SERVICE_UPSTREAM_ENGINE_ENGINE_H_
#define MEDIAGEN_SERVICE_UPSTREAM_ENGINE_ENGINE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagen/v1/jobs.pb.h"
#include "service/common/scheduler.h"
#include "service/http/transport.h"
#include "service/upstream/engine/operation.h"
#include "service/upstream/engine/retry_policy.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/route.h"
#include "service/upstream/providers/route_table.h"
#include "service/upstream/providers/validation.h"

namespace mediagen::upstream {

class Engine {
 public:
  // What every call shares (retries, limits, secrets to scrub, the
  // attempt observer: operation.h), and where the providers are.
  struct Options : OperationOptions {
    Endpoints endpoints;
  };

  template <typename T>
  using Done = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;
  using Handle = std::shared_ptr<CallHandle>;

  // `transport` carries the short calls (creates, reads, polls). Uploads
  // and streamed audio go through `long_transport` when one is given, so
  // long transfers, which hold a connection as long as their caller keeps
  // them going, never take the connections short calls need. All must
  // outlive the engine.
  Engine(Options options, http::HttpTransport* transport, Scheduler* scheduler,
         http::HttpTransport* long_transport = nullptr);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const Options& options() const { return options_; }

  // A unary RPC of the route table, by its request type:
  //   engine.Call(ctx, reframe_video_request,
  //               [](absl::StatusOr<v1::ReframeVideoResponse> r) { ... });
  template <typename Req>
  Handle Call(const CallContext& ctx, const Req& request,
              Done<ResponseOf<Req>> done);

  // An upload of the route table (UploadVideo, UploadAudio), by its
  // metadata type; `file` is sent inside a streamed multipart body, and
  // sent again only if the first attempt never read from it.
  template <typename Meta>
  Handle Upload(const CallContext& ctx, const Meta& metadata,
                std::shared_ptr<http::BodySource> file,
                Done<ResponseOf<Meta>> done);

  // Streamed audio of the route table (the ElevenLabs RPCs). Never repeated
  // once the request may have left (each call is billed).
  template <typename Req>
  Handle Stream(const CallContext& ctx, const Req& request,
                std::shared_ptr<AudioSink> sink);

  // JobService: reads `media/{id}`, `assets/{id}` or `generations/{id}`
  // from upstream (the GetMedia row, the asset poll path, or the
  // GetGeneration row) as a normalized Job (version 0).
  Handle GetJob(const CallContext& ctx, absl::string_view name,
                Done<v1::Job> done);

  // What GetJob answers when `name`'s read (its own, or one it shares with
  // the job's watchers) has not ended by the call's deadline: the status a
  // read of its route gets when its own deadline passes (DEADLINE_EXCEEDED,
  // ErrorInfo UPSTREAM_DEADLINE_EXCEEDED with provider and route).
  absl::Status JobReadDeadlineExceeded(absl::string_view name) const;

 private:
  // The translated request of a call, given the tenant's key for the row's
  // provider. Called at most once, before the start method returns.
  using Translate = absl::FunctionRef<absl::StatusOr<UpstreamRequest>(
      const Endpoints& endpoints, absl::string_view key)>;
  // An upload's request around the multipart `body` of one attempt.
  using TranslateUpload = absl::AnyInvocable<UpstreamRequest(
      const Endpoints& endpoints, const Route& route, absl::string_view key,
      std::shared_ptr<http::BodySource> body,
      absl::string_view body_content_type)>;

  // The typed entry points above, after the table lookup, without types:
  // `valid` is the request's validation; the answer is read by `read` and
  // delivered by `done`, or the error given to `done`.
  Handle StartCall(const CallContext& ctx, absl::Status valid,
                   v1::Provider provider, Translate translate,
                   UnaryOperation::ReadAnswer read,
                   UnaryOperation::Completion done);
  Handle StartUpload(const CallContext& ctx, absl::Status valid, Route route,
                     absl::string_view file_field, std::string file_name,
                     std::string content_type,
                     std::shared_ptr<http::BodySource> file,
                     TranslateUpload translate, UnaryOperation::ReadAnswer read,
                     UnaryOperation::Completion done);
  Handle StartStream(const CallContext& ctx, absl::Status valid,
                     v1::Provider provider, Translate translate,
                     std::string output_format,
                     std::shared_ptr<AudioSink> sink);

  // `read` as a ReadAnswer that keeps the response in `answer`, and `done`
  // as the Completion that hands it over.
  template <typename Resp>
  static UnaryOperation::ReadAnswer ReadInto(std::shared_ptr<Resp> answer,
                                             AnswerReader<Resp> read);
  template <typename Resp>
  static UnaryOperation::Completion Deliver(std::shared_ptr<Resp> answer,
                                            Done<Resp> done);

  const Options options_;
  http::HttpTransport* const transport_;
  http::HttpTransport* const long_transport_;
  Scheduler* const scheduler_;
};

// ---- Implementation of the templates ----

template <typename Resp>
UnaryOperation::ReadAnswer Engine::ReadInto(std::shared_ptr<Resp> answer,
                                            AnswerReader<Resp> read) {
  return [answer = std::move(answer), read = std::move(read)](
             const http::HttpResponse& response) mutable -> absl::Status {
    absl::StatusOr<Resp> parsed = read(response);
    if (!parsed.ok()) return parsed.status();
    *answer = *std::move(parsed);
    return absl::OkStatus();
  };
}

template <typename Resp>
UnaryOperation::Completion Engine::Deliver(std::shared_ptr<Resp> answer,
                                           Done<Resp> done) {
  return [answer = std::move(answer),
          done = std::move(done)](absl::Status status) mutable {
    if (status.ok()) {
      std::move(done)(std::move(*answer));
    } else {
      std::move(done)(std::move(status));
    }
  };
}

template <typename Req>
Engine::Handle Engine::Call(const CallContext& ctx, const Req& request,
                            Done<ResponseOf<Req>> done) {
  using Resp = ResponseOf<Req>;
  const UnaryRoute<Req, Resp>& row = RouteFor<Req>();
  auto answer = std::make_shared<Resp>();
  return StartCall(
      ctx, Validate(request), row.route.provider,
      [&request](const Endpoints& endpoints, absl::string_view key) {
        const auto& row = RouteFor<Req>();
        return row.translate(endpoints, row.route.ToRoute(), key, request);
      },
      ReadInto(answer, row.answer(request)), Deliver(answer, std::move(done)));
}

template <typename Meta>
Engine::Handle Engine::Upload(const CallContext& ctx, const Meta& metadata,
                              std::shared_ptr<http::BodySource> file,
                              Done<ResponseOf<Meta>> done) {
  using Resp = ResponseOf<Meta>;
  const UploadRoute<Meta, Resp>& row = RouteFor<Meta>();
  auto answer = std::make_shared<Resp>();
  return StartUpload(
      ctx, Validate(metadata), row.route.ToRoute(), row.file_field,
      metadata.file_name(), metadata.content_type(), std::move(file),
      [metadata](const Endpoints& endpoints, const Route& route,
                 absl::string_view key, std::shared_ptr<http::BodySource> body,
                 absl::string_view body_content_type) {
        return RouteFor<Meta>().translate(endpoints, route, key, metadata,
                                          std::move(body), body_content_type);
      },
      ReadInto(answer, row.answer(metadata)), Deliver(answer, std::move(done)));
}

template <typename Req>
Engine::Handle Engine::Stream(const CallContext& ctx, const Req& request,
                              std::shared_ptr<AudioSink> sink) {
  const AudioRoute<Req>& row = RouteFor<Req>();
  return StartStream(
      ctx, Validate(request), row.route.provider,
      [&request](const Endpoints& endpoints, absl::string_view key) {
        const auto& row = RouteFor<Req>();
        return row.translate(endpoints, row.route.ToRoute(), key, request);
      },
      row.output_format(request), std::move(sink));
}

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_ENGINE_ENGINE_H_
