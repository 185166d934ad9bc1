#include "service/upstream/providers/test_util.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace mediagen::upstream::testing {

::testing::AssertionResult JsonEquals(absl::string_view actual,
                                      absl::string_view expected) {
  using Json = nlohmann::json;
  Json a = Json::parse(actual.begin(), actual.end(), nullptr, false);
  Json e = Json::parse(expected.begin(), expected.end(), nullptr, false);
  if (a.is_discarded()) {
    return ::testing::AssertionFailure() << "actual is not JSON: " << actual;
  }
  if (e.is_discarded()) {
    return ::testing::AssertionFailure()
           << "expected is not JSON: " << expected;
  }
  if (a == e) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\n  actual:   " << a.dump() << "\n  expected: " << e.dump()
         << "\n  diff:     " << Json::diff(e, a).dump();
}

std::string ProtoJson(const google::protobuf::Message& message) {
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out).ok()) {
    ADD_FAILURE() << "MessageToJsonString failed";
  }
  return out;
}

std::string Header(const http::Headers& headers, absl::string_view name) {
  std::optional<std::string> v = http::FindHeader(headers, name);
  return v.has_value() ? *v : "<absent>";
}

int HeaderCount(const http::Headers& headers, absl::string_view name) {
  int n = 0;
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) ++n;
  }
  return n;
}

namespace {

// `name="value"` out of a Content-Disposition line.
std::string Param(absl::string_view line, absl::string_view param) {
  const std::string key = absl::StrCat(param, "=\"");
  size_t pos = 0;
  while ((pos = line.find(key, pos)) != absl::string_view::npos) {
    // Not a suffix of another parameter name (filename vs name).
    if (pos == 0 || line[pos - 1] == ' ' || line[pos - 1] == ';') break;
    pos += key.size();
  }
  if (pos == absl::string_view::npos) return "";
  const size_t start = pos + key.size();
  const size_t end = line.find('"', start);
  if (end == absl::string_view::npos) return "";
  return std::string(line.substr(start, end - start));
}

}  // namespace

std::vector<MultipartPart> ParseMultipart(absl::string_view body,
                                          absl::string_view content_type) {
  std::vector<MultipartPart> parts;
  const size_t b = content_type.find("boundary=");
  if (!absl::StartsWith(content_type, "multipart/form-data") ||
      b == absl::string_view::npos) {
    ADD_FAILURE() << "not a multipart content type: " << content_type;
    return parts;
  }
  const std::string delimiter = absl::StrCat("--", content_type.substr(b + 9));
  if (!absl::StartsWith(body, delimiter)) {
    ADD_FAILURE() << "body does not start with the delimiter";
    return parts;
  }
  const std::string separator = absl::StrCat("\r\n", delimiter);
  size_t pos = delimiter.size();
  for (;;) {
    if (body.substr(pos, 2) == "--") {
      if (body.substr(pos) != "--\r\n") ADD_FAILURE() << "junk after the end";
      return parts;
    }
    if (body.substr(pos, 2) != "\r\n") {
      ADD_FAILURE() << "no CRLF after a delimiter";
      return parts;
    }
    pos += 2;
    const size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == absl::string_view::npos) {
      ADD_FAILURE() << "part without a blank line";
      return parts;
    }
    MultipartPart part;
    for (absl::string_view line :
         absl::StrSplit(body.substr(pos, headers_end - pos), "\r\n")) {
      if (absl::StartsWithIgnoreCase(line, "content-disposition:")) {
        part.name = Param(line, "name");
        part.filename = Param(line, "filename");
      } else if (absl::StartsWithIgnoreCase(line, "content-type:")) {
        part.content_type = std::string(absl::StripLeadingAsciiWhitespace(
            line.substr(sizeof("content-type:") - 1)));
      }
    }
    const size_t data_start = headers_end + 4;
    const size_t data_end = body.find(separator, data_start);
    if (data_end == absl::string_view::npos) {
      ADD_FAILURE() << "part without a closing delimiter";
      return parts;
    }
    part.body = std::string(body.substr(data_start, data_end - data_start));
    parts.push_back(std::move(part));
    pos = data_end + separator.size();
  }
}

}  // namespace mediagen::upstream::testing
