// RunUnary: the whole life of a unary RPC on the callback API, shared by
// every unary handler: authenticate (and the tenant's request rate),
// validate, (for creates with a request_id) idempotency, (for creates) a
// place among the tenant's jobs in flight, the engine call, and exactly one
// Finish.
//
//   grpc::ServerUnaryReactor* CreateMedia(grpc::CallbackServerContext* ctx,
//                                         const v1::CreateMediaRequest* req,
//                                         v1::CreateMediaResponse* resp) {
//     static const UnaryMethod<v1::CreateMediaRequest,
//                              v1::CreateMediaResponse> m{CallKind::kCreate};
//     return RunUnary(api_, ctx, req, resp, m);
//   }
//
// The engine call and the RPC's name come from the request type's row of
// the route table (upstream/providers/route_table.h).
//
// No thread waits: the reactor returns at once and the engine's completion
// (on a transport thread) finishes the RPC.
#ifndef MEDIAGEN_SERVICE_API_UNARY_CALL_H_
#define MEDIAGEN_SERVICE_API_UNARY_CALL_H_

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "proto/rpc/grpc_status.h"
#include "service/api/api_context.h"
#include "service/api/cost_estimate.h"
#include "service/api/job_slots.h"
#include "service/common/mutex.h"
#include "service/http/transport.h"
#include "service/idempotency/fingerprint.h"
#include "service/upstream/engine/engine.h"
#include "service/upstream/providers/validation.h"

namespace mediagen::api {

// The part of a unary call that engine and idempotency completions may
// reach after the reactor is gone: they finish through this, and it
// finishes at most once.
class UnaryState {
 public:
  UnaryState(grpc::ServerUnaryReactor* reactor,
             google::protobuf::Message* response)
      : reactor_(reactor), response_(response) {}

  // Copies `response` into the RPC's response when `status` is OK.
  void Finish(const absl::Status& status,
              const google::protobuf::Message* response);
  // Same, from a stored (serialized) response.
  void FinishSerialized(const absl::Status& status, const std::string& bytes);
  // Remembers the engine call, cancelling it at once if the RPC already was.
  void SetHandle(upstream::Engine::Handle handle);
  // The client cancelled or the deadline passed.
  void Cancel();
  // Finish ran (the RPC is answered or cancelled).
  bool finished();

 private:
  // Returns the reactor to finish, or null if already finished.
  grpc::ServerUnaryReactor* Claim();

