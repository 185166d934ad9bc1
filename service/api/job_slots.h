// Jobs in flight per tenant, on the handlers' side: a create reserves its
// place before going upstream, holds it while the job it made runs, and a
// read that sees the job end (a poll, a watch, a webhook's re-read, GetJob)
// frees it.
//
//   absl::StatusOr<std::unique_ptr<quota::JobSlot>> slot =
//       ReserveJobSlot(api, call);                 // RESOURCE_EXHAUSTED?
//   ... upstream answers ...
//   HoldForJob(*std::move(slot), response);        // media/m1 still running
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

// A place among the caller's jobs in flight, or TENANT_CONCURRENT_JOBS_
// EXCEEDED. Null (OK) when no limit applies.
absl::StatusOr<std::unique_ptr<quota::JobSlot>> ReserveJobSlot(
    const ApiContext& api, const ResolvedCall& call);

// The Job view of a create's response: of the Media, Asset or Generation
// it holds; nullopt when it holds none.
std::optional<v1::Job> JobOfResponse(const google::protobuf::Message& response);

// A create succeeded with `response`: its job keeps the place while it has
// not ended. A job that ended already (a synchronous call, an upload) or a
// response without a job frees it.
void HoldForJob(std::unique_ptr<quota::JobSlot> slot,
                const google::protobuf::Message& response);

// A read of job `name` answered `job`: a terminal state, or NOT_FOUND,
// frees the job's place. `quota` may be null.
void NoteJobRead(quota::QuotaStore* quota, const std::string& tenant,
                 const std::string& name, const absl::StatusOr<v1::Job>& job);

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_JOB_SLOTS_H_
