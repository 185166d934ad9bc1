#include "service/quota/refusals.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "proto/rpc/error_details.h"

namespace mediagen::quota {
namespace {

absl::Status Refusal(absl::string_view tenant, absl::string_view reason,
                     absl::string_view limit_key, std::string description,
                     std::string message) {
  absl::Status status = absl::ResourceExhaustedError(message);
  google::rpc::QuotaFailure failure;
  google::rpc::QuotaFailure::Violation* v = failure.add_violations();
  v->set_subject(absl::StrCat("tenants/", tenant));
  v->set_description(std::move(description));
  rpc::SetQuotaFailure(&status, failure);
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain("mediagen");
  (*info.mutable_metadata())["tenant"] = std::string(tenant);
  (*info.mutable_metadata())["limit"] = std::string(limit_key);
  rpc::SetErrorInfo(&status, info);
  return status;
}

}  // namespace

absl::Status RateLimited(absl::string_view tenant, const Limits& limits,
                         absl::Duration wait) {
  absl::Status status = Refusal(
      tenant, kRateLimited, "requests_per_second", DescribeRate(limits),
      absl::StrCat("tenant ", tenant,
                   " is over its request rate; nothing was sent upstream"));
  rpc::SetRetryInfo(&status, wait);
  return status;
}

absl::Status ConcurrentJobsExceeded(absl::string_view tenant,
                                    const Limits& limits, int64_t in_flight) {
  return Refusal(
      tenant, kConcurrentJobsExceeded, "concurrent_jobs",
      DescribeConcurrency(limits),
      absl::StrCat("tenant ", tenant, " has ", in_flight,
                   in_flight == 1 ? " job" : " jobs",
                   " in flight, its limit; nothing was sent upstream "
                   "(retry when one has ended)"));
}

absl::Status BudgetExceeded(absl::string_view tenant, const Budget& budget,
                            double committed, double cost,
                            absl::Duration wait) {
  absl::Status status = Refusal(
      tenant, kBudgetExceeded,
      absl::StrCat("budgets.", budget.provider, ".", PeriodName(budget.period)),
      DescribeBudget(budget),
      absl::StrCat("tenant ", tenant, " has ", committed, " of its ",
                   budget.amount, " ", budget.provider, " ", budget.unit,
                   " this ", PeriodName(budget.period),
                   " spent or reserved; this call would cost ", cost,
                   "; nothing was sent upstream"));
  rpc::SetRetryInfo(&status, wait);
  return status;
}

absl::Status StoreUnavailable(absl::string_view detail) {
  absl::Status status = absl::UnavailableError(absl::StrCat(
      "the quota store (Redis) is unreachable, so this create was not sent "
      "(its tenant's limits could not be checked across replicas): ",
      detail));
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(kStoreUnavailable));
  info.set_domain("mediagen");
  rpc::SetErrorInfo(&status, info);
  return status;
}

absl::string_view RefusalReason(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kResourceExhausted) return "";
  if (!rpc::GetQuotaFailure(status).has_value()) return "";
  std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(status);
  if (!info.has_value() || info->domain() != "mediagen") return "";
  if (info->reason() == kRateLimited) return kRateLimited;
  if (info->reason() == kConcurrentJobsExceeded) return kConcurrentJobsExceeded;
  if (info->reason() == kBudgetExceeded) return kBudgetExceeded;
  return "";
}

}  // namespace mediagen::quota
