// CurlTransport with streamed bodies: paused downloads, uploads of 100 MiB
// in bounded memory, multipart uploads, and what ends a transfer (source
// errors, stalls, completions that start the next request, destruction).
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/http/body_pipe.h"
#include "service/http/curl_test_server.h"
#include "service/http/curl_transport.h"
#include "service/http/multipart_body.h"
#include "service/http/transport.h"
#include "tests/testing_util/status_matchers.h"

#if defined(__SANITIZE_ADDRESS__)
// ASan parks freed memory in a quarantine (256 MiB by default) to catch use
// after free. The upload test frees 100 MiB of chunks as it goes and
// measures RSS, so a smaller quarantine keeps that measurement about the
// transport rather than about ASan; use-after-free detection stays on.
extern "C" __attribute__((used)) const char* __asan_default_options() {
  return "quarantine_size_mb=16";
}
#endif

namespace mediagen::http {
namespace {

using curl_testing::Block;
using curl_testing::Completion;
using curl_testing::Fetch;
using curl_testing::Get;
using curl_testing::HttplibServer;
using curl_testing::Ok;
using curl_testing::ResidentBytes;
using curl_testing::StreamHash;
using curl_testing::TestServer;
using ::mediagen::testing::StatusIs;

TEST(CurlTransportTest, PausedStreamedResponseStopsReadingAndResumesInOrder) {
  constexpr int kBlocks = 128;  // 8 MiB
  constexpr uint64_t kTotal = kBlocks * 64 * 1024;
  StreamHash expected;
  for (int i = 0; i < kBlocks; ++i) expected.Update(Block(i));
  TestServer::Options server_options;
  server_options.send_buffer = 64 * 1024;
  TestServer server(
      [&](const TestServer::Request&, TestServer::Conn& conn) {
        if (!conn.Write(absl::StrCat(
                "HTTP/1.1 200 OK\r\nContent-Length: ", kTotal, "\r\n\r\n"))) {
          return false;
        }
        for (int i = 0; i < kBlocks; ++i) {
          if (!conn.Write(Block(i))) return false;
        }
        return true;
      },
      server_options);
  CurlTransport transport;

  std::mutex mu;
  std::condition_variable cv;
  StreamHash got;
  uint64_t received = 0;
  int chunk_calls = 0;
  bool paused = false;
  uint64_t next_pause_at = 1;  // pause at the very first piece
  auto stream = std::make_shared<ResponseStream>();
  stream->on_headers = [](int status, const Headers&) { return status == 200; };
  stream->on_chunk = [&](absl::string_view chunk) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_FALSE(paused) << "a piece arrived while paused";
    got.Update(chunk);
    received += chunk.size();
    ++chunk_calls;
    if (received >= next_pause_at) {
      next_pause_at = received + 1024 * 1024;
      paused = true;
      cv.notify_all();
      return false;
    }
    return true;
  };
  HttpRequest req = Get(server.Url("/audio"));
  req.response_stream = stream;
  Completion done;
  std::shared_ptr<HttpCall> call =
      transport.Start(std::move(req), done.Callback());

  // First pause: watch for a while that nothing more is read.
  uint64_t at_pause;
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(10), [&] { return paused; }));
    at_pause = received;
  }
  // An observation window, not synchronization: if the transfer kept
  // reading, the server would finish its 8 MiB well within it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const uint64_t sent_while_paused = server.bytes_sent();
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(received, at_pause);
    paused = false;
  }
  std::printf("paused after %llu bytes; server had sent %llu of %llu bytes\n",
              static_cast<unsigned long long>(at_pause),
              static_cast<unsigned long long>(sent_while_paused),
              static_cast<unsigned long long>(kTotal));
  EXPECT_LT(sent_while_paused, kTotal / 2);
  call->ResumeReceive();

  // Then pause every MiB and resume from this thread each time.
  int pauses = 1;
  for (;;) {
    std::unique_lock<std::mutex> lock(mu);
    bool woke = cv.wait_for(lock, std::chrono::milliseconds(50),
                            [&] { return paused; });
    if (woke) {
      paused = false;
      ++pauses;
      lock.unlock();
      call->ResumeReceive();
      continue;
    }
    lock.unlock();
    if (done.calls() > 0) break;
  }
  absl::StatusOr<HttpResponse> r = done.Wait();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(received, kTotal);
  EXPECT_EQ(got.Final(), expected.Final());
  EXPECT_GE(pauses, 8);
  std::printf("streamed %llu bytes in %d pieces with %d pauses\n",
              static_cast<unsigned long long>(received), chunk_calls, pauses);
}

