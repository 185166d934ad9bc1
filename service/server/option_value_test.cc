// Each kind of option value, from a flag's text and from config JSON, good
// values and bad ones, and how its default is shown.
#include "service/server/option_value.h"

#include <map>

#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::server {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using O = ServerOptions;
using G = ServerOptions::GrpcOptions;

constexpr auto kBad = absl::StatusCode::kInvalidArgument;

class OptionValueTest : public ::testing::Test {
 protected:
  SecretSources Secrets() {
    SecretSources s;
    s.env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    s.read_file = [](const std::string&) -> absl::StatusOr<std::string> {
      return absl::NotFoundError("no file");
    };
    return s;
  }
  absl::Status Flag(const OptionValue& v, absl::string_view text) {
    return v.from_flag(text, Secrets(), o_);
  }
  absl::Status Json(const OptionValue& v, const char* value,
                    absl::string_view key = "key") {
    return v.from_json(json::parse(value), key, Secrets(), o_);
  }
  std::map<std::string, std::string> env_;
  ServerOptions o_;
};

TEST_F(OptionValueTest, Text) {
  const OptionValue v = Text(Member(&O::listen_address), "ADDRESS");
  EXPECT_EQ(v.metavar, "ADDRESS");
  EXPECT_FALSE(v.is_bool);
  EXPECT_EQ(v.show(O()), "127.0.0.1:50051");
  ASSERT_THAT(Flag(v, "0.0.0.0:1"), IsOk());
  EXPECT_EQ(o_.listen_address, "0.0.0.0:1");
  ASSERT_THAT(Json(v, R"("[::]:2")"), IsOk());
  EXPECT_EQ(o_.listen_address, "[::]:2");
  EXPECT_THAT(Json(v, "5"), StatusIs(kBad, HasSubstr("must be a string")));
  EXPECT_THAT(Json(v, "null"), StatusIs(kBad));
  EXPECT_EQ(o_.listen_address, "[::]:2");
  EXPECT_EQ(Text(Member(&O::public_base_url)).show(O()), "");
}

TEST_F(OptionValueTest, IntWithBounds) {
  const OptionValue v =
      Int(Member(&O::grpc, &G::max_message_bytes), 1024);  // an int member
  EXPECT_EQ(v.show(O()), "8388608 (8 MiB)");
  ASSERT_THAT(Flag(v, "2048"), IsOk());
  EXPECT_EQ(o_.grpc.max_message_bytes, 2048);
  ASSERT_THAT(Json(v, "4096"), IsOk());
  EXPECT_EQ(o_.grpc.max_message_bytes, 4096);
  EXPECT_THAT(Flag(v, "1023"), StatusIs(kBad, HasSubstr("1024")));
  EXPECT_THAT(Flag(v, "2147483648"), StatusIs(kBad));  // past int
  EXPECT_THAT(Flag(v, "12x"), StatusIs(kBad, HasSubstr("'12x'")));
  EXPECT_THAT(Flag(v, ""), StatusIs(kBad));
  EXPECT_THAT(Json(v, "1023"), StatusIs(kBad));
  EXPECT_THAT(Json(v, "2147483648"), StatusIs(kBad));
  EXPECT_THAT(Json(v, "18446744073709551615"), StatusIs(kBad));
  EXPECT_THAT(Json(v, "2048.5"), StatusIs(kBad));
  EXPECT_THAT(Json(v, R"("2048")"), StatusIs(kBad));
  EXPECT_EQ(o_.grpc.max_message_bytes, 4096);

  // An explicit maximum below the member's, on an int64_t member.
  const OptionValue window =
      Int(Member(&O::grpc, &G::stream_window_bytes), 0, INT32_MAX);
  ASSERT_THAT(Flag(window, "0"), IsOk());
  EXPECT_EQ(o_.grpc.stream_window_bytes, 0);
  EXPECT_THAT(Json(window, "2147483648"),
              StatusIs(kBad, HasSubstr("from 0 to 2147483647")));
  EXPECT_THAT(Flag(window, "-1"), StatusIs(kBad));

  // A size_t member.
  const OptionValue entries = Int(Member(&O::idempotency_max_entries), 1);
  EXPECT_EQ(entries.show(O()), "100000");
  ASSERT_THAT(Json(entries, "7"), IsOk());
  EXPECT_EQ(o_.idempotency_max_entries, 7u);
  EXPECT_THAT(Json(entries, "0"), StatusIs(kBad, HasSubstr(">= 1")));
}

