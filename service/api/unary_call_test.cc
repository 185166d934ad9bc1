// Settle: which outcomes of a create a request_id remembers. Remembering an
// outcome that may have taken effect is what keeps a retry from spending
// credits twice; forgetting one that provably did not is what lets a retry
// succeed at all.
#include "service/api/unary_call.h"

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/media.pb.h"
#include "service/http/transport.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/route.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::api {
namespace {

using ::mediagen::testing::StatusIs;

class RecordingLease : public idempotency::Lease {
 public:
  void Commit(idempotency::Outcome outcome) override {
    committed = std::move(outcome);
  }
  void Release(absl::Status status) override { released = std::move(status); }

  std::optional<idempotency::Outcome> committed;
  std::optional<absl::Status> released;
};

upstream::ErrorContext CreateContext() {
  upstream::ErrorContext ctx;
  ctx.provider = v1::PROVIDER_VIMMERSE;
  ctx.route = "POST /v2/media";
  ctx.idempotency = upstream::Idempotency::kNonIdempotent;
  return ctx;
}

absl::Status Upstream(int http_status) {
  http::HttpResponse r;
  r.status = http_status;
  r.body = R"({"message": "m", "code": "C"})";
  return upstream::MapHttpError(r, CreateContext(), absl::UnixEpoch());
}

TEST(SettleTest, SuccessIsRememberedWithTheResponse) {
  RecordingLease lease;
  v1::CreateMediaResponse resp;
  resp.mutable_media()->set_name("media/m1");
  Settle(&lease, absl::OkStatus(), &resp);
  ASSERT_TRUE(lease.committed.has_value());
  EXPECT_FALSE(lease.released.has_value());
  v1::CreateMediaResponse back;
  ASSERT_TRUE(back.ParseFromString(lease.committed->response));
  EXPECT_EQ(back.media().name(), "media/m1");
}

TEST(SettleTest, OutcomesThatMayHaveTakenEffectAreRemembered) {
  const upstream::ErrorContext ctx = CreateContext();
  for (const absl::Status& s :
       {Upstream(500), Upstream(502), Upstream(503), Upstream(504),
        upstream::BadResponseError(ctx, 200, {}, "garbled"),
        upstream::MapTransportError(absl::UnavailableError("reset"), ctx),
        upstream::MapTransportError(absl::DeadlineExceededError("slow"), ctx),
        upstream::MapTransportError(absl::CancelledError("gone"), ctx)}) {
    RecordingLease lease;
    Settle(&lease, s, nullptr);
    EXPECT_TRUE(lease.committed.has_value()) << s;
    EXPECT_FALSE(lease.released.has_value()) << s;
    if (lease.committed) {
      EXPECT_EQ(lease.committed->status, s);
    }
  }
}

TEST(SettleTest, RefusalsAndUnsentRequestsAreForgotten) {
  const upstream::ErrorContext ctx = CreateContext();
  for (const absl::Status& s :
       {Upstream(429), Upstream(400), Upstream(402), Upstream(422),
        upstream::MapTransportError(
            http::MarkNotSent(absl::UnavailableError("refused")), ctx),
        http::MarkNotSent(absl::InvalidArgumentError("bad field"))}) {
    RecordingLease lease;
    Settle(&lease, s, nullptr);
    EXPECT_FALSE(lease.committed.has_value()) << s;
    ASSERT_TRUE(lease.released.has_value()) << s;
    EXPECT_THAT(*lease.released, StatusIs(s.code()));
  }
}

TEST(SettleTest, NoLeaseNoEffect) {
  Settle(nullptr, Upstream(500), nullptr);  // no request_id: nothing to do
}

}  // namespace
}  // namespace mediagen::api
