#include "tests/emulator/faults.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mediagen::emulator {

using json = nlohmann::json;

namespace {

absl::Status Expect(bool ok, const std::string& key, const char* what) {
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("fault rule: \"", key, "\" must be ", what));
}

}  // namespace

bool GlobMatch(std::string_view glob, std::string_view text) {
  // Iterative wildcard match with backtracking to the last '*'.
  size_t g = 0, t = 0;
  size_t star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g;
      ++t;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++;
      mark = t;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

absl::StatusOr<FaultRule> ParseFaultRule(const json& j) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError("fault rule must be a JSON object");
  }
  FaultRule r;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    absl::Status s;
    if (k == "method") {
      s = Expect(v.is_string(), k, "a string");
      if (s.ok()) r.method = absl::AsciiStrToUpper(v.get<std::string>());
    } else if (k == "path") {
      s = Expect(v.is_string() && !v.get<std::string>().empty(), k,
                 "a non-empty string");
      if (s.ok()) r.path = v.get<std::string>();
    } else if (k == "times") {
      s = Expect(v.is_number_integer() && v.get<int64_t>() >= -1, k,
                 "an integer >= -1");
      if (s.ok()) r.times = v.get<int64_t>();
    } else if (k == "skip") {
      s = Expect(v.is_number_integer() && v.get<int64_t>() >= 0, k,
                 "an integer >= 0");
      if (s.ok()) r.skip = v.get<int64_t>();
    } else if (k == "status") {
      s = Expect(
          v.is_number_integer() && v.get<int>() >= 100 && v.get<int>() <= 599,
          k, "an HTTP status code");
      if (s.ok()) r.status = v.get<int>();
    } else if (k == "after_processing") {
      s = Expect(v.is_boolean(), k, "a boolean");
      if (s.ok()) r.after_processing = v.get<bool>();
    } else if (k == "code") {
      s = Expect(v.is_string(), k, "a string");
      if (s.ok()) r.code = v.get<std::string>();
    } else if (k == "message") {
      s = Expect(v.is_string(), k, "a string");
      if (s.ok()) r.message = v.get<std::string>();
    } else if (k == "body") {
      r.body = v;
    } else if (k == "headers") {
      s = Expect(v.is_object(), k, "an object of strings");
      if (s.ok()) {
        for (auto h = v.begin(); h != v.end(); ++h) {
          if (!h.value().is_string()) {
            s = Expect(false, k, "an object of strings");
            break;
          }
          r.headers.emplace_back(h.key(), h.value().get<std::string>());
        }
      }
    } else if (k == "latency_ms") {
      s = Expect(v.is_number_integer() && v.get<int64_t>() >= 0, k,
                 "an integer >= 0");
      if (s.ok()) r.latency_ms = v.get<int64_t>();
    } else if (k == "reset_after_bytes") {
      s = Expect(v.is_number_integer() && v.get<int64_t>() >= 0, k,
                 "an integer >= 0");
      if (s.ok()) r.reset_after_bytes = v.get<int64_t>();
    } else if (k == "malformed_json") {
      s = Expect(v.is_boolean(), k, "a boolean");
      if (s.ok()) r.malformed_json = v.get<bool>();
    } else if (k == "drip_bytes_per_sec") {
      s = Expect(v.is_number_integer() && v.get<int64_t>() > 0, k,
                 "an integer > 0");
      if (s.ok()) r.drip_bytes_per_sec = v.get<int64_t>();
    } else if (k == "content_type") {
      s = Expect(v.is_string() && !v.get<std::string>().empty(), k,
                 "a non-empty string");
      if (s.ok()) r.content_type = v.get<std::string>();
    } else if (k == "oversize_bytes") {
      s = Expect(v.is_number_integer() && v.get<int64_t>() > 0 &&
                     v.get<int64_t>() <= (int64_t{1} << 30),
                 k, "an integer in 1..2^30");
      if (s.ok()) r.oversize_bytes = v.get<int64_t>();
    } else if (k == "concurrency_limit") {
      s = Expect(v.is_number_integer() && v.get<int>() > 0, k,
                 "an integer > 0");
      if (s.ok()) r.concurrency_limit = v.get<int>();
    } else {
      s = absl::InvalidArgumentError(
          absl::StrCat("fault rule: unknown key \"", k, "\""));
    }
    if (!s.ok()) return s;
  }
  if (r.path.empty()) {
    return absl::InvalidArgumentError("fault rule: \"path\" is required");
  }
  if (r.status == 0 && r.latency_ms == 0 && r.reset_after_bytes < 0 &&
      !r.malformed_json && r.drip_bytes_per_sec == 0 &&
      r.concurrency_limit == 0 && r.content_type.empty() &&
      r.oversize_bytes == 0) {
    return absl::InvalidArgumentError(
        "fault rule: give at least one of status, latency_ms, "
        "reset_after_bytes, malformed_json, drip_bytes_per_sec, "
        "concurrency_limit, content_type, oversize_bytes");
  }
  if (r.after_processing && r.status == 0) {
    return absl::InvalidArgumentError(
        "fault rule: \"after_processing\" needs \"status\"");
  }
  return r;
}

