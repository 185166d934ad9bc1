#include "service/http/multipart_body.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "service/http/body_pipe.h"

namespace mediagen::http {
namespace {

using ReadResult = BodySource::ReadResult;

std::shared_ptr<BodyPipe> FilledPipe(const std::string& data,
                                     std::optional<int64_t> size) {
  auto pipe = std::make_shared<BodyPipe>(1 << 20, size);
  pipe->Write(data);
  pipe->Finish();
  return pipe;
}

// Drains `body` `max` bytes at a time; fails on a pause or an error.
std::string Drain(MultipartBody& body, size_t max) {
  body.SetResumeCallback([] {});
  std::string out;
  std::string buf(max, '\0');
  for (;;) {
    size_t n = 0;
    ReadResult r = body.Read(buf.data(), max, &n);
    if (r == ReadResult::kEnd) return out;
    EXPECT_EQ(r, ReadResult::kData);
    if (r != ReadResult::kData) return out;
    out.append(buf.data(), n);
  }
}

struct Part {
  std::map<std::string, std::string> headers;
  std::string body;
};

// A strict RFC 7578 / RFC 2046 reader, independent of the writer: splits on
// the delimiter taken from the Content-Type and checks the framing.
std::vector<Part> ParseMultipart(const std::string& content_type,
                                 const std::string& body) {
  const std::string prefix = "multipart/form-data; boundary=";
  EXPECT_TRUE(absl::StartsWith(content_type, prefix));
  const std::string boundary = content_type.substr(prefix.size());
  const std::string delimiter = "--" + boundary;
  std::vector<Part> parts;
  EXPECT_TRUE(absl::StartsWith(body, delimiter + "\r\n"));
  EXPECT_TRUE(absl::EndsWith(body, "\r\n" + delimiter + "--\r\n"));
  size_t pos = delimiter.size() + 2;
  for (;;) {
    size_t next = body.find("\r\n" + delimiter, pos);
    if (next == std::string::npos) break;
    std::string raw = body.substr(pos, next - pos);
    size_t header_end = raw.find("\r\n\r\n");
    EXPECT_NE(header_end, std::string::npos);
    Part part;
    for (absl::string_view line :
         absl::StrSplit(raw.substr(0, header_end), "\r\n")) {
      size_t colon = line.find(':');
      EXPECT_NE(colon, absl::string_view::npos);
      part.headers[std::string(line.substr(0, colon))] =
          std::string(line.substr(colon + 2));
    }
    part.body = raw.substr(header_end + 4);
    parts.push_back(std::move(part));
    pos = next + 2 + delimiter.size();
    if (body.compare(pos, 2, "--") == 0) break;
    EXPECT_EQ(body.compare(pos, 2, "\r\n"), 0);
    pos += 2;
  }
  return parts;
}

TEST(MultipartBodyTest, ProducesExactRfc7578BytesAndSize) {
  const std::string file = "hello\r\n--not-a-boundary\r\nworld";
  auto body = MultipartBody::Create({{"prompt", "a cat"}, {"quantity", "2"}},
                                    "video_file", "clip.mp4", "video/mp4",
                                    FilledPipe(file, file.size()));
  ASSERT_TRUE(body.ok()) << body.status();
  const std::string content_type = (*body)->content_type();
  const std::string boundary =
      content_type.substr(std::string("multipart/form-data; boundary=").size());

  const std::string expected = absl::StrCat(
      "--", boundary, "\r\n",
      "Content-Disposition: form-data; name=\"prompt\"\r\n\r\n", "a cat\r\n",
      "--", boundary, "\r\n",
      "Content-Disposition: form-data; name=\"quantity\"\r\n\r\n", "2\r\n",
      "--", boundary, "\r\n",
      "Content-Disposition: form-data; name=\"video_file\"; "
      "filename=\"clip.mp4\"\r\n",
      "Content-Type: video/mp4\r\n\r\n", file, "\r\n--", boundary, "--\r\n");
  const std::string actual = Drain(**body, 4096);
  EXPECT_EQ(actual, expected);
  ASSERT_TRUE((*body)->size().has_value());
  EXPECT_EQ(*(*body)->size(), static_cast<int64_t>(expected.size()));
  EXPECT_EQ((*body)->preamble() + file + (*body)->epilogue(), expected);

  std::vector<Part> parts = ParseMultipart(content_type, actual);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].headers["Content-Disposition"],
            "form-data; name=\"prompt\"");
  EXPECT_EQ(parts[0].body, "a cat");
  EXPECT_EQ(parts[1].body, "2");
  EXPECT_EQ(parts[2].headers["Content-Disposition"],
            "form-data; name=\"video_file\"; filename=\"clip.mp4\"");
  EXPECT_EQ(parts[2].headers["Content-Type"], "video/mp4");
  EXPECT_EQ(parts[2].body, file);
}

