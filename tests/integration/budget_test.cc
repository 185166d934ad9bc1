// Credit budgets (issue 17) against the real server and emulator: a create
// reserves its estimated cost (Vimmerse's estimate routes, the price table
// otherwise) before anything goes upstream and settles it with what
// upstream reports; a budget refuses with QuotaFailure, ErrorInfo
// TENANT_BUDGET_EXCEEDED and RetryInfo until the period ends; failed
// creates release or keep their cost as upstream may have spent it; the
// interplay with request_id; SIGHUP; ElevenLabs characters and Stable
// Audio credits.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/audio.grpc.pb.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/stable_audio.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/common/sha256.h"
#include "tests/integration/quota_test_util.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

using json = nlohmann::json;

// The emulator's price of a ReferenceToVideo with the defaults (KlingO, one
// output, one 5-second block): tests/emulator/vimmerse_prices.h.
constexpr double kReferenceCredits = 20;
constexpr char kReferencePath[] = "/v2/video/reference-to-video";
constexpr char kVideoEstimatePath[] = "/v2/video/estimate-credits";

json Budget(const std::string& provider, const std::string& unit, double amount,
            const std::string& period = "day") {
  return {{"provider", provider},
          {"unit", unit},
          {"amount", amount},
          {"period", period}};
}

// A tenant with a key at every provider (the emulator's demo accounts).
json BudgetTenant(const std::string& name, const std::string& token,
                  const json& budgets) {
  json limits = json::object();
  if (!budgets.empty()) limits["budgets"] = budgets;
  return {{"name", name},
          {"token_sha256", Sha256Hex(token)},
          {"keys",
           {{"vimmerse", {{"env", "VIM_KEY"}}},
            {"elevenlabs", {{"env", "EL_KEY"}}},
            {"aimlapi", {{"env", "AIML_KEY"}}}}},
          {"limits", limits}};
}

// acme has `budgets`; globex has none.
std::string Config(const json& budgets) {
  return json({{"tenants",
                {BudgetTenant("acme", kAcmeToken, budgets),
                 BudgetTenant("globex", kGlobexToken, json::array())}}})
      .dump();
}

absl::StatusOr<std::unique_ptr<ServerProcess>> StartWithBudgets(
    int emulator_port, const json& budgets) {
  ServerConfig config;
  config.emulator_port = emulator_port;
  config.dev = false;
  config.config_json = Config(budgets);
  // The demo accounts: their balances are far above any budget here, so
  // every refusal below is mediagen's.
  config.env = {{"VIM_KEY", "vimmerse-demo-key"},
                {"EL_KEY", "elevenlabs-demo-key"},
                {"AIML_KEY", "aimlapi-demo-key"}};
  return ServerProcess::Start(config);
}

grpc::Status Reference(v1::VideoService::Stub& video, const std::string& token,
                       const std::string& request_id = "",
                       v1::ReferenceToVideoResponse* out = nullptr) {
  v1::ReferenceToVideoRequest req;
  req.add_image_urls("https://example.com/cat.png");
  req.set_prompt("a cat on a windowsill");
  if (!request_id.empty()) req.set_request_id(request_id);
  v1::ReferenceToVideoResponse resp;
  return video.ReferenceToVideo(Ctx(token).get(), req, out ? out : &resp);
}

size_t Sent(EmulatorProcess& emu, const std::string& path) {
  return emu.Requests("POST", path).size();
}

// The ErrorInfo reason of a budget refusal of acme, checked to carry the
// QuotaFailure and a RetryInfo; "" when `status` is not such a refusal.
std::string BudgetRefusal(const grpc::Status& status,
                          absl::Duration* retry = nullptr) {
  absl::Status s = rpc::FromGrpcStatus(status);
  if (s.code() != absl::StatusCode::kResourceExhausted) return "not refused";
  auto failure = rpc::GetQuotaFailure(s);
  if (!failure.has_value() || failure->violations_size() != 1 ||
      failure->violations(0).subject() != "tenants/acme") {
    return "no QuotaFailure for tenants/acme";
  }
  std::optional<absl::Duration> delay = rpc::RetryDelay(s);
  if (!delay.has_value()) return "no RetryInfo";
  if (retry != nullptr) *retry = *delay;
  auto info = rpc::GetErrorInfo(s);
  return info.has_value() ? info->reason() : "no ErrorInfo";
}

// When the current UTC day ends, from now.
absl::Duration UntilUtcMidnight() {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::Time now = absl::Now();
  return absl::FromCivil(absl::ToCivilDay(now, utc) + 1, utc) - now;
}