json FaultRuleToJson(const FaultRule& r) {
  json j = {{"id", r.id},       {"method", r.method}, {"path", r.path},
            {"times", r.times}, {"skip", r.skip},     {"hits", r.hits}};
  if (r.status) j["status"] = r.status;
  if (r.after_processing) j["after_processing"] = true;
  if (!r.code.empty()) j["code"] = r.code;
  if (!r.message.empty()) j["message"] = r.message;
  if (r.body) j["body"] = *r.body;
  if (!r.headers.empty()) {
    json h = json::object();
    for (const auto& [k, v] : r.headers) h[k] = v;
    j["headers"] = h;
  }
  if (r.latency_ms) j["latency_ms"] = r.latency_ms;
  if (r.reset_after_bytes >= 0) j["reset_after_bytes"] = r.reset_after_bytes;
  if (r.malformed_json) j["malformed_json"] = true;
  if (r.drip_bytes_per_sec) j["drip_bytes_per_sec"] = r.drip_bytes_per_sec;
  if (!r.content_type.empty()) j["content_type"] = r.content_type;
  if (r.oversize_bytes) j["oversize_bytes"] = r.oversize_bytes;
  if (r.concurrency_limit) {
    j["concurrency_limit"] = r.concurrency_limit;
    j["in_flight"] = r.in_flight;
  }
  return j;
}

std::string FaultEffects::Describe() const {
  if (fired.empty()) return "";
  std::vector<std::string> parts;
  if (latency_ms) parts.push_back(absl::StrCat("latency ", latency_ms, "ms"));
  if (concurrency_rejected) {
    parts.push_back(absl::StrCat("concurrency limit ", concurrency_limit));
  }
  if (status) {
    parts.push_back(absl::StrCat("status ", status,
                                 after_processing ? " after processing" : ""));
  }
  if (!content_type.empty()) {
    parts.push_back(absl::StrCat("content type ", content_type));
  }
  if (oversize_bytes) {
    parts.push_back(absl::StrCat("oversize ", oversize_bytes, " bytes"));
  }
  if (malformed_json) parts.push_back("malformed json");
  if (drip_bytes_per_sec) {
    parts.push_back(absl::StrCat("drip ", drip_bytes_per_sec, " B/s"));
  }
  if (reset_after_bytes >= 0) {
    parts.push_back(absl::StrCat("reset after ", reset_after_bytes, " bytes"));
  }
  return absl::StrCat("rules ", absl::StrJoin(fired, ","), ": ",
                      absl::StrJoin(parts, ", "));
}

int Faults::Add(FaultRule rule) {
  std::lock_guard<std::mutex> lock(mu_);
  rule.id = next_id_++;
  rule.hits = 0;
  rule.in_flight = 0;
  rules_.push_back(std::move(rule));
  return rules_.back().id;
}

bool Faults::Remove(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->id == id) {
      rules_.erase(it);
      return true;
    }
  }
  return false;
}

void Faults::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

json Faults::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  json out = json::array();
  for (const FaultRule& r : rules_) out.push_back(FaultRuleToJson(r));
  return out;
}

FaultEffects Faults::Match(std::string_view method, std::string_view path) {
  FaultEffects fx;
  std::lock_guard<std::mutex> lock(mu_);
  for (FaultRule& r : rules_) {
    if (r.method != "*" && r.method != method) continue;
    if (!GlobMatch(r.path, path)) continue;
    if (r.concurrency_limit > 0) {
      if (r.in_flight >= r.concurrency_limit && r.times != 0 &&
          !fx.concurrency_rejected) {
        if (r.times > 0) --r.times;
        ++r.hits;
        fx.fired.push_back(r.id);
        fx.concurrency_rejected = true;
        fx.concurrency_limit = r.concurrency_limit;
        fx.concurrency_current = r.in_flight;
        if (fx.headers.empty()) fx.headers = r.headers;
      } else if (r.in_flight < r.concurrency_limit) {
        ++r.in_flight;
        fx.entered.push_back(r.id);
      }
      // A concurrency rule may carry other effects too; they fire below.
      if (r.status == 0 && r.latency_ms == 0 && r.reset_after_bytes < 0 &&
          !r.malformed_json && r.drip_bytes_per_sec == 0 &&
          r.content_type.empty() && r.oversize_bytes == 0) {
        continue;
      }
    }
    if (r.skip > 0) {
      --r.skip;
      continue;
    }
    if (r.times == 0) continue;
    if (r.times > 0) --r.times;
    ++r.hits;
    if (fx.fired.empty() || fx.fired.back() != r.id) fx.fired.push_back(r.id);
    fx.latency_ms += r.latency_ms;
    if (fx.status == 0 && r.status != 0) {
      fx.status = r.status;
      fx.after_processing = r.after_processing;
      fx.code = r.code;
      fx.message = r.message;
      fx.body = r.body;
      if (!r.headers.empty()) fx.headers = r.headers;
    }
    if (fx.reset_after_bytes < 0) fx.reset_after_bytes = r.reset_after_bytes;
    fx.malformed_json = fx.malformed_json || r.malformed_json;
    if (fx.drip_bytes_per_sec == 0)
      fx.drip_bytes_per_sec = r.drip_bytes_per_sec;
    if (fx.content_type.empty()) fx.content_type = r.content_type;
    if (fx.oversize_bytes == 0) fx.oversize_bytes = r.oversize_bytes;
  }
  return fx;
}

void Faults::Release(const FaultEffects& effects) {
  if (effects.entered.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (int id : effects.entered) {
    for (FaultRule& r : rules_) {
      if (r.id == id && r.in_flight > 0) --r.in_flight;
    }
  }
}

}  // namespace mediagen::emulator
