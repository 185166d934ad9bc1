#include "service/http/multipart_body.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mediagen::http {
namespace {

constexpr absl::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// 40 random characters (~238 bits): a file that happens to contain the
// boundary is not a practical concern, and the fixed parts are checked.
constexpr int kBoundaryRandomChars = 40;

absl::Status CheckHeaderParam(absl::string_view what, absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("multipart ", what, " is empty"));
  }
  if (value.find_first_of("\"\r\n") != absl::string_view::npos) {
    // The value itself stays out of the message: it came from a client.
    return absl::InvalidArgumentError(absl::StrCat(
        "multipart ", what, " contains a quote, CR or LF character"));
  }
  return absl::OkStatus();
}

std::string RandomBoundary(absl::BitGen& gen) {
  std::string boundary = "mediagen-";
  for (int i = 0; i < kBoundaryRandomChars; ++i) {
    boundary.push_back(
        kAlphabet[absl::Uniform<size_t>(gen, 0, kAlphabet.size())]);
  }
  return boundary;
}

size_t CountOccurrences(absl::string_view haystack, absl::string_view needle) {
  size_t count = 0;
  for (size_t pos = haystack.find(needle); pos != absl::string_view::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

// Copies what is left of `part` from `*offset` on; returns bytes copied.
size_t CopyPart(const std::string& part, size_t* offset, char* buf,
                size_t max) {
  size_t take = std::min(max, part.size() - *offset);
  std::memcpy(buf, part.data() + *offset, take);
  *offset += take;
  return take;
}

}  // namespace

absl::StatusOr<std::shared_ptr<MultipartBody>> MultipartBody::Create(
    Fields fields, std::string file_field, std::string file_name,
    std::string file_content_type, std::shared_ptr<BodySource> file) {
  if (file == nullptr) {
    return absl::InvalidArgumentError("multipart file source is null");
  }
  for (const auto& [name, value] : fields) {
    if (absl::Status s = CheckHeaderParam("field name", name); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = CheckHeaderParam("file field name", file_field);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckHeaderParam("file name", file_name); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckHeaderParam("file content type", file_content_type);
      !s.ok()) {
    return s;
  }

  absl::BitGen gen;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::string boundary = RandomBoundary(gen);
    const std::string delimiter = absl::StrCat("--", boundary);
    std::string preamble;
    for (const auto& [name, value] : fields) {
      absl::StrAppend(&preamble, delimiter,
                      "\r\nContent-Disposition: form-data; name=\"", name,
                      "\"\r\n\r\n", value, "\r\n");
    }
    absl::StrAppend(&preamble, delimiter,
                    "\r\nContent-Disposition: form-data; name=\"", file_field,
                    "\"; filename=\"", file_name,
                    "\"\r\nContent-Type: ", file_content_type, "\r\n\r\n");
    std::string epilogue = absl::StrCat("\r\n", delimiter, "--\r\n");
    // Names and values come from callers: one holding the boundary would
    // end its part early. Our own delimiters are the only occurrences
    // allowed (one per field, one for the file part).
    if (CountOccurrences(preamble, boundary) != fields.size() + 1) continue;
    return std::shared_ptr<MultipartBody>(new MultipartBody(
        boundary, std::move(preamble), std::move(epilogue), std::move(file)));
  }
  return absl::InternalError(
      "could not choose a multipart boundary absent from the fields");
}

MultipartBody::MultipartBody(std::string boundary, std::string preamble,
                             std::string epilogue,
                             std::shared_ptr<BodySource> file)
    : boundary_(std::move(boundary)),
      preamble_(std::move(preamble)),
      epilogue_(std::move(epilogue)),
      file_(std::move(file)) {}

std::string MultipartBody::content_type() const {
  return absl::StrCat("multipart/form-data; boundary=", boundary_);
}

void MultipartBody::SetResumeCallback(std::function<void()> resume) {
  file_->SetResumeCallback(std::move(resume));
}

BodySource::ReadResult MultipartBody::Read(char* buf, size_t max, size_t* n) {
  *n = 0;
  for (;;) {
    switch (stage_) {
      case Stage::kPreamble:
        if (offset_ < preamble_.size()) {
          *n = CopyPart(preamble_, &offset_, buf, max);
          return ReadResult::kData;
        }
        stage_ = Stage::kFile;
        offset_ = 0;
        break;
      case Stage::kFile: {
        ReadResult r = file_->Read(buf, max, n);
        if (r != ReadResult::kEnd) return r;
        stage_ = Stage::kEpilogue;
        break;
      }
      case Stage::kEpilogue:
        if (offset_ < epilogue_.size()) {
          *n = CopyPart(epilogue_, &offset_, buf, max);
          return ReadResult::kData;
        }
        stage_ = Stage::kDone;
        break;
      case Stage::kDone:
        return ReadResult::kEnd;
    }
  }
}

absl::Status MultipartBody::error() const { return file_->error(); }

std::optional<int64_t> MultipartBody::size() const {
  std::optional<int64_t> file_size = file_->size();
  if (!file_size.has_value()) return std::nullopt;
  return static_cast<int64_t>(preamble_.size()) + *file_size +
         static_cast<int64_t>(epilogue_.size());
}

}  // namespace mediagen::http
