// Fuzzes the webhook receiver's decision (DecideWebhook): path segments and
// body of POST /webhooks/vimmerse/{tenant}/{token}.
//
// Input: byte 0 chooses the path: 0 = acme's own valid token, 1 = globex's
// valid token under acme's name, 2 = acme's token under globex's name,
// anything else = the next two lines as tenant and token. The rest is the
// body.
//
// Invariants: only a tenant's own token is ever accepted; an accepted
// webhook re-reads a job of that tenant only, named media/{id} or
// assets/{id} in a form GetJob accepts; nothing else is ever poked.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/auth/tenant_directory.h"
#include "service/common/sha256.h"
#include "service/server/webhook_handler.h"
#include "service/upstream/providers/resource_name.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

constexpr char kSecret[] = "fuzz-webhook-secret";

std::string Token(const std::string& tenant) {
  return mediagen::HmacSha256Hex(kSecret,
                                 absl::StrCat("mediagen-webhook:", tenant));
}

const mediagen::auth::TenantDirectory& Tenants() {
  static const auto* dir = [] {
    std::vector<mediagen::auth::TenantSpec> specs = {
        {"acme", mediagen::Sha256Hex("acme-token"), {}, {}},
        {"globex", mediagen::Sha256Hex("globex-token"), {}, {}},
    };
    return mediagen::auth::TenantDirectory::Create(specs, kSecret)
        ->release();
  }();
  return *dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mediagen::fuzz::Input in(data, size);
  std::string tenant, token;
  switch (const uint8_t choice = in.Byte()) {
    case 0:
      tenant = "acme";
      token = Token("acme");
      break;
    case 1:
      tenant = "acme";
      token = Token("globex");
      break;
    case 2:
      tenant = "globex";
      token = Token("acme");
      break;
    default:
      (void)choice;
      tenant = std::string(in.Line());
      token = std::string(in.Line());
      break;
  }
  const mediagen::server::WebhookDecision d =
      mediagen::server::DecideWebhook(Tenants(), tenant, token, in.Rest());
  const bool own_token =
      (tenant == "acme" || tenant == "globex") && token == Token(tenant);
  FUZZ_CHECK(d.http_status == 204 || d.http_status == 400 ||
                 d.http_status == 404,
             absl::StrCat(d.http_status));
  if (!own_token) {
    FUZZ_CHECK(d.http_status == 404 && !d.poke, tenant);
  }
  FUZZ_CHECK(d.poke == (d.http_status == 204), absl::StrCat(d.http_status));
  if (d.poke) {
    FUZZ_CHECK(d.tenant == tenant, d.tenant);
    FUZZ_CHECK(absl::StartsWith(d.name, "media/") ||
                   absl::StartsWith(d.name, "assets/"),
               d.name);
    FUZZ_CHECK(mediagen::upstream::ParseResourceName(d.name).ok(), d.name);
  }
  return 0;
}
