// The option table's own rules: names unique and well formed, every row
// reachable and explained, config keys that nest without clashing, and
// every row wired to the member it says (a value set through the row is
// the value the member holds).
#include "service/server/option_table.h"

#include <set>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::server {
namespace {

using ::mediagen::testing::IsOk;

bool IsName(absl::string_view s, absl::string_view extra) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          extra.find(c) != absl::string_view::npos)) {
      return false;
    }
  }
  return true;
}

TEST(OptionTableTest, NamesAreUniqueAndWellFormed) {
  std::set<std::string> flags, keys;
  for (const OptionRow& row : OptionTable()) {
    SCOPED_TRACE(row.flag + " " + row.config_key);
    EXPECT_FALSE(row.flag.empty() && row.config_key.empty())
        << "a row must be reachable from the command line or the file";
    if (!row.flag.empty()) {
      EXPECT_TRUE(IsName(row.flag, "")) << row.flag;
      EXPECT_TRUE(flags.insert(row.flag).second) << "duplicate flag";
      // Reserved by the command line itself.
      EXPECT_NE(row.flag, "config");
      EXPECT_NE(row.flag, "help");
      // --noNAME must not be ambiguous.
      EXPECT_FALSE(absl::StartsWith(row.flag, "no")) << row.flag;
    }
    if (!row.config_key.empty()) {
      EXPECT_TRUE(IsName(row.config_key, ".")) << row.config_key;
      EXPECT_FALSE(absl::StartsWith(row.config_key, ".") ||
                   absl::EndsWith(row.config_key, ".") ||
                   absl::StrContains(row.config_key, ".."));
      EXPECT_TRUE(keys.insert(row.config_key).second) << "duplicate key";
      EXPECT_NE(row.config_key, "tenants");  // structured, config_file.cc
    }
    EXPECT_FALSE(row.group.empty());
    EXPECT_FALSE(row.help.empty());
    EXPECT_FALSE(row.value.metavar.empty());
    EXPECT_TRUE(row.value.from_flag && row.value.from_json && row.value.show);
  }
  // No key is also the section of another (`grpc` and `grpc.x`).
  for (const std::string& a : keys) {
    for (const std::string& b : keys) {
      EXPECT_FALSE(absl::StartsWith(b, a + ".")) << a << " and " << b;
    }
  }
}

TEST(OptionTableTest, DurationKeysNameTheirUnit) {
  for (const OptionRow& row : OptionTable()) {
    if (row.value.metavar != "DURATION" || row.config_key.empty()) continue;
    EXPECT_TRUE(absl::EndsWith(row.config_key, "_ms") ||
                absl::EndsWith(row.config_key, "_seconds"))
        << row.config_key;
  }
}

TEST(OptionTableTest, FindsRowsByFlagAndKey) {
  ASSERT_NE(FindFlag("keepalive_time"), nullptr);
  EXPECT_EQ(FindFlag("keepalive_time")->config_key, "grpc.keepalive_time_ms");
  ASSERT_NE(FindConfigKey("drain.grace_ms"), nullptr);
  EXPECT_EQ(FindConfigKey("drain.grace_ms")->flag, "shutdown_grace");
  EXPECT_EQ(FindFlag(""), nullptr);
  EXPECT_EQ(FindConfigKey(""), nullptr);
  EXPECT_EQ(FindFlag("nope"), nullptr);
  EXPECT_EQ(FindConfigKey("grpc"), nullptr);
  for (const OptionRow& row : OptionTable()) {
    if (!row.flag.empty()) {
      EXPECT_EQ(FindFlag(row.flag), &row);
    }
    if (!row.config_key.empty()) {
      EXPECT_EQ(FindConfigKey(row.config_key), &row);
    }
  }
}

