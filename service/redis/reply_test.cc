#include "service/redis/reply.h"

#include <string>

#include "gtest/gtest.h"

namespace mediagen::redis {
namespace {

TEST(ReplyTest, DefaultIsNil) {
  Reply r;
  EXPECT_TRUE(r.is_nil());
  EXPECT_EQ(r.type(), Reply::Type::kNil);
  EXPECT_EQ(r, Reply::Nil());
  EXPECT_EQ(r.DebugString(), "(nil)");
}

TEST(ReplyTest, Accessors) {
  EXPECT_EQ(Reply::Integer(-7).integer(), -7);
  EXPECT_TRUE(Reply::Integer(1).is_integer());
  EXPECT_EQ(Reply::String("abc").str(), "abc");
  EXPECT_TRUE(Reply::String("").is_string());
  EXPECT_TRUE(Reply::Status("OK").is_status());
  EXPECT_EQ(Reply::Error("ERR no").str(), "ERR no");
  EXPECT_TRUE(Reply::Error("ERR no").is_error());
  Reply a = Reply::Array({Reply::Integer(1), Reply::Nil()});
  ASSERT_TRUE(a.is_array());
  ASSERT_EQ(a.elements().size(), 2u);
  EXPECT_EQ(a.elements()[0], Reply::Integer(1));
  // Other types answer neutral values rather than throwing.
  EXPECT_EQ(Reply::String("x").integer(), 0);
  EXPECT_TRUE(Reply::Integer(3).str().empty());
  EXPECT_TRUE(Reply::Integer(3).elements().empty());
}

TEST(ReplyTest, BinarySafeAndCopyable) {
  const std::string bytes("a\0b\xff", 4);
  Reply r = Reply::String(bytes);
  Reply copy = r;
  EXPECT_EQ(copy.str(), bytes);
  EXPECT_EQ(copy.str().size(), 4u);
  EXPECT_EQ(copy, r);
  EXPECT_EQ(r.DebugString(), "\"a\\000b\\377\"");
}

TEST(ReplyTest, EqualityLooksAtTypeAndValue) {
  EXPECT_NE(Reply::String("OK"), Reply::Status("OK"));
  EXPECT_NE(Reply::Status("x"), Reply::Error("x"));
  EXPECT_NE(Reply::Integer(1), Reply::Integer(2));
  EXPECT_NE(Reply::Array({}), Reply::Nil());
  EXPECT_EQ(Reply::Array({Reply::Array({Reply::String("x")})}),
            Reply::Array({Reply::Array({Reply::String("x")})}));
}

TEST(ReplyTest, DebugString) {
  EXPECT_EQ(Reply::Integer(3).DebugString(), "(integer) 3");
  EXPECT_EQ(Reply::Status("PONG").DebugString(), "(status) PONG");
  EXPECT_EQ(Reply::Error("ERR x").DebugString(), "(error) ERR x");
  EXPECT_EQ(
      Reply::Array({Reply::String("message"), Reply::Integer(1), Reply::Nil()})
          .DebugString(),
      "[\"message\", (integer) 1, (nil)]");
  const std::string big(1000, 'x');
  EXPECT_EQ(Reply::String(big).DebugString(),
            "\"" + std::string(200, 'x') + "\"... (1000 bytes)");
}

TEST(ReplyTest, TypeNames) {
  EXPECT_EQ(ReplyTypeName(Reply::Type::kNil), "nil");
  EXPECT_EQ(ReplyTypeName(Reply::Type::kInteger), "integer");
  EXPECT_EQ(ReplyTypeName(Reply::Type::kString), "string");
  EXPECT_EQ(ReplyTypeName(Reply::Type::kStatus), "status");
  EXPECT_EQ(ReplyTypeName(Reply::Type::kError), "error");
  EXPECT_EQ(ReplyTypeName(Reply::Type::kArray), "array");
}

}  // namespace
}  // namespace mediagen::redis
