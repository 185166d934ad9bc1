#include "service/server/webhook_handler.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/common/sha256.h"

namespace mediagen::server {
namespace {

constexpr char kSecret[] = "webhook-secret";

std::unique_ptr<auth::TenantDirectory> Tenants() {
  std::vector<auth::TenantSpec> specs = {
      {"acme", Sha256Hex("token-a"), {}, {}},
      {"globex", Sha256Hex("token-b"), {}, {}},
  };
  return *auth::TenantDirectory::Create(specs, kSecret);
}

std::string Token(const std::string& tenant) {
  return HmacSha256Hex(kSecret, "mediagen-webhook:" + tenant);
}

TEST(DecideWebhookTest, AWellAddressedWebhookPokesTheJobItNames) {
  auto tenants = Tenants();
  WebhookDecision media = DecideWebhook(
      *tenants, "acme", Token("acme"),
      R"({"customer_id": "c", "media_id": "m-1", "status": "success"})");
  EXPECT_EQ(media.http_status, 204);
  EXPECT_TRUE(media.poke);
  EXPECT_EQ(media.tenant, "acme");
  EXPECT_EQ(media.name, "media/m-1");
  WebhookDecision asset = DecideWebhook(*tenants, "globex", Token("globex"),
                                        R"({"asset_id": "a-9"})");
  EXPECT_EQ(asset.http_status, 204);
  EXPECT_EQ(asset.tenant, "globex");
  EXPECT_EQ(asset.name, "assets/a-9");
}

TEST(DecideWebhookTest, WrongTenantOrTokenIsNotFoundAndPokesNothing) {
  auto tenants = Tenants();
  const std::string body = R"({"media_id": "m-1"})";
  for (const auto& [tenant, token] :
       std::vector<std::pair<std::string, std::string>>{
           {"acme", Token("globex")},      // another tenant's token
           {"globex", Token("acme")},
           {"acme", std::string(64, 'a')},  // forged
           {"initech", Token("initech")},  // no such tenant
           {"acme", Token("acme").substr(0, 63)},
           {"", ""}}) {
    WebhookDecision d = DecideWebhook(*tenants, tenant, token, body);
    EXPECT_EQ(d.http_status, 404) << tenant;
    EXPECT_FALSE(d.poke) << tenant;
  }
}

TEST(DecideWebhookTest, BodiesWithoutAUsableIdAreRefused) {
  auto tenants = Tenants();
  for (const char* body :
       {"", "not json", "[]", "null", R"({"status": "success"})",
        R"({"media_id": 5})", R"({"media_id": ""})", R"({"media_id": "a/b"})",
        R"({"media_id": "../../v2/media"})", R"({"asset_id": null})"}) {
    WebhookDecision d = DecideWebhook(*tenants, "acme", Token("acme"), body);
    EXPECT_EQ(d.http_status, 400) << body;
    EXPECT_FALSE(d.poke) << body;
  }
}

}  // namespace
}  // namespace mediagen::server
