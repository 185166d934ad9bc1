// MultipartBody: a multipart/form-data request body streamed around a file
// that is itself streamed (usually a BodyPipe). Text fields and part
// headers are built up front (small); the file bytes pass straight through,
// so memory does not grow with the file.
//
//   auto file = std::make_shared<BodyPipe>(1 << 20, size);
//   absl::StatusOr<std::shared_ptr<MultipartBody>> body = MultipartBody::Create(
//       /*fields=*/{}, "video_file", "clip.mp4", "video/mp4", file);
//   request.headers.emplace_back("Content-Type", (*body)->content_type());
//   request.body_source = *body;
#ifndef MEDIAGEN_SERVICE_HTTP_MULTIPART_BODY_H_
#define MEDIAGEN_SERVICE_HTTP_MULTIPART_BODY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/http/transport.h"

namespace mediagen::http {

class MultipartBody : public BodySource {
 public:
  // Plain text form fields, sent before the file part.
  using Fields = std::vector<std::pair<std::string, std::string>>;

  // INVALID_ARGUMENT when a name, file name or content type holds a quote,
  // CR or LF (they would break the part headers) or is empty.
  static absl::StatusOr<std::shared_ptr<MultipartBody>> Create(
      Fields fields, std::string file_field, std::string file_name,
      std::string file_content_type, std::shared_ptr<BodySource> file);

  // `multipart/form-data; boundary=...`, for the Content-Type header.
  std::string content_type() const;
  // The fixed bytes before the file (fields and the file part's headers).
  const std::string& preamble() const { return preamble_; }
  // The fixed bytes after the file.
  const std::string& epilogue() const { return epilogue_; }

  // BodySource: preamble, then the file source's bytes, then the epilogue.
  // Pauses and errors of the file source pass through. size() is known
  // exactly when the file's size is.
  void SetResumeCallback(std::function<void()> resume) override;
  ReadResult Read(char* buf, size_t max, size_t* n) override;
  absl::Status error() const override;
  std::optional<int64_t> size() const override;

 private:
  MultipartBody(std::string boundary, std::string preamble,
                std::string epilogue, std::shared_ptr<BodySource> file);

  const std::string boundary_;
  const std::string preamble_;
  const std::string epilogue_;
  const std::shared_ptr<BodySource> file_;
  enum class Stage { kPreamble, kFile, kEpilogue, kDone };
  Stage stage_ = Stage::kPreamble;
  size_t offset_ = 0;  // within preamble_ or epilogue_
};

}  // namespace mediagen::http

#endif  // MEDIAGEN_SERVICE_HTTP_MULTIPART_BODY_H_
