#include "service/telemetry/trace_context.h"

#include <set>

#include "gtest/gtest.h"

namespace mediagen::telemetry {
namespace {

constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kParent[] = "00f067aa0ba902b7";

bool IsHex(const std::string& s, size_t n) {
  return s.size() == n &&
         s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(TraceContextTest, ContinuesTheCallersTraceWithANewSpan) {
  TraceContext t = TraceContext::ContinueOrStart(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "congo=t61rcWkgMzE");
  EXPECT_EQ(t.trace_id, kTrace);
  EXPECT_EQ(t.parent_id, kParent);
  EXPECT_TRUE(IsHex(t.span_id, 16));
  EXPECT_NE(t.span_id, kParent);
  EXPECT_EQ(t.flags, "01");
  EXPECT_EQ(t.tracestate, "congo=t61rcWkgMzE");
  EXPECT_EQ(t.Traceparent(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-" + t.span_id + "-01");
}

TEST(TraceContextTest, StartsANewTraceWhenThereIsNone) {
  TraceContext t = TraceContext::ContinueOrStart(std::nullopt, "a=b");
  EXPECT_TRUE(IsHex(t.trace_id, 32));
  EXPECT_TRUE(IsHex(t.span_id, 16));
  EXPECT_EQ(t.parent_id, "");
  EXPECT_EQ(t.flags, "00");
  EXPECT_EQ(t.tracestate, "");  // belongs to the trace it came with
  EXPECT_NE(TraceContext::Start().trace_id, t.trace_id);
}

TEST(TraceContextTest, MalformedHeadersStartANewTrace) {
  for (const char* bad : {
           "",
           "garbage",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  // no flags
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
       }) {
    TraceContext t = TraceContext::ContinueOrStart(bad);
    EXPECT_NE(t.trace_id, kTrace) << bad;
    EXPECT_TRUE(IsHex(t.trace_id, 32)) << bad;
    EXPECT_EQ(t.parent_id, "") << bad;
  }
}

TEST(TraceContextTest, LaterVersionsKeepTheirKnownFields) {
  TraceContext t = TraceContext::ContinueOrStart(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-what-ever");
  EXPECT_EQ(t.trace_id, kTrace);
  EXPECT_EQ(t.flags, "01");
  // We speak version 00 onwards.
  EXPECT_EQ(t.Traceparent().substr(0, 3), "00-");
}

TEST(TraceContextTest, RandomIdsDiffer) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(RandomHexId(8));
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace mediagen::telemetry
