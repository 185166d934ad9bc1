#include "tests/emulator/connections.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <functional>
#include <vector>

namespace mediagen::emulator {
namespace {

int PortOf(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  }
  return -1;
}

}  // namespace

void ForEachConnection(int local_port, int remote_port,
                       const std::function<void(int fd)>& fn) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  std::vector<int> fds;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && fd > 2)
      fds.push_back(static_cast<int>(fd));
  }
  closedir(dir);
  for (int fd : fds) {
    sockaddr_storage local{}, peer{};
    socklen_t len = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0)
      continue;
    if (PortOf(local) != local_port) continue;
    len = sizeof(peer);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0)
      continue;
    if (remote_port >= 0 && PortOf(peer) != remote_port) continue;
    fn(fd);
  }
}

// Aborts the connection with a RST now. connect(AF_UNSPEC) makes Linux
// disconnect the TCP socket (tcp_disconnect sends the RST) while the fd
// stays valid, so httplib's own shutdown and close later are harmless.
void AbortConnection(int local_port, int remote_port) {
  ForEachConnection(local_port, remote_port, [](int fd) {
    linger l{};
    l.l_onoff = 1;
    l.l_linger = 0;
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    connect(fd, &unspec, sizeof(unspec));
  });
}

}  // namespace mediagen::emulator
