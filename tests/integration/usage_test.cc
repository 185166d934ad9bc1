// UsageService.GetUsage (issue 17.4) against the real server and emulator:
// a tenant reads the limits its config gives it and its own jobs in flight,
// never another tenant's, and a read of usage counts against the rate like
// any call; and the spend it shows is what creates spent (settled from what
// upstream reported, else the estimate), as mediagen_spent_total counts it.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/usage.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "tests/integration/quota_test_util.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

using json = nlohmann::json;

class UsageTest : public ::testing::Test {
 protected:
  // By default jobs take 20 s: they end only when the test ends them.
  void Start(const json& acme_limits, const json& globex_limits,
             std::vector<std::string> emulator_flags = {"--time_scale=1"}) {
    auto emu = EmulatorProcess::Start(std::move(emulator_flags));
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);
    auto server = StartServer(emu_->port(), acme_limits, globex_limits);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    media_ = v1::MediaService::NewStub(server_->channel());
    jobs_ = v1::JobService::NewStub(server_->channel());
    usage_ = v1::UsageService::NewStub(server_->channel());
    video_ = v1::VideoService::NewStub(server_->channel());
  }

  void TearDown() override {
    if (server_ && HasFailure()) {
      std::cerr << "--- server stderr ---\n"
                << server_->process().stderr_text();
    }
  }

  v1::GetUsageResponse Usage(const std::string& token) {
    v1::GetUsageResponse out;
    EXPECT_THAT(usage_->GetUsage(Ctx(token).get(), {}, &out), IsOk());
    return out;
  }

  std::string Create(const std::string& token) {
    v1::CreateMediaRequest req;
    req.set_prompt("a lighthouse at dawn");
    v1::CreateMediaResponse out;
    EXPECT_THAT(media_->CreateMedia(Ctx(token).get(), req, &out), IsOk());
    return out.media().id();
  }

  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::MediaService::Stub> media_;
  std::unique_ptr<v1::JobService::Stub> jobs_;
  std::unique_ptr<v1::UsageService::Stub> usage_;
  std::unique_ptr<v1::VideoService::Stub> video_;
};

