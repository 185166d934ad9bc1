#include "proto/rpc/error_details.h"

#include <cstdint>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace mediagen::rpc {
namespace {

using ::google::rpc::BadRequest;
using ::google::rpc::ErrorInfo;
using ::google::rpc::QuotaFailure;
using ::google::rpc::RetryInfo;

template <typename T>
std::string TypeUrl() {
  return absl::StrCat(kTypeUrlPrefix, T::descriptor()->full_name());
}

template <typename T>
void SetDetail(absl::Status* status, const T& detail) {
  if (status->ok()) return;
  status->SetPayload(TypeUrl<T>(), absl::Cord(detail.SerializeAsString()));
}

template <typename T>
std::optional<T> GetDetail(const absl::Status& status) {
  auto payload = status.GetPayload(TypeUrl<T>());
  if (!payload.has_value()) return std::nullopt;
  T detail;
  if (!detail.ParseFromString(std::string(*payload))) return std::nullopt;
  return detail;
}

}  // namespace

void SetErrorInfo(absl::Status* status, const ErrorInfo& info) {
  SetDetail(status, info);
}

void SetRetryInfo(absl::Status* status, absl::Duration delay) {
  RetryInfo info;
  if (delay < absl::ZeroDuration()) delay = absl::ZeroDuration();
  const int64_t seconds = absl::IDivDuration(delay, absl::Seconds(1), &delay);
  info.mutable_retry_delay()->set_seconds(seconds);
  info.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(delay)));
  SetDetail(status, info);
}

void SetBadRequest(absl::Status* status, const BadRequest& br) {
  SetDetail(status, br);
}

void SetQuotaFailure(absl::Status* status, const QuotaFailure& failure) {
  SetDetail(status, failure);
}

std::optional<ErrorInfo> GetErrorInfo(const absl::Status& status) {
  return GetDetail<ErrorInfo>(status);
}

std::optional<RetryInfo> GetRetryInfo(const absl::Status& status) {
  return GetDetail<RetryInfo>(status);
}

std::optional<BadRequest> GetBadRequest(const absl::Status& status) {
  return GetDetail<BadRequest>(status);
}

std::optional<QuotaFailure> GetQuotaFailure(const absl::Status& status) {
  return GetDetail<QuotaFailure>(status);
}

std::optional<absl::Duration> RetryDelay(const absl::Status& status) {
  std::optional<RetryInfo> info = GetRetryInfo(status);
  if (!info.has_value()) return std::nullopt;
  return absl::Seconds(info->retry_delay().seconds()) +
         absl::Nanoseconds(info->retry_delay().nanos());
}

}  // namespace mediagen::rpc
