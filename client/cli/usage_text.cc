#include "client/cli/usage_text.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace mediagen::cli {
namespace {

// Credits may be fractional; most amounts are whole: "18", "0.25".
std::string Amount(double v) {
  if (std::isfinite(v) && std::fabs(v) < 1e15 && v == std::floor(v)) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  std::string s = absl::StrFormat("%.4f", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// "vimmerse" from PROVIDER_VIMMERSE.
std::string ProviderName(v1::Provider p) {
  return absl::AsciiStrToLower(
      absl::StripPrefix(v1::Provider_Name(p), "PROVIDER_"));
}

std::string PeriodName(v1::BudgetPeriod p) {
  switch (p) {
    case v1::BUDGET_PERIOD_DAY:
      return "day";
    case v1::BUDGET_PERIOD_MONTH:
      return "month";
    default:
      return "period";
  }
}

std::string Row(absl::string_view label, absl::string_view value) {
  return absl::StrFormat("%-15s %s\n", label, value);
}

}  // namespace

std::string UsageText(const v1::GetUsageResponse& u) {
  const v1::TenantLimits& l = u.limits();
  std::string out = absl::StrCat("tenant ", u.tenant(), "\n");
  out += Row("rate", l.has_requests_per_second()
                         ? absl::StrCat(Amount(l.requests_per_second()),
                                        " requests/s, burst ", l.burst())
                         : "unlimited");
  out += Row("jobs in flight",
             l.has_concurrent_jobs()
                 ? absl::StrCat(u.jobs_in_flight(), " of at most ",
                                l.concurrent_jobs())
                 : absl::StrCat(u.jobs_in_flight(), " (unlimited)"));
  if (u.providers().empty()) out += Row("spend", "none, no budgets");
  for (const v1::ProviderUsage& p : u.providers()) {
    out += Row(ProviderName(p.provider()),
               absl::StrCat(Amount(p.spent_day()), " ", p.unit(), " today, ",
                            Amount(p.spent_month()), " this month, ",
                            Amount(p.reserved()), " reserved"));
    for (const v1::BudgetUsage& b : p.budgets()) {
      const absl::Time reset = absl::FromUnixSeconds(b.reset_time().seconds());
      out += Row(absl::StrCat("  ", PeriodName(b.period()), " budget"),
                 absl::StrCat(Amount(b.amount()), " ", p.unit(), ": ",
                              Amount(b.remaining()), " left, resets ",
                              absl::FormatTime("%Y-%m-%d %H:%M UTC", reset,
                                               absl::UTCTimeZone())));
    }
  }
  return out;
}

std::string UsageMessageText(const google::protobuf::Message& response) {
  if (response.GetDescriptor() != v1::GetUsageResponse::descriptor()) {
    return "";
  }
  return UsageText(static_cast<const v1::GetUsageResponse&>(response));
}

}  // namespace mediagen::cli
