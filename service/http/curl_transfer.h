// One request as CurlTransport's event loop runs it: the request, its
// completion, the easy handle it borrowed from the loop, the response being
// assembled, and the libcurl callbacks that fill it in (headers, body) or
// feed the upload. Everything here runs on the loop thread; a Transfer is
// owned by its loop from Start to completion.
//
//   auto t = std::make_unique<internal::Transfer>();
//   t->request = std::move(request);
//   t->easy = easy;                       // configured by curl_handle_config
//   ... curl_multi_perform calls OnHeader / OnWrite / OnRead ...
//   absl::StatusOr<HttpResponse> result =
//       code == CURLE_OK ? internal::TransferResponse(t.get())
//                        : internal::TransferFailure(*t, code);
//
// The callbacks keep what they decided in the Transfer: a response that
// goes to a ResponseStream, a paused send or receive (which the loop
// resumes with curl_easy_pause(easy, PauseMask())), and why one of them
// aborted the transfer (`abort_status`, which TransferFailure prefers over
// libcurl's own code).
#ifndef MEDIAGEN_SERVICE_HTTP_CURL_TRANSFER_H_
#define MEDIAGEN_SERVICE_HTTP_CURL_TRANSFER_H_

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/http/transport.h"

namespace mediagen::http::internal {

// One request, owned by its loop from kStart to completion. Only the loop
// thread touches it after Start hands it over.
struct Transfer {
  uint64_t id = 0;
  HttpRequest request;
  HttpTransport::Done done;
  std::string redacted_url;
  absl::Time deadline;  // effective: the request's or the default timeout

  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {0};

  // The header block being received. 1xx blocks are dropped; the first
  // final block becomes the response's (redirects are not followed).
  int block_status = 0;
  Headers block_headers;
  bool headers_done = false;
  HttpResponse response;

  // The body goes to request.response_stream (its on_headers said yes).
  bool streaming = false;
  // on_chunk returned false: the next piece pauses receiving.
  bool receive_pause_wanted = false;
  // libcurl's pause state, which curl_easy_pause must be given whole.
  bool receive_paused = false;
  bool send_paused = false;

  // Why one of our callbacks aborted the transfer.
  absl::Status abort_status;

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer();

  int PauseMask() const {
    return (receive_paused ? CURLPAUSE_RECV : 0) |
           (send_paused ? CURLPAUSE_SEND : 0);
  }

  // Removes every header value of this request and the URL's query from
  // libcurl's text, in case a message ever echoes them.
  std::string Scrub(std::string text) const;

  // libcurl's error for `code` and its error buffer (scrubbed), with the
  // method and redacted URL.
  std::string Describe(CURLcode code) const;
};

// libcurl callbacks, each with the Transfer as its userdata, called on the
// loop thread from inside curl_multi_perform or curl_easy_pause. All have
// libcurl's curl_write_callback shape (curl_read_callback is the same).
//
// CURLOPT_HEADERFUNCTION: collects the final header block (names
// lower-cased, obs-folds joined, 1xx blocks and trailers dropped), offers
// it to the ResponseStream, and refuses a declared Content-Length over
// max_response_bytes before the body arrives.
size_t OnHeader(char* data, size_t size, size_t nitems, void* userdata);
// CURLOPT_WRITEFUNCTION: the body, to the ResponseStream (pausing when it
// is full) or into the response within max_response_bytes.
size_t OnWrite(char* data, size_t size, size_t nmemb, void* userdata);
// CURLOPT_READFUNCTION: the upload, from request.body_source (pausing when
// it has nothing yet).
size_t OnRead(char* buf, size_t size, size_t nitems, void* userdata);

// The response of a transfer that libcurl finished with CURLE_OK. Moves it
// out of `t`.
absl::StatusOr<HttpResponse> TransferResponse(Transfer* t);

// The status of a transfer that libcurl finished with `code` (not
// CURLE_OK), per transport.h: `abort_status` when a callback aborted it;
// otherwise UNAVAILABLE (marked not sent when the connection was never
// made), DEADLINE_EXCEEDED, or INVALID_ARGUMENT for a URL libcurl refused.
absl::Status TransferFailure(const Transfer& t, CURLcode code);

}  // namespace mediagen::http::internal

#endif  // MEDIAGEN_SERVICE_HTTP_CURL_TRANSFER_H_
