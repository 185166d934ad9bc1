#include "service/auth/tenant_directory.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/common/sha256.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::auth {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<TenantSpec> TwoTenants() {
  TenantSpec a{"acme", Sha256Hex("token-a"), {}, {}};
  a.credentials.vimmerse_api_key = "vim-key-a";
  TenantSpec b{"globex", Sha256Hex("token-b"), {}, {}};
  b.limits.concurrent_jobs = 2;
  b.credentials.vimmerse_api_key = "vim-key-b";
  return {a, b};
}

TEST(TenantDirectoryTest, BearerTokenSelectsItsTenant) {
  auto dir = TenantDirectory::Create(TwoTenants(), "secret");
  ASSERT_THAT(dir, IsOk());
  auto a = (*dir)->Authenticate("Bearer token-a");
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ((*a)->name, "acme");
  EXPECT_EQ((*a)->credentials.vimmerse_api_key, "vim-key-a");
  auto b = (*dir)->Authenticate("bearer   token-b ");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ((*b)->name, "globex");
}

TEST(TenantDirectoryTest, EachTenantCarriesItsOwnLimits) {
  auto dir = TenantDirectory::Create(TwoTenants(), "secret");
  ASSERT_THAT(dir, IsOk());
  ASSERT_NE((*dir)->Find("globex"), nullptr);
  EXPECT_EQ((*dir)->Find("globex")->limits.concurrent_jobs, 2);
  EXPECT_FALSE((*dir)->Find("acme")->limits.concurrent_jobs.has_value());
  EXPECT_EQ((*dir)->Find("initech"), nullptr);
  quota::Limits dev_limits;
  dev_limits.requests_per_second = 5;
  auto dev = TenantDirectory::DevMode({}, "secret", dev_limits);
  EXPECT_EQ((*dev->Authenticate(std::nullopt))->limits.requests_per_second, 5);
}