struct UploadResult {
  uint64_t hash = 0;
  uint64_t bytes = 0;
};

// The 100 MiB upload: a producer thread feeds a BodyPipe (bounded at 1 MiB)
// wrapped in a MultipartBody; the server hashes what arrives and keeps
// nothing. Memory must not grow with the body.
TEST(CurlTransportTest, HundredMiBStreamedUploadKeepsMemoryBounded) {
  constexpr int kBlocks = 1600;  // 100 MiB of 64 KiB blocks
  constexpr int64_t kFileSize = int64_t{kBlocks} * 64 * 1024;
  constexpr size_t kPipeLimit = 1 << 20;
  TestServer::Options server_options;
  server_options.store_body = false;
  TestServer server(Ok, server_options);
  CurlTransport transport;
  // Warm up: curl's handles and buffers exist before the baseline is
  // taken.
  ASSERT_TRUE(Fetch(transport, Get(server.Url("/warmup"))).ok());

  auto pipe = std::make_shared<BodyPipe>(kPipeLimit, kFileSize);
  auto body =
      MultipartBody::Create({{"prompt", "a cat on a skateboard"}}, "video_file",
                            "clip.mp4", "video/mp4", pipe);
  ASSERT_TRUE(body.ok()) << body.status();

  StreamHash expected;
  expected.Update((*body)->preamble());
  std::mutex mu;
  std::condition_variable cv;
  bool space = false;
  pipe->SetSpaceCallback([&] {
    std::lock_guard<std::mutex> lock(mu);
    space = true;
    cv.notify_all();
  });

  HttpRequest req;
  req.method = "POST";
  req.url = server.Url("/v2/media/upload");
  req.headers = {{"Content-Type", (*body)->content_type()}};
  req.body_source = *body;
  req.deadline = absl::Now() + absl::Seconds(120);

  const size_t baseline = ResidentBytes();
  size_t peak = baseline;
  Completion done;
  const absl::Time start = absl::Now();
  transport.Start(std::move(req), done.Callback());
  for (int i = 0; i < kBlocks; ++i) {
    std::string block = Block(i);
    expected.Update(block);
    {
      std::lock_guard<std::mutex> lock(mu);
      space = false;
    }
    if (!pipe->Write(std::move(block))) {
      std::unique_lock<std::mutex> lock(mu);
      ASSERT_TRUE(
          cv.wait_for(lock, std::chrono::seconds(60), [&] { return space; }));
    }
    if (i % 16 == 0) peak = std::max(peak, ResidentBytes());
  }
  pipe->Finish();
  expected.Update((*body)->epilogue());
  absl::StatusOr<HttpResponse> r = done.Wait(absl::Seconds(120));
  const absl::Duration took = absl::Now() - start;
  peak = std::max(peak, ResidentBytes());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);

  std::vector<TestServer::Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  const TestServer::Request& upload = seen[1];
  EXPECT_TRUE(upload.complete);
  // A POST gets a connection of its own (see the test on silent resends).
  EXPECT_EQ(upload.connection, 2);
  EXPECT_EQ(static_cast<int64_t>(upload.body_bytes), *(*body)->size());
  EXPECT_EQ(upload.body_hash, expected.Final());
  EXPECT_EQ(FindHeader(upload.headers, "content-length"),
            absl::StrCat(*(*body)->size()));
  EXPECT_FALSE(FindHeader(upload.headers, "transfer-encoding").has_value());
  EXPECT_FALSE(FindHeader(upload.headers, "expect").has_value());

  const double growth_mib = static_cast<double>(peak - baseline) / (1 << 20);
  std::printf(
      "100 MiB upload: %.2f s, RSS baseline %.1f MiB, peak growth "
      "%.1f MiB, BodyPipe peak buffered %zu bytes\n",
      absl::ToDoubleSeconds(took), baseline / 1048576.0, growth_mib,
      pipe->peak_buffered_bytes());
  EXPECT_LT(peak - baseline, size_t{32} << 20);
  EXPECT_LE(pipe->peak_buffered_bytes(), kPipeLimit + 64 * 1024);
}

