#include "bench/rest_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <future>

#include "absl/strings/str_cat.h"
#include "bench/load_driver.h"

namespace mediagen::bench {
namespace {

void GlobalInit() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

}  // namespace

struct RestClient::Transfer {
  std::shared_ptr<const Request> request;
  Callback done;
  curl_slist* headers = nullptr;
  Response response;
  absl::Duration start;

  static size_t Write(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    if (t->response.body_bytes == 0 && size * n > 0) {
      t->response.first_byte = MonotonicNow() - t->start;
    }
    t->response.body_bytes += size * n;
    (void)data;
    return size * n;
  }
};

RestClient::RestClient() {
  GlobalInit();
  multi_ = curl_multi_init();
  loop_ = std::thread([this] { Loop(); });
  // Set here, not by the loop thread: Send reads it from any thread, and
  // every Send comes after the constructor returned.
  loop_id_ = loop_.get_id();
}

RestClient::~RestClient() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  curl_multi_wakeup(multi_);
  loop_.join();
  for (void* easy : idle_handles_) curl_easy_cleanup(easy);
  curl_multi_cleanup(multi_);
}

void RestClient::Send(std::shared_ptr<const Request> request, Callback done) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  t->start = MonotonicNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_.push_back(std::move(t));
  }
  // From a callback the loop drains the queue before it waits again.
  if (std::this_thread::get_id() != loop_id_) curl_multi_wakeup(multi_);
}

RestClient::Response RestClient::SendAndWait(
    std::shared_ptr<const Request> request) {
  std::promise<Response> promise;
  Send(std::move(request),
       [&promise](Response r) { promise.set_value(std::move(r)); });
  return promise.get_future().get();
}

void RestClient::StartQueued() {
  std::vector<std::unique_ptr<Transfer>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(queued_);
  }
  for (auto& owned : batch) {
    Transfer* t = owned.release();
    CURL* easy;
    if (!idle_handles_.empty()) {
      easy = idle_handles_.back();
      idle_handles_.pop_back();
      curl_easy_reset(easy);
    } else {
      easy = curl_easy_init();
    }
    const Request& r = *t->request;
    curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::Write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    if (r.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
    } else if (r.method != "GET") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    if (r.method != "GET") {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(r.body.size()));
    }
    for (const std::string& h : r.headers) {
      t->headers = curl_slist_append(t->headers, h.c_str());
    }
    // No "Expect: 100-continue" round trip for bodies over 1 KiB.
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
    if (r.fresh_connection) {
      curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
      curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
    }
    curl_multi_add_handle(multi_, easy);
    active_.insert(easy);
  }
}

void RestClient::Finish(void* handle, int result) {
  CURL* easy = handle;
  Transfer* t = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t);
  curl_multi_remove_handle(multi_, easy);
  active_.erase(easy);
  std::unique_ptr<Transfer> owned(t);
  t->response.total = MonotonicNow() - t->start;
  if (result == CURLE_OK) {
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t->response.status);
  } else {
    t->response.error = curl_easy_strerror(static_cast<CURLcode>(result));
  }
  curl_slist_free_all(t->headers);
  idle_handles_.push_back(easy);
  std::move(t->done)(std::move(t->response));
}

void RestClient::Loop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
    }
    StartQueued();
    int running = 0;
    curl_multi_perform(multi_, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
      if (m->msg == CURLMSG_DONE) Finish(m->easy_handle, m->data.result);
    }
    bool more;
    {
      std::lock_guard<std::mutex> lock(mu_);
      more = !queued_.empty();
    }
    if (!more) curl_multi_poll(multi_, nullptr, 0, 100, nullptr);
  }
  // Transfers still running are dropped with their callbacks.
  for (void* easy : active_) {
    Transfer* t = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t);
    curl_multi_remove_handle(multi_, easy);
    curl_slist_free_all(t->headers);
    delete t;
    curl_easy_cleanup(easy);
  }
  active_.clear();
}

namespace {

struct GeneratedBody {
  uint64_t left;
  static size_t Read(char* buffer, size_t size, size_t n, void* self) {
    auto* g = static_cast<GeneratedBody*>(self);
    const size_t chunk = std::min<uint64_t>(size * n, g->left);
    // The bytes' values do not matter; the emulator counts them.
    std::memset(buffer, 'v', chunk);
    g->left -= chunk;
    return chunk;
  }
};

size_t KeepBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

absl::StatusOr<UploadResult> UploadMultipart(
    const std::string& url, const std::vector<std::string>& headers,
    const std::string& field, const std::string& file_name,
    const std::string& content_type, uint64_t bytes) {
  GlobalInit();
  CURL* easy = curl_easy_init();
  GeneratedBody body{bytes};
  curl_mime* mime = curl_mime_init(easy);
  curl_mimepart* part = curl_mime_addpart(mime);
  curl_mime_name(part, field.c_str());
  curl_mime_filename(part, file_name.c_str());
  curl_mime_type(part, content_type.c_str());
  curl_mime_data_cb(part, static_cast<curl_off_t>(bytes), &GeneratedBody::Read,
                    nullptr, nullptr, &body);
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");
  UploadResult result;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_MIMEPOST, mime);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &KeepBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  const absl::Duration start = MonotonicNow();
  const CURLcode code = curl_easy_perform(easy);
  result.elapsed = MonotonicNow() - start;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(list);
  curl_mime_free(mime);
  curl_easy_cleanup(easy);
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("upload failed: ", curl_easy_strerror(code)));
  }
  return result;
}

}  // namespace mediagen::bench
