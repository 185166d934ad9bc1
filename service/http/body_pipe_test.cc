#include "service/http/body_pipe.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mediagen::http {
namespace {

using ReadResult = BodySource::ReadResult;

// Reads everything currently available, `max` bytes at a time.
std::string ReadAvailable(BodyPipe& pipe, size_t max, ReadResult* last) {
  std::string out;
  std::string buf(max, '\0');
  for (;;) {
    size_t n = 0;
    *last = pipe.Read(buf.data(), max, &n);
    if (*last != ReadResult::kData) return out;
    EXPECT_GT(n, 0u);
    EXPECT_LE(n, max);
    out.append(buf.data(), n);
  }
}

TEST(BodyPipeTest, ReadsChunksInOrderAcrossChunkBoundariesThenEnds) {
  BodyPipe pipe(1024, std::nullopt);
  pipe.SetResumeCallback([] {});
  EXPECT_TRUE(pipe.Write("abc"));
  EXPECT_TRUE(pipe.Write("defg"));
  EXPECT_TRUE(pipe.Write(""));  // empty writes are harmless
  pipe.Finish();

  char buf[3];
  size_t n = 0;
  ASSERT_EQ(pipe.Read(buf, 3, &n), ReadResult::kData);
  EXPECT_EQ(std::string(buf, n), "abc");
  ASSERT_EQ(pipe.Read(buf, 3, &n), ReadResult::kData);
  EXPECT_EQ(std::string(buf, n), "def");
  ASSERT_EQ(pipe.Read(buf, 3, &n), ReadResult::kData);
  EXPECT_EQ(std::string(buf, n), "g");
  EXPECT_EQ(pipe.Read(buf, 3, &n), ReadResult::kEnd);
  EXPECT_EQ(pipe.Read(buf, 3, &n), ReadResult::kEnd);
  EXPECT_EQ(pipe.bytes_written(), 7);
  EXPECT_TRUE(pipe.error().ok());
}

TEST(BodyPipeTest, FullPipeStillKeepsTheChunkThatFilledIt) {
  BodyPipe pipe(10, std::nullopt);
  EXPECT_TRUE(pipe.Write("123456"));
  EXPECT_FALSE(pipe.Write("789012"));  // 12 >= 10: stop writing
  EXPECT_EQ(pipe.peak_buffered_bytes(), 12u);
  pipe.Finish();
  ReadResult last;
  EXPECT_EQ(ReadAvailable(pipe, 100, &last), "123456789012");
  EXPECT_EQ(last, ReadResult::kEnd);
}

TEST(BodyPipeTest, SpaceCallbackRunsOnceWhenDrainedBelowHalfAfterFull) {
  BodyPipe pipe(10, std::nullopt);
  int space_calls = 0;
  pipe.SetSpaceCallback([&] { ++space_calls; });
  pipe.SetResumeCallback([] {});
  EXPECT_FALSE(pipe.Write(std::string(12, 'x')));

  char buf[16];
  size_t n = 0;
  ASSERT_EQ(pipe.Read(buf, 3, &n), ReadResult::kData);  // 9 left: not yet
  EXPECT_EQ(space_calls, 0);
  ASSERT_EQ(pipe.Read(buf, 4, &n), ReadResult::kData);  // 5 left: not < 5
  EXPECT_EQ(space_calls, 0);
  ASSERT_EQ(pipe.Read(buf, 1, &n), ReadResult::kData);  // 4 left
  EXPECT_EQ(space_calls, 1);
  ASSERT_EQ(pipe.Read(buf, 4, &n), ReadResult::kData);
  EXPECT_EQ(space_calls, 1);  // once per "full" episode

  // Writes that never hit the limit never trigger it.
  EXPECT_TRUE(pipe.Write("ab"));
  ASSERT_EQ(pipe.Read(buf, 16, &n), ReadResult::kData);
  EXPECT_EQ(space_calls, 1);
}

TEST(BodyPipeTest, PausedReaderIsResumedByWriteAndByFinish) {
  BodyPipe pipe(100, std::nullopt);
  int resumes = 0;
  pipe.SetResumeCallback([&] { ++resumes; });
  char buf[16];
  size_t n = 0;
  EXPECT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kPause);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(resumes, 0);
  EXPECT_TRUE(pipe.Write("hi"));
  EXPECT_EQ(resumes, 1);
  EXPECT_TRUE(pipe.Write("!"));  // reader not paused: no extra resume
  EXPECT_EQ(resumes, 1);
  ASSERT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kData);
  EXPECT_EQ(std::string(buf, n), "hi!");
  EXPECT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kPause);
  pipe.Finish();
  EXPECT_EQ(resumes, 2);
  EXPECT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kEnd);
}

TEST(BodyPipeTest, ShortBodyWithKnownSizeFailsAtFinish) {
  BodyPipe pipe(100, 10);
  int resumes = 0;
  pipe.SetResumeCallback([&] { ++resumes; });
  EXPECT_EQ(pipe.size(), 10);
  EXPECT_TRUE(pipe.Write("12345"));
  char buf[16];
  size_t n = 0;
  ASSERT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kData);
  ASSERT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kPause);
  pipe.Finish();
  EXPECT_EQ(resumes, 1);  // the paused transport must learn about it
  EXPECT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kError);
  EXPECT_EQ(pipe.error().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BodyPipeTest, LongBodyWithKnownSizeFailsAtTheOverflowingWrite) {
  BodyPipe pipe(100, 4);
  pipe.SetResumeCallback([] {});
  EXPECT_FALSE(pipe.Write("12345"));
  char buf[16];
  size_t n = 0;
  EXPECT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kError);
  EXPECT_EQ(pipe.error().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pipe.bytes_written(), 0);
}

