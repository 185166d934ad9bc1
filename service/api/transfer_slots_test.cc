#include "service/api/transfer_slots.h"

#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"

namespace mediagen::api {
namespace {

TEST(TransferSlotsTest, ATenantGetsItsShareAndNoMore) {
  TransferSlots slots(2);
  std::vector<TransferSlots::Slot> held;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<TransferSlots::Slot> s = slots.Acquire("a");
    ASSERT_TRUE(s.ok()) << s.status();
    held.push_back(*std::move(s));
  }
  absl::StatusOr<TransferSlots::Slot> third = slots.Acquire("a");
  ASSERT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  std::optional<google::rpc::ErrorInfo> info =
      rpc::GetErrorInfo(third.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "TENANT_TRANSFERS_EXCEEDED");
  EXPECT_EQ(info->metadata().at("limit"), "2");
  EXPECT_EQ(slots.in_use("a"), 2);
}

TEST(TransferSlotsTest, OneTenantFullLeavesOthersTheirShare) {
  TransferSlots slots(1);
  absl::StatusOr<TransferSlots::Slot> a = slots.Acquire("a");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(slots.Acquire("a").ok());
  absl::StatusOr<TransferSlots::Slot> b = slots.Acquire("b");
  EXPECT_TRUE(b.ok()) << b.status();
}

TEST(TransferSlotsTest, ASlotComesBackWhenItsHolderGoes) {
  TransferSlots slots(1);
  {
    absl::StatusOr<TransferSlots::Slot> a = slots.Acquire("a");
    ASSERT_TRUE(a.ok());
    // Moved into what holds it (a completion's capture), then dropped.
    TransferSlots::Slot moved = *std::move(a);
    TransferSlots::Slot again = std::move(moved);
    EXPECT_EQ(slots.in_use("a"), 1);
  }
  EXPECT_EQ(slots.in_use("a"), 0);
  EXPECT_TRUE(slots.Acquire("a").ok());
}

TEST(TransferSlotsTest, MoveAssignmentGivesBackTheSlotItReplaces) {
  TransferSlots slots(1);
  absl::StatusOr<TransferSlots::Slot> a = slots.Acquire("a");
  absl::StatusOr<TransferSlots::Slot> b = slots.Acquire("b");
  ASSERT_TRUE(a.ok() && b.ok());
  TransferSlots::Slot held = *std::move(a);
  held = *std::move(b);  // a's slot is given back
  EXPECT_EQ(slots.in_use("a"), 0);
  EXPECT_EQ(slots.in_use("b"), 1);
}

}  // namespace
}  // namespace mediagen::api
