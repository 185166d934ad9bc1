// TwoTenants: the real server configured with two tenants (acme, globex)
// with distinctive tokens and keys, against the strict emulator, for the
// security tests that need more than one caller.
//
//   TwoTenants t;
//   ASSERT_TRUE(t.Start({"--poll_min_interval=30s"}).ok());
//   auto media = v1::MediaService::NewStub(t.server().channel());
//   auto ctx = TwoTenants::Ctx(TwoTenants::kAcmeToken);
#ifndef MEDIAGEN_TESTS_SECURITY_TWO_TENANTS_H_
#define MEDIAGEN_TESTS_SECURITY_TWO_TENANTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tests/testing_util/harness.h"

namespace mediagen::testing {

class TwoTenants {
 public:
  static constexpr char kAcmeToken[] = "tok-acme-7Hc9QvX2mN4pL8rT";
  static constexpr char kGlobexToken[] = "tok-globex-3Fz6WbY1kJ5sD0eU";
  static constexpr char kWebhookSecret[] = "whs-Ty5Ui7Op9As1Df3GhJ2";
  // The tenants' upstream keys (the emulator's accounts).
  static constexpr char kAcmeVim[] = "vk-acme-Zq8Lw3Xe5Rt2Yu7I";
  static constexpr char kGlobexVim[] = "vk-globex-Pa4Sd6Fg8Hj1Kl3M";
  static constexpr char kAcmeEl[] = "ek-acme-Nb2Vc4Xz6Lk8Jh0G";
  static constexpr char kGlobexEl[] = "ek-globex-Wq3Er5Ty7Ui9Op1A";
  static constexpr char kAcmeAiml[] = "ak-acme-Sd2Fg4Hj6Kl8Zx0C";
  static constexpr char kGlobexAiml[] = "ak-globex-Vb1Nm3Qw5Er7Ty9U";

  // Starts the emulator (with `emulator_flags` after the accounts), then
  // the server with `server_flags` (under `wrapper`, e.g. {"prlimit",
  // "--nofile=1024:1024", "--"}, if given).
  absl::Status Start(std::vector<std::string> server_flags = {},
                     std::vector<std::string> wrapper = {},
                     std::vector<std::string> emulator_flags = {});

  EmulatorProcess& emulator() { return *emu_; }
  ServerProcess& server() { return *server_; }
  bool started() const { return server_ != nullptr; }

  // The path of `tenant`'s webhook receiver on the admin port.
  static std::string WebhookPath(const std::string& tenant);
  // A context with a deadline and the tenant's bearer token ("" for none).
  static std::unique_ptr<grpc::ClientContext> Ctx(
      const std::string& token, absl::Duration timeout = absl::Seconds(15));

 private:
  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_SECURITY_TWO_TENANTS_H_
