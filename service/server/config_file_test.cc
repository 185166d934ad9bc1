#include "service/server/config_file.h"

#include <map>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/server/option_table.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::server {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::HasSubstr;

class ConfigFileTest : public ::testing::Test {
 protected:
  SecretSources Secrets() {
    SecretSources s;
    s.env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    s.read_file = [this](const std::string& path) -> absl::StatusOr<std::string> {
      auto it = files_.find(path);
      if (it == files_.end()) return absl::NotFoundError("no file");
      return it->second;
    };
    return s;
  }
  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> files_;
  ServerOptions options_;
};

TEST_F(ConfigFileTest, AppliesEverySectionAndResolvesSecrets) {
  env_["ACME_11"] = "eleven-key";
  files_["/run/secrets/acme-vim"] = "vim-key\n";
  env_["HOOK"] = "hook-secret";
  const char* text = R"({
    "listen_address": "0.0.0.0:50051",
    "admin_address": "0.0.0.0:8081",
    "public_base_url": "https://mediagen.example.com",
    "upstreams": {"vimmerse": "http://127.0.0.1:9", "asset_path_template": "/a/{asset_id}"},
    "polling": {"min_interval_ms": 500, "max_interval_ms": 4000,
                "heartbeat_interval_ms": 5000, "timeout_ms": 2000},
    "idempotency": {"ttl_seconds": 60, "max_entries": 7},
    "webhook_secret": {"env": "HOOK"},
    "tenants": [{"name": "acme",
                 "token_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                 "keys": {"vimmerse": {"file": "/run/secrets/acme-vim"},
                          "elevenlabs": {"env": "ACME_11"}},
                 "limits": {"requests_per_second": 50, "burst": 100,
                            "concurrent_jobs": 20}}]
  })";
  ASSERT_TRUE(ApplyConfig(text, Secrets(), options_).ok());
  EXPECT_EQ(options_.listen_address, "0.0.0.0:50051");
  EXPECT_EQ(options_.public_base_url, "https://mediagen.example.com");
  EXPECT_EQ(options_.endpoints.vimmerse, "http://127.0.0.1:9");
  EXPECT_EQ(options_.endpoints.elevenlabs, "https://api.elevenlabs.io");
  EXPECT_EQ(options_.endpoints.asset_path_template, "/a/{asset_id}");
  EXPECT_EQ(options_.jobs.min_poll_interval, absl::Milliseconds(500));
  EXPECT_EQ(options_.jobs.heartbeat_interval, absl::Seconds(5));
  EXPECT_EQ(options_.poll_timeout, absl::Seconds(2));
  EXPECT_EQ(options_.idempotency_ttl, absl::Seconds(60));
  EXPECT_EQ(options_.idempotency_max_entries, 7u);
  EXPECT_EQ(options_.webhook_secret, "hook-secret");
  ASSERT_EQ(options_.tenants.size(), 1u);
  EXPECT_EQ(options_.tenants[0].credentials.vimmerse_api_key, "vim-key");
  EXPECT_EQ(options_.tenants[0].credentials.elevenlabs_api_key, "eleven-key");
  EXPECT_TRUE(options_.tenants[0].credentials.aimlapi_api_key.empty());
  EXPECT_EQ(options_.tenants[0].limits.requests_per_second, 50);
  EXPECT_EQ(options_.tenants[0].limits.burst, 100);
  EXPECT_EQ(options_.tenants[0].limits.concurrent_jobs, 20);
}

