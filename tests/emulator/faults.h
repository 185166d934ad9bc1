// Fault injection rules, matched per request on method + path glob. A rule
// can combine effects; the emulator applies them in this order: latency,
// concurrency limit (429), status (an error answer in the provider's shape,
// before or after the request is processed), then the body effects
// (wrong content type, oversized body, malformed JSON, slow drip, connection
// reset after N bytes).
//
//   Faults faults;
//   absl::StatusOr<FaultRule> rule = ParseFaultRule(nlohmann::json::parse(
//       R"({"method": "POST", "path": "/v2/media", "status": 503,
//           "times": 2})"));
//   int id = faults.Add(*rule);
//   FaultEffects fx = faults.Match("POST", "/v2/media");  // fires, times 1
//   ...
//   faults.Release(fx);  // when the request is over
#ifndef MEDIAGEN_TESTS_EMULATOR_FAULTS_H_
#define MEDIAGEN_TESTS_EMULATOR_FAULTS_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace mediagen::emulator {

struct FaultRule {
  int id = 0;  // assigned by Faults::Add
  std::string method = "*";
  std::string path;    // glob: '*' any run of characters, '?' one character
  int64_t times = -1;  // firings left; -1 = unlimited
  int64_t skip = 0;    // matching requests to let through first
  // Effects.
  int status = 0;
  bool after_processing = false;  // status replaces a processed answer
  std::string code;               // error code in the body (provider shape)
  std::string message;            // error message in the body
  std::optional<nlohmann::json> body;  // replaces the whole error body
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t latency_ms = 0;
  int64_t reset_after_bytes = -1;
  bool malformed_json = false;
  int64_t drip_bytes_per_sec = 0;
  int concurrency_limit = 0;
  std::string content_type;    // replaces the answer's Content-Type
  int64_t oversize_bytes = 0;  // pads the answer's body with spaces to this
  // Bookkeeping.
  int64_t hits = 0;
  int in_flight = 0;
};

// Parses the control API's JSON form of a rule (see README.md). Unknown
// keys and rules without any effect are errors.
absl::StatusOr<FaultRule> ParseFaultRule(const nlohmann::json& j);

nlohmann::json FaultRuleToJson(const FaultRule& rule);

// True when `text` matches `glob` ('*' any run, '?' one character).
bool GlobMatch(std::string_view glob, std::string_view text);

// The combined effect of every rule that fired for one request. The first
// rule (in insertion order) that sets an effect decides it.
struct FaultEffects {
  std::vector<int> fired;    // ids of rules that fired
  std::vector<int> entered;  // concurrency rules this request counts in
  int64_t latency_ms = 0;
  bool concurrency_rejected = false;
  int concurrency_limit = 0;
  int concurrency_current = 0;
  int status = 0;
  bool after_processing = false;
  std::string code;
  std::string message;
  std::optional<nlohmann::json> body;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t reset_after_bytes = -1;
  bool malformed_json = false;
  int64_t drip_bytes_per_sec = 0;
  std::string content_type;
  int64_t oversize_bytes = 0;

  bool BodyEffects() const {
    return reset_after_bytes >= 0 || malformed_json || drip_bytes_per_sec > 0 ||
           !content_type.empty() || oversize_bytes > 0;
  }
  // e.g. "rule 3: status 503" for the request log; "" when nothing fired.
  std::string Describe() const;
};

class Faults {
 public:
  int Add(FaultRule rule);
  bool Remove(int id);
  void Clear();
  nlohmann::json ToJson() const;

  FaultEffects Match(std::string_view method, std::string_view path);

  // Ends the request's membership in concurrency-limited rules.
  void Release(const FaultEffects& effects);

 private:
  mutable std::mutex mu_;
  std::vector<FaultRule> rules_;
  int next_id_ = 1;
};

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_FAULTS_H_
