#include "service/server/server_options.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace mediagen::server {

absl::Duration MaxDrainDuration(const ServerOptions& options) {
  return options.drain_delay + options.shutdown_grace +
         options.shutdown_timeout;
}

bool IsLoopbackAddress(absl::string_view host_port) {
  absl::string_view host = host_port;
  absl::ConsumePrefix(&host, "ipv4:");
  absl::ConsumePrefix(&host, "ipv6:");
  if (absl::StartsWith(host, "[")) {
    host = host.substr(1, host.find(']') == absl::string_view::npos
                              ? absl::string_view::npos
                              : host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

}  // namespace mediagen::server
