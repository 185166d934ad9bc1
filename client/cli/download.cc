#include "client/cli/download.h"

#include <curl/curl.h>

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mediagen::cli {
namespace {

struct Sink {
  std::FILE* file = nullptr;
  const DownloadProgress* on_progress = nullptr;
};

size_t Write(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  return std::fwrite(data, size, count, sink->file) * size;
}

int Progress(void* user, curl_off_t total, curl_off_t done, curl_off_t,
             curl_off_t) {
  auto* sink = static_cast<Sink*>(user);
  if (*sink->on_progress && done > 0) {
    (*sink->on_progress)(done, total > 0 ? total : -1);
  }
  return 0;
}

}  // namespace

std::string FileNameFromUrl(absl::string_view url, absl::string_view fallback) {
  absl::string_view path = url.substr(0, url.find_first_of("?#"));
  const size_t scheme = path.find("://");
  if (scheme != absl::string_view::npos) {
    path.remove_prefix(scheme + 3);
    const size_t slash = path.find('/');
    path = slash == absl::string_view::npos ? absl::string_view()
                                            : path.substr(slash);
  }
  absl::string_view name = path.substr(path.rfind('/') + 1);
  if (name.empty() || name == "." || name == "..") return std::string(fallback);
  return std::string(name);
}

absl::StatusOr<int64_t> DownloadToFile(const std::string& url,
                                       const std::string& path,
                                       const DownloadProgress& on_progress) {
  if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an http(s) URL: ", url));
  }
  const std::string part = path + ".part";
  Sink sink;
  sink.on_progress = &on_progress;
  sink.file = std::fopen(part.c_str(), "wb");
  if (sink.file == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", part));
  }
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &sink);
  const CURLcode code = curl_easy_perform(curl);
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  curl_off_t bytes = 0;
  curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &bytes);
  curl_easy_cleanup(curl);
  const bool closed = std::fclose(sink.file) == 0;
  if (code != CURLE_OK || !closed) {
    std::remove(part.c_str());
    if (code == CURLE_HTTP_RETURNED_ERROR) {
      return absl::Status(
          http_status == 404 ? absl::StatusCode::kNotFound
                             : absl::StatusCode::kUnavailable,
          absl::StrCat("download of ", url, " failed: HTTP ", http_status));
    }
    return absl::UnavailableError(absl::StrCat(
        "download of ", url,
        " failed: ", closed ? curl_easy_strerror(code) : "write error"));
  }
  if (std::rename(part.c_str(), path.c_str()) != 0) {
    std::remove(part.c_str());
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path));
  }
  return static_cast<int64_t>(bytes);
}

}  // namespace mediagen::cli
