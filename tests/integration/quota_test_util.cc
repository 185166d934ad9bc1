#include "tests/integration/quota_test_util.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/common/sha256.h"
#include "tests/testing_util/prometheus.h"

namespace mediagen::testing {
namespace {

using json = nlohmann::json;

double Metric(const ServerProcess& server, const std::string& series) {
  absl::StatusOr<MetricValues> metrics = ScrapeMetrics(server.admin_port());
  if (!metrics.ok()) return -1;
  auto it = metrics->find(series);
  return it == metrics->end() ? 0 : it->second;
}

}  // namespace

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(20));
  ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

json Tenant(const std::string& name, const std::string& token,
            const std::string& key_env, const json& limits) {
  return {{"name", name},
          {"token_sha256", Sha256Hex(token)},
          {"keys", {{"vimmerse", {{"env", key_env}}}}},
          {"limits", limits}};
}

absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer(
    int emulator_port, const json& acme_limits, const json& globex_limits,
    std::vector<std::string> flags) {
  ServerConfig config;
  config.emulator_port = emulator_port;
  config.dev = false;
  config.config_json =
      json({{"tenants",
             {Tenant("acme", kAcmeToken, "ACME_VIM", acme_limits),
              Tenant("globex", kGlobexToken, "GLOBEX_VIM", globex_limits)}}})
          .dump();
  config.env = {{"ACME_VIM", "vimmerse-test-key"},
                {"GLOBEX_VIM", "vimmerse-demo-key"}};
  config.flags = std::move(flags);
  return ServerProcess::Start(config);
}

double Spent(const ServerProcess& server, const std::string& tenant,
             const std::string& provider, const std::string& unit) {
  return Metric(server, absl::StrCat("mediagen_spent_total{tenant=\"", tenant,
                                     "\",provider=\"", provider, "\",unit=\"",
                                     unit, "\"}"));
}

double Refusals(const ServerProcess& server, const std::string& tenant,
                const std::string& limit) {
  return Metric(server, absl::StrCat("mediagen_quota_refusals_total{tenant=\"",
                                     tenant, "\",limit=\"", limit, "\"}"));
}

}  // namespace mediagen::testing
