#include "service/server/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace mediagen::server {

absl::StatusOr<FdLimits> RaiseFdLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) {
    return absl::InternalError(absl::StrCat("getrlimit: ", strerror(errno)));
  }
  FdLimits out;
  out.soft_before = r.rlim_cur;
  out.hard = r.rlim_max;
  const uint64_t want = std::min<uint64_t>(r.rlim_max, kMaxUsefulFdLimit);
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < want) {
    r.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) {
      return absl::InternalError(absl::StrCat("setrlimit: ", strerror(errno)));
    }
  }
  out.soft = r.rlim_cur;
  return out;
}

size_t AdminConnectionCap(uint64_t fd_limit, size_t configured) {
  const uint64_t quarter = std::max<uint64_t>(8, fd_limit / 4);
  return static_cast<size_t>(std::min<uint64_t>(configured, quarter));
}

}  // namespace mediagen::server
