#include "tests/security/two_tenants.h"

#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "service/common/sha256.h"

namespace mediagen::testing {
namespace {

using json = nlohmann::json;

}  // namespace

absl::Status TwoTenants::Start(std::vector<std::string> server_flags,
                               std::vector<std::string> wrapper,
                               std::vector<std::string> emulator_flags) {
  std::vector<std::string> emu_flags = {
      "--time_scale=0.01",
      absl::StrCat("--vimmerse_key=", kAcmeVim, ":1000000:acme-vim"),
      absl::StrCat("--vimmerse_key=", kGlobexVim, ":1000000:globex-vim"),
      absl::StrCat("--elevenlabs_key=", kAcmeEl, ":acme-el:10"),
      absl::StrCat("--elevenlabs_key=", kGlobexEl, ":globex-el:10"),
      absl::StrCat("--aimlapi_key=", kAcmeAiml, ":100000000:acme-aiml"),
      absl::StrCat("--aimlapi_key=", kGlobexAiml, ":100000000:globex-aiml"),
  };
  emu_flags.insert(emu_flags.end(), emulator_flags.begin(),
                   emulator_flags.end());
  auto emu = EmulatorProcess::Start(emu_flags);
  if (!emu.ok()) return emu.status();
  emu_ = *std::move(emu);

  ServerConfig config;
  config.emulator_port = emu_->port();
  config.dev = false;
  config.webhooks = true;
  auto tenant = [](const char* name, const char* token) {
    const std::string up = absl::AsciiStrToUpper(name);
    return json{{"name", name},
                {"token_sha256", Sha256Hex(token)},
                {"keys",
                 {{"vimmerse", {{"env", up + "_VIM"}}},
                  {"elevenlabs", {{"env", up + "_EL"}}},
                  {"aimlapi", {{"env", up + "_AIML"}}}}}};
  };
  config.config_json =
      json{{"webhook_secret", {{"env", "HOOK_SECRET"}}},
           {"tenants",
            {tenant("acme", kAcmeToken), tenant("globex", kGlobexToken)}}}
          .dump();
  config.env = {{"ACME_VIM", kAcmeVim},         {"GLOBEX_VIM", kGlobexVim},
                {"ACME_EL", kAcmeEl},           {"GLOBEX_EL", kGlobexEl},
                {"ACME_AIML", kAcmeAiml},       {"GLOBEX_AIML", kGlobexAiml},
                {"HOOK_SECRET", kWebhookSecret}};
  config.flags = std::move(server_flags);
  config.wrapper = std::move(wrapper);
  auto server = ServerProcess::Start(config);
  if (!server.ok()) return server.status();
  server_ = *std::move(server);
  return absl::OkStatus();
}

std::string TwoTenants::WebhookPath(const std::string& tenant) {
  return absl::StrCat(
      "/webhooks/vimmerse/", tenant, "/",
      HmacSha256Hex(kWebhookSecret, "mediagen-webhook:" + tenant));
}

std::unique_ptr<grpc::ClientContext> TwoTenants::Ctx(const std::string& token,
                                                     absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

}  // namespace mediagen::testing
