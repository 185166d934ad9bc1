#include "tests/emulator/request_log.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace mediagen::emulator {

using json = nlohmann::json;

std::string RedactHeaderValue(const std::string& name,
                              const std::string& value) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "x-api-key" || lower == "xi-api-key" || lower == "cookie") {
    return "[REDACTED]";
  }
  if (lower == "authorization") {
    if (absl::StartsWithIgnoreCase(value, "bearer "))
      return "Bearer [REDACTED]";
    return "[REDACTED]";
  }
  return value;
}

RequestLog::RequestLog(size_t max_entries, size_t body_cap)
    : max_entries_(max_entries == 0 ? 1 : max_entries), body_cap_(body_cap) {}

uint64_t RequestLog::Add(LoggedRequest entry) {
  std::lock_guard<std::mutex> lock(mu_);
  entry.seq = next_seq_++;
  const uint64_t seq = entry.seq;
  entries_.push_back(std::move(entry));
  while (entries_.size() > max_entries_) entries_.pop_front();
  return seq;
}

void RequestLog::Finish(uint64_t seq, int status,
                        const std::string& customer_id,
                        const std::string& fault) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.empty() || seq < entries_.front().seq) return;
  const size_t index = static_cast<size_t>(seq - entries_.front().seq);
  if (index >= entries_.size()) return;
  LoggedRequest& e = entries_[index];
  e.status = status;
  if (!customer_id.empty()) e.customer_id = customer_id;
  if (!fault.empty()) e.fault = fault;
}

json RequestLog::ToJson(const Filter& filter) const {
  std::vector<LoggedRequest> selected;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const LoggedRequest& e : entries_) {
      if (e.seq <= filter.since) continue;
      if (!filter.method.empty() && e.method != filter.method) continue;
      if (!filter.route.empty() && e.route != filter.route) continue;
      if (!filter.path_prefix.empty() &&
          !absl::StartsWith(e.path, filter.path_prefix)) {
        continue;
      }
      selected.push_back(e);
    }
  }
  if (filter.limit > 0 && selected.size() > filter.limit) {
    selected.erase(selected.begin(),
                   selected.end() - static_cast<std::ptrdiff_t>(filter.limit));
  }
  json out = json::array();
  for (const LoggedRequest& e : selected) {
    json headers = json::object();
    for (const auto& [name, value] : e.headers) {
      // One key per header name, lower-cased so tests need not guess the
      // client's capitalization; repeated headers are joined as HTTP allows.
      const std::string key = absl::AsciiStrToLower(name);
      if (headers.contains(key)) {
        headers[key] = headers[key].get<std::string>() + ", " + value;
      } else {
        headers[key] = value;
      }
    }
    json entry = {{"seq", e.seq},
                  {"time", e.time},
                  {"method", e.method},
                  {"path", e.path},
                  {"query", e.query},
                  {"route", e.route},
                  {"provider", e.provider},
                  {"headers", std::move(headers)},
                  {"body", e.body},
                  {"body_bytes", e.body_bytes},
                  {"body_truncated", e.body_truncated},
                  {"customer_id", e.customer_id},
                  {"status", e.status},
                  {"fault", e.fault}};
    if (!e.parts.is_null()) entry["parts"] = e.parts;
    if (!e.body_truncated && !e.body.empty() && e.parts.is_null()) {
      json parsed = json::parse(e.body, nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_discarded()) entry["json"] = std::move(parsed);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

void RequestLog::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

}  // namespace mediagen::emulator
