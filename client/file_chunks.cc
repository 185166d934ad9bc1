#include "client/file_chunks.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace mediagen::client {

absl::StatusOr<FileChunks> FileChunks::Open(const std::string& path,
                                            size_t chunk_bytes) {
  if (chunk_bytes == 0) {
    return absl::InvalidArgumentError("chunk size must be above 0");
  }
  std::FILE* raw = std::fopen(path.c_str(), "rb");
  if (raw == nullptr) {
    const int error = errno;
    return absl::Status(error == ENOENT ? absl::StatusCode::kNotFound
                                        : absl::StatusCode::kFailedPrecondition,
                        absl::StrCat(path, ": ", std::strerror(error)));
  }
  std::shared_ptr<std::FILE> file(raw, &std::fclose);
  struct stat info;
  if (fstat(fileno(raw), &info) != 0 || !S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a regular file"));
  }
  return FileChunks(std::move(file), info.st_size, chunk_bytes);
}

ChunkReader FileChunks::Reader(std::function<void(int64_t)> on_progress) const {
  auto total = std::make_shared<int64_t>(0);
  return [file = file_, chunk_bytes = chunk_bytes_, total,
          on_progress =
              std::move(on_progress)]() -> absl::StatusOr<std::string> {
    std::string chunk(chunk_bytes, '\0');
    const size_t got = std::fread(chunk.data(), 1, chunk.size(), file.get());
    if (got < chunk.size() && std::ferror(file.get())) {
      return absl::DataLossError(
          absl::StrCat("reading the file failed after ", *total, " bytes"));
    }
    chunk.resize(got);
    *total += static_cast<int64_t>(got);
    if (on_progress && got > 0) on_progress(*total);
    return chunk;
  };
}

}  // namespace mediagen::client
