// UsageService on the gRPC callback API (proto/mediagen/v1/usage.proto):
// the calling tenant's limits and its counters in the quota store. A read
// of mediagen's own state: authenticated and rate-counted like every RPC
// (ResolveCall), nothing sent upstream, and only ever the caller's tenant.
//
//   UsageServiceImpl usage(api);             // api.quota: the server's store
//   builder.RegisterService(&usage);
//
//   // The answer, from a tenant and its counters (what the handler sends):
//   v1::GetUsageResponse r = UsageResponse(*tenant, usage, clock.Now());
#ifndef MEDIAGEN_SERVICE_API_USAGE_SERVICE_H_
#define MEDIAGEN_SERVICE_API_USAGE_SERVICE_H_

#include "absl/time/time.h"
#include "mediagen/v1/usage.grpc.pb.h"
#include "service/api/api_context.h"
#include "service/auth/tenant_directory.h"
#include "service/common/clock.h"
#include "service/quota/quota_store.h"

namespace mediagen::api {

class UsageServiceImpl : public v1::UsageService::CallbackService {
 public:
  // `clock` (which must outlive the service) dates the budgets' reset
  // times; it should be the quota store's, so that both agree on which
  // day and month it is.
  explicit UsageServiceImpl(ApiContext api, const Clock* clock = &SystemClock())
      : api_(std::move(api)), clock_(clock) {}

  grpc::ServerUnaryReactor* GetUsage(grpc::CallbackServerContext* ctx,
                                     const v1::GetUsageRequest* req,
                                     v1::GetUsageResponse* resp) override;

 private:
  const ApiContext api_;
  const Clock* clock_;
};

// The answer for `tenant` whose counters are `usage`, as of `now`: its
// limits, jobs in flight, and per provider the spend, with each of its
// budgets' spent amount in the current period, remaining amount and the
// end of the period (reset_time). A budgeted provider the store did not
// report appears with zero spend.
v1::GetUsageResponse UsageResponse(const auth::Tenant& tenant,
                                   const quota::Usage& usage, absl::Time now);

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_USAGE_SERVICE_H_
