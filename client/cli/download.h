// Downloads a result URL to a file with libcurl, reporting progress. The
// file appears only when complete (written as PATH.part, then renamed).
#ifndef MEDIAGEN_CLIENT_CLI_DOWNLOAD_H_
#define MEDIAGEN_CLIENT_CLI_DOWNLOAD_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagen::cli {

// `on_progress(done, total)`; total is -1 when the server did not say.
using DownloadProgress = std::function<void(int64_t done, int64_t total)>;

// Returns the bytes written. Only http(s) URLs; HTTP errors fail (and leave
// no file).
absl::StatusOr<int64_t> DownloadToFile(const std::string& url,
                                       const std::string& path,
                                       const DownloadProgress& on_progress);

// The file name a URL suggests: its last path segment without the query
// ("https://h/a/b/video.mp4?x=1" -> "video.mp4"), or `fallback`.
std::string FileNameFromUrl(absl::string_view url, absl::string_view fallback);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_DOWNLOAD_H_
