// Finding and aborting the emulator's own TCP connections. httplib does
// not hand out a connection's socket, so faults that cut a connection
// (and Stop, which must end kept-alive ones) find it by address.
#ifndef MEDIAGEN_TESTS_EMULATOR_CONNECTIONS_H_
#define MEDIAGEN_TESTS_EMULATOR_CONNECTIONS_H_

#include <functional>

namespace mediagen::emulator {

// Calls `fn(fd)` for each connected socket of this process whose local
// port is `local_port` (and peer port `remote_port`, unless -1).
void ForEachConnection(int local_port, int remote_port,
                       const std::function<void(int fd)>& fn);

// Aborts the matching connections with a RST now; their fds stay valid.
void AbortConnection(int local_port, int remote_port);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_CONNECTIONS_H_