TEST_F(UsageTest, ATenantReadsItsConfiguredLimitsAndOnlyItsOwnJobs) {
  const json acme = {{"requests_per_second", 50},
                     {"burst", 100},
                     {"concurrent_jobs", 2},
                     {"budgets",
                      {{{"provider", "vimmerse"},
                        {"unit", "credits"},
                        {"amount", 5000},
                        {"period", "day"}},
                       {{"provider", "elevenlabs"},
                        {"unit", "characters"},
                        {"amount", 200000},
                        {"period", "month"}}}}};
  ASSERT_NO_FATAL_FAILURE(Start(acme, {{"concurrent_jobs", 2}}));

  const std::string first = Create(kAcmeToken);
  ASSERT_FALSE(first.empty());
  const absl::Time now = absl::Now();
  v1::GetUsageResponse a = Usage(kAcmeToken);
  EXPECT_EQ(a.tenant(), "acme");
  EXPECT_EQ(a.jobs_in_flight(), 1);
  EXPECT_EQ(a.limits().requests_per_second(), 50);
  EXPECT_EQ(a.limits().burst(), 100);
  EXPECT_EQ(a.limits().concurrent_jobs(), 2);
  ASSERT_EQ(a.limits().budgets_size(), 2);
  EXPECT_EQ(a.limits().budgets(0).provider(), v1::PROVIDER_VIMMERSE);
  EXPECT_EQ(a.limits().budgets(0).amount(), 5000);
  EXPECT_EQ(a.limits().budgets(0).period(), v1::BUDGET_PERIOD_DAY);
  EXPECT_EQ(a.limits().budgets(1).provider(), v1::PROVIDER_ELEVENLABS);
  EXPECT_EQ(a.limits().budgets(1).unit(), "characters");
  EXPECT_EQ(a.limits().budgets(1).period(), v1::BUDGET_PERIOD_MONTH);
  // Both budgeted providers are reported, ordered by name; each budget
  // resets at the end of its UTC period.
  ASSERT_EQ(a.providers_size(), 2) << a.DebugString();
  EXPECT_EQ(a.providers(0).provider(), v1::PROVIDER_ELEVENLABS);
  EXPECT_EQ(a.providers(1).provider(), v1::PROVIDER_VIMMERSE);
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilDay today = absl::ToCivilDay(now, utc);
  const absl::CivilMonth month = absl::ToCivilMonth(now, utc);
  ASSERT_EQ(a.providers(0).budgets_size(), 1);
  const v1::BudgetUsage& chars = a.providers(0).budgets(0);
  EXPECT_EQ(chars.amount(), 200000);
  EXPECT_EQ(chars.remaining(), 200000 - chars.spent() - chars.reserved());
  EXPECT_EQ(chars.reset_time().seconds(),
            absl::ToUnixSeconds(absl::FromCivil(month + 1, utc)));
  ASSERT_EQ(a.providers(1).budgets_size(), 1);
  const v1::BudgetUsage& credits = a.providers(1).budgets(0);
  EXPECT_EQ(credits.amount(), 5000);
  EXPECT_EQ(credits.spent(), a.providers(1).spent_day());
  EXPECT_EQ(credits.remaining(), 5000 - credits.spent() - credits.reserved());
  EXPECT_EQ(credits.reset_time().seconds(),
            absl::ToUnixSeconds(absl::FromCivil(today + 1, utc)));

  // globex sees its own limits and nothing of acme's job or budgets.
  v1::GetUsageResponse g = Usage(kGlobexToken);
  EXPECT_EQ(g.tenant(), "globex");
  EXPECT_EQ(g.jobs_in_flight(), 0);
  EXPECT_EQ(g.limits().concurrent_jobs(), 2);
  EXPECT_FALSE(g.limits().has_requests_per_second());
  EXPECT_EQ(g.limits().budgets_size(), 0);
  EXPECT_EQ(g.providers_size(), 0) << g.DebugString();

  // Each tenant's jobs are counted apart.
  ASSERT_FALSE(Create(kGlobexToken).empty());
  ASSERT_FALSE(Create(kAcmeToken).empty());
  EXPECT_EQ(Usage(kGlobexToken).jobs_in_flight(), 1);
  EXPECT_EQ(Usage(kAcmeToken).jobs_in_flight(), 2);

  // acme's first job ends; a read sees it, and the count drops.
  emu_->Post(absl::StrCat("/_emulator/jobs/", first, "/complete"),
             {{"outcome", "success"}});
  v1::GetJobRequest get;
  get.set_name("media/" + first);
  v1::GetJobResponse got;
  ASSERT_THAT(jobs_->GetJob(Ctx(kAcmeToken).get(), get, &got), IsOk());
  ASSERT_EQ(got.job().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(Usage(kAcmeToken).jobs_in_flight(), 1);
  EXPECT_EQ(Usage(kGlobexToken).jobs_in_flight(), 1);
  // Reading usage went nowhere upstream.
  EXPECT_EQ(emu_->Requests("POST", "/v2/media").size(), 3u);
}

TEST_F(UsageTest, GetUsageMatchesWhatWasSpent) {
  const json budgets = {{{"provider", "vimmerse"},
                         {"unit", "credits"},
                         {"amount", 100},
                         {"period", "day"}},
                        {{"provider", "vimmerse"},
                         {"unit", "credits"},
                         {"amount", 1000},
                         {"period", "month"}}};
  // Jobs report half of their price, so what is spent (the report) differs
  // from what was reserved (the estimate).
  ASSERT_NO_FATAL_FAILURE(Start({{"budgets", budgets}}, json::object(),
                                {"--time_scale=0.02", "--charge_ratio=0.5"}));

  // A video create: estimated 20 by the estimate route, reported 10.
  v1::ReferenceToVideoRequest ref;
  ref.add_image_urls("https://example.com/cat.png");
  ref.set_prompt("a cat on a windowsill");
  v1::ReferenceToVideoResponse asset;
  ASSERT_THAT(video_->ReferenceToVideo(Ctx(kAcmeToken).get(), ref, &asset),
              IsOk());
  ASSERT_EQ(asset.asset().credits(), 10);  // half of the estimated 20
  // A media create: priced by the table (10), settled at the estimate.
  ASSERT_FALSE(Create(kAcmeToken).empty());
  const double spent = asset.asset().credits() + 10;

  v1::GetUsageResponse a = Usage(kAcmeToken);
  std::cout << "GetUsage after the creates:\n" << a.DebugString();
  ASSERT_EQ(a.providers_size(), 1) << a.DebugString();
  const v1::ProviderUsage& vim = a.providers(0);
  EXPECT_EQ(vim.provider(), v1::PROVIDER_VIMMERSE);
  EXPECT_EQ(vim.spent_day(), spent);
  EXPECT_EQ(vim.spent_month(), spent);
  EXPECT_EQ(vim.reserved(), 0);  // nothing on its way any more
  EXPECT_EQ(Spent(*server_, "acme", "vimmerse", "credits"), spent);
  ASSERT_EQ(vim.budgets_size(), 2);
  EXPECT_EQ(vim.budgets(0).period(), v1::BUDGET_PERIOD_DAY);
  EXPECT_EQ(vim.budgets(0).spent(), spent);
  EXPECT_EQ(vim.budgets(0).remaining(), 100 - spent);
  EXPECT_EQ(vim.budgets(1).period(), v1::BUDGET_PERIOD_MONTH);
  EXPECT_EQ(vim.budgets(1).remaining(), 1000 - spent);

  // globex spent nothing and has no budget: none of acme's spend shows.
  v1::GetUsageResponse g = Usage(kGlobexToken);
  EXPECT_EQ(g.providers_size(), 0) << g.DebugString();
}

TEST_F(UsageTest, ReadingUsageTakesATokenOfTheRate) {
  // One token a minute, two in the bucket: polling usage cannot get past.
  ASSERT_NO_FATAL_FAILURE(
      Start({{"requests_per_second", 1.0 / 60}, {"burst", 2}}, json::object()));
  Usage(kAcmeToken);
  Usage(kAcmeToken);
  v1::GetUsageResponse out;
  grpc::Status refused = usage_->GetUsage(Ctx(kAcmeToken).get(), {}, &out);
  absl::Status s = rpc::FromGrpcStatus(refused);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  auto info = rpc::GetErrorInfo(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "TENANT_RATE_LIMITED");
  // Another tenant is not slowed by it.
  EXPECT_EQ(Usage(kGlobexToken).tenant(), "globex");
}

}  // namespace
}  // namespace mediagen::testing