TEST(BudgetTest, CreatesAreAcceptedUntilTheNextWouldExceedTheBudget) {
  auto emu = EmulatorProcess::Start({"--time_scale=0.02"});
  ASSERT_THAT(emu, IsOk());
  auto server = StartWithBudgets(
      (*emu)->port(), json::array({Budget("vimmerse", "credits", 50)}));
  ASSERT_THAT(server, IsOk());
  auto video = v1::VideoService::NewStub((*server)->channel());
  auto media = v1::MediaService::NewStub((*server)->channel());

  // 20 + 20 of 50: both accepted, each priced by the estimate route first.
  ASSERT_THAT(Reference(*video, kAcmeToken), IsOk());
  ASSERT_THAT(Reference(*video, kAcmeToken), IsOk());
  EXPECT_EQ(Sent(**emu, kReferencePath), 2u);
  EXPECT_EQ(Sent(**emu, kVideoEstimatePath), 2u);
  EXPECT_EQ(Spent(**server, "acme", "vimmerse", "credits"),
            2 * kReferenceCredits);

  // A third would make 60: refused, with the estimate asked but nothing
  // sent upstream.
  absl::Duration retry;
  grpc::Status refused = Reference(*video, kAcmeToken);
  EXPECT_EQ(BudgetRefusal(refused, &retry), "TENANT_BUDGET_EXCEEDED")
      << refused.error_message();
  EXPECT_EQ(Sent(**emu, kVideoEstimatePath), 3u);
  EXPECT_EQ(Sent(**emu, kReferencePath), 2u);
  EXPECT_EQ(rpc::GetQuotaFailure(rpc::FromGrpcStatus(refused))
                ->violations(0)
                .description(),
            "at most 50 vimmerse credits per day");
  // RetryInfo: when the UTC day ends.
  EXPECT_LE(absl::AbsDuration(retry - UntilUtcMidnight()), absl::Seconds(5))
      << retry;

  // Media is priced by the table (10 credits for one 5-second output):
  // it still fits, and then nothing does.
  v1::CreateMediaRequest m;
  m.set_prompt("a lighthouse at dawn");
  v1::CreateMediaResponse created;
  EXPECT_THAT(media->CreateMedia(Ctx(kAcmeToken).get(), m, &created), IsOk());
  EXPECT_EQ(
      BudgetRefusal(media->CreateMedia(Ctx(kAcmeToken).get(), m, &created)),
      "TENANT_BUDGET_EXCEEDED");
  EXPECT_EQ(Sent(**emu, "/v2/media"), 1u);

  // globex has no budget: nothing limits it, and no estimate is asked.
  const size_t estimates = Sent(**emu, kVideoEstimatePath);
  EXPECT_THAT(Reference(*video, kGlobexToken), IsOk());
  EXPECT_EQ(Sent(**emu, kVideoEstimatePath), estimates);
  // ... yet what upstream reported is recorded.
  EXPECT_EQ(Spent(**server, "globex", "vimmerse", "credits"),
            kReferenceCredits);
}

TEST(BudgetTest, VimmerseAudioIsPricedByTheAudioEstimateRoute) {
  auto emu = EmulatorProcess::Start({"--time_scale=0.02"});
  ASSERT_THAT(emu, IsOk());
  auto server = StartWithBudgets(
      (*emu)->port(), json::array({Budget("vimmerse", "credits", 10)}));
  ASSERT_THAT(server, IsOk());
  auto audio = v1::AudioService::NewStub((*server)->channel());
  auto speak = [&]() {
    v1::TextToSpeechRequest req;
    req.set_prompt("Hello from the budget test.");
    v1::TextToSpeechResponse out;
    return audio->TextToSpeech(Ctx(kAcmeToken).get(), req, &out);
  };
  // 8 credits (ElevenLabsTTS, under 1000 characters) of 10, then 16.
  ASSERT_THAT(speak(), IsOk());
  EXPECT_EQ(Sent(**emu, "/v2/audio/estimate-credits"), 1u);
  EXPECT_EQ(Spent(**server, "acme", "vimmerse", "credits"), 8);
  EXPECT_EQ(BudgetRefusal(speak()), "TENANT_BUDGET_EXCEEDED");
  EXPECT_EQ(Sent(**emu, "/v2/audio/estimate-credits"), 2u);
  EXPECT_EQ(Sent(**emu, "/v2/audio/text-2-speech"), 1u);
}

