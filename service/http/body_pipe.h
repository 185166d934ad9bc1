// BodyPipe: a bounded, thread-safe pipe from a producer (a gRPC upload
// reactor receiving chunks) to the transport (a BodySource it pulls from).
// Memory is bounded by `max_buffered_bytes` plus one chunk: when Write says
// the pipe is full, the producer stops reading from its client until the
// space callback runs, so a 1 GiB upload never sits in memory.
//
//   auto pipe = std::make_shared<BodyPipe>(/*max_buffered_bytes=*/1 << 20,
//                                          /*size=*/std::nullopt);
//   pipe->SetSpaceCallback([reactor] { reactor->StartRead(...); });
//   request.body_source = pipe;              // or wrapped in a MultipartBody
//   ...
//   if (pipe->Write(std::move(chunk))) StartRead(...);  // else wait for space
//   pipe->Finish();                          // after the last chunk
//   pipe->Fail(absl::CancelledError("client went away"));  // or on error
#ifndef MEDIAGEN_SERVICE_HTTP_BODY_PIPE_H_
#define MEDIAGEN_SERVICE_HTTP_BODY_PIPE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "service/common/mutex.h"
#include "service/http/transport.h"

namespace mediagen::http {

class BodyPipe : public BodySource {
 public:
  // `size`: total bytes the producer will write, if known (Content-Length).
  BodyPipe(size_t max_buffered_bytes, std::optional<int64_t> size);

  // Producer side. Appends `data` (always accepted, even past the limit,
  // so no chunk is ever lost) and returns true while buffered bytes stay
  // below the limit. On false, do not write again until the space callback
  // runs. Writes after Finish/Fail, or after the consumer stopped, are
  // dropped and return false.
  bool Write(std::string data);
  // The body is complete. With a known size, a different total makes the
  // transfer fail with INVALID_ARGUMENT instead of sending a short body.
  void Finish();
  // The producer failed: the transfer fails with `status`.
  void Fail(absl::Status status);
  // Runs (on a transport thread) each time the buffer drains below half
  // the limit after a Write returned false. Set before the first Write.
  void SetSpaceCallback(std::function<void()> on_space);

  // Bytes accepted so far.
  int64_t bytes_written() const;
  // The most ever buffered at once (for memory tests).
  size_t peak_buffered_bytes() const;

  // BodySource (consumer side, used by the transport).
  void SetResumeCallback(std::function<void()> resume) override;
  ReadResult Read(char* buf, size_t max, size_t* n) override;
  absl::Status error() const override;
  std::optional<int64_t> size() const override { return size_; }

 private:
  const size_t max_buffered_;
  const std::optional<int64_t> size_;
  mutable Mutex mu_;
  std::deque<std::string> chunks_ ABSL_GUARDED_BY(mu_);
  size_t offset_ ABSL_GUARDED_BY(mu_) = 0;  // consumed bytes of chunks_.front()
  size_t buffered_ ABSL_GUARDED_BY(mu_) = 0;
  size_t peak_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  bool producer_waiting_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool consumer_paused_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> on_space_ ABSL_GUARDED_BY(mu_);
  std::function<void()> resume_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagen::http

#endif  // MEDIAGEN_SERVICE_HTTP_BODY_PIPE_H_
