#include "service/http/transport.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"

namespace mediagen::http {
namespace {

// An absl::Status payload; its presence is the whole message.
constexpr absl::string_view kNotSentPayload = "mediagen.internal/request-not-sent";

}  // namespace

std::optional<std::string> FindHeader(const Headers& headers,
                                      absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

bool RequestNotSent(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kNotSentPayload).has_value();
}

absl::Status MarkNotSent(absl::Status status) {
  if (!status.ok()) status.SetPayload(kNotSentPayload, absl::Cord("1"));
  return status;
}

}  // namespace mediagen::http