  Mutex mu_;
  grpc::ServerUnaryReactor* reactor_;
  google::protobuf::Message* response_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  upstream::Engine::Handle handle_ ABSL_GUARDED_BY(mu_);
};

class UnaryReactor : public grpc::ServerUnaryReactor {
 public:
  explicit UnaryReactor(google::protobuf::Message* response)
      : state_(std::make_shared<UnaryState>(this, response)) {}
  const std::shared_ptr<UnaryState>& state() const { return state_; }
  void OnCancel() override { state_->Cancel(); }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<UnaryState> state_;
};

enum class CallKind {
  kRead,    // spends nothing: no idempotency
  kCreate,  // may spend credits: request_id makes it idempotent
};

// What a handler adds to its RPC's row of the route table
// (upstream/providers/route_table.h: the RPC's name, its upstream call).
template <typename Req, typename Resp>
struct UnaryMethod {
  CallKind kind;
  // Optional: adjusts the request sent upstream (not the fingerprint).
  void (*prepare)(const ApiContext&, const ResolvedCall&, Req&) = nullptr;
  // Optional: adjusts the response (before it is stored or sent) and
  // reacts to success.
  void (*on_success)(const ApiContext&, const ResolvedCall&, Resp&) = nullptr;
};

// Idempotency for an outcome: what may have taken effect upstream is
// remembered (errors too); what provably did not (never sent, or refused
// with a 4xx) is forgotten so a retry may go upstream.
void Settle(idempotency::Lease* lease, const absl::Status& status,
            const google::protobuf::Message* response);

// Upstream answered a call sent under `lease` and `quota` (either may be
// null): a running job keeps its place, recorded before the caller hears
// of the job (SettleCreate), a failed create frees it; then the lease is
// settled and `finish(status, response)` (response null on error) answers
// the caller, possibly on the quota store's thread, so it must not block.
template <typename Resp, typename Finish>
void SettleAndAnswer(absl::StatusOr<Resp> result,
                     std::unique_ptr<quota::Reservation> quota,
                     std::unique_ptr<idempotency::Lease> lease, Finish finish) {
  auto answered = std::make_shared<absl::StatusOr<Resp>>(std::move(result));
  auto answer = [answered, lease = std::move(lease),
                 finish = std::move(finish)]() mutable {
    const absl::Status status = answered->status();
    const Resp* response = answered->ok() ? &**answered : nullptr;
    Settle(lease.get(), status, response);
    finish(status, response);
  };
  if (answered->ok()) {
    SettleCreate(std::move(quota), **answered, std::move(answer));
  } else {
    SettleFailedCreate(std::move(quota), answered->status());
    answer();
  }
}

// Whether a request message has a `request_id` field (creates do).
template <typename T, typename = void>
struct HasRequestId : std::false_type {};
template <typename T>
struct HasRequestId<
    T, std::void_t<decltype(std::declval<const T&>().request_id())>>
    : std::true_type {};

template <typename Req, typename Resp>
grpc::ServerUnaryReactor* RunUnary(const ApiContext& api,
                                   grpc::CallbackServerContext* ctx,
                                   const Req* req, Resp* resp,
                                   const UnaryMethod<Req, Resp>& method) {
  auto* reactor = new UnaryReactor(resp);
  std::shared_ptr<UnaryState> state = reactor->state();

  absl::StatusOr<ResolvedCall> call = ResolveCall(api, ctx);
  if (!call.ok()) {
    state->Finish(call.status(), nullptr);
    return reactor;
  }
  call->record->NoteResource(*req);
  // Invalid requests stop here: nothing is sent and no request_id is used up.
  if (absl::Status valid = upstream::Validate(*req); !valid.ok()) {
    state->Finish(valid, nullptr);
    return reactor;
  }

  // What a create is expected to cost (asked of an estimate route only
  // once it is known not to be a duplicate: see EstimateAndReserve below).
  CostPlan cost;
  if constexpr (HasRequestId<Req>::value) {
    if (method.kind == CallKind::kCreate) cost = PlanCostOf(api, *req);
  }

  Req prepared = *req;
  if (method.prepare != nullptr) method.prepare(api, *call, prepared);
  // Sends the request upstream, under `lease` (null without a request_id)
  // and `quota` (a create's place among the tenant's jobs in flight and its
  // reserved cost; null for reads or without a quota store).
  auto send = [state, on_success = method.on_success, &api, resolved = *call,
               prepared = std::move(prepared)](
                  std::unique_ptr<idempotency::Lease> lease,
                  std::unique_ptr<quota::Reservation> quota) mutable {
    if (state->finished()) {  // cancelled while the request_id was claimed
      if (lease) lease->Release(absl::CancelledError("cancelled before sent"));
      return;
    }
    upstream::Engine::Handle handle = api.engine->Call(
        resolved.upstream, prepared,
        [state, lease = std::move(lease), quota = std::move(quota), on_success,
         &api, resolved](absl::StatusOr<Resp> result) mutable {
          if (result.ok() && on_success != nullptr) {
            on_success(api, resolved, *result);
          }
          if (result.ok()) resolved.record->NoteResource(*result);
          SettleAndAnswer(std::move(result), std::move(quota), std::move(lease),
                          [state](const absl::Status& s, const Resp* r) {
                            state->Finish(s, r);
                          });
        });
    state->SetHandle(std::move(handle));
  };

  // A create's place among the tenant's jobs in flight and its cost, taken
  // after request_id deduplication (a duplicate takes none) and before
  // anything is recorded as sent: a refusal is not that request_id's
  // outcome, so a later retry may pass.
  if constexpr (HasRequestId<Req>::value) {
    if (method.kind == CallKind::kCreate && !req->request_id().empty()) {
      const absl::string_view rpc = upstream::RouteFor<Req>().rpc;
      api.idempotency->Begin(
          {call->tenant->name, req->request_id()}, rpc,
          idempotency::Fingerprint(*req), call->upstream.deadline,
          [state, &api, resolved = *call, cost = std::move(cost),
           send = std::move(send)](std::unique_ptr<idempotency::Lease> lease,
                                   idempotency::Outcome answer) mutable {
            if (lease == nullptr) {  // a duplicate, or refused
              state->FinishSerialized(answer.status, answer.response);
              return;
            }
            // A refusal (budget, estimate) is released, not remembered.
            EstimateAndReserve(
                api, resolved, std::move(cost),
                [state, lease = std::move(lease), send = std::move(send)](
                    absl::StatusOr<std::unique_ptr<quota::Reservation>>
                        reserved) mutable {
                  if (!reserved.ok()) {
                    lease->Release(reserved.status());
                    state->Finish(reserved.status(), nullptr);
                    return;
                  }
                  // Recorded as sent before it leaves: see Lease::MarkSent.
                  idempotency::Lease* held = lease.get();
                  held->MarkSent(
                      [state, lease = std::move(lease),
                       quota = *std::move(reserved),
                       send = std::move(send)](absl::Status sent) mutable {
                        if (!sent.ok()) {
                          lease->Release(sent);
                          state->Finish(sent, nullptr);
                          return;
                        }
                        send(std::move(lease), std::move(quota));
                      });
                });
          });
      return reactor;
    }
  }
  if (method.kind == CallKind::kCreate) {
    EstimateAndReserve(api, *call, std::move(cost),
                       [state, send = std::move(send)](
                           absl::StatusOr<std::unique_ptr<quota::Reservation>>
                               reserved) mutable {
                         if (!reserved.ok()) {
                           state->Finish(reserved.status(), nullptr);
                           return;
                         }
                         send(nullptr, *std::move(reserved));
                       });
    return reactor;
  }
  send(nullptr, nullptr);
  return reactor;
}

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_UNARY_CALL_H_
