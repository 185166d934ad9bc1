// Reading a local file as upload chunks (ChunkReader), with progress.
//
//   absl::StatusOr<FileChunks> file = FileChunks::Open("clip.mp4");
//   client.UploadVideo(metadata, file->Reader([](int64_t sent) { ... }));
#ifndef MEDIAGEN_CLIENT_FILE_CHUNKS_H_
#define MEDIAGEN_CLIENT_FILE_CHUNKS_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/connection.h"

namespace mediagen::client {

class FileChunks {
 public:
  // 1 MiB: large enough to keep the stream busy, well under gRPC's default
  // 4 MiB message limit.
  static constexpr size_t kDefaultChunkBytes = 1 << 20;

  static absl::StatusOr<FileChunks> Open(
      const std::string& path, size_t chunk_bytes = kDefaultChunkBytes);

  // Bytes in the file when it was opened.
  int64_t size() const { return size_; }
  // A reader over the file (shares it: use one reader per upload).
  // `on_progress` gets the total bytes read so far after each chunk.
  ChunkReader Reader(std::function<void(int64_t)> on_progress = nullptr) const;

 private:
  FileChunks(std::shared_ptr<std::FILE> file, int64_t size, size_t chunk_bytes)
      : file_(std::move(file)), size_(size), chunk_bytes_(chunk_bytes) {}

  std::shared_ptr<std::FILE> file_;
  int64_t size_ = 0;
  size_t chunk_bytes_ = kDefaultChunkBytes;
};

}  // namespace mediagen::client

#endif  // MEDIAGEN_CLIENT_FILE_CHUNKS_H_
