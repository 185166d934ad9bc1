// Quotas on the handlers' side of a create: its place among the tenant's
// jobs in flight and its cost against the tenant's budgets are reserved
// before it goes upstream; its answer settles the cost (what upstream
// reported, or the estimate) and holds the place while the job it made
// runs; a read that sees the job end (a poll, a watch, a webhook's re-read,
// GetJob) frees the place.
//
//   ReserveForCreate(api, call, quota::Cost{"vimmerse", "credits", 20},
//       [](absl::StatusOr<std::unique_ptr<quota::Reservation>> r) {
//         if (!r.ok()) return Finish(r.status());   // RESOURCE_EXHAUSTED
//         ... upstream answers ...
//         SettleCreate(*std::move(r), response);    // media/m1 still running
//       });
//   ...
//   NoteJobRead(api.quota, tenant, "media/m1", job);  // succeeded: freed
#ifndef MEDIAGEN_SERVICE_API_JOB_SLOTS_H_
#define MEDIAGEN_SERVICE_API_JOB_SLOTS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "mediagen/v1/jobs.pb.h"
#include "service/api/api_context.h"
#include "service/quota/quota_store.h"

namespace mediagen::api {

// Reserves a create's place among the caller's jobs in flight (when
// `takes_place`) and its estimated `cost`. `done` gets the reservation
// (null when no quota store is configured) or the refusal
// (RESOURCE_EXHAUSTED with QuotaFailure; UNAVAILABLE when a shared store is
// down). It may run before this returns, or on another thread.
void ReserveForCreate(const ApiContext& api, const ResolvedCall& call,
                      std::optional<quota::Cost> cost, bool takes_place,
                      quota::QuotaStore::ReserveDone done);

// The Job view of a create's response: of the Media, Asset or Generation
// it holds; nullopt when it holds none.
std::optional<v1::Job> JobOfResponse(const google::protobuf::Message& response);

// What upstream reported that a create's `response` cost, in the unit of
// its provider: an asset's `credits`, a generation's `credits_used`;
// nullopt when it reports nothing (the estimate then stands).
std::optional<double> ReportedCost(const google::protobuf::Message& response);

// A create succeeded with `response`: its cost is settled (ReportedCost,
// else the estimate) and its job keeps the place while it has not ended. A
// job that ended already (a synchronous call, an upload) or a response
// without a job frees the place. `answer` (which answers the caller) runs
// once the job's place is recorded in the store (Reservation::Hold): at
// once without a place to hold, else possibly on the store's thread, so
// it must not block.
void SettleCreate(std::unique_ptr<quota::Reservation> reservation,
                  const google::protobuf::Message& response,
                  quota::Reservation::Recorded answer);

// A create failed with `status`: when upstream provably spent nothing
// (never sent, or refused with a 4xx) the reserved cost is released;
// otherwise (a 5xx, a timeout) the estimate stands. The place is freed.
void SettleFailedCreate(std::unique_ptr<quota::Reservation> reservation,
                        const absl::Status& status);

// A read of job `name` answered `job`: a terminal state, or NOT_FOUND,
// frees the job's place. `quota` may be null.
void NoteJobRead(quota::QuotaStore* quota, const std::string& tenant,
                 const std::string& name, const absl::StatusOr<v1::Job>& job);

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_JOB_SLOTS_H_