// Size unknown: the body goes out chunked, and an independent multipart
// parser (cpp-httplib's) reads back the fields and the file.
TEST(CurlTransportTest, ChunkedMultipartUploadParsedByAnIndependentServer) {
  HttplibServer http;
  std::mutex mu;
  std::vector<httplib::MultipartFormData> parts;
  std::string transfer_encoding;
  StreamHash file_hash;
  http.server().Post(
      "/upload", [&](const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader) {
        std::lock_guard<std::mutex> lock(mu);
        transfer_encoding = req.get_header_value("Transfer-Encoding");
        reader(
            [&](const httplib::MultipartFormData& part) {
              parts.push_back(part);
              return true;
            },
            [&](const char* data, size_t n) {
              if (parts.back().name == "audio_file") {
                file_hash.Update(data, n);
              } else {
                parts.back().content.append(data, n);
              }
              return true;
            });
        res.set_content("done", "text/plain");
      });
  CurlTransport transport;
  auto pipe = std::make_shared<BodyPipe>(256 * 1024, std::nullopt);
  auto body =
      MultipartBody::Create({{"model_id", "eleven_multilingual_sts_v2"},
                             {"remove_background_noise", "true"}},
                            "audio_file", "voice.mp3", "audio/mpeg", pipe);
  ASSERT_TRUE(body.ok());
  HttpRequest req;
  req.method = "POST";
  req.url = http.Url("/upload");
  req.headers = {{"Content-Type", (*body)->content_type()}};
  req.body_source = *body;
  req.deadline = absl::Now() + absl::Seconds(30);
  Completion done;
  transport.Start(std::move(req), done.Callback());
  StreamHash expected;
  std::mutex space_mu;
  std::condition_variable space_cv;
  bool space = false;
  pipe->SetSpaceCallback([&] {
    std::lock_guard<std::mutex> lock(space_mu);
    space = true;
    space_cv.notify_all();
  });
  std::thread producer([&] {
    for (int i = 0; i < 48; ++i) {
      std::string block = Block(i);
      expected.Update(block);
      {
        std::lock_guard<std::mutex> lock(space_mu);
        space = false;
      }
      if (!pipe->Write(std::move(block))) {
        std::unique_lock<std::mutex> lock(space_mu);
        space_cv.wait_for(lock, std::chrono::seconds(30),
                          [&] { return space; });
      }
      // Now and then slower than the transport, so it pauses and resumes.
      if (i % 8 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pipe->Finish();
  });
  absl::StatusOr<HttpResponse> r = done.Wait(absl::Seconds(30));
  producer.join();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(transfer_encoding, "chunked");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].name, "model_id");
  EXPECT_EQ(parts[0].content, "eleven_multilingual_sts_v2");
  EXPECT_EQ(parts[1].name, "remove_background_noise");
  EXPECT_EQ(parts[1].content, "true");
  EXPECT_EQ(parts[2].name, "audio_file");
  EXPECT_EQ(parts[2].filename, "voice.mp3");
  EXPECT_EQ(parts[2].content_type, "audio/mpeg");
  EXPECT_EQ(file_hash.total(), 48u * 64 * 1024);
  EXPECT_EQ(file_hash.Final(), expected.Final());
}

TEST(CurlTransportTest, BodySourceErrorMidUploadFailsTheRequest) {
  TestServer server(Ok);
  CurlTransport transport;
  auto pipe = std::make_shared<BodyPipe>(1 << 20, std::nullopt);
  HttpRequest req;
  req.method = "POST";
  req.url = server.Url("/upload");
  req.headers = {{"Content-Type", "application/octet-stream"}};
  req.body_source = pipe;
  req.deadline = absl::Now() + absl::Seconds(30);
  Completion done;
  transport.Start(std::move(req), done.Callback());
  for (int i = 0; i < 8; ++i) pipe->Write(Block(i));
  // Fail once the server has seen the request start, so this is mid-body.
  ASSERT_TRUE(server.WaitFor([&] { return server.accepted_locked() == 1; }));
  pipe->Fail(absl::CancelledError("client went away"));
  absl::StatusOr<HttpResponse> r = done.Wait();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "client went away"))
      << r.status();
  // The server never saw a complete body (no terminating chunk).
  ASSERT_TRUE(server.WaitFor([&] { return server.closed_locked() == 1; }));
  std::vector<TestServer::Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].complete);
}