TEST(BudgetTest, ARegeneratingUpdateIsPricedWithTheMediasOwnSize) {
  auto emu = EmulatorProcess::Start({"--time_scale=0.02"});
  ASSERT_THAT(emu, IsOk());
  auto server = StartWithBudgets(
      (*emu)->port(), json::array({Budget("vimmerse", "credits", 70)}));
  ASSERT_THAT(server, IsOk());
  auto media = v1::MediaService::NewStub((*server)->channel());

  // Two outputs of two 5-second blocks: 40 credits.
  v1::CreateMediaRequest create;
  create.set_prompt("a lighthouse at dawn");
  create.set_quantity(2);
  create.set_duration(10);
  v1::CreateMediaResponse created;
  ASSERT_THAT(media->CreateMedia(Ctx(kAcmeToken).get(), create, &created),
              IsOk());
  EXPECT_EQ(Spent(**server, "acme", "vimmerse", "credits"), 40);

  // A new prompt regenerates at the media's own size (40 more, over 70),
  // which is read first; without that read it would pass as 10.
  v1::UpdateMediaRequest update;
  update.set_name(created.media().name());
  update.set_prompt("a lighthouse at dusk");
  v1::UpdateMediaResponse updated;
  EXPECT_EQ(BudgetRefusal(
                media->UpdateMedia(Ctx(kAcmeToken).get(), update, &updated)),
            "TENANT_BUDGET_EXCEEDED");
  EXPECT_GE((*emu)->Requests("GET", "/v2/media/").size(), 1u);
  EXPECT_EQ((*emu)->Requests("PUT", "/v2/media/").size(), 0u);
  // Made smaller by the request itself, it fits: 10 more.
  update.set_quantity(1);
  update.set_duration(5);
  EXPECT_THAT(media->UpdateMedia(Ctx(kAcmeToken).get(), update, &updated),
              IsOk());
  EXPECT_EQ(Spent(**server, "acme", "vimmerse", "credits"), 50);
  // Only a title: free.
  v1::UpdateMediaRequest rename;
  rename.set_name(created.media().name());
  rename.set_title("renamed");
  EXPECT_THAT(media->UpdateMedia(Ctx(kAcmeToken).get(), rename, &updated),
              IsOk());
  EXPECT_EQ(Spent(**server, "acme", "vimmerse", "credits"), 50);
}

TEST(BudgetTest, AJobReportingFewerCreditsThanEstimatedFreesTheDifference) {
  // Jobs charge and report half of their price; estimates stay full.
  auto emu =
      EmulatorProcess::Start({"--time_scale=0.02", "--charge_ratio=0.5"});
  ASSERT_THAT(emu, IsOk());
  auto server = StartWithBudgets(
      (*emu)->port(), json::array({Budget("vimmerse", "credits", 30)}));
  ASSERT_THAT(server, IsOk());
  auto video = v1::VideoService::NewStub((*server)->channel());

  // Reserves 20, settles 10; the second then fits (10 + 20 <= 30), which
  // it would not if the estimate had stood.
  v1::ReferenceToVideoResponse first;
  ASSERT_THAT(Reference(*video, kAcmeToken, "", &first), IsOk());
  ASSERT_EQ(first.asset().credits(), kReferenceCredits / 2);
  ASSERT_THAT(Reference(*video, kAcmeToken), IsOk());
  EXPECT_EQ(Spent(**server, "acme", "vimmerse", "credits"), kReferenceCredits);
  // 20 spent + 20 estimated > 30.
  EXPECT_EQ(BudgetRefusal(Reference(*video, kAcmeToken)),
            "TENANT_BUDGET_EXCEEDED");
  EXPECT_EQ(Sent(**emu, kReferencePath), 2u);
}

TEST(BudgetTest, A4xxReleasesTheReservationAndA5xxLetsTheEstimateStand) {
  auto emu = EmulatorProcess::Start({"--time_scale=0.02"});
  ASSERT_THAT(emu, IsOk());
  auto server = StartWithBudgets(
      (*emu)->port(), json::array({Budget("vimmerse", "credits", 40)}));
  ASSERT_THAT(server, IsOk());
  auto video = v1::VideoService::NewStub((*server)->channel());

  // Upstream refuses (402, out of credit): nothing was spent.
  (*emu)->Post("/_emulator/faults", {{"method", "POST"},
                                     {"path", kReferencePath},
                                     {"status", 402},
                                     {"times", 1}});
  grpc::Status refused = Reference(*video, kAcmeToken);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << refused.error_message();
  EXPECT_EQ(Spent(**server, "acme", "vimmerse", "credits"), 0);

  // Upstream fails (500): it may have charged, so the estimate stands.
  (*emu)->Post("/_emulator/faults", {{"method", "POST"},
                                     {"path", kReferencePath},
                                     {"status", 500},
                                     {"times", 1}});
  grpc::Status failed = Reference(*video, kAcmeToken);
  ASSERT_NE(failed.error_code(), grpc::StatusCode::OK);
  ASSERT_NE(failed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Spent(**server, "acme", "vimmerse", "credits"), kReferenceCredits);

  // So one more fits (40), and the next does not.
  EXPECT_THAT(Reference(*video, kAcmeToken), IsOk());
  EXPECT_EQ(BudgetRefusal(Reference(*video, kAcmeToken)),
            "TENANT_BUDGET_EXCEEDED");
}

