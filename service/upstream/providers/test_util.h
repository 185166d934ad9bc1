// Helpers for this package's tests: JSON comparison that ignores key
// order, header look-up, and a small multipart/form-data parser to check
// upload bodies part by part.
//
//   EXPECT_TRUE(JsonEquals(request.body, R"({"prompt": "x", "quantity": 1})"));
//   EXPECT_EQ(Header(request.headers, "X-Api-Key"), "k");
//   std::vector<MultipartPart> parts = ParseMultipart(body, content_type);
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_TEST_UTIL_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "service/http/transport.h"

namespace mediagen::upstream::testing {

// Success when both texts parse as JSON and are equal as values (object
// key order ignored; 30 equals 30.0). The failure message shows both.
::testing::AssertionResult JsonEquals(absl::string_view actual,
                                      absl::string_view expected);

// `message` as protobuf's JSON (for Struct/Value, whose map API must not be
// inlined into TSan builds; see json_codec.cc).
std::string ProtoJson(const google::protobuf::Message& message);

// The value of header `name` (case-insensitive), or "<absent>".
std::string Header(const http::Headers& headers, absl::string_view name);

// How many headers are named `name` (case-insensitive).
int HeaderCount(const http::Headers& headers, absl::string_view name);

struct MultipartPart {
  std::string name;          // Content-Disposition name
  std::string filename;      // Content-Disposition filename, if any
  std::string content_type;  // the part's Content-Type, if any
  std::string body;
};

// Splits a multipart/form-data body using the boundary in `content_type`
// (`multipart/form-data; boundary=...`). Adds a test failure and returns
// what it could when the body is malformed.
std::vector<MultipartPart> ParseMultipart(absl::string_view body,
                                          absl::string_view content_type);

}  // namespace mediagen::upstream::testing

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_TEST_UTIL_H_
