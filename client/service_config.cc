#include "client/service_config.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace mediagen::client {
namespace {

constexpr char kPublished[] =
#include "client/service_config_json.inc"
    ;

// gRPC JSON durations are decimal seconds with an `s` suffix.
absl::StatusOr<absl::Duration> ParseDuration(const nlohmann::json& value,
                                             absl::string_view field) {
  if (!value.is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retryPolicy.", field, ": expected a string like \"0.2s\""));
  }
  std::string text = value.get<std::string>();
  double seconds = 0;
  if (!absl::EndsWith(text, "s") ||
      !absl::SimpleAtod(absl::string_view(text).substr(0, text.size() - 1),
                        &seconds) ||
      !(seconds >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("retryPolicy.", field, ": \"", text,
                     "\" is not a duration like \"0.2s\""));
  }
  return absl::Seconds(seconds);
}

// `object[key]`, or null when absent.
const nlohmann::json& Field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json* const kNull = new nlohmann::json();
  auto it = object.find(key);
  return it == object.end() ? *kNull : *it;
}

}  // namespace

absl::string_view PublishedServiceConfig() { return kPublished; }

absl::Duration RetryPolicy::BackoffCap(int attempt) const {
  if (attempt < 2) return absl::ZeroDuration();
  absl::Duration cap =
      initial_backoff * std::pow(backoff_multiplier, attempt - 2);
  return std::min(cap, max_backoff);
}

absl::StatusOr<RetryPolicy> ParseRetryPolicy(
    absl::string_view service_config_json) {
  nlohmann::json config = nlohmann::json::parse(
      service_config_json.begin(), service_config_json.end(), nullptr,
      /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    return absl::InvalidArgumentError("service config is not a JSON object");
  }
  auto method_configs = config.find("methodConfig");
  if (method_configs == config.end() || !method_configs->is_array()) {
    return absl::InvalidArgumentError(
        "service config has no methodConfig list");
  }
  for (const nlohmann::json& method_config : *method_configs) {
    if (!method_config.is_object()) continue;
    auto policy_json = method_config.find("retryPolicy");
    if (policy_json == method_config.end()) continue;
    if (!policy_json->is_object()) {
      return absl::InvalidArgumentError("retryPolicy is not an object");
    }
    RetryPolicy policy;
    auto attempts = policy_json->find("maxAttempts");
    if (attempts == policy_json->end() || !attempts->is_number_integer() ||
        attempts->get<int>() < 2) {
      return absl::InvalidArgumentError(
          "retryPolicy.maxAttempts: expected an integer of at least 2");
    }
    policy.max_attempts = attempts->get<int>();
    auto initial =
        ParseDuration(Field(*policy_json, "initialBackoff"), "initialBackoff");
    if (!initial.ok()) return initial.status();
    auto max = ParseDuration(Field(*policy_json, "maxBackoff"), "maxBackoff");
    if (!max.ok()) return max.status();
    auto multiplier = policy_json->find("backoffMultiplier");
    if (multiplier == policy_json->end() || !multiplier->is_number() ||
        multiplier->get<double>() <= 0) {
      return absl::InvalidArgumentError(
          "retryPolicy.backoffMultiplier: expected a number above 0");
    }
    policy.initial_backoff = *initial;
    policy.max_backoff = *max;
    policy.backoff_multiplier = multiplier->get<double>();
    return policy;
  }
  return absl::NotFoundError("service config has no retryPolicy");
}

const RetryPolicy& PublishedRetryPolicy() {
  static const RetryPolicy* const policy = [] {
    absl::StatusOr<RetryPolicy> parsed =
        ParseRetryPolicy(PublishedServiceConfig());
    return new RetryPolicy(parsed.ok() ? *parsed : RetryPolicy());
  }();
  return *policy;
}

}  // namespace mediagen::client
