#include "service/api/call_record.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "service/common/mutex.h"
#include "service/upstream/providers/endpoints.h"

namespace mediagen::api {
namespace {

std::string NameField(const google::protobuf::Message& m) {
  const google::protobuf::FieldDescriptor* f =
      m.GetDescriptor()->FindFieldByName("name");
  if (f == nullptr || f->is_repeated() ||
      f->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
    return "";
  }
  return m.GetReflection()->GetString(m, f);
}

}  // namespace

std::string StatusCodeLabel(absl::StatusCode code) {
  return absl::AsciiStrToLower(absl::StatusCodeToString(code));
}

CallRecord::CallRecord(std::string method, telemetry::TraceContext trace,
                       std::string request_id, Sinks sinks)
    : method_(std::move(method)),
      trace_(std::move(trace)),
      request_id_(std::move(request_id)),
      sinks_(sinks) {}

void CallRecord::SetTenant(std::string tenant) {
  MutexLock lock(&mu_);
  s_.tenant = std::move(tenant);
}

void CallRecord::SetJob(std::string name) {
  MutexLock lock(&mu_);
  s_.job = std::move(name);
}

void CallRecord::NoteResource(const google::protobuf::Message& message) {
  std::string name = NameField(message);
  if (name.empty()) {
    const google::protobuf::Descriptor* d = message.GetDescriptor();
    const google::protobuf::Reflection* r = message.GetReflection();
    for (int i = 0; i < d->field_count() && name.empty(); ++i) {
      const google::protobuf::FieldDescriptor* f = d->field(i);
      if (f->is_repeated() ||
          f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
          !r->HasField(message, f)) {
        continue;
      }
      name = NameField(r->GetMessage(message, f));
    }
  }
  if (!name.empty()) SetJob(std::move(name));
}

void CallRecord::AddStreamBytes(Direction direction, uint64_t n) {
  telemetry::Counter* counter = nullptr;
  {
    MutexLock lock(&mu_);
    (direction == kUp ? s_.bytes_up : s_.bytes_down) += n;
    if (sinks_.bytes != nullptr && bytes_counters_[direction] == nullptr) {
      bytes_counters_[direction] =
          sinks_.bytes->With({method_, direction == kUp ? "up" : "down"});
    }
    counter = bytes_counters_[direction];
  }
  if (counter != nullptr) counter->Increment(n);
}

double RoundedMillis(absl::Duration d) {
  return std::round(absl::ToDoubleMilliseconds(d) * 1000) / 1000;
}

void CallRecord::OnAttempt(const upstream::AttemptReport& report) {
  {
    MutexLock lock(&mu_);
    ++s_.attempts;
    s_.upstream_status = report.http_status;
    s_.upstream_error =
        report.http_status == 0 ? StatusCodeLabel(report.transport_code) : "";
    if (!report.upstream_request_id.empty()) {
      s_.upstream_request_id = report.upstream_request_id;
    }
  }
  if (sinks_.log == nullptr) return;
  // Warnings are for what an operator acts on: upstream down or slow
  // (transport errors, 5xx), rate limits, and our keys being refused. A
  // 404 or 400 is the caller's business and shows in its rpc line.
  const int st = report.http_status;
  const bool operator_problem =
      st == 0 || st >= 500 || st == 429 || st == 401 || st == 403;
  const telemetry::LogLevel level = operator_problem
                                        ? telemetry::LogLevel::kWarning
                                        : telemetry::LogLevel::kDebug;
  if (!sinks_.log->Enabled(level)) return;
  telemetry::LogFields f = ContextFields();
  f["provider"] = std::string(upstream::ProviderId(report.route->provider));
  f["route"] = report.route->Label();
  f["attempt"] = report.attempt;
  if (report.http_status != 0) {
    f["upstream_status"] = report.http_status;
  } else {
    f["upstream_error"] = StatusCodeLabel(report.transport_code);
  }
  f["duration_ms"] = RoundedMillis(report.latency);
  if (!report.upstream_request_id.empty()) {
    f["upstream_request_id"] = report.upstream_request_id;
  }
  f["will_retry"] = report.will_retry;
  sinks_.log->Log(level, "upstream attempt", f);
}

CallRecord::Snapshot CallRecord::Take() const {
  MutexLock lock(&mu_);
  return s_;
}

telemetry::LogFields CallRecord::ContextFields() const {
  const Snapshot s = Take();
  telemetry::LogFields f = telemetry::LogFields::object();
  f["method"] = method_;
  if (!s.tenant.empty()) f["tenant"] = s.tenant;
  if (!s.job.empty()) f["job"] = s.job;
  if (!request_id_.empty()) f["request_id"] = request_id_;
  f["trace_id"] = trace_.trace_id;
  f["span_id"] = trace_.span_id;
  return f;
}

void CallTable::Add(const grpc::ServerContextBase* ctx,
                    std::shared_ptr<CallRecord> record) {
  MutexLock lock(&mu_);
  records_[ctx] = std::move(record);
}

void CallTable::Remove(const grpc::ServerContextBase* ctx) {
  std::shared_ptr<CallRecord> gone;
  {
    MutexLock lock(&mu_);
    auto it = records_.find(ctx);
    if (it == records_.end()) return;
    gone = std::move(it->second);
    records_.erase(it);
  }
}

std::shared_ptr<CallRecord> CallTable::Find(
    const grpc::ServerContextBase* ctx) const {
  MutexLock lock(&mu_);
  auto it = records_.find(ctx);
  return it == records_.end() ? nullptr : it->second;
}

size_t CallTable::size() const {
  MutexLock lock(&mu_);
  return records_.size();
}

}  // namespace mediagen::api