TEST(BodyPipeTest, ExactKnownSizeEndsNormally) {
  BodyPipe pipe(100, 5);
  pipe.SetResumeCallback([] {});
  EXPECT_TRUE(pipe.Write("12"));
  EXPECT_TRUE(pipe.Write("345"));
  pipe.Finish();
  ReadResult last;
  EXPECT_EQ(ReadAvailable(pipe, 4, &last), "12345");
  EXPECT_EQ(last, ReadResult::kEnd);
}

TEST(BodyPipeTest, FailDropsBufferedDataAndLaterWrites) {
  BodyPipe pipe(100, std::nullopt);
  int resumes = 0;
  pipe.SetResumeCallback([&] { ++resumes; });
  EXPECT_TRUE(pipe.Write("data"));
  pipe.Fail(absl::CancelledError("client went away"));
  EXPECT_FALSE(pipe.Write("more"));
  EXPECT_EQ(pipe.bytes_written(), 4);
  char buf[16];
  size_t n = 0;
  EXPECT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kError);
  EXPECT_EQ(pipe.error(), absl::CancelledError("client went away"));
  pipe.Fail(absl::InternalError("second"));  // the first failure stays
  EXPECT_EQ(pipe.error(), absl::CancelledError("client went away"));
  EXPECT_EQ(resumes, 0);  // the reader was not paused
}

TEST(BodyPipeTest, FailWakesAPausedReader) {
  BodyPipe pipe(100, std::nullopt);
  int resumes = 0;
  pipe.SetResumeCallback([&] { ++resumes; });
  char buf[16];
  size_t n = 0;
  ASSERT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kPause);
  pipe.Fail(absl::DataLossError("disk"));
  EXPECT_EQ(resumes, 1);
  EXPECT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kError);
  EXPECT_EQ(pipe.error().code(), absl::StatusCode::kDataLoss);
}

TEST(BodyPipeTest, WritesAfterFinishAreDropped) {
  BodyPipe pipe(100, std::nullopt);
  pipe.SetResumeCallback([] {});
  EXPECT_TRUE(pipe.Write("a"));
  pipe.Finish();
  EXPECT_FALSE(pipe.Write("b"));
  pipe.Fail(absl::CancelledError("late"));  // the body was complete
  ReadResult last;
  EXPECT_EQ(ReadAvailable(pipe, 16, &last), "a");
  EXPECT_EQ(last, ReadResult::kEnd);
  EXPECT_EQ(pipe.bytes_written(), 1);
}

TEST(BodyPipeTest, CallbacksRunWithoutThePipeLockHeld) {
  // Each callback re-enters the pipe; with its (non-recursive) lock held
  // this would deadlock.
  BodyPipe pipe(4, std::nullopt);
  int64_t seen_in_resume = -1;
  bool wrote_in_space = false;
  pipe.SetResumeCallback([&] { seen_in_resume = pipe.bytes_written(); });
  pipe.SetSpaceCallback([&] { wrote_in_space = pipe.Write("z"); });
  char buf[16];
  size_t n = 0;
  ASSERT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kPause);
  EXPECT_FALSE(pipe.Write("12345"));
  EXPECT_EQ(seen_in_resume, 5);
  ASSERT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kData);
  EXPECT_TRUE(wrote_in_space);
  ASSERT_EQ(pipe.Read(buf, sizeof(buf), &n), ReadResult::kData);
  EXPECT_EQ(std::string(buf, n), "z");
}

// A producer and a consumer thread, each waiting on the other's callback,
// move many odd-sized chunks; every byte arrives once, in order, and the
// buffer never holds more than the limit plus one chunk.
TEST(BodyPipeTest, ConcurrentProducerAndConsumerKeepOrderAndBound) {
  constexpr size_t kLimit = 4096;
  constexpr int kChunks = 3000;
  constexpr size_t kMaxChunk = 1000;
  auto pipe = std::make_shared<BodyPipe>(kLimit, std::nullopt);

  std::mutex mu;
  std::condition_variable cv;
  bool space = false;
  bool resumed = false;
  pipe->SetSpaceCallback([&] {
    std::lock_guard<std::mutex> lock(mu);
    space = true;
    cv.notify_all();
  });
  pipe->SetResumeCallback([&] {
    std::lock_guard<std::mutex> lock(mu);
    resumed = true;
    cv.notify_all();
  });

  auto byte_at = [](uint64_t i) {
    return static_cast<char>((i * 31 + i / 7) & 0xff);
  };
  uint64_t total = 0;
  std::thread producer([&] {
    uint64_t pos = 0;
    for (int c = 0; c < kChunks; ++c) {
      size_t len = 1 + (c * 7919) % kMaxChunk;
      std::string chunk(len, '\0');
      for (size_t j = 0; j < len; ++j) chunk[j] = byte_at(pos + j);
      pos += len;
      {
        std::lock_guard<std::mutex> lock(mu);
        space = false;
      }
      if (!pipe->Write(std::move(chunk))) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return space; });
      }
    }
    total = pos;
    pipe->Finish();
  });

  uint64_t received = 0;
  bool in_order = true;
  char buf[777];
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      resumed = false;
    }
    size_t n = 0;
    ReadResult r = pipe->Read(buf, sizeof(buf), &n);
    if (r == ReadResult::kEnd) break;
    ASSERT_NE(r, ReadResult::kError);
    if (r == ReadResult::kPause) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return resumed; });
      continue;
    }
    for (size_t j = 0; j < n; ++j) {
      if (buf[j] != byte_at(received + j)) in_order = false;
    }
    received += n;
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(received, total);
  EXPECT_EQ(pipe->bytes_written(), static_cast<int64_t>(total));
  EXPECT_LE(pipe->peak_buffered_bytes(), kLimit + kMaxChunk);
}

}  // namespace
}  // namespace mediagen::http
