// request_id capacity is per tenant (issue 16, finding 7): one tenant that
// fills its share of the request_id store (here with creates that fail
// upstream, whose errors are remembered) gets RESOURCE_EXHAUSTED for new
// request_ids, nothing sent, and can never make the server forget another
// tenant's request_id: that tenant's retry still gets its first answer
// without a second upstream create. Was: one FIFO for all tenants, so 55
// failed creates by one tenant evicted the other's entry and its retry
// created (and charged) a second time.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "proto/mediagen/v1/media.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "tests/security/two_tenants.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

using grpc::StatusCode;
using json = nlohmann::json;

constexpr int kShare = 50;

std::string Reason(const grpc::Status& status) {
  auto info = rpc::GetErrorInfo(rpc::FromGrpcStatus(status));
  return info ? info->reason() : "";
}

TEST(RequestIdCapacityTest, AFullTenantCannotMakeAnotherTenantsRetryCreate) {
  TwoTenants t;
  ASSERT_TRUE(
      t.Start({absl::StrCat("--idempotency_max_entries_per_tenant=", kShare),
               "--poll_min_interval=30s"})
          .ok());
  auto media = v1::MediaService::NewStub(t.server().channel());
  auto creates = [&] {
    return static_cast<int>(t.emulator().Requests("POST", "/v2/media").size());
  };

  v1::CreateMediaRequest globex_req;
  globex_req.set_request_id("globex-order-1");
  globex_req.set_title("globex's video");
  globex_req.set_prompt("a harbour at dawn");
  v1::CreateMediaResponse first;
  ASSERT_THAT(
      media->CreateMedia(TwoTenants::Ctx(TwoTenants::kGlobexToken).get(),
                         globex_req, &first),
      IsOk());
  ASSERT_EQ(creates(), 1);

  // acme's creates fail upstream after being sent (a 500: may have taken
  // effect, so each outcome is remembered and holds a place). Exactly
  // kShare firings: the refused creates must not consume any.
  t.emulator().Post("/_emulator/faults", {{"method", "POST"},
                                          {"path", "/v2/media"},
                                          {"status", 500},
                                          {"times", kShare}});
  int refused = 0;
  for (int i = 0; i < kShare + 5; ++i) {
    v1::CreateMediaRequest req;
    req.set_request_id(absl::StrCat("acme-", i));
    req.set_title("acme");
    req.set_prompt("filler");
    v1::CreateMediaResponse resp;
    const grpc::Status s = media->CreateMedia(
        TwoTenants::Ctx(TwoTenants::kAcmeToken).get(), req, &resp);
    ASSERT_FALSE(s.ok()) << i;
    if (i < kShare) {
      EXPECT_EQ(s.error_code(), StatusCode::UNAVAILABLE) << i;
    } else {
      EXPECT_EQ(s.error_code(), StatusCode::RESOURCE_EXHAUSTED) << i;
      EXPECT_EQ(Reason(s), "REQUEST_ID_LIMIT_REACHED") << i;
      ++refused;
    }
  }
  EXPECT_EQ(refused, 5);
  // The refused ones were never sent.
  EXPECT_EQ(creates(), 1 + kShare);

  // globex's retry: the first answer, no second create.
  v1::CreateMediaResponse again;
  ASSERT_THAT(
      media->CreateMedia(TwoTenants::Ctx(TwoTenants::kGlobexToken).get(),
                         globex_req, &again),
      IsOk());
  EXPECT_EQ(again.media().name(), first.media().name());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(creates(), 1 + kShare);

  // globex still has room of its own; acme's remembered ids still answer.
  v1::CreateMediaRequest globex_new = globex_req;
  globex_new.set_request_id("globex-order-2");
  v1::CreateMediaResponse second;
  EXPECT_THAT(
      media->CreateMedia(TwoTenants::Ctx(TwoTenants::kGlobexToken).get(),
                         globex_new, &second),
      IsOk());
  EXPECT_EQ(creates(), 2 + kShare);
  v1::CreateMediaRequest acme_retry;
  acme_retry.set_request_id("acme-0");
  acme_retry.set_title("acme");
  acme_retry.set_prompt("filler");
  v1::CreateMediaResponse ignored;
  EXPECT_EQ(media
                ->CreateMedia(TwoTenants::Ctx(TwoTenants::kAcmeToken).get(),
                              acme_retry, &ignored)
                .error_code(),
            StatusCode::UNAVAILABLE);
  EXPECT_EQ(creates(), 2 + kShare);
}

}  // namespace
}  // namespace mediagen::testing
