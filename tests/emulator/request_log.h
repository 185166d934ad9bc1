// The emulator's record of what clients sent: method, path, raw query,
// headers (API keys redacted), and the body up to a cap (multipart bodies
// are summarized by part, never stored). Tests read it through the control
// API to assert exactly what the gateway sent upstream.
//
//   RequestLog log(/*max_entries=*/10000, /*body_cap=*/65536);
//   LoggedRequest r;
//   r.method = "POST"; r.path = "/v2/media";
//   r.headers = RedactHeaders(req.headers);
//   uint64_t seq = log.Add(std::move(r));
//   ...
//   log.Finish(seq, 200, "customer-1", "");
//   nlohmann::json entries = log.ToJson({.path_prefix = "/v2/media"});
#ifndef MEDIAGEN_TESTS_EMULATOR_REQUEST_LOG_H_
#define MEDIAGEN_TESTS_EMULATOR_REQUEST_LOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace mediagen::emulator {

struct LoggedRequest {
  uint64_t seq = 0;  // assigned by Add(), from 1
  std::string time;  // RFC 3339, UTC
  std::string method;
  std::string path;   // decoded
  std::string query;  // raw, as sent (without '?')
  std::string route;  // e.g. "GET /v2/media/{id}"; "" when no route matched
  std::string provider;
  std::vector<std::pair<std::string, std::string>> headers;  // redacted
  std::string body;                                          // at most the cap
  size_t body_bytes = 0;
  bool body_truncated = false;
  nlohmann::json parts;  // multipart: [{name, filename, content_type, size}]
  std::string customer_id;
  int status = 0;  // 0 while the request is in flight
  std::string fault;
};

// Header values with secrets replaced: X-Api-Key, xi-api-key, Cookie and
// Authorization become "[REDACTED]" ("Bearer [REDACTED]" keeps the scheme).
template <typename Headers>
std::vector<std::pair<std::string, std::string>> RedactHeaders(
    const Headers& headers);
std::string RedactHeaderValue(const std::string& name,
                              const std::string& value);

class RequestLog {
 public:
  struct Filter {
    std::string method;
    std::string path_prefix;
    std::string route;
    uint64_t since = 0;  // only entries with seq > since
    size_t limit = 0;    // 0 = all
  };

  RequestLog(size_t max_entries, size_t body_cap);

  size_t body_cap() const { return body_cap_; }

  // Stores the entry (dropping the oldest beyond max_entries) and returns
  // its sequence number.
  uint64_t Add(LoggedRequest entry);

  // Records the outcome of the request `seq`.
  void Finish(uint64_t seq, int status, const std::string& customer_id,
              const std::string& fault);

  nlohmann::json ToJson(const Filter& filter) const;

  void Clear();

 private:
  const size_t max_entries_;
  const size_t body_cap_;
  mutable std::mutex mu_;
  std::deque<LoggedRequest> entries_;
  uint64_t next_seq_ = 1;
};

template <typename Headers>
std::vector<std::pair<std::string, std::string>> RedactHeaders(
    const Headers& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    out.emplace_back(name, RedactHeaderValue(name, value));
  }
  return out;
}

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_REQUEST_LOG_H_
