// UsageService.GetUsage over a real gRPC channel, against an in-memory quota
// store filled directly (ReserveNow / Settle / Hold): what the store counts
// is what the caller reads, budgets say what is left and when they reset,
// and a tenant reads only its own counters.
#include "service/api/usage_service.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mediagen/v1/usage.grpc.pb.h"
#include "service/auth/tenant_directory.h"
#include "service/common/clock.h"
#include "service/common/sha256.h"
#include "service/quota/in_memory_store.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::api {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;

constexpr char kAcmeToken[] = "acme-token-0123456789";
constexpr char kGlobexToken[] = "globex-token-0123456789";

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm),
                         absl::UTCTimeZone());
}

int64_t Seconds(absl::Time t) { return absl::ToUnixSeconds(t); }

quota::Limits AcmeLimits() {
  quota::Limits l;
  l.requests_per_second = 50;
  l.concurrent_jobs = 3;
  l.budgets = {
      {"vimmerse", "credits", 100, quota::Period::kDay},
      {"vimmerse", "credits", 1000, quota::Period::kMonth},
      {"elevenlabs", "characters", 5000, quota::Period::kMonth},
  };
  return l;
}

class UsageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<auth::TenantSpec> specs(2);
    specs[0].name = "acme";
    specs[0].token_sha256 = Sha256Hex(kAcmeToken);
    specs[0].limits = AcmeLimits();
    specs[1].name = "globex";
    specs[1].token_sha256 = Sha256Hex(kGlobexToken);
    specs[1].limits.requests_per_second = 0.001;  // one call, then none
    specs[1].limits.burst = 1;
    auto dir = auth::TenantDirectory::Create(std::move(specs), "secret");
    ASSERT_THAT(dir.status(), IsOk());
    tenants_ = *std::move(dir);

    ApiContext api;
    api.tenants = tenants_.get();
    api.quota = &store_;
    service_ = std::make_unique<UsageServiceImpl>(api, &clock_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::UsageService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  grpc::Status Call(const std::string& token, v1::GetUsageResponse* out) {
    grpc::ClientContext ctx;
    if (!token.empty()) {
      ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    }
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    return stub_->GetUsage(&ctx, v1::GetUsageRequest(), out);
  }

  // A create of acme's that went upstream and was settled at `actual`.
  void Spent(const std::string& provider, double estimate,
             std::optional<double> actual) {
    quota::QuotaStore::Request r{
        "acme", AcmeLimits(), /*job=*/false,
        quota::Cost{provider, std::string(quota::ProviderUnit(provider)),
                    estimate}};
    auto reservation = store_.ReserveNow(std::move(r));
    ASSERT_THAT(reservation.status(), IsOk());
    (*reservation)->Settle(actual);
  }

  FakeClock clock_{Utc(2026, 12, 4, 10, 30)};
  quota::InMemoryQuotaStore store_{&clock_};
  std::unique_ptr<auth::TenantDirectory> tenants_;
  std::unique_ptr<UsageServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::UsageService::Stub> stub_;
};

const v1::ProviderUsage* Find(const v1::GetUsageResponse& r, v1::Provider p) {
  for (const v1::ProviderUsage& u : r.providers()) {
    if (u.provider() == p) return &u;
  }
  return nullptr;
}