TEST(BudgetTest, AFailedEstimateRefusesTheCreateAndSendsNothing) {
  auto emu = EmulatorProcess::Start({"--time_scale=0.02"});
  ASSERT_THAT(emu, IsOk());
  auto server = StartWithBudgets(
      (*emu)->port(), json::array({Budget("vimmerse", "credits", 1000)}));
  ASSERT_THAT(server, IsOk());
  auto video = v1::VideoService::NewStub((*server)->channel());
  (*emu)->Post(
      "/_emulator/faults",
      {{"method", "POST"}, {"path", kVideoEstimatePath}, {"status", 400}});

  grpc::Status refused = Reference(*video, kAcmeToken, "estimate-down-1");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE)
      << refused.error_message();
  auto info = rpc::GetErrorInfo(rpc::FromGrpcStatus(refused));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "COST_ESTIMATE_UNAVAILABLE");
  EXPECT_EQ(Sent(**emu, kReferencePath), 0u);
  // A tenant without a budget needs no estimate.
  EXPECT_THAT(Reference(*video, kGlobexToken), IsOk());

  // The refusal was not the request_id's outcome: once the estimate route
  // is back, the same request_id goes through.
  (*emu)->Delete("/_emulator/faults");
  EXPECT_THAT(Reference(*video, kAcmeToken, "estimate-down-1"), IsOk());
  EXPECT_EQ(Sent(**emu, kReferencePath), 2u);
}

TEST(BudgetTest, RequestIdDuplicatesSpendNothingAndSighupChangesTheBudget) {
  auto emu = EmulatorProcess::Start({"--time_scale=0.02"});
  ASSERT_THAT(emu, IsOk());
  auto server = StartWithBudgets(
      (*emu)->port(), json::array({Budget("vimmerse", "credits", 40)}));
  ASSERT_THAT(server, IsOk());
  auto video = v1::VideoService::NewStub((*server)->channel());

  v1::ReferenceToVideoResponse first, again;
  ASSERT_THAT(Reference(*video, kAcmeToken, "budget-r1", &first), IsOk());
  // A duplicate is answered from the request_id store: no estimate, no
  // create, nothing reserved or spent.
  ASSERT_THAT(Reference(*video, kAcmeToken, "budget-r1", &again), IsOk());
  EXPECT_EQ(again.asset().id(), first.asset().id());
  EXPECT_EQ(Sent(**emu, kVideoEstimatePath), 1u);
  EXPECT_EQ(Sent(**emu, kReferencePath), 1u);
  EXPECT_EQ(Spent(**server, "acme", "vimmerse", "credits"), kReferenceCredits);

  ASSERT_THAT(Reference(*video, kAcmeToken, "budget-r2"), IsOk());
  // 60 > 40: refused, and not remembered as budget-r3's outcome.
  EXPECT_EQ(BudgetRefusal(Reference(*video, kAcmeToken, "budget-r3")),
            "TENANT_BUDGET_EXCEEDED");

  // A broken file keeps the running budget.
  ASSERT_TRUE((*server)->Reload("{not json", "config reload failed"));
  EXPECT_EQ(BudgetRefusal(Reference(*video, kAcmeToken, "budget-r3")),
            "TENANT_BUDGET_EXCEEDED");
  // A larger budget applies at once; the same request_id now passes.
  ASSERT_TRUE((*server)->Reload(
      Config(json::array({Budget("vimmerse", "credits", 60)})),
      "config reloaded"))
      << (*server)->process().stderr_text();
  EXPECT_THAT(Reference(*video, kAcmeToken, "budget-r3"), IsOk());
  EXPECT_EQ(Sent(**emu, kReferencePath), 3u);
  EXPECT_EQ(BudgetRefusal(Reference(*video, kAcmeToken, "budget-r4")),
            "TENANT_BUDGET_EXCEEDED");
  // A smaller one too.
  ASSERT_TRUE((*server)->Reload(
      Config(json::array({Budget("vimmerse", "credits", 10)})),
      "config reloaded"));
  EXPECT_EQ(BudgetRefusal(Reference(*video, kAcmeToken, "budget-r4")),
            "TENANT_BUDGET_EXCEEDED");
  EXPECT_EQ(Sent(**emu, kReferencePath), 3u);
}

