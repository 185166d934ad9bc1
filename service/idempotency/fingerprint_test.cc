#include "service/idempotency/fingerprint.h"

#include "gtest/gtest.h"
#include "mediagen/v1/media.pb.h"

namespace mediagen::idempotency {
namespace {

TEST(FingerprintTest, IgnoresRequestIdButNotContent) {
  v1::CreateMediaRequest a;
  a.set_prompt("mountains");
  a.set_quantity(2);
  v1::CreateMediaRequest b = a;
  b.set_request_id("different-id");
  EXPECT_EQ(Fingerprint(a), Fingerprint(b));
  EXPECT_EQ(Fingerprint(a).size(), 64u);

  v1::CreateMediaRequest c = a;
  c.set_quantity(3);
  EXPECT_NE(Fingerprint(a), Fingerprint(c));

  // Explicit presence matters: quantity unset differs from quantity 0.
  v1::CreateMediaRequest unset, zero;
  zero.set_quantity(0);
  EXPECT_NE(Fingerprint(unset), Fingerprint(zero));
}

TEST(FingerprintTest, DifferentMessageTypesWithTheSameBytesAreStillKeyed) {
  // Same wire bytes are possible across types; the store also keys on the
  // method, so equal fingerprints here are expected and harmless.
  v1::CreateMediaRequest empty_media;
  v1::UpdateMediaRequest empty_update;
  EXPECT_EQ(Fingerprint(empty_media), Fingerprint(empty_update));
}

}  // namespace
}  // namespace mediagen::idempotency