TEST_F(UsageServiceTest, SpendInTheStoreIsWhatTheCallerReads) {
  ASSERT_NO_FATAL_FAILURE(Spent("vimmerse", 20, 18));           // reported 18
  ASSERT_NO_FATAL_FAILURE(Spent("vimmerse", 7, std::nullopt));  // estimate
  ASSERT_NO_FATAL_FAILURE(Spent("elevenlabs", 120, 120));
  ASSERT_NO_FATAL_FAILURE(Spent("aimlapi", 5, 4));  // spent, no budget
  // A create on its way upstream: 30 credits reserved and a place taken.
  auto in_flight = store_.ReserveNow({"acme", AcmeLimits(), /*job=*/true,
                                      quota::Cost{"vimmerse", "credits", 30}});
  ASSERT_THAT(in_flight.status(), IsOk());
  // A job that upstream accepted and that has not ended.
  auto running = store_.ReserveNow({"acme", AcmeLimits(), /*job=*/true, {}});
  ASSERT_THAT(running.status(), IsOk());
  (*running)->Settle(std::nullopt);
  (*running)->Hold("media/m1");

  v1::GetUsageResponse r;
  ASSERT_THAT(Call(kAcmeToken, &r), IsOk());
  EXPECT_EQ(r.tenant(), "acme");
  EXPECT_EQ(r.jobs_in_flight(), 2);
  EXPECT_EQ(r.limits().requests_per_second(), 50);
  EXPECT_EQ(r.limits().burst(), 50);  // no burst configured: the rate
  EXPECT_EQ(r.limits().concurrent_jobs(), 3);
  ASSERT_EQ(r.limits().budgets_size(), 3);
  EXPECT_EQ(r.limits().budgets(2).provider(), v1::PROVIDER_ELEVENLABS);
  EXPECT_EQ(r.limits().budgets(2).unit(), "characters");
  EXPECT_EQ(r.limits().budgets(2).amount(), 5000);
  EXPECT_EQ(r.limits().budgets(2).period(), v1::BUDGET_PERIOD_MONTH);

  ASSERT_EQ(r.providers_size(), 3);  // ordered by provider name
  EXPECT_EQ(r.providers(0).provider(), v1::PROVIDER_AIMLAPI);
  EXPECT_EQ(r.providers(1).provider(), v1::PROVIDER_ELEVENLABS);
  EXPECT_EQ(r.providers(2).provider(), v1::PROVIDER_VIMMERSE);

  const v1::ProviderUsage& aiml = r.providers(0);
  EXPECT_EQ(aiml.unit(), "credits");
  EXPECT_EQ(aiml.spent_day(), 4);
  EXPECT_EQ(aiml.spent_month(), 4);
  EXPECT_EQ(aiml.reserved(), 0);
  EXPECT_EQ(aiml.budgets_size(), 0);

  const v1::ProviderUsage& eleven = r.providers(1);
  EXPECT_EQ(eleven.unit(), "characters");
  EXPECT_EQ(eleven.spent_month(), 120);
  ASSERT_EQ(eleven.budgets_size(), 1);
  EXPECT_EQ(eleven.budgets(0).spent(), 120);
  EXPECT_EQ(eleven.budgets(0).remaining(), 4880);
  EXPECT_EQ(eleven.budgets(0).reset_time().seconds(), Seconds(Utc(2027, 1, 1)));

  const v1::ProviderUsage& vim = r.providers(2);
  EXPECT_EQ(vim.unit(), "credits");
  EXPECT_EQ(vim.spent_day(), 25);
  EXPECT_EQ(vim.spent_month(), 25);
  EXPECT_EQ(vim.reserved(), 30);
  ASSERT_EQ(vim.budgets_size(), 2);
  const v1::BudgetUsage& day = vim.budgets(0);
  EXPECT_EQ(day.period(), v1::BUDGET_PERIOD_DAY);
  EXPECT_EQ(day.amount(), 100);
  EXPECT_EQ(day.spent(), 25);
  EXPECT_EQ(day.reserved(), 30);
  EXPECT_EQ(day.remaining(), 45);
  EXPECT_EQ(day.reset_time().seconds(), Seconds(Utc(2026, 12, 5)));
  const v1::BudgetUsage& month = vim.budgets(1);
  EXPECT_EQ(month.period(), v1::BUDGET_PERIOD_MONTH);
  EXPECT_EQ(month.remaining(), 1000 - 25 - 30);
  EXPECT_EQ(month.reset_time().seconds(), Seconds(Utc(2027, 1, 1)));

  // The create on its way fails without spending: its reservation goes.
  in_flight->reset();
  ASSERT_THAT(Call(kAcmeToken, &r), IsOk());
  EXPECT_EQ(r.jobs_in_flight(), 1);
  ASSERT_NE(Find(r, v1::PROVIDER_VIMMERSE), nullptr);
  EXPECT_EQ(Find(r, v1::PROVIDER_VIMMERSE)->reserved(), 0);
  EXPECT_EQ(Find(r, v1::PROVIDER_VIMMERSE)->budgets(0).remaining(), 75);
}

TEST_F(UsageServiceTest, ANewDayResetsTheDayBudgetButNotTheMonth) {
  ASSERT_NO_FATAL_FAILURE(Spent("vimmerse", 40, 40));
  clock_.Set(Utc(2026, 12, 5, 0, 0) + absl::Seconds(1));
  v1::GetUsageResponse r;
  ASSERT_THAT(Call(kAcmeToken, &r), IsOk());
  const v1::ProviderUsage* vim = Find(r, v1::PROVIDER_VIMMERSE);
  ASSERT_NE(vim, nullptr);
  EXPECT_EQ(vim->spent_day(), 0);
  EXPECT_EQ(vim->spent_month(), 40);
  ASSERT_EQ(vim->budgets_size(), 2);
  EXPECT_EQ(vim->budgets(0).remaining(), 100);
  EXPECT_EQ(vim->budgets(0).reset_time().seconds(), Seconds(Utc(2026, 12, 6)));
  EXPECT_EQ(vim->budgets(1).remaining(), 960);

  // And a new month the month budget.
  clock_.Set(Utc(2027, 1, 1, 0, 0));
  ASSERT_THAT(Call(kAcmeToken, &r), IsOk());
  vim = Find(r, v1::PROVIDER_VIMMERSE);
  ASSERT_NE(vim, nullptr);
  EXPECT_EQ(vim->spent_month(), 0);
  EXPECT_EQ(vim->budgets(1).remaining(), 1000);
  EXPECT_EQ(vim->budgets(1).reset_time().seconds(), Seconds(Utc(2027, 2, 1)));
}

