// SecretSet: every secret the server holds (tenants' provider keys, webhook
// tokens), to scrub from upstream text before it reaches a caller. It can
// be replaced while calls run (a SIGHUP that adds a tenant adds its keys);
// each call reads one consistent snapshot.
//
//   auto secrets = std::make_shared<SecretSet>(tenants.AllSecrets());
//   std::shared_ptr<const std::vector<std::string>> now = secrets->Snapshot();
//   ...
//   secrets->Replace(reloaded.AllSecrets());   // later calls see the new list
#ifndef MEDIAGEN_SERVICE_COMMON_SECRET_SET_H_
#define MEDIAGEN_SERVICE_COMMON_SECRET_SET_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "service/common/mutex.h"

namespace mediagen {

class SecretSet {
 public:
  explicit SecretSet(std::vector<std::string> secrets = {})
      : current_(std::make_shared<const std::vector<std::string>>(
            std::move(secrets))) {}

  void Replace(std::vector<std::string> secrets) {
    auto fresh =
        std::make_shared<const std::vector<std::string>>(std::move(secrets));
    MutexLock lock(&mu_);
    current_ = std::move(fresh);
  }

  // Never null.
  std::shared_ptr<const std::vector<std::string>> Snapshot() const {
    MutexLock lock(&mu_);
    return current_;
  }

 private:
  mutable Mutex mu_;
  std::shared_ptr<const std::vector<std::string>> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagen

#endif  // MEDIAGEN_SERVICE_COMMON_SECRET_SET_H_