TEST(BudgetTest, SighupReplacesThePriceTable) {
  auto emu = EmulatorProcess::Start({"--time_scale=0.02"});
  ASSERT_THAT(emu, IsOk());
  const json budgets = json::array({Budget("vimmerse", "credits", 100)});
  auto server = StartWithBudgets((*emu)->port(), budgets);
  ASSERT_THAT(server, IsOk());
  auto media = v1::MediaService::NewStub((*server)->channel());
  auto create = [&]() {
    v1::CreateMediaRequest m;
    m.set_prompt("a lighthouse at dawn");
    v1::CreateMediaResponse out;
    return media->CreateMedia(Ctx(kAcmeToken).get(), m, &out);
  };
  auto with_prices = [&](double per_block) {
    json doc = json::parse(Config(budgets));
    doc["prices"] = {{"vimmerse", {{"media_credits_per_block", per_block}}}};
    return doc.dump();
  };

  ASSERT_TRUE((*server)->Reload(with_prices(60), "config reloaded"));
  ASSERT_THAT(create(), IsOk());  // 60 of 100
  EXPECT_EQ(BudgetRefusal(create()), "TENANT_BUDGET_EXCEEDED");
  ASSERT_TRUE((*server)->Reload(with_prices(30), "config reloaded"));
  EXPECT_THAT(create(), IsOk());  // 90 of 100
  EXPECT_EQ(Spent(**server, "acme", "vimmerse", "credits"), 90);
  // A price that does not parse keeps the running table.
  ASSERT_TRUE(
      (*server)->Reload(R"({"tenants": [], "prices": {"vimmerse": {"x": 1}}})",
                        "config reload failed"));
  EXPECT_EQ(BudgetRefusal(create()), "TENANT_BUDGET_EXCEEDED");  // 120
  EXPECT_EQ(Sent(**emu, "/v2/media"), 2u);
}

TEST(BudgetTest, ElevenLabsCharactersAndStableAudioCredits) {
  auto emu = EmulatorProcess::Start({"--time_scale=0.02"});
  ASSERT_THAT(emu, IsOk());
  // 45 characters of 60; Stable Audio at 252 credits a step, of 30000.
  auto server = StartWithBudgets(
      (*emu)->port(),
      json::array({Budget("elevenlabs", "characters", 60, "month"),
                   Budget("aimlapi", "credits", 30000, "month")}));
  ASSERT_THAT(server, IsOk());
  auto eleven = v1::ElevenLabsService::NewStub((*server)->channel());
  auto stable = v1::StableAudioService::NewStub((*server)->channel());

  v1::SynthesizeSpeechRequest speech;
  speech.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  speech.set_text("The quick brown fox jumps over the lazy dog!!");  // 45
  auto speak = [&]() {
    auto ctx = Ctx(kAcmeToken);
    auto stream = eleven->SynthesizeSpeech(ctx.get(), speech);
    v1::SynthesizeSpeechResponse msg;
    while (stream->Read(&msg)) {
    }
    return stream->Finish();
  };
  ASSERT_THAT(speak(), IsOk());
  EXPECT_EQ(Spent(**server, "acme", "elevenlabs", "characters"), 45);
  EXPECT_EQ(BudgetRefusal(speak()), "TENANT_BUDGET_EXCEEDED");
  EXPECT_EQ((*emu)->Requests("POST", "/v1/text-to-speech/").size(), 1u);

  v1::GenerateAudioRequest gen;
  gen.set_prompt("lo-fi beat");
  auto generate = [&]() {
    v1::GenerateAudioResponse out;
    return stable->GenerateAudio(Ctx(kAcmeToken).get(), gen, &out);
  };
  // 100 steps when none is given: 25200, then 50400 would be over.
  ASSERT_THAT(generate(), IsOk());
  EXPECT_EQ(Spent(**server, "acme", "aimlapi", "credits"), 25200);
  EXPECT_EQ(BudgetRefusal(generate()), "TENANT_BUDGET_EXCEEDED");
  // 10 steps cost 2520: that still fits (27720), a second (30240) not.
  gen.set_steps(10);
  EXPECT_THAT(generate(), IsOk());
  EXPECT_EQ(Spent(**server, "acme", "aimlapi", "credits"), 27720);
  EXPECT_EQ(BudgetRefusal(generate()), "TENANT_BUDGET_EXCEEDED");
  EXPECT_EQ(Sent(**emu, "/v2/generate/audio"), 2u);
}

}  // namespace
}  // namespace mediagen::testing