TEST(CurlTransportTest, StalledUploadAndStalledReceiverHitTheDeadline) {
  TestServer server([](const TestServer::Request&, TestServer::Conn& conn) {
    return conn.Respond(200, std::string(1 << 20, 'r'));
  });
  CurlTransport transport;

  auto pipe = std::make_shared<BodyPipe>(1 << 20, std::nullopt);  // never fed
  HttpRequest upload;
  upload.method = "POST";
  upload.url = server.Url("/upload");
  upload.body_source = pipe;
  upload.deadline = absl::Now() + absl::Milliseconds(300);
  absl::StatusOr<HttpResponse> r = Fetch(transport, std::move(upload));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));

  auto stream = std::make_shared<ResponseStream>();
  stream->on_headers = [](int, const Headers&) { return true; };
  stream->on_chunk = [](absl::string_view) { return false; };  // never resumed
  HttpRequest download = Get(server.Url("/download"));
  download.response_stream = stream;
  download.deadline = absl::Now() + absl::Milliseconds(300);
  r = Fetch(transport, std::move(download));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(CurlTransportTest, CompletionMayStartTheNextRequestAndDropItsCall) {
  TestServer server(Ok);
  CurlTransport transport;
  std::mutex mu;
  std::condition_variable cv;
  int finished = 0;
  std::shared_ptr<HttpCall> current;
  std::function<void(int)> start_next = [&](int i) {
    std::lock_guard<std::mutex> lock(mu);
    current = transport.Start(
        Get(server.Url(absl::StrCat("/chain/", i))),
        [&, i](absl::StatusOr<HttpResponse> r) {
          EXPECT_TRUE(r.ok()) << r.status();
          if (i < 5) {
            start_next(i + 1);  // from the loop thread, inside a completion
          } else {
            std::lock_guard<std::mutex> lock(mu);
            current.reset();  // drop the call from inside its own completion
            finished = i;
            cv.notify_all();
          }
        });
  };
  start_next(1);
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                          [&] { return finished == 5; }));
  EXPECT_EQ(server.requests().size(), 5u);
}

TEST(CurlTransportTest, DestroyingTheTransportCancelsInFlightRequests) {
  TestServer* server_ptr = nullptr;
  TestServer server([&](const TestServer::Request&, TestServer::Conn& conn) {
    server_ptr->SleepUnlessStopped(absl::Seconds(30));
    return conn.Respond(200, "late");
  });
  server_ptr = &server;
  std::vector<Completion> done(3);
  Completion retried;
  std::shared_ptr<HttpCall> survivor;
  auto transport = std::make_unique<CurlTransport>();
  // unique_ptr::reset clears the pointer before deleting, so completions
  // that run during destruction use a raw pointer.
  CurlTransport* raw = transport.get();
  for (int i = 0; i < 3; ++i) {
    HttpTransport::Done inner = done[i].Callback();
    survivor = transport->Start(
        Get(server.Url("/hang")), [&, raw, i, inner = std::move(inner)](
                                      absl::StatusOr<HttpResponse> r) mutable {
          if (i == 0) {
            // A retry started from a completion during shutdown must not
            // deadlock; it is refused at once.
            raw->Start(Get(server.Url("/retry")), retried.Callback());
          }
          std::move(inner)(std::move(r));
        });
  }
  ASSERT_TRUE(
      server.WaitFor([&] { return server.requests_locked().size() == 3; }));
  const absl::Time start = absl::Now();
  transport.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  for (auto& d : done) {
    EXPECT_EQ(d.calls(), 1);
    EXPECT_THAT(d.Wait(absl::ZeroDuration()),
                StatusIs(absl::StatusCode::kCancelled));
  }
  EXPECT_EQ(retried.calls(), 1);
  absl::Status retry_status = retried.Wait(absl::ZeroDuration()).status();
  EXPECT_THAT(retry_status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_TRUE(RequestNotSent(retry_status));
  survivor->Cancel();  // the call outlives the transport: harmless
  survivor->ResumeReceive();
}

}  // namespace
}  // namespace mediagen::http
