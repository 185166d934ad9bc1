#include "service/api/job_slots.h"

#include <utility>

#include "mediagen/v1/common.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "service/upstream/providers/job_state.h"

namespace mediagen::api {

absl::StatusOr<std::unique_ptr<quota::JobSlot>> ReserveJobSlot(
    const ApiContext& api, const ResolvedCall& call) {
  if (api.quota == nullptr) return std::unique_ptr<quota::JobSlot>();
  return api.quota->ReserveJob(call.tenant->name, call.tenant->limits);
}

std::optional<v1::Job> JobOfResponse(
    const google::protobuf::Message& response) {
  const google::protobuf::Descriptor* d = response.GetDescriptor();
  const google::protobuf::Reflection* r = response.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->is_repeated() ||
        f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
        !r->HasField(response, f)) {
      continue;
    }
    const google::protobuf::Message& m = r->GetMessage(response, f);
    if (const auto* media = dynamic_cast<const v1::Media*>(&m)) {
      return upstream::JobFromMedia(*media);
    }
    if (const auto* asset = dynamic_cast<const v1::Asset*>(&m)) {
      return upstream::JobFromAsset(*asset);
    }
    if (const auto* generation = dynamic_cast<const v1::Generation*>(&m)) {
      return upstream::JobFromGeneration(*generation);
    }
  }
  return std::nullopt;
}

void HoldForJob(std::unique_ptr<quota::JobSlot> slot,
                const google::protobuf::Message& response) {
  if (slot == nullptr) return;
  std::optional<v1::Job> job = JobOfResponse(response);
  if (!job.has_value() || job->name().empty() ||
      upstream::IsTerminal(job->state())) {
    return;  // `slot` goes: the place is free
  }
  slot->Hold(job->name());
}

void NoteJobRead(quota::QuotaStore* quota, const std::string& tenant,
                 const std::string& name, const absl::StatusOr<v1::Job>& job) {
  if (quota == nullptr) return;
  if ((job.ok() && upstream::IsTerminal(job->state())) ||
      job.status().code() == absl::StatusCode::kNotFound) {
    quota->JobEnded(tenant, name);
  }
}

}  // namespace mediagen::api