TEST(MultipartBodyTest, ByteAtATimeReadsGiveTheSameBytes) {
  auto a = MultipartBody::Create({{"k", "v"}}, "audio_file", "a.wav",
                                 "audio/wav", FilledPipe("RIFFdata", 8));
  ASSERT_TRUE(a.ok());
  std::string whole = (*a)->preamble() + "RIFFdata" + (*a)->epilogue();
  EXPECT_EQ(Drain(**a, 1), whole);
}

TEST(MultipartBodyTest, SizeIsUnknownWhenTheFileSizeIs) {
  auto body = MultipartBody::Create({}, "audio_file", "a.mp3", "audio/mpeg",
                                    FilledPipe("xyz", std::nullopt));
  ASSERT_TRUE(body.ok());
  EXPECT_FALSE((*body)->size().has_value());
  EXPECT_EQ(Drain(**body, 64),
            (*body)->preamble() + "xyz" + (*body)->epilogue());
}

TEST(MultipartBodyTest, BoundaryIsRandomLongAndOnlyAtDelimiters) {
  auto a = MultipartBody::Create({{"f", "--mediagen-"}}, "file", "x", "a/b",
                                 FilledPipe("", 0));
  auto b = MultipartBody::Create({{"f", "--mediagen-"}}, "file", "x", "a/b",
                                 FilledPipe("", 0));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE((*a)->content_type(), (*b)->content_type());
  const std::string boundary = (*a)->content_type().substr(
      std::string("multipart/form-data; boundary=").size());
  EXPECT_LE(boundary.size(), 70u);  // RFC 2046 limit
  size_t random_chars = 0;
  for (char c : boundary.substr(std::string("mediagen-").size())) {
    EXPECT_TRUE(absl::ascii_isalnum(static_cast<unsigned char>(c)));
    ++random_chars;
  }
  EXPECT_GE(random_chars, 32u);
  const std::string& pre = (*a)->preamble();
  size_t count = 0;
  for (size_t p = pre.find(boundary); p != std::string::npos;
       p = pre.find(boundary, p + 1)) {
    EXPECT_EQ(pre.compare(p - 2, 2, "--"), 0);
    ++count;
  }
  EXPECT_EQ(count, 2u);  // the field's delimiter and the file's
}

