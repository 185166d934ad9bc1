#include "service/api/call_record.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mediagen/v1/media.pb.h"
#include "service/upstream/providers/route.h"

namespace mediagen::api {
namespace {

TEST(CallRecordTest, FindsTheResourceNameInRequestsAndResponses) {
  CallRecord r("m", telemetry::TraceContext::Start(), "");
  v1::CreateMediaRequest create;
  create.set_prompt("a secret-free prompt");
  r.NoteResource(create);  // no name yet: nothing
  EXPECT_EQ(r.Take().job, "");
  v1::CreateMediaResponse created;
  created.mutable_media()->set_name("media/m1");
  r.NoteResource(created);
  EXPECT_EQ(r.Take().job, "media/m1");
  v1::GetMediaRequest get;
  get.set_name("media/m2");
  r.NoteResource(get);
  EXPECT_EQ(r.Take().job, "media/m2");
}

TEST(CallRecordTest, KeepsTheLastAttemptAndCountsBytes) {
  telemetry::MetricsRegistry metrics;
  auto* bytes = metrics.AddCounter("b", "B.", {"method", "direction"});
  CallRecord r("m", telemetry::TraceContext::Start(), "req-1",
               {nullptr, bytes});
  upstream::Route route{v1::PROVIDER_VIMMERSE, "GET", "/v2/media/{id}",
                        upstream::Idempotency::kIdempotent};
  upstream::AttemptReport a;
  a.route = &route;
  a.transport_code = absl::StatusCode::kUnavailable;
  r.OnAttempt(a);
  EXPECT_EQ(r.Take().upstream_error, "unavailable");
  a.attempt = 2;
  a.http_status = 200;
  a.upstream_request_id = "up-9";
  r.OnAttempt(a);
  r.AddStreamBytes(CallRecord::kUp, 100);
  r.AddStreamBytes(CallRecord::kUp, 5);
  r.AddStreamBytes(CallRecord::kDown, 7);
  CallRecord::Snapshot s = r.Take();
  EXPECT_EQ(s.attempts, 2);
  EXPECT_EQ(s.upstream_status, 200);
  EXPECT_EQ(s.upstream_error, "");
  EXPECT_EQ(s.upstream_request_id, "up-9");
  EXPECT_EQ(s.bytes_up, 105u);
  EXPECT_EQ(s.bytes_down, 7u);
  EXPECT_EQ(bytes->With({"m", "up"})->value(), 105u);
  EXPECT_EQ(bytes->With({"m", "down"})->value(), 7u);
}

TEST(CallRecordTest, FailedAttemptsAreLoggedAsWarningsWithTheCallsContext) {
  std::vector<std::string> lines;
  telemetry::Logger log(telemetry::LogLevel::kInfo,
                        [&](absl::string_view l) { lines.emplace_back(l); });
  CallRecord r("mediagen.v1.MediaService/GetMedia",
               telemetry::TraceContext::Start(), "req-1", {&log});
  r.SetTenant("acme");
  r.SetJob("media/m1");
  upstream::Route route{v1::PROVIDER_VIMMERSE, "GET", "/v2/media/{id}",
                        upstream::Idempotency::kIdempotent};
  upstream::AttemptReport ok;
  ok.route = &route;
  ok.http_status = 200;
  r.OnAttempt(ok);  // debug: below the level
  upstream::AttemptReport bad = ok;
  bad.http_status = 503;
  bad.will_retry = true;
  r.OnAttempt(bad);
  ASSERT_EQ(lines.size(), 1u);
  auto line = telemetry::LogFields::parse(lines[0]);
  EXPECT_EQ(line["level"], "warning");
  EXPECT_EQ(line["msg"], "upstream attempt");
  EXPECT_EQ(line["method"], "mediagen.v1.MediaService/GetMedia");
  EXPECT_EQ(line["tenant"], "acme");
  EXPECT_EQ(line["job"], "media/m1");
  EXPECT_EQ(line["request_id"], "req-1");
  EXPECT_EQ(line["trace_id"], r.trace().trace_id);
  EXPECT_EQ(line["provider"], "vimmerse");
  EXPECT_EQ(line["route"], "GET /v2/media/{id}");
  EXPECT_EQ(line["upstream_status"], 503);
  EXPECT_EQ(line["will_retry"], true);
}

TEST(CallTableTest, FindsWhatWasAddedUntilRemoved) {
  CallTable table;
  // Only the address is used as a key.
  auto* ctx = reinterpret_cast<const grpc::ServerContextBase*>(0x1000);
  auto record =
      std::make_shared<CallRecord>("m", telemetry::TraceContext::Start(), "");
  EXPECT_EQ(table.Find(ctx), nullptr);
  table.Add(ctx, record);
  EXPECT_EQ(table.Find(ctx), record);
  EXPECT_EQ(table.size(), 1u);
  table.Remove(ctx);
  EXPECT_EQ(table.Find(ctx), nullptr);
  table.Remove(ctx);  // harmless
}

}  // namespace
}  // namespace mediagen::api
