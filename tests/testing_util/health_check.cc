#include "tests/testing_util/health_check.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/generic/generic_stub.h"

namespace mediagen::testing {
namespace {

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const auto& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, ServingStatus s) {
  switch (s) {
    case ServingStatus::kUnknown:
      return os << "UNKNOWN";
    case ServingStatus::kServing:
      return os << "SERVING";
    case ServingStatus::kNotServing:
      return os << "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return os << "SERVICE_UNKNOWN";
  }
  return os << "ServingStatus(" << static_cast<int>(s) << ")";
}

absl::StatusOr<ServingStatus> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
    absl::Duration deadline) {
  if (service.size() > 127) {
    // One length byte is all this encoder writes.
    return absl::InvalidArgumentError("service name too long");
  }
  // HealthCheckRequest{service = 1}: tag, length, bytes.
  const std::string req =
      "\x0a" + std::string(1, static_cast<char>(service.size())) + service;
  grpc::Slice slice(req);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   absl::ToChronoNanoseconds(deadline));
  std::mutex mu;
  std::condition_variable cv;
  std::optional<grpc::Status> status;
  grpc::GenericStub stub(channel);
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response, [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = std::move(s);
                   cv.notify_all();
                 });
  {
    // The deadline ends the call, so the callback always runs; the locals
    // it uses must outlive it.
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return status.has_value(); });
  }
  if (!status->ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status->error_code()),
                        status->error_message());
  }
  // HealthCheckResponse{status = 1}: empty for UNKNOWN (proto3 leaves the
  // default out), else the tag and one varint byte.
  const std::string bytes = Bytes(response);
  if (bytes.empty()) return ServingStatus::kUnknown;
  if (bytes.size() == 2 && bytes[0] == '\x08' &&
      static_cast<unsigned char>(bytes[1]) <= 3) {
    return static_cast<ServingStatus>(bytes[1]);
  }
  return absl::InternalError(absl::StrCat("not a HealthCheckResponse: \"",
                                          absl::CHexEscape(bytes), "\""));
}

}  // namespace mediagen::testing