TEST_F(UsageServiceTest, RemainingNeverGoesBelowZero) {
  // Upstream reported more than the estimate: spend may pass the budget.
  ASSERT_NO_FATAL_FAILURE(Spent("vimmerse", 90, 130));
  v1::GetUsageResponse r;
  ASSERT_THAT(Call(kAcmeToken, &r), IsOk());
  const v1::ProviderUsage* vim = Find(r, v1::PROVIDER_VIMMERSE);
  ASSERT_NE(vim, nullptr);
  EXPECT_EQ(vim->budgets(0).spent(), 130);
  EXPECT_EQ(vim->budgets(0).remaining(), 0);
}

TEST_F(UsageServiceTest, ATenantSeesNothingOfAnothersUsage) {
  ASSERT_NO_FATAL_FAILURE(Spent("vimmerse", 20, 18));
  ASSERT_NO_FATAL_FAILURE(Spent("aimlapi", 5, 4));
  auto running = store_.ReserveNow({"acme", AcmeLimits(), /*job=*/true, {}});
  ASSERT_THAT(running.status(), IsOk());
  (*running)->Hold("media/m1");

  v1::GetUsageResponse r;
  ASSERT_THAT(Call(kGlobexToken, &r), IsOk());
  EXPECT_EQ(r.tenant(), "globex");
  EXPECT_EQ(r.jobs_in_flight(), 0);
  EXPECT_EQ(r.providers_size(), 0) << r.DebugString();
  // Its own limits, not acme's.
  EXPECT_FALSE(r.limits().has_concurrent_jobs());
  EXPECT_EQ(r.limits().budgets_size(), 0);
  EXPECT_EQ(r.limits().burst(), 1);
  EXPECT_EQ(r.DebugString().find("acme"), std::string::npos);
}

TEST_F(UsageServiceTest, NeedsATokenAndCountsAgainstTheRate) {
  v1::GetUsageResponse r;
  EXPECT_THAT(Call("", &r), StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_THAT(Call("not-a-token", &r),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  // globex: burst 1 at one call per 1000 s.
  EXPECT_THAT(Call(kGlobexToken, &r), IsOk());
  EXPECT_THAT(Call(kGlobexToken, &r),
              StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
}


// A shared store may not report a budgeted provider it never saw the
// tenant spend on: the answer still shows that budget, untouched.
TEST(UsageResponseTest, ABudgetTheStoreDidNotReportShowsAtZero) {
  auth::Tenant tenant;
  tenant.name = "acme";
  tenant.limits = AcmeLimits();
  quota::Usage usage;
  usage.spend.push_back({"aimlapi", "credits", 3, 9, 1});
  const v1::GetUsageResponse r =
      UsageResponse(tenant, usage, Utc(2026, 12, 31, 23, 59));
  ASSERT_EQ(r.providers_size(), 3);
  EXPECT_EQ(r.providers(0).provider(), v1::PROVIDER_AIMLAPI);
  EXPECT_EQ(r.providers(0).spent_month(), 9);
  EXPECT_EQ(r.providers(0).reserved(), 1);
  const v1::ProviderUsage& eleven = r.providers(1);
  EXPECT_EQ(eleven.provider(), v1::PROVIDER_ELEVENLABS);
  EXPECT_EQ(eleven.unit(), "characters");
  EXPECT_EQ(eleven.spent_month(), 0);
  ASSERT_EQ(eleven.budgets_size(), 1);
  EXPECT_EQ(eleven.budgets(0).remaining(), 5000);
  const v1::ProviderUsage& vim = r.providers(2);
  ASSERT_EQ(vim.budgets_size(), 2);
  EXPECT_EQ(vim.budgets(0).remaining(), 100);
  // A minute before the year ends: both periods reset at its end.
  EXPECT_EQ(vim.budgets(0).reset_time().seconds(), Seconds(Utc(2027, 1, 1)));
  EXPECT_EQ(vim.budgets(1).reset_time().seconds(), Seconds(Utc(2027, 1, 1)));
}

}  // namespace
}  // namespace mediagen::api
