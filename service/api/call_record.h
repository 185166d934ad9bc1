// CallRecord: what one RPC did beyond what gRPC itself sees, for its log
// line: the tenant, the job it concerned, what upstream answered, and the
// media bytes it streamed. The server's interceptor creates one per call
// (with the trace context and request id taken from metadata) and writes
// the log line when the call ends; handlers fill it in through ResolveCall.
//
//   std::shared_ptr<CallRecord> r = call.record;    // from ResolveCall
//   r->NoteResource(request);                       // "media/m1"
//   ctx.observer = r;                               // upstream attempts
//   r->AddStreamBytes(CallRecord::kUp, chunk.size());
//
// It also logs each upstream attempt: at debug level, or as a warning when
// it failed in a way an operator acts on (no answer, 5xx, 429, 401/403).
// Nothing here ever holds a key, a token or a prompt: only names, codes and
// sizes.
#ifndef MEDIAGEN_SERVICE_API_CALL_RECORD_H_
#define MEDIAGEN_SERVICE_API_CALL_RECORD_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "service/common/mutex.h"
#include "service/telemetry/log.h"
#include "service/telemetry/metrics.h"
#include "service/telemetry/trace_context.h"
#include "service/upstream/engine/engine.h"

namespace mediagen::api {

class CallRecord : public upstream::AttemptObserver {
 public:
  enum Direction { kUp, kDown };

  struct Sinks {
    const telemetry::Logger* log = nullptr;  // null: no attempt lines
    // Live byte counters, labelled {method, direction} (series made on the
    // first bytes, so calls that stream none add none); null: not counted.
    telemetry::Family<telemetry::Counter>* bytes = nullptr;
  };

  // `method`: the full RPC name, or what the work is ("job poll").
  CallRecord(std::string method, telemetry::TraceContext trace,
             std::string request_id, Sinks sinks);
  CallRecord(std::string method, telemetry::TraceContext trace,
             std::string request_id)
      : CallRecord(std::move(method), std::move(trace), std::move(request_id),
                   Sinks()) {}

  const std::string& method() const { return method_; }
  const telemetry::TraceContext& trace() const { return trace_; }
  const std::string& request_id() const { return request_id_; }

  void SetTenant(std::string tenant);
  void SetJob(std::string name);
  // Takes the resource name from `message`: its own `name` field, or the
  // `name` of a message field it holds (a response's `media`, `asset`,
  // `generation` or `job`). Does nothing when there is none.
  void NoteResource(const google::protobuf::Message& message);
  void AddStreamBytes(Direction direction, uint64_t n);

  void OnAttempt(const upstream::AttemptReport& report) override;

  struct Snapshot {
    std::string tenant;
    std::string job;
    int attempts = 0;
    // The last attempt's HTTP status, or its transport error ("" / 0 when
    // no upstream call was made).
    int upstream_status = 0;
    std::string upstream_error;
    std::string upstream_request_id;
    uint64_t bytes_up = 0;
    uint64_t bytes_down = 0;
  };
  Snapshot Take() const;

  // The log fields common to this call's lines: method, tenant, job,
  // request_id, trace_id, span_id.
  telemetry::LogFields ContextFields() const;

 private:
  const std::string method_;
  const telemetry::TraceContext trace_;
  const std::string request_id_;
  const Sinks sinks_;
  mutable Mutex mu_;
  Snapshot s_ ABSL_GUARDED_BY(mu_);
  telemetry::Counter* bytes_counters_[2] ABSL_GUARDED_BY(mu_) = {nullptr,
                                                                 nullptr};
};

// Milliseconds rounded to microseconds, for log lines.
double RoundedMillis(absl::Duration d);

// Finds a call's CallRecord from its ServerContext. The interceptor adds a
// record when a call starts and removes it when the call is gone, so a
// handler can look it up at any time in between. Thread-safe.
class CallTable {
 public:
  void Add(const grpc::ServerContextBase* ctx,
           std::shared_ptr<CallRecord> record);
  void Remove(const grpc::ServerContextBase* ctx);
  std::shared_ptr<CallRecord> Find(const grpc::ServerContextBase* ctx) const;
  size_t size() const;

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<const grpc::ServerContextBase*,
                      std::shared_ptr<CallRecord>>
      records_ ABSL_GUARDED_BY(mu_);
};

// "unavailable", "deadline_exceeded": a transport error as a label value.
std::string StatusCodeLabel(absl::StatusCode code);

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_CALL_RECORD_H_
