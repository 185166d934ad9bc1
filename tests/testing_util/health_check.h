// grpc.health.v1.Health/Check as a raw call: Debian's C++ headers have no
// grpc.health.v1 stubs, and the messages are a string and an enum, two
// bytes each way on the wire.
//
//   EXPECT_THAT(CheckHealth(server->channel(), "mediagen.v1.JobService"),
//               IsOkAndHolds(ServingStatus::kServing));
//   EXPECT_THAT(CheckHealth(channel, "", absl::Seconds(10)),
//               IsOkAndHolds(ServingStatus::kNotServing));
#ifndef MEDIAGEN_TESTS_TESTING_UTIL_HEALTH_CHECK_H_
#define MEDIAGEN_TESTS_TESTING_UTIL_HEALTH_CHECK_H_

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace mediagen::testing {

// HealthCheckResponse.ServingStatus, with the proto's numbers.
enum class ServingStatus {
  kUnknown = 0,
  kServing = 1,
  kNotServing = 2,
  kServiceUnknown = 3,
};

std::ostream& operator<<(std::ostream& os, ServingStatus s);

// The status the server reports for `service` ("" is the whole server), or
// the call's error (the server answers NOT_FOUND for a service it does not
// know), or INTERNAL when the answer is not a HealthCheckResponse. Waits
// until the answer or `deadline`.
absl::StatusOr<ServingStatus> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
    absl::Duration deadline = absl::Seconds(5));

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_TESTING_UTIL_HEALTH_CHECK_H_
