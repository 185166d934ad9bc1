#include "tests/emulator/flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mediagen::emulator {
namespace {

TEST(FlagsTest, DefaultsWithoutFlags) {
  absl::StatusOr<ParsedFlags> f = ParseFlags(std::vector<std::string>{});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->help);
  EXPECT_EQ(f->options.port, 0);
  EXPECT_TRUE(f->options.strict);
  EXPECT_TRUE(f->options.accounts.empty());
  // No keys given: every provider gets its default set.
  std::vector<AccountSpec> all = ResolvedAccounts(f->options);
  EXPECT_EQ(all.size(), 8u);
}

TEST(FlagsTest, ParsesEveryFlag) {
  absl::StatusOr<ParsedFlags> f = ParseFlags(
      std::vector<std::string>{"--port=8089",
                               "--host=0.0.0.0",
                               "--time_scale=0.01",
                               "--job_seconds=4",
                               "--charge_ratio=0.5",
                               "--nostrict",
                               "--webhooks=false",
                               "--webhook_max_attempts=3",
                               "--webhook_timeout_ms=500",
                               "--elevenlabs_concurrency=7",
                               "--threads=64",
                               "--keep_alive_timeout_s=2",
                               "--request_log_max=5",
                               "--request_log_body_cap=9",
                               "--public_url=http://emu:1",
                               "--log_requests",
                               R"(--fault={"path": "/x", "status": 500})",
                               "--vimmerse_key=k1:100",
                               "--vimmerse_key=k2:2.5:alice",
                               "--elevenlabs_key=e1",
                               "--elevenlabs_key=e2:bob:3",
                               "--aimlapi_key=a1:1000:carol"});
  ASSERT_TRUE(f.ok()) << f.status();
  const EmulatorOptions& o = f->options;
  EXPECT_EQ(o.port, 8089);
  EXPECT_EQ(o.host, "0.0.0.0");
  EXPECT_EQ(o.time_scale, 0.01);
  EXPECT_EQ(o.job_seconds, 4);
  EXPECT_EQ(o.charge_ratio, 0.5);
  EXPECT_FALSE(o.strict);
  EXPECT_FALSE(o.webhooks);
  EXPECT_EQ(o.webhook_max_attempts, 3);
  EXPECT_EQ(o.webhook_timeout_ms, 500);
  EXPECT_EQ(o.elevenlabs_concurrency, 7);
  EXPECT_EQ(o.threads, 64);
  EXPECT_EQ(o.keep_alive_timeout_s, 2);
  EXPECT_EQ(o.request_log_max_entries, 5u);
  EXPECT_EQ(o.request_log_body_cap, 9u);
  EXPECT_EQ(o.public_url, "http://emu:1");
  EXPECT_TRUE(o.log_requests);
  ASSERT_EQ(o.faults.size(), 1u);
  ASSERT_EQ(o.accounts.size(), 5u);
  EXPECT_EQ(o.accounts[0].customer_id, "vimmerse-customer-1");
  EXPECT_EQ(o.accounts[0].credits, 100);
  EXPECT_EQ(o.accounts[1].customer_id, "alice");
  EXPECT_EQ(o.accounts[1].credits, 2.5);
  EXPECT_EQ(o.accounts[2].provider, Provider::kElevenLabs);
  EXPECT_EQ(o.accounts[2].customer_id, "elevenlabs-customer-1");
  EXPECT_EQ(o.accounts[3].customer_id, "bob");
  EXPECT_EQ(o.accounts[3].concurrency_limit, 3);
  EXPECT_EQ(o.accounts[4].customer_id, "carol");
  // Keys given for every provider: no defaults added.
  EXPECT_EQ(ResolvedAccounts(o).size(), 5u);
}

TEST(FlagsTest, RejectsMistakes) {
  for (const char* bad :
       {"--port=-1", "--port=70000", "--time_scale=fast", "--colour=red",
        "--vimmerse_key=k1", "--vimmerse_key=:5", "--vimmerse_key=k:x",
        "--aimlapi_key=a:1:b:c", "--elevenlabs_key=e:c:0", "--threads=1",
        "--strict=maybe", "--port", "stray"}) {
    EXPECT_FALSE(ParseFlags(std::vector<std::string>{bad}).ok()) << bad;
  }
}

TEST(FlagsTest, HelpDocumentsFlagsKeysAndControlApi) {
  absl::StatusOr<ParsedFlags> f =
      ParseFlags(std::vector<std::string>{"--help"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->help);
  const std::string help = HelpText();
  for (const char* s :
       {"--time_scale", "--vimmerse_key=KEY:CREDITS", "vimmerse-demo-key",
        "elevenlabs-demo-key", "aimlapi-demo-key", "/_emulator/faults",
        "/_emulator/requests", "/_emulator/reset", "--fault=JSON"}) {
    EXPECT_NE(help.find(s), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace mediagen::emulator