TEST_F(OptionValueTest, Bool) {
  const OptionValue v = Bool(Member(&O::dev_mode));
  EXPECT_TRUE(v.is_bool);
  EXPECT_EQ(v.show(O()), "false");
  for (const char* yes : {"true", "True", "1", "yes", "y", "t"}) {
    o_.dev_mode = false;
    ASSERT_THAT(Flag(v, yes), IsOk()) << yes;
    EXPECT_TRUE(o_.dev_mode) << yes;
  }
  for (const char* no : {"false", "0", "no", "n", "f"}) {
    o_.dev_mode = true;
    ASSERT_THAT(Flag(v, no), IsOk()) << no;
    EXPECT_FALSE(o_.dev_mode) << no;
  }
  EXPECT_THAT(Flag(v, "maybe"), StatusIs(kBad, HasSubstr("true or false")));
  ASSERT_THAT(Json(v, "true"), IsOk());
  EXPECT_TRUE(o_.dev_mode);
  EXPECT_THAT(Json(v, R"("true")"), StatusIs(kBad));
  EXPECT_THAT(Json(v, "1"), StatusIs(kBad));
}

TEST_F(OptionValueTest, DurationTakesAbslSyntaxOnFlagsAndUnitsFromTheKey) {
  const OptionValue v =
      Duration(Member(&O::grpc, &G::keepalive_time), absl::Milliseconds(1));
  EXPECT_EQ(v.show(O()), "30s");
  ASSERT_THAT(Flag(v, "1m30s"), IsOk());
  EXPECT_EQ(o_.grpc.keepalive_time, absl::Seconds(90));
  ASSERT_THAT(Flag(v, "250ms"), IsOk());
  EXPECT_EQ(o_.grpc.keepalive_time, absl::Milliseconds(250));
  EXPECT_THAT(Flag(v, "0s"), StatusIs(kBad, HasSubstr(">= 1ms")));
  EXPECT_THAT(Flag(v, "-1s"), StatusIs(kBad));
  EXPECT_THAT(Flag(v, "30"), StatusIs(kBad, HasSubstr("'30'")));  // no unit
  ASSERT_THAT(Json(v, "20000", "grpc.keepalive_time_ms"), IsOk());
  EXPECT_EQ(o_.grpc.keepalive_time, absl::Seconds(20));
  ASSERT_THAT(Json(v, "20", "idempotency.ttl_seconds"), IsOk());
  EXPECT_EQ(o_.grpc.keepalive_time, absl::Seconds(20));
  EXPECT_THAT(Json(v, "0", "grpc.keepalive_time_ms"),
              StatusIs(kBad, HasSubstr(">= 1")));
  EXPECT_THAT(Json(v, R"("20s")", "grpc.keepalive_time_ms"), StatusIs(kBad));
  EXPECT_THAT(Json(v, "1.5", "grpc.keepalive_time_ms"), StatusIs(kBad));
  // A key that names no unit is a bug in the table.
  EXPECT_THAT(Json(v, "1", "grpc.keepalive_time"),
              StatusIs(absl::StatusCode::kInternal));

  // Zero allowed; a minimum of one second in a `_seconds` key is 1.
  const OptionValue delay =
      Duration(Member(&O::drain_delay), absl::ZeroDuration());
  ASSERT_THAT(Flag(delay, "0s"), IsOk());
  ASSERT_THAT(Json(delay, "0", "drain.delay_ms"), IsOk());
  EXPECT_EQ(o_.drain_delay, absl::ZeroDuration());
  const OptionValue ttl =
      Duration(Member(&O::idempotency_ttl), absl::Seconds(1));
  EXPECT_EQ(ttl.show(O()), "24h");
  EXPECT_THAT(Json(ttl, "0", "idempotency.ttl_seconds"),
              StatusIs(kBad, HasSubstr(">= 1")));
  EXPECT_THAT(Flag(ttl, "500ms"), StatusIs(kBad));
}

