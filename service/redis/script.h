// Script: a Lua script for Redis, with the SHA1 that EVALSHA names it by.
// Anything that must be atomic across replicas (claim a request_id, take a
// lease, reserve quota) is one script, run by Client::Eval.
//
//   static const Script kClaim(R"lua(
//     if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
//       return 1 end
//     return 0)lua");
//   client.Eval(kClaim, {key}, {owner, "30000"}, done);
//
// Cheap to copy (the source is shared), immutable, usable from any thread.
#ifndef MEDIAGEN_SERVICE_REDIS_SCRIPT_H_
#define MEDIAGEN_SERVICE_REDIS_SCRIPT_H_

#include <memory>
#include <string>

namespace mediagen::redis {

class Script {
 public:
  explicit Script(std::string source);

  const std::string& source() const { return *source_; }
  // 40 lowercase hex digits, as Redis computes it for SCRIPT LOAD.
  const std::string& sha1() const { return sha1_; }

  // The source, shared: Eval keeps it for a resend without copying it.
  std::shared_ptr<const std::string> shared_source() const { return source_; }

 private:
  std::shared_ptr<const std::string> source_;
  std::string sha1_;
};

}  // namespace mediagen::redis

#endif  // MEDIAGEN_SERVICE_REDIS_SCRIPT_H_
