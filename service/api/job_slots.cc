#include "service/api/job_slots.h"

#include <utility>

#include "mediagen/v1/common.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "service/http/transport.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/job_state.h"

namespace mediagen::api {

void ReserveForCreate(const ApiContext& api, const ResolvedCall& call,
                      std::optional<quota::Cost> cost, bool takes_place,
                      quota::QuotaStore::ReserveDone done) {
  if (api.quota == nullptr) {
    std::move(done)(std::unique_ptr<quota::Reservation>());
    return;
  }
  api.quota->Reserve(
      {call.tenant->name, call.tenant->limits, takes_place, std::move(cost)},
      std::move(done));
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

namespace {

std::optional<double> CreditsOf(const std::optional<v1::Job>& job) {
  if (job.has_value() && job->has_credits()) return job->credits();
  return std::nullopt;
}

}  // namespace

std::optional<double> ReportedCost(const google::protobuf::Message& response) {
  return CreditsOf(JobOfResponse(response));
}

void SettleCreate(std::unique_ptr<quota::Reservation> reservation,
                  const google::protobuf::Message& response,
                  quota::Reservation::Recorded answer) {
  if (reservation == nullptr) return std::move(answer)();
  const std::optional<v1::Job> job = JobOfResponse(response);
  reservation->Settle(CreditsOf(job));
  if (!job.has_value() || job->name().empty() ||
      upstream::IsTerminal(job->state())) {
    return std::move(answer)();  // `reservation` goes: the place is free
  }
  reservation->Hold(job->name(), std::move(answer));
}

void SettleFailedCreate(std::unique_ptr<quota::Reservation> reservation,
                        const absl::Status& status) {
  if (reservation == nullptr) return;
  if (!http::RequestNotSent(status) && !upstream::UpstreamRefused(status)) {
    reservation->Settle(std::nullopt);  // it may have been charged
  }
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
