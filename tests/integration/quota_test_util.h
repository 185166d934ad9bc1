// What the tenant-quota integration tests share (quota_test, usage_test,
// budget_test): two tenants' tokens, a context carrying one, the real
// server started with acme's and globex's limits (each with a Vimmerse
// account of its own in the emulator, as in production), and the quota
// metrics as the admin port shows them.
//
//   auto server = StartServer(emu->port(), {{"concurrent_jobs", 2}},
//                             json::object());
//   media->CreateMedia(Ctx(kAcmeToken).get(), req, &out);
//   EXPECT_EQ(Refusals(**server, "acme", "concurrent_jobs"), 1);
#ifndef MEDIAGEN_TESTS_INTEGRATION_QUOTA_TEST_UTIL_H_
#define MEDIAGEN_TESTS_INTEGRATION_QUOTA_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "tests/testing_util/harness.h"

namespace mediagen::testing {

inline constexpr char kAcmeToken[] = "acme-quota-token-5b1e";
inline constexpr char kGlobexToken[] = "globex-quota-token-77c2";

// A context with a 20 s deadline and `token` as its bearer token.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token);

// A tenant of the config file whose Vimmerse key comes from `key_env`.
nlohmann::json Tenant(const std::string& name, const std::string& token,
                      const std::string& key_env, const nlohmann::json& limits);

// The server with tenants acme and globex (their own emulator accounts)
// and their `limits` objects, plus `flags`.
absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer(
    int emulator_port, const nlohmann::json& acme_limits,
    const nlohmann::json& globex_limits, std::vector<std::string> flags = {});

// mediagen_spent_total{tenant, provider, unit}: 0 when absent, -1 when
// the metrics could not be read.
double Spent(const ServerProcess& server, const std::string& tenant,
             const std::string& provider, const std::string& unit);

// mediagen_quota_refusals_total{tenant, limit}, likewise.
double Refusals(const ServerProcess& server, const std::string& tenant,
                const std::string& limit);

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_INTEGRATION_QUOTA_TEST_UTIL_H_
