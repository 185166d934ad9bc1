// ParseRedisUrl: where the Redis of a deployment is, from the one string an
// operator writes in the config file or a flag.
//
//   absl::StatusOr<RedisEndpoint> e = ParseRedisUrl("redis://redis:6379/2");
//   // e->host == "redis", e->port == 6379, e->db == 2, e->password == ""
//
// Form: redis://[[username]:password@]host[:port][/db]. The port defaults
// to 6379 and the db to 0; an IPv6 address goes in brackets
// (redis://[::1]:6380). Username and password may be percent-encoded. The
// server's config prefers the password from its own secret source (env or
// file) and overrides the one from the URL with it.
//
// Errors are INVALID_ARGUMENT and say what is wrong, without ever quoting
// the password (the URL may hold one, and error messages end up in logs).
#ifndef MEDIAGEN_SERVICE_REDIS_URL_H_
#define MEDIAGEN_SERVICE_REDIS_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagen::redis {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  // Logical database, selected after connecting. Pub/sub ignores it.
  int db = 0;
  // Redis 6+ ACL user; empty means the default user (AUTH <password>).
  std::string username;
  // Empty means no AUTH. A secret: never log it.
  std::string password;

  // "host:port/db", for logs and errors: never the password.
  std::string ToString() const;
};

absl::StatusOr<RedisEndpoint> ParseRedisUrl(absl::string_view url);

}  // namespace mediagen::redis

#endif  // MEDIAGEN_SERVICE_REDIS_URL_H_