TEST(MultipartBodyTest, PausePassesThroughAndResumeReachesTheFile) {
  auto pipe = std::make_shared<BodyPipe>(1024, std::nullopt);
  auto body =
      MultipartBody::Create({}, "video_file", "v.mp4", "video/mp4", pipe);
  ASSERT_TRUE(body.ok());
  int resumes = 0;
  (*body)->SetResumeCallback([&] { ++resumes; });
  char buf[4096];
  size_t n = 0;
  ASSERT_EQ((*body)->Read(buf, sizeof(buf), &n), ReadResult::kData);
  EXPECT_EQ(std::string(buf, n), (*body)->preamble());
  EXPECT_EQ((*body)->Read(buf, sizeof(buf), &n), ReadResult::kPause);
  pipe->Write("abc");
  EXPECT_EQ(resumes, 1);
  ASSERT_EQ((*body)->Read(buf, sizeof(buf), &n), ReadResult::kData);
  EXPECT_EQ(std::string(buf, n), "abc");
  EXPECT_EQ((*body)->Read(buf, sizeof(buf), &n), ReadResult::kPause);
  pipe->Finish();
  EXPECT_EQ(resumes, 2);
  ASSERT_EQ((*body)->Read(buf, sizeof(buf), &n), ReadResult::kData);
  EXPECT_EQ(std::string(buf, n), (*body)->epilogue());
  EXPECT_EQ((*body)->Read(buf, sizeof(buf), &n), ReadResult::kEnd);
}

TEST(MultipartBodyTest, FileErrorPassesThrough) {
  auto pipe = std::make_shared<BodyPipe>(1024, std::nullopt);
  auto body =
      MultipartBody::Create({}, "video_file", "v.mp4", "video/mp4", pipe);
  ASSERT_TRUE(body.ok());
  (*body)->SetResumeCallback([] {});
  char buf[4096];
  size_t n = 0;
  ASSERT_EQ((*body)->Read(buf, sizeof(buf), &n), ReadResult::kData);
  pipe->Write("partial");
  pipe->Fail(absl::CancelledError("client went away"));
  EXPECT_EQ((*body)->Read(buf, sizeof(buf), &n), ReadResult::kError);
  EXPECT_EQ((*body)->error(), absl::CancelledError("client went away"));
}

TEST(MultipartBodyTest, FileSizeMismatchSurfacesAsInvalidArgument) {
  auto pipe = std::make_shared<BodyPipe>(1024, 10);
  auto body =
      MultipartBody::Create({}, "video_file", "v.mp4", "video/mp4", pipe);
  ASSERT_TRUE(body.ok());
  (*body)->SetResumeCallback([] {});
  pipe->Write("short");
  pipe->Finish();
  char buf[4096];
  size_t n = 0;
  ASSERT_EQ((*body)->Read(buf, sizeof(buf), &n), ReadResult::kData);
  EXPECT_EQ((*body)->Read(buf, sizeof(buf), &n), ReadResult::kError);
  EXPECT_EQ((*body)->error().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MultipartBodyTest, RejectsNamesThatWouldBreakPartHeaders) {
  auto file = [] { return FilledPipe("x", 1); };
  struct Case {
    MultipartBody::Fields fields;
    std::string field, name, type;
  };
  const std::vector<Case> bad = {
      {{{"a\"b", "v"}}, "f", "n", "t/t"},
      {{{"", "v"}}, "f", "n", "t/t"},
      {{{"a\r\nX-Injected: 1", "v"}}, "f", "n", "t/t"},
      {{}, "", "n", "t/t"},
      {{}, "f\"", "n", "t/t"},
      {{}, "f", "", "t/t"},
      {{}, "f", "evil\".mp4", "t/t"},
      {{}, "f", "a\rb.mp4", "t/t"},
      {{}, "f", "a\nb.mp4", "t/t"},
      {{}, "f", "n", ""},
      {{}, "f", "n", "video/mp4\r\nX-Injected: 1"},
  };
  for (const Case& c : bad) {
    auto body =
        MultipartBody::Create(c.fields, c.field, c.name, c.type, file());
    EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument)
        << c.field << " / " << c.name << " / " << c.type;
  }
  EXPECT_EQ(MultipartBody::Create({}, "f", "n", "t/t", nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Values are free text (they are not in a header): CR, LF and quotes ok.
  EXPECT_TRUE(MultipartBody::Create({{"prompt", "say \"hi\"\r\nbye"}}, "f",
                                    "n.mp4", "video/mp4", file())
                  .ok());
}

}  // namespace
}  // namespace mediagen::http
