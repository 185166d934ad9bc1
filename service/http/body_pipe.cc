#include "service/http/body_pipe.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/common/mutex.h"

namespace mediagen::http {

BodyPipe::BodyPipe(size_t max_buffered_bytes, std::optional<int64_t> size)
    : max_buffered_(std::max<size_t>(max_buffered_bytes, 1)), size_(size) {}

bool BodyPipe::Write(std::string data) {
  std::function<void()> resume;
  bool below_limit;
  {
    MutexLock lock(&mu_);
    // The consumer stops only after kEnd (finished_) or kError (error_).
    if (finished_ || !error_.ok()) return false;
    if (data.empty()) return buffered_ < max_buffered_;
    if (size_.has_value() &&
        written_ + static_cast<int64_t>(data.size()) > *size_) {
      // Failing now beats sending a body that disagrees with the
      // Content-Length already on the wire.
      error_ = absl::InvalidArgumentError(
          absl::StrCat("request body is longer than its declared size of ",
                       *size_, " bytes"));
      chunks_.clear();
      buffered_ = 0;
      offset_ = 0;
      if (consumer_paused_) {
        consumer_paused_ = false;
        resume = resume_;
      }
      below_limit = false;
    } else {
      written_ += static_cast<int64_t>(data.size());
      buffered_ += data.size();
      peak_ = std::max(peak_, buffered_);
      chunks_.push_back(std::move(data));
      below_limit = buffered_ < max_buffered_;
      if (!below_limit) producer_waiting_ = true;
      if (consumer_paused_) {
        consumer_paused_ = false;
        resume = resume_;
      }
    }
  }
  if (resume) resume();
  return below_limit;
}

void BodyPipe::Finish() {
  std::function<void()> resume;
  {
    MutexLock lock(&mu_);
    if (finished_ || !error_.ok()) return;
    finished_ = true;
    if (size_.has_value() && written_ != *size_) {
      error_ = absl::InvalidArgumentError(
          absl::StrCat("request body ended after ", written_,
                       " bytes; its declared size is ", *size_));
      chunks_.clear();
      buffered_ = 0;
      offset_ = 0;
    }
    if (consumer_paused_) {
      consumer_paused_ = false;
      resume = resume_;
    }
  }
  if (resume) resume();
}

void BodyPipe::Fail(absl::Status status) {
  if (status.ok()) {
    status = absl::UnknownError("BodyPipe::Fail called with an OK status");
  }
  std::function<void()> resume;
  {
    MutexLock lock(&mu_);
    // After Finish the body is complete (the caller cancels the HttpCall to
    // abort an upload it no longer wants); a first failure is kept.
    if (finished_ || !error_.ok()) return;
    error_ = std::move(status);
    finished_ = true;
    chunks_.clear();
    buffered_ = 0;
    offset_ = 0;
    if (consumer_paused_) {
      consumer_paused_ = false;
      resume = resume_;
    }
  }
  if (resume) resume();
}

void BodyPipe::SetSpaceCallback(std::function<void()> on_space) {
  MutexLock lock(&mu_);
  on_space_ = std::move(on_space);
}

int64_t BodyPipe::bytes_written() const {
  MutexLock lock(&mu_);
  return written_;
}

size_t BodyPipe::peak_buffered_bytes() const {
  MutexLock lock(&mu_);
  return peak_;
}

void BodyPipe::SetResumeCallback(std::function<void()> resume) {
  MutexLock lock(&mu_);
  resume_ = std::move(resume);
}

BodySource::ReadResult BodyPipe::Read(char* buf, size_t max, size_t* n) {
  *n = 0;
  std::function<void()> on_space;
  ReadResult result;
  {
    MutexLock lock(&mu_);
    if (!error_.ok()) return ReadResult::kError;
    if (chunks_.empty()) {
      if (finished_) return ReadResult::kEnd;
      consumer_paused_ = true;
      return ReadResult::kPause;
    }
    while (*n < max && !chunks_.empty()) {
      const std::string& front = chunks_.front();
      size_t take = std::min(max - *n, front.size() - offset_);
      std::memcpy(buf + *n, front.data() + offset_, take);
      *n += take;
      offset_ += take;
      if (offset_ == front.size()) {
        chunks_.pop_front();
        offset_ = 0;
      }
    }
    buffered_ -= *n;
    if (producer_waiting_ && buffered_ < max_buffered_ / 2) {
      producer_waiting_ = false;
      on_space = on_space_;
    }
    result = *n > 0 ? ReadResult::kData : ReadResult::kPause;
    if (result == ReadResult::kPause) consumer_paused_ = true;
  }
  if (on_space) on_space();
  return result;
}

absl::Status BodyPipe::error() const {
  MutexLock lock(&mu_);
  return error_;
}

}  // namespace mediagen::http