TEST(TenantDirectoryTest, ReplaceSwapsTenantsAndLimitsOrChangesNothing) {
  auto dir = TenantDirectory::Create(TwoTenants(), "secret");
  ASSERT_THAT(dir, IsOk());
  auto before = (*dir)->Authenticate("Bearer token-b");
  ASSERT_THAT(before, IsOk());
  const std::string hook = (*before)->webhook_token;

  std::vector<TenantSpec> next = TwoTenants();
  next[1].limits.concurrent_jobs = 5;
  next.push_back({"initech", Sha256Hex("token-c"), {}, {}});
  ASSERT_THAT((*dir)->Replace(next), IsOk());
  EXPECT_EQ((*dir)->size(), 3u);
  ASSERT_THAT((*dir)->Authenticate("Bearer token-c"), IsOk());
  auto after = (*dir)->Authenticate("Bearer token-b");
  EXPECT_EQ((*after)->limits.concurrent_jobs, 5);
  EXPECT_EQ((*after)->webhook_token, hook);  // same secret, same token
  // A call in flight keeps what it resolved.
  EXPECT_EQ((*before)->limits.concurrent_jobs, 2);

  // A broken list (two tenants share a token) changes nothing.
  std::vector<TenantSpec> broken = next;
  broken[2].token_sha256 = broken[0].token_sha256;
  EXPECT_THAT((*dir)->Replace(broken),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT((*dir)->Replace({}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ((*dir)->size(), 3u);
  EXPECT_THAT((*dir)->Authenticate("Bearer token-c"), IsOk());

  // Removed tenants are gone.
  ASSERT_THAT((*dir)->Replace(TwoTenants()), IsOk());
  EXPECT_THAT((*dir)->Authenticate("Bearer token-c"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ((*dir)->Find("initech"), nullptr);
}

TEST(TenantDirectoryTest, ReplaceInDevModeChangesOnlyTheDevLimits) {
  upstream::Credentials creds;
  creds.vimmerse_api_key = "dev-key";
  auto dir = TenantDirectory::DevMode(creds, "secret");
  TenantSpec dev{"dev", Sha256Hex("unused"), {}, {}};
  dev.limits.requests_per_second = 3;
  ASSERT_THAT(dir->Replace({dev}), IsOk());
  auto t = dir->Authenticate(std::nullopt);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ((*t)->limits.requests_per_second, 3);
  EXPECT_EQ((*t)->credentials.vimmerse_api_key, "dev-key");
  EXPECT_TRUE(dir->dev_mode());
}

TEST(TenantDirectoryTest, MissingMalformedOrUnknownTokensAreUnauthenticated) {
  auto dir = *TenantDirectory::Create(TwoTenants(), "secret");
  for (std::optional<absl::string_view> header :
       {std::optional<absl::string_view>(), std::optional<absl::string_view>(""),
        std::optional<absl::string_view>("token-a"),
        std::optional<absl::string_view>("Basic token-a"),
        std::optional<absl::string_view>("Bearer "),
        std::optional<absl::string_view>("Bearer token-c")}) {
    auto t = dir->Authenticate(header);
    ASSERT_THAT(t, Not(IsOk())) << header.value_or("<none>");
    EXPECT_THAT(t, StatusIs(absl::StatusCode::kUnauthenticated,
                            Not(HasSubstr("token-"))))
        << "the token must not be echoed";
  }
}

TEST(TenantDirectoryTest, BadConfigIsRejected) {
  auto specs = TwoTenants();
  specs[1].name = "acme";
  EXPECT_THAT(TenantDirectory::Create(specs, "s"), Not(IsOk()));
  specs = TwoTenants();
  specs[1].token_sha256 = specs[0].token_sha256;
  EXPECT_THAT(TenantDirectory::Create(specs, "s"), Not(IsOk()));
  specs = TwoTenants();
  specs[0].token_sha256 = "not-a-hash";
  EXPECT_THAT(TenantDirectory::Create(specs, "s"), Not(IsOk()));
  specs = TwoTenants();
  specs[0].name = "Acme Corp";
  EXPECT_THAT(TenantDirectory::Create(specs, "s"), Not(IsOk()));
}

TEST(TenantDirectoryTest, WebhookTokensArePerTenantAndSharedBySecret) {
  auto one = *TenantDirectory::Create(TwoTenants(), "shared-secret");
  auto two = *TenantDirectory::Create(TwoTenants(), "shared-secret");
  auto other = *TenantDirectory::Create(TwoTenants(), "another-secret");
  const std::string token = (*one->Authenticate("Bearer token-a"))->webhook_token;
  EXPECT_EQ(token.size(), 64u);
  // Another replica with the same secret accepts it; other tenants and
  // other secrets do not.
  EXPECT_NE(two->FindByWebhookToken("acme", token), nullptr);
  EXPECT_EQ(two->FindByWebhookToken("globex", token), nullptr);
  EXPECT_EQ(other->FindByWebhookToken("acme", token), nullptr);
  EXPECT_EQ(one->FindByWebhookToken("nobody", token), nullptr);
  EXPECT_EQ(one->FindByWebhookToken("acme", ""), nullptr);
}

TEST(TenantDirectoryTest, DevModeNeedsNoToken) {
  upstream::Credentials keys;
  keys.vimmerse_api_key = "k";
  auto dir = TenantDirectory::DevMode(keys, "");
  EXPECT_TRUE(dir->dev_mode());
  auto t = dir->Authenticate(std::nullopt);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ((*t)->name, "dev");
  EXPECT_EQ((*t)->credentials.vimmerse_api_key, "k");
}

TEST(TenantDirectoryTest, AllSecretsHoldsEveryKeyAndWebhookToken) {
  std::vector<TenantSpec> specs = TwoTenants();
  specs[0].credentials.elevenlabs_api_key = "el-key-a";
  auto dir = *TenantDirectory::Create(specs, "secret");
  std::vector<std::string> all = dir->AllSecrets();
  for (const std::string& want :
       {std::string("vim-key-a"), std::string("el-key-a"),
        std::string("vim-key-b"),
        HmacSha256Hex("secret", "mediagen-webhook:acme"),
        HmacSha256Hex("secret", "mediagen-webhook:globex")}) {
    EXPECT_NE(std::find(all.begin(), all.end(), want), all.end()) << want;
  }
  EXPECT_EQ(all.size(), 5u);  // no empty keys
}

}  // namespace
}  // namespace mediagen::auth
