#include "service/quota/limits.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace mediagen::quota {
namespace {

absl::Status Bad(absl::string_view where, absl::string_view key,
                 absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("config: `", where, ".", key, "` ", why));
}

// Numbers in the file may be written 50 or 50.0; counts must be whole.
absl::StatusOr<int64_t> WholeNumber(const nlohmann::json& v,
                                    absl::string_view where,
                                    absl::string_view key, int64_t min) {
  if (!v.is_number()) return Bad(where, key, "must be a number");
  const double d = v.get<double>();
  if (d != std::floor(d) || d < static_cast<double>(min) || d > 1e15) {
    return Bad(where, key, absl::StrCat("must be a whole number >= ", min));
  }
  return static_cast<int64_t>(d);
}

absl::StatusOr<Budget> BudgetFromJson(const nlohmann::json& j,
                                      absl::string_view where) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: `", where, "` must be an object"));
  }
  Budget b;
  bool has_provider = false, has_unit = false, has_amount = false,
       has_period = false;
  for (const auto& [key, value] : j.items()) {
    if (key == "provider") {
      if (!value.is_string() ||
          ProviderUnit(value.get<std::string>()).empty()) {
        return Bad(where, key,
                   "must be one of \"vimmerse\", \"elevenlabs\", \"aimlapi\"");
      }
      b.provider = value.get<std::string>();
      has_provider = true;
    } else if (key == "unit") {
      if (!value.is_string()) return Bad(where, key, "must be a string");
      b.unit = value.get<std::string>();
      has_unit = true;
    } else if (key == "amount") {
      if (!value.is_number() || !(value.get<double>() >= 0) ||
          value.get<double>() > 1e15) {
        return Bad(where, key, "must be a number >= 0");
      }
      b.amount = value.get<double>();
      has_amount = true;
    } else if (key == "period") {
      if (value == "day") {
        b.period = Period::kDay;
      } else if (value == "month") {
        b.period = Period::kMonth;
      } else {
        return Bad(where, key, "must be \"day\" or \"month\"");
      }
      has_period = true;
    } else {
      return Bad(where, key, "is not a known setting");
    }
  }
  if (!has_provider) return Bad(where, "provider", "is required");
  if (!has_amount) return Bad(where, "amount", "is required");
  if (!has_period) return Bad(where, "period", "is required");
  const absl::string_view unit = ProviderUnit(b.provider);
  if (!has_unit) return Bad(where, "unit", "is required");
  if (b.unit != unit) {
    return Bad(
        where, "unit",
        absl::StrCat("must be \"", unit, "\": what ", b.provider, " bills in"));
  }
  return b;
}

}  // namespace

absl::string_view PeriodName(Period period) {
  return period == Period::kDay ? "day" : "month";
}

absl::Time PeriodStart(Period period, absl::Time t) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  if (period == Period::kDay) {
    return absl::FromCivil(absl::ToCivilDay(t, utc), utc);
  }
  return absl::FromCivil(absl::ToCivilMonth(t, utc), utc);
}

absl::Time PeriodEnd(Period period, absl::Time t) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  if (period == Period::kDay) {
    return absl::FromCivil(absl::ToCivilDay(t, utc) + 1, utc);
  }
  return absl::FromCivil(absl::ToCivilMonth(t, utc) + 1, utc);
}

std::string PeriodKey(Period period, absl::Time t) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  if (period == Period::kDay) {
    const absl::CivilDay d = absl::ToCivilDay(t, utc);
    return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
  }
  const absl::CivilMonth m = absl::ToCivilMonth(t, utc);
  return absl::StrFormat("%04d-%02d", m.year(), m.month());
}

absl::string_view ProviderUnit(absl::string_view provider) {
  if (provider == "vimmerse" || provider == "aimlapi") return "credits";
  if (provider == "elevenlabs") return "characters";
  return "";
}

std::string DescribeBudget(const Budget& budget) {
  return absl::StrCat("at most ", budget.amount, " ", budget.provider, " ",
                      budget.unit, " per ", PeriodName(budget.period));
}

bool HasBudgetAt(const Limits& limits, absl::string_view provider) {
  return std::any_of(
      limits.budgets.begin(), limits.budgets.end(),
      [provider](const Budget& b) { return b.provider == provider; });
}

int64_t EffectiveBurst(const Limits& limits) {
  if (limits.burst.has_value()) return *limits.burst;
  if (!limits.requests_per_second.has_value()) return 0;
  return std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(*limits.requests_per_second)));
}

std::string DescribeRate(const Limits& limits) {
  if (!limits.requests_per_second.has_value()) return "";
  return absl::StrCat("at most ", *limits.requests_per_second,
                      " requests per second (burst ", EffectiveBurst(limits),
                      ")");
}

std::string DescribeConcurrency(const Limits& limits) {
  if (!limits.concurrent_jobs.has_value()) return "";
  return absl::StrCat("at most ", *limits.concurrent_jobs,
                      *limits.concurrent_jobs == 1 ? " job" : " jobs",
                      " in flight");
}

absl::StatusOr<Limits> LimitsFromJson(const nlohmann::json& j,
                                      absl::string_view where) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: `", where, "` must be an object"));
  }
  Limits limits;
  for (const auto& [key, value] : j.items()) {
    if (key == "requests_per_second") {
      if (!value.is_number() || !(value.get<double>() > 0) ||
          value.get<double>() > 1e9) {
        return Bad(where, key, "must be a number above 0");
      }
      limits.requests_per_second = value.get<double>();
    } else if (key == "burst") {
      absl::StatusOr<int64_t> n = WholeNumber(value, where, key, 1);
      if (!n.ok()) return n.status();
      limits.burst = *n;
    } else if (key == "concurrent_jobs") {
      absl::StatusOr<int64_t> n = WholeNumber(value, where, key, 1);
      if (!n.ok()) return n.status();
      limits.concurrent_jobs = *n;
    } else if (key == "budgets") {
      if (!value.is_array()) return Bad(where, key, "must be an array");
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string at = absl::StrCat(where, ".budgets[", i, "]");
        absl::StatusOr<Budget> b = BudgetFromJson(value[i], at);
        if (!b.ok()) return b.status();
        for (const Budget& other : limits.budgets) {
          if (other.provider == b->provider && other.period == b->period) {
            return absl::InvalidArgumentError(
                absl::StrCat("config: `", at, "` repeats the ", b->provider,
                             " ", PeriodName(b->period), " budget"));
          }
        }
        limits.budgets.push_back(*std::move(b));
      }
    } else {
      return Bad(where, key, "is not a known setting");
    }
  }
  if (limits.burst.has_value() && !limits.requests_per_second.has_value()) {
    return Bad(where, "burst", "needs `requests_per_second`");
  }
  return limits;
}

}  // namespace mediagen::quota
