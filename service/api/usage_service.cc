#include "service/api/usage_service.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "google/protobuf/timestamp.pb.h"
#include "service/api/unary_call.h"
#include "service/quota/limits.h"
#include "service/upstream/providers/endpoints.h"

namespace mediagen::api {
namespace {

v1::BudgetPeriod PeriodEnum(quota::Period period) {
  return period == quota::Period::kDay ? v1::BUDGET_PERIOD_DAY
                                       : v1::BUDGET_PERIOD_MONTH;
}

void FillLimits(const quota::Limits& limits, v1::TenantLimits* out) {
  if (limits.requests_per_second.has_value()) {
    out->set_requests_per_second(*limits.requests_per_second);
    out->set_burst(quota::EffectiveBurst(limits));
  }
  if (limits.concurrent_jobs.has_value()) {
    out->set_concurrent_jobs(*limits.concurrent_jobs);
  }
  for (const quota::Budget& b : limits.budgets) {
    v1::Budget* budget = out->add_budgets();
    budget->set_provider(upstream::ProviderFromId(b.provider));
    budget->set_unit(b.unit);
    budget->set_amount(b.amount);
    budget->set_period(PeriodEnum(b.period));
  }
}

}  // namespace

v1::GetUsageResponse UsageResponse(const auth::Tenant& tenant,
                                   const quota::Usage& usage, absl::Time now) {
  v1::GetUsageResponse out;
  out.set_tenant(tenant.name);
  FillLimits(tenant.limits, out.mutable_limits());
  out.set_jobs_in_flight(usage.jobs_in_flight);

  // The store reports every budgeted provider; one it missed (a shared
  // store that has never seen the tenant spend) still shows its budgets,
  // at zero.
  std::vector<quota::Spend> spend = usage.spend;
  for (const quota::Budget& b : tenant.limits.budgets) {
    const bool listed = std::any_of(
        spend.begin(), spend.end(),
        [&](const quota::Spend& s) { return s.provider == b.provider; });
    if (!listed) spend.push_back({b.provider, b.unit, 0, 0, 0});
  }
  std::sort(spend.begin(), spend.end(),
            [](const quota::Spend& a, const quota::Spend& b) {
              return a.provider < b.provider;
            });

  for (const quota::Spend& s : spend) {
    v1::ProviderUsage* p = out.add_providers();
    p->set_provider(upstream::ProviderFromId(s.provider));
    p->set_unit(s.unit);
    p->set_spent_day(s.spent_day);
    p->set_spent_month(s.spent_month);
    p->set_reserved(s.reserved);
    for (const quota::Budget& b : tenant.limits.budgets) {
      if (b.provider != s.provider) continue;
      v1::BudgetUsage* bu = p->add_budgets();
      const double spent =
          b.period == quota::Period::kDay ? s.spent_day : s.spent_month;
      bu->set_period(PeriodEnum(b.period));
      bu->set_amount(b.amount);
      bu->set_spent(spent);
      bu->set_reserved(s.reserved);
      bu->set_remaining(std::max(0.0, b.amount - spent - s.reserved));
      // Period ends are whole UTC seconds (midnights).
      bu->mutable_reset_time()->set_seconds(
          absl::ToUnixSeconds(quota::PeriodEnd(b.period, now)));
    }
  }
  return out;
}

grpc::ServerUnaryReactor* UsageServiceImpl::GetUsage(
    grpc::CallbackServerContext* ctx, const v1::GetUsageRequest* /*req*/,
    v1::GetUsageResponse* resp) {
  auto* reactor = new UnaryReactor(resp);
  std::shared_ptr<UnaryState> state = reactor->state();
  // Authenticates and takes one token of the tenant's rate: a read of
  // usage is a call like any other, so polling it cannot bypass the rate.
  absl::StatusOr<ResolvedCall> call = ResolveCall(api_, ctx);
  if (!call.ok()) {
    state->Finish(call.status(), nullptr);
    return reactor;
  }
  std::shared_ptr<const auth::Tenant> tenant = call->tenant;
  if (api_.quota == nullptr) {  // no counters kept: limits only
    v1::GetUsageResponse out = UsageResponse(*tenant, {}, clock_->Now());
    state->Finish(absl::OkStatus(), &out);
    return reactor;
  }
  // Only the caller's tenant is ever asked for: the request has no tenant.
  const Clock* clock = clock_;
  api_.quota->GetUsage(
      tenant->name, tenant->limits,
      [state, tenant, clock](absl::StatusOr<quota::Usage> usage) {
        if (!usage.ok()) {
          state->Finish(usage.status(), nullptr);
          return;
        }
        v1::GetUsageResponse out = UsageResponse(*tenant, *usage, clock->Now());
        state->Finish(absl::OkStatus(), &out);
      });
  return reactor;
}

}  // namespace mediagen::api
