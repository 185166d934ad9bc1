// StreamReader<Response>: the messages of a server-streaming call
// (WatchJob, SynthesizeSpeech, GenerateSoundEffect), then its status.
//
//   std::unique_ptr<StreamReader<v1::WatchJobResponse>> stream = ...;
//   v1::WatchJobResponse event;
//   while (stream->Read(&event)) { ... }
//   absl::Status status = stream->Finish();
//
// An interface so that tests can hand a mocked connection a canned stream
// (MakeStreamReader below).
#ifndef MEDIAGEN_CLIENT_STREAM_READER_H_
#define MEDIAGEN_CLIENT_STREAM_READER_H_

#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "client/status.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/sync_stream.h"

namespace mediagen::client {

template <typename Response>
class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // The next message; false at the end of the stream (call Finish then).
  virtual bool Read(Response* response) = 0;
  // The call's status, once Read has returned false.
  virtual absl::Status Finish() = 0;
  // Ends the call early, from any thread; Read then returns false and
  // Finish gives CANCELLED.
  virtual void Cancel() = 0;
};

// Over a gRPC ClientReader; owns the call's context.
template <typename Response>
class GrpcStreamReader final : public StreamReader<Response> {
 public:
  GrpcStreamReader(std::unique_ptr<grpc::ClientContext> context,
                   std::unique_ptr<grpc::ClientReader<Response>> reader)
      : context_(std::move(context)), reader_(std::move(reader)) {}
  ~GrpcStreamReader() override {
    if (!finished_) {
      // A reader must be finished before it is destroyed: cancel the call
      // and drain what is left.
      context_->TryCancel();
      Response ignored;
      while (reader_->Read(&ignored)) {
      }
      reader_->Finish().ok();
    }
  }

  bool Read(Response* response) override { return reader_->Read(response); }
  absl::Status Finish() override {
    finished_ = true;
    return FromGrpcStatus(reader_->Finish());
  }
  void Cancel() override { context_->TryCancel(); }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<Response>> reader_;
  bool finished_ = false;
};

// A canned stream: `messages`, then `status`. For tests of code that uses a
// (mocked) Connection.
template <typename Response>
class VectorStreamReader final : public StreamReader<Response> {
 public:
  VectorStreamReader(std::vector<Response> messages, absl::Status status)
      : messages_(std::move(messages)), status_(std::move(status)) {}
  bool Read(Response* response) override {
    if (cancelled_ || next_ >= messages_.size()) return false;
    *response = messages_[next_++];
    return true;
  }
  absl::Status Finish() override {
    return cancelled_ ? absl::CancelledError("cancelled") : status_;
  }
  void Cancel() override { cancelled_ = true; }

 private:
  std::vector<Response> messages_;
  absl::Status status_;
  size_t next_ = 0;
  std::atomic<bool> cancelled_{false};
};

template <typename Response>
std::unique_ptr<StreamReader<Response>> MakeStreamReader(
    std::vector<Response> messages, absl::Status status = absl::OkStatus()) {
  return std::make_unique<VectorStreamReader<Response>>(std::move(messages),
                                                        std::move(status));
}

}  // namespace mediagen::client

#endif  // MEDIAGEN_CLIENT_STREAM_READER_H_