// A default written in ServerOptions is what each row shows, and setting a
// row changes what it shows and nothing else a row shows: so each row is
// bound to its own member.
TEST(OptionTableTest, EachRowSetsItsOwnMember) {
  const SecretSources secrets{
      [](const std::string&) { return std::optional<std::string>("s3cret"); },
      [](const std::string&) -> absl::StatusOr<std::string> { return "x"; }};
  const ServerOptions defaults;
  for (const OptionRow& changed : OptionTable()) {
    SCOPED_TRACE(changed.flag + " " + changed.config_key);
    // A value other than the default, valid for the row's kind.
    std::string text;
    const std::string& m = changed.value.metavar;
    if (m == "INT") text = "123456789";
    if (m == "DURATION") text = "123s";
    if (m == "BOOL") text = "true";
    if (m == "LEVEL") text = "error";
    if (m == "SECRET") text = "env:OTHER_NAME";
    if (text.empty()) text = "changed-text";
    if (changed.value.show(defaults) == "true") text = "false";
    ServerOptions o;
    ASSERT_THAT(changed.value.from_flag(text, secrets, o), IsOk());
    EXPECT_NE(changed.value.show(o), changed.value.show(defaults));
    for (const OptionRow& other : OptionTable()) {
      if (&other == &changed) continue;
      EXPECT_EQ(other.value.show(o), other.value.show(defaults))
          << "setting --" << changed.flag << " also changed " << other.flag
          << " " << other.config_key;
    }
  }
}

// Every flag and config key that scripts, tests and deploy/ use keeps
// working: the names as they were before the table.
TEST(OptionTableTest, KeepsEveryExistingName) {
  for (const char* flag : {"listen",
                           "admin_listen",
                           "public_base_url",
                           "vimmerse_url",
                           "elevenlabs_url",
                           "aimlapi_url",
                           "asset_path_template",
                           "dev",
                           "allow_dev_mode_on_any_address",
                           "dev_vimmerse_key",
                           "dev_elevenlabs_key",
                           "dev_aimlapi_key",
                           "webhook_secret",
                           "poll_min_interval",
                           "poll_max_interval",
                           "poll_timeout",
                           "heartbeat_interval",
                           "idempotency_ttl",
                           "http_threads",
                           "drain_delay",
                           "shutdown_grace",
                           "shutdown_timeout",
                           "log_level",
                           "max_message_bytes",
                           "keepalive_time",
                           "keepalive_timeout",
                           "min_client_ping_interval",
                           "max_connection_age",
                           "max_connection_age_grace",
                           "max_concurrent_streams",
                           "resource_quota_bytes",
                           "stream_window_bytes"}) {
    EXPECT_NE(FindFlag(flag), nullptr) << "--" << flag;
  }
  for (const char* key : {"listen_address",
                          "admin_address",
                          "public_base_url",
                          "upstreams.vimmerse",
                          "upstreams.elevenlabs",
                          "upstreams.aimlapi",
                          "upstreams.asset_path_template",
                          "polling.min_interval_ms",
                          "polling.max_interval_ms",
                          "polling.heartbeat_interval_ms",
                          "polling.timeout_ms",
                          "idempotency.ttl_seconds",
                          "idempotency.max_entries",
                          "webhook_secret",
                          "grpc.max_message_bytes",
                          "grpc.keepalive_time_ms",
                          "grpc.keepalive_timeout_ms",
                          "grpc.min_client_ping_interval_ms",
                          "grpc.max_connection_age_ms",
                          "grpc.max_connection_age_grace_ms",
                          "grpc.max_concurrent_streams",
                          "grpc.resource_quota_bytes",
                          "grpc.stream_window_bytes",
                          "drain.delay_ms",
                          "drain.grace_ms",
                          "drain.timeout_ms",
                          "log_level"}) {
    EXPECT_NE(FindConfigKey(key), nullptr) << key;
  }
  // Pairs that set the same member from both sides.
  EXPECT_EQ(FindFlag("listen"), FindConfigKey("listen_address"));
  EXPECT_EQ(FindFlag("poll_timeout"), FindConfigKey("polling.timeout_ms"));
  EXPECT_EQ(FindFlag("idempotency_ttl"),
            FindConfigKey("idempotency.ttl_seconds"));
  EXPECT_EQ(FindFlag("shutdown_timeout"), FindConfigKey("drain.timeout_ms"));
}

}  // namespace
}  // namespace mediagen::server
