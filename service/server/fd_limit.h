// The process's open-files limit (RLIMIT_NOFILE): raised at start-up, and
// shared between the admin port and everything else.
//
//   absl::StatusOr<FdLimits> fds = RaiseFdLimit();
//   admin.max_connections =
//       AdminConnectionCap(fds->soft, admin.max_connections);
//
// Many distributions start services with a soft limit of 1024 and a much
// higher hard one; every socket (gRPC connections, upstream connections,
// admin connections) takes one descriptor, and at the limit gRPC can
// neither accept nor reach upstream. The soft limit may be raised to the
// hard one without privileges.
#ifndef MEDIAGEN_SERVICE_SERVER_FD_LIMIT_H_
#define MEDIAGEN_SERVICE_SERVER_FD_LIMIT_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"

namespace mediagen::server {

struct FdLimits {
  uint64_t soft_before = 0;  // the soft limit the process started with
  uint64_t soft = 0;         // the soft limit now
  uint64_t hard = 0;
};

// Above this a soft limit buys nothing here, and the kernel may refuse it
// (fs.nr_open): an unlimited hard limit raises the soft one to this.
inline constexpr uint64_t kMaxUsefulFdLimit = uint64_t{1} << 20;

// Raises the soft limit to the hard one (at most kMaxUsefulFdLimit). Never
// lowers it. On failure the limits stay as they were.
absl::StatusOr<FdLimits> RaiseFdLimit();

// The admin port's connection cap under an open-files limit of `fd_limit`:
// `configured`, but at most a quarter of the limit (at least 8), so gRPC
// and upstream connections keep three quarters whatever the admin port's
// clients do.
size_t AdminConnectionCap(uint64_t fd_limit, size_t configured);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_FD_LIMIT_H_