TEST_F(ConfigFileTest, GrpcDrainAndLogSettings) {
  const ServerOptions defaults;
  const char* text = R"({
    "grpc": {"max_message_bytes": 1048576, "keepalive_time_ms": 20000,
             "keepalive_timeout_ms": 5000, "min_client_ping_interval_ms": 15000,
             "max_connection_age_ms": 60000,
             "max_connection_age_grace_ms": 30000,
             "max_concurrent_streams": 100, "resource_quota_bytes": 0,
             "stream_window_bytes": 65536},
    "drain": {"delay_ms": 0, "grace_ms": 3000},
    "log_level": "debug"
  })";
  ASSERT_TRUE(ApplyConfig(text, Secrets(), options_).ok());
  EXPECT_EQ(options_.grpc.max_message_bytes, 1 << 20);
  EXPECT_EQ(options_.grpc.keepalive_time, absl::Seconds(20));
  EXPECT_EQ(options_.grpc.keepalive_timeout, absl::Seconds(5));
  EXPECT_EQ(options_.grpc.min_client_ping_interval, absl::Seconds(15));
  EXPECT_EQ(options_.grpc.max_connection_age, absl::Minutes(1));
  EXPECT_EQ(options_.grpc.max_connection_age_grace, absl::Seconds(30));
  EXPECT_EQ(options_.grpc.max_concurrent_streams, 100);
  EXPECT_EQ(options_.grpc.resource_quota_bytes, 0);
  EXPECT_EQ(options_.grpc.stream_window_bytes, 65536);
  EXPECT_EQ(options_.drain_delay, absl::ZeroDuration());
  EXPECT_EQ(options_.shutdown_grace, absl::Seconds(3));
  EXPECT_EQ(options_.shutdown_timeout, defaults.shutdown_timeout);
  EXPECT_EQ(options_.log_level, telemetry::LogLevel::kDebug);

  for (const char* bad : {R"({"grpc": {"keepalive": 1}})",
                          R"({"grpc": {"max_concurrent_streams": 0}})",
                          R"({"drain": {"delay_ms": -1}})",
                          R"({"drain": {"grace": 1}})",
                          R"({"log_level": "loud"})"}) {
    EXPECT_EQ(ApplyConfig(bad, Secrets(), options_).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

// The defaults a deployment relies on (deploy/ and README.md say them).
TEST(ServerOptionsTest, DrainDefaultsFitKubernetesDefaultGracePeriod) {
  const ServerOptions o;
  EXPECT_EQ(o.drain_delay, absl::Seconds(5));
  EXPECT_EQ(o.shutdown_grace, absl::Seconds(20));
  EXPECT_EQ(MaxDrainDuration(o), absl::Seconds(30));
}

TEST_F(ConfigFileTest, ErrorsNameTheKeyAndNeverTheSecret) {
  env_["K"] = "super-secret-value";
  struct Case {
    const char* text;
    const char* must_mention;
  } cases[] = {
      {R"({"listen": "x"})", "listen"},
      {R"({"upstreams": {"vimeo": "x"}})", "upstreams.vimeo"},
      {R"({"polling": {"min_interval_ms": -1}})", "polling.min_interval_ms"},
      {R"({"polling": {"min_interval_ms": 5000, "max_interval_ms": 10}})",
       "max_interval_ms"},
      {R"({"tenants": [{"name": "a"}]})", "tenants[0]"},
      {R"({"tenants": [{"name": "a", "token_sha256": "x",
                       "keys": {"vimmerse": "literal-key"}}]})",
       "tenants[0].keys.vimmerse"},
      {R"({"tenants": [{"name": "a", "token_sha256": "x",
                       "keys": {"aimlapi": {"env": "MISSING"}}}]})",
       "tenants[0].keys.aimlapi"},
      {R"({"tenants": [{"name": "a", "token_sha256": "x",
                       "limits": {"concurrent_jobs": 0}}]})",
       "tenants[0].limits.concurrent_jobs"},
      {R"({"tenants": [{"name": "a", "token_sha256": "x",
                       "limits": {"requests_per_minute": 5}}]})",
       "tenants[0].limits.requests_per_minute"},
      {R"({"prices": {"vimmerse": {"media_credits": 1}}})",
       "prices.vimmerse.media_credits"},
      {"{not json", "JSON"},
  };
  for (const Case& c : cases) {
    ServerOptions o;
    absl::Status s = ApplyConfig(c.text, Secrets(), o);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.message().find(c.must_mention), absl::string_view::npos)
        << s.message();
    EXPECT_EQ(s.message().find("super-secret-value"), absl::string_view::npos);
  }
}

// Every config key of the option table is accepted where its dots put it.
TEST_F(ConfigFileTest, EveryKeyOfTheOptionTableIsASetting) {
  env_["X"] = "x-secret";
  for (const OptionRow& row : OptionTable()) {
    if (row.config_key.empty()) continue;
    SCOPED_TRACE(row.config_key);
    nlohmann::json value = "text";
    const std::string& m = row.value.metavar;
    if (m == "INT") value = 1 << 20;
    if (m == "DURATION") value = 2500;  // between the poll min and max
    if (m == "BOOL") value = true;
    if (m == "LEVEL") value = "error";
    if (m == "SECRET") value = {{"env", "X"}};
    nlohmann::json doc;
    doc[nlohmann::json::json_pointer(
        "/" + absl::StrReplaceAll(row.config_key, {{".", "/"}}))] = value;
    ServerOptions o;
    EXPECT_THAT(ApplyConfig(doc.dump(), Secrets(), o), IsOk()) << doc.dump();
    EXPECT_NE(row.value.show(o), row.value.show(ServerOptions()));
  }
}

TEST_F(ConfigFileTest, CommandLineOnlyOptionsAndBadShapesAreRefused) {
  struct Case {
    const char* text;
    const char* must_mention;
  } cases[] = {
      {R"({"dev": true})", "`dev`"},
      {R"({"http_threads": 2})", "`http_threads`"},
      {R"({"grpc": 5})", "`grpc` must be an object"},
      {R"({"grpc": {"keepalive_time_ms": {"ms": 5}}})",
       "`grpc.keepalive_time_ms`"},
      {R"({"upstreams": {"vimmerse": 1}})",
       "`upstreams.vimmerse` must be a string"},
      {R"({"idempotency": {"ttl_seconds": 0}})", "`idempotency.ttl_seconds`"},
      {R"({"webhook_secret": "plain"})", "`webhook_secret`"},
      {R"({"webhook_secret": {"env": "UNSET"}})", "UNSET"},
      {"[1, 2]", "must be an object"},
  };
  for (const Case& c : cases) {
    ServerOptions o;
    EXPECT_THAT(
        ApplyConfig(c.text, Secrets(), o),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.must_mention)))
        << c.text;
  }
}

// A typo is found before anything is applied.
TEST_F(ConfigFileTest, UnknownKeysFailBeforeAnythingIsApplied) {
  ServerOptions o;
  EXPECT_THAT(
      ApplyConfig(R"({"listen_address": "0.0.0.0:1", "zzz": 1})", Secrets(), o),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("zzz")));
  EXPECT_EQ(o.listen_address, ServerOptions().listen_address);
}

TEST_F(ConfigFileTest, PricesAreReadIntoTheTable) {
  ServerOptions o;
  ASSERT_THAT(
      ApplyConfig(R"({"prices": {"vimmerse": {"media_credits_per_block": 12},
                                   "aimlapi": {"stable_audio_credits_per_step": 3}}})",
                  Secrets(), o),
      IsOk());
  EXPECT_EQ(o.prices.media_credits_per_block, 12);
  EXPECT_EQ(o.prices.stable_audio_credits_per_step, 3);
  EXPECT_EQ(o.prices.media_block_seconds, 5);  // the default stays
}

TEST(LoopbackTest, RecognizesLoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:0"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:8080"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:50051"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.5:1"));
}

}  // namespace
}  // namespace mediagen::server
