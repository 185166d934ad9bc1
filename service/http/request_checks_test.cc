#include "service/http/request_checks.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/http/transport.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::http::internal {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactUrlTest, KeepsSchemeAuthorityAndPathOnly) {
  EXPECT_EQ(RedactUrl("https://api.example.com/v1/voices"),
            "https://api.example.com/v1/voices");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8080/a/b?token=SECRET#frag"),
            "http://127.0.0.1:8080/a/b");
  EXPECT_EQ(RedactUrl("https://user:PASSWORD@host/x"), "https://host/x");
  EXPECT_EQ(RedactUrl("https://host?q=1"), "https://host");
  EXPECT_EQ(RedactUrl("https://host#only-fragment"), "https://host");
  EXPECT_EQ(RedactUrl("https://host"), "https://host");
  // An '@' in the path or query is not user info.
  EXPECT_EQ(RedactUrl("https://host/a@b?c@d"), "https://host/a@b");
}

TEST(RedactUrlTest, WithoutASchemeSaysMalformed) {
  EXPECT_EQ(RedactUrl("host/path?token=SECRET"), "<malformed url>");
  EXPECT_EQ(RedactUrl(""), "<malformed url>");
}

TEST(IsIdempotentTest, FollowsRfc9110) {
  for (const char* method :
       {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}) {
    EXPECT_TRUE(IsIdempotent(method)) << method;
  }
  // Creates spend credits: never resent.
  for (const char* method : {"POST", "PATCH", "CONNECT", "PURGE", "get"}) {
    EXPECT_FALSE(IsIdempotent(method)) << method;
  }
}

HttpRequest Request(std::string method, std::string url, Headers headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  return r;
}

TEST(ValidateRequestTest, AcceptsOrdinaryRequests) {
  EXPECT_THAT(ValidateRequest(Request(
                  "GET", "https://api.example.com/v1/x?a=b%20c",
                  {{"xi-api-key", "k"}, {"Accept", "*/*"}, {"X-Empty", ""}})),
              IsOk());
  EXPECT_THAT(ValidateRequest(Request("PATCH", "HTTP://host/x")), IsOk());
  // Any token is a method; libcurl sends it as given.
  EXPECT_THAT(ValidateRequest(Request("PURGE", "http://host/x")), IsOk());
}

TEST(ValidateRequestTest, RejectsWhatCouldInjectOrMisroute) {
  struct Case {
    HttpRequest request;
    const char* message;
  };
  const Case cases[] = {
      {Request("G ET", "http://host/x"), "method"},
      {Request("", "http://host/x"), "method"},
      {Request("GET\r\n", "http://host/x"), "method"},
      {Request("GET", "file:///etc/passwd"), "absolute http"},
      {Request("GET", "//host/x"), "absolute http"},
      {Request("GET", "http://host/x y"), "whitespace"},
      {Request("GET", "http://host/x\r\nX-Injected: 1"), "whitespace"},
      {Request("GET", std::string("http://host/x\0y", 15)), "whitespace"},
      {Request("GET", "http://host/x", {{"Bad Name", "v"}}), "header name"},
      {Request("GET", "http://host/x", {{"", "v"}}), "header name"},
      {Request("GET", "http://host/x", {{"X-Api-Key", "sec\r\nret-value"}}),
       "\"X-Api-Key\" has a CR, LF or NUL"},
      {Request("GET", "http://host/x",
               {{"X-Api-Key", std::string("sec\0ret-value", 13)}}),
       "\"X-Api-Key\" has a CR, LF or NUL"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(
        ValidateRequest(c.request),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 AllOf(HasSubstr(c.message), Not(HasSubstr("ret-value")))))
        << c.request.method << " " << c.request.url;
  }
}

TEST(ValidateRequestTest, AUrlInAMessageIsRedacted) {
  EXPECT_THAT(
      ValidateRequest(Request("GET", "http://host/a b?token=QUERYSECRET")),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          AllOf(HasSubstr("http://host/a b"), Not(HasSubstr("QUERYSECRET")))));
}

}  // namespace
}  // namespace mediagen::http::internal
