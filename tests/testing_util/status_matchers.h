// gMock matchers for absl::Status, absl::StatusOr<T> and grpc::Status, so a
// test states the code it expects in one line and a failure prints the
// whole status (code and message), not just two integers.
//
//   EXPECT_THAT(engine_result, StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(grpc_status, StatusIs(grpc::StatusCode::INVALID_ARGUMENT,
//                                     HasSubstr("prompt")));
//   EXPECT_THAT(store.Get(key), IsOkAndHolds(Eq("value")));
//   ASSERT_THAT(status, IsOk());
//
// grpc::StatusCode and absl::StatusCode share their numbers, so either
// enum may be used with either kind of status.
#ifndef MEDIAGEN_TESTS_TESTING_UTIL_STATUS_MATCHERS_H_
#define MEDIAGEN_TESTS_TESTING_UTIL_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"

namespace mediagen::testing {
namespace internal {

// The status of anything these matchers accept, as an absl::Status.
inline absl::Status ToStatus(const absl::Status& s) { return s; }
inline absl::Status ToStatus(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}
template <typename T>
absl::Status ToStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

inline std::string Describe(const absl::Status& s) {
  return s.ok() ? std::string("OK")
                : absl::StrCat(absl::StatusCodeToString(s.code()), ": ",
                               s.message());
}

class StatusIsMatcher {
 public:
  StatusIsMatcher(absl::StatusCode code,
                  ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  template <typename StatusLike>
  bool MatchAndExplain(const StatusLike& value,
                       ::testing::MatchResultListener* listener) const {
    const absl::Status s = ToStatus(value);
    *listener << "whose status is " << Describe(s);
    if (s.code() != code_) return false;
    const std::string message(s.message());
    ::testing::StringMatchResultListener inner;
    if (!message_.MatchAndExplain(message, &inner)) {
      if (!inner.str().empty()) *listener << ", and the message " << inner.str();
      return false;
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "has status code " << absl::StatusCodeToString(code_)
        << " and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have status code " << absl::StatusCodeToString(code_)
        << " or has a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  template <typename T>
  bool MatchAndExplain(const absl::StatusOr<T>& value,
                       ::testing::MatchResultListener* listener) const {
    if (!value.ok()) {
      *listener << "whose status is " << Describe(value.status());
      return false;
    }
    return ::testing::ExplainMatchResult(
        ::testing::SafeMatcherCast<const T&>(inner_), *value, listener);
  }
  void DescribeTo(std::ostream* os) const {
    *os << "is OK and holds a value that matches";
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "is not OK or holds a value that does not match";
  }

 private:
  InnerMatcher inner_;
};

}  // namespace internal

// The status (of an absl::Status, absl::StatusOr<T> or grpc::Status) has
// `code`, and its message matches `message` (anything by default).
inline ::testing::PolymorphicMatcher<internal::StatusIsMatcher> StatusIs(
    absl::StatusCode code,
    ::testing::Matcher<const std::string&> message = ::testing::_) {
  return ::testing::MakePolymorphicMatcher(
      internal::StatusIsMatcher(code, std::move(message)));
}
inline ::testing::PolymorphicMatcher<internal::StatusIsMatcher> StatusIs(
    grpc::StatusCode code,
    ::testing::Matcher<const std::string&> message = ::testing::_) {
  return StatusIs(static_cast<absl::StatusCode>(code), std::move(message));
}

// The status is OK.
inline ::testing::PolymorphicMatcher<internal::StatusIsMatcher> IsOk() {
  return StatusIs(absl::StatusCode::kOk);
}

// An absl::StatusOr<T> that is OK and whose value matches `inner`.
template <typename InnerMatcher>
::testing::PolymorphicMatcher<internal::IsOkAndHoldsMatcher<InnerMatcher>>
IsOkAndHolds(InnerMatcher inner) {
  return ::testing::MakePolymorphicMatcher(
      internal::IsOkAndHoldsMatcher<InnerMatcher>(std::move(inner)));
}

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_TESTING_UTIL_STATUS_MATCHERS_H_