TEST_F(OptionValueTest, LogLevel) {
  const OptionValue v = Level(Member(&O::log_level));
  EXPECT_EQ(v.show(O()), "info");
  ASSERT_THAT(Flag(v, "debug"), IsOk());
  EXPECT_EQ(o_.log_level, telemetry::LogLevel::kDebug);
  ASSERT_THAT(Json(v, R"("warning")"), IsOk());
  EXPECT_EQ(o_.log_level, telemetry::LogLevel::kWarning);
  EXPECT_THAT(Flag(v, "loud"), StatusIs(kBad));
  EXPECT_THAT(Json(v, R"("loud")"), StatusIs(kBad));
  EXPECT_THAT(Json(v, "2"), StatusIs(kBad, HasSubstr("must be a string")));
  EXPECT_EQ(o_.log_level, telemetry::LogLevel::kWarning);
}

TEST_F(OptionValueTest, SecretIsResolvedAndNeverShownOrQuoted) {
  env_["HOOK"] = "hook-secret";
  const OptionValue v = Secret(Member(&O::webhook_secret));
  EXPECT_EQ(v.show(O()), "");
  ASSERT_THAT(Flag(v, "env:HOOK"), IsOk());
  EXPECT_EQ(o_.webhook_secret, "hook-secret");
  EXPECT_EQ(v.show(o_), "(set)");
  o_.webhook_secret.clear();
  ASSERT_THAT(Json(v, R"({"env": "HOOK"})"), IsOk());
  EXPECT_EQ(o_.webhook_secret, "hook-secret");

  EXPECT_THAT(Flag(v, "env:MISSING"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("MISSING")));
  // A literal secret given by mistake is refused without being repeated.
  EXPECT_THAT(Flag(v, "literal-secret"),
              StatusIs(kBad, Not(HasSubstr("literal-secret"))));
  EXPECT_THAT(Json(v, R"("literal-secret")"),
              StatusIs(kBad, Not(HasSubstr("literal-secret"))));
  EXPECT_THAT(Json(v, R"({"env": "HOOK", "file": "/x"})"), StatusIs(kBad));
  EXPECT_THAT(Json(v, R"({"vault": "x"})"), StatusIs(kBad));
  EXPECT_THAT(Json(v, R"({"env": 1})"), StatusIs(kBad));
}

TEST_F(OptionValueTest, SecretRefIsKeptUnresolved) {
  const OptionValue v = SecretRef(Member(&O::dev_keys, &O::DevKeys::vimmerse));
  EXPECT_EQ(v.show(O()), "env:VIMMERSE_API_KEY");
  ASSERT_THAT(Flag(v, "file:/run/key"), IsOk());  // not read now
  EXPECT_EQ(o_.dev_keys.vimmerse, "file:/run/key");
  ASSERT_THAT(Json(v, R"({"env": "OTHER"})"), IsOk());
  EXPECT_EQ(o_.dev_keys.vimmerse, "env:OTHER");
  EXPECT_THAT(Flag(v, "literal-key"),
              StatusIs(kBad, Not(HasSubstr("literal-key"))));
  EXPECT_THAT(Flag(v, "env:"), StatusIs(kBad));
  EXPECT_THAT(Json(v, R"("env:OTHER")"), StatusIs(kBad));
}

}  // namespace
}  // namespace mediagen::server
