#include "client/status.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"

namespace mediagen::client {
namespace {

// Violations shown in the one-line description; the rest are counted.
constexpr int kMaxViolationsShown = 3;

std::string CodeName(absl::StatusCode code) {
  // absl spells codes "FAILED_PRECONDITION"-style already, like grpc.
  return absl::StatusCodeToString(code);
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  return rpc::FromGrpcStatus(status);
}

std::string DescribeError(const absl::Status& status) {
  if (status.ok()) return "OK";
  std::string out = CodeName(status.code());
  if (std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status)) {
    if (!info->reason().empty()) absl::StrAppend(&out, " ", info->reason());
    std::vector<std::string> where;
    const auto& meta = info->metadata();
    if (auto it = meta.find("provider"); it != meta.end()) {
      where.push_back(it->second);
    }
    if (auto it = meta.find("http_status"); it != meta.end()) {
      where.push_back(absl::StrCat("HTTP ", it->second));
    }
    if (auto it = meta.find("upstream_request_id");
        it != meta.end() && !it->second.empty()) {
      where.push_back(absl::StrCat("upstream request ", it->second));
    }
    if (!where.empty())
      absl::StrAppend(&out, " (", absl::StrJoin(where, ", "), ")");
  }
  absl::StrAppend(&out, ": ", status.message());
  if (std::optional<google::rpc::BadRequest> bad = GetBadRequest(status)) {
    std::vector<std::string> shown;
    for (const auto& v : bad->field_violations()) {
      if (static_cast<int>(shown.size()) == kMaxViolationsShown) break;
      shown.push_back(absl::StrCat(v.field(), ": ", v.description()));
    }
    if (!shown.empty()) {
      absl::StrAppend(&out, " [", absl::StrJoin(shown, "; "));
      const int more = bad->field_violations_size() - kMaxViolationsShown;
      if (more > 0) absl::StrAppend(&out, "; ", more, " more");
      absl::StrAppend(&out, "]");
    }
  }
  if (std::optional<google::rpc::QuotaFailure> quota =
          GetQuotaFailure(status)) {
    std::vector<std::string> shown;
    for (const auto& v : quota->violations()) {
      shown.push_back(absl::StrCat(v.subject(), ": ", v.description()));
    }
    if (!shown.empty())
      absl::StrAppend(&out, " [", absl::StrJoin(shown, "; "), "]");
    // Only for a quota refusal: its RetryInfo is exact (the next token, the
    // end of a period), so it is worth showing; rounded up (to the second
    // past one second, else to the millisecond) so that waiting what is
    // shown is enough.
    if (std::optional<absl::Duration> delay = RetryDelay(status)) {
      const absl::Duration unit = *delay >= absl::Seconds(1)
                                      ? absl::Seconds(1)
                                      : absl::Milliseconds(1);
      absl::StrAppend(&out, " (retry in ",
                      absl::FormatDuration(absl::Ceil(*delay, unit)), ")");
    }
  }
  return OneLine(std::move(out));
}

}  // namespace mediagen::client
