#include "client/file_chunks.h"

#include <fstream>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::client {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::Not;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

TEST(FileChunksTest, ReadsWholeFileInChunksWithProgress) {
  const std::string path = TempPath("ten_bytes");
  std::ofstream(path) << "0123456789";
  absl::StatusOr<FileChunks> file = FileChunks::Open(path, 4);
  ASSERT_THAT(file, IsOk());
  EXPECT_EQ(file->size(), 10);
  std::vector<int64_t> progress;
  ChunkReader next = file->Reader([&](int64_t n) { progress.push_back(n); });
  std::vector<std::string> chunks;
  while (true) {
    absl::StatusOr<std::string> chunk = next();
    ASSERT_THAT(chunk, IsOk());
    if (chunk->empty()) break;
    chunks.push_back(*chunk);
  }
  EXPECT_EQ(chunks, (std::vector<std::string>{"0123", "4567", "89"}));
  EXPECT_EQ(progress, (std::vector<int64_t>{4, 8, 10}));
}

TEST(FileChunksTest, MissingFileAndDirectoryAreErrors) {
  EXPECT_THAT(FileChunks::Open(TempPath("does-not-exist")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(FileChunks::Open(TempPath("")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(FileChunks::Open(TempPath("ten_bytes"), 0), Not(IsOk()));
}

}  // namespace
}  // namespace mediagen::client
