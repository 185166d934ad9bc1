// What the emulator's route handlers share: the state (customers, jobs,
// files, faults, logs, counters), the request/answer types the dispatcher
// passes them, and the helpers that build each provider's documented error
// bodies. Internal to //tests/emulator.
//
//   Reply Handle(Context& ctx, Call& call) {
//     if (std::optional<Reply> denied = AuthVimmerse(ctx, call)) return
//     *denied; nlohmann::json body; if (std::optional<Reply> bad =
//     ParseJsonBody(ctx, call, &body)) return *bad;
//     ...
//     return JsonReply(200, asset);
//   }
#ifndef MEDIAGEN_TESTS_EMULATOR_CONTEXT_H_
#define MEDIAGEN_TESTS_EMULATOR_CONTEXT_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/emulator/accounts.h"
#include "tests/emulator/counters.h"
#include "tests/emulator/faults.h"
#include "tests/emulator/job_clock.h"
#include "tests/emulator/json_schema.h"
#include "tests/emulator/media_files.h"
#include "tests/emulator/options.h"
#include "tests/emulator/request_log.h"
#include "tests/emulator/webhooks.h"

namespace mediagen::emulator {

// A result file, generated when downloaded (never stored).
struct FileSpec {
  enum class Kind { kWav, kAvi };
  Kind kind = Kind::kWav;
  double seconds = 5;
  Waveform waveform = Waveform::kTone;
  std::string name;  // last path segment, e.g. "speech.wav"
};

// Result files by URL token.
class FileStore {
 public:
  // Registers a file and returns its path, "/files/<token>/<name>".
  std::string Add(FileSpec spec);
  std::optional<FileSpec> Find(const std::string& token) const;
  size_t size() const;
  void Clear();

  static std::string Render(const FileSpec& spec);
  static std::string ContentType(const FileSpec& spec);

 private:
  mutable std::mutex mu_;
  std::map<std::string, FileSpec> files_;
};

// One request as a route handler sees it.
struct Call {
  explicit Call(const httplib::Request& r) : req(r) {}
  const httplib::Request& req;
  std::string route;                // e.g. "GET /v2/media/{id}"
  std::vector<std::string> params;  // path parameters, in order
  std::string body;                 // non-multipart bodies
  bool multipart = false;
  // Multipart parts: [{name, filename, content_type, size}].
  nlohmann::json parts = nullptr;
  std::string customer_id;  // set by the Auth* helpers
};

// One answer. `body` is always complete in memory (results are small); the
// dispatcher paces it out when `chunked`/delays are set or a fault asks.
struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool chunked = false;   // Transfer-Encoding: chunked, else Content-Length
  size_t chunk_size = 0;  // 0: the body in one write
  std::chrono::microseconds first_byte_delay{0};
  std::chrono::microseconds chunk_interval{0};
  std::function<void()> on_finish;  // after the body is sent or abandoned

  bool Paced() const {
    return chunked || chunk_size > 0 || first_byte_delay.count() > 0 ||
           chunk_interval.count() > 0;
  }
};

class Context;
using Handler = std::function<Reply(Context&, Call&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/v2/media/{id}": one {name} per segment
  Provider provider = Provider::kVimmerse;
  bool multipart = false;  // body streamed and summarized, never stored
  Handler handler;
};

class Context {
 public:
  explicit Context(EmulatorOptions options);

  const EmulatorOptions& options() const { return options_; }
  bool strict() const { return options_.strict; }

  // "http://127.0.0.1:<port>"; set once by Emulator::Start before serving.
  const std::string& base_url() const { return base_url_; }
  void set_base_url(std::string url) { base_url_ = std::move(url); }

  // A simulated duration in real time.
  std::chrono::microseconds Scaled(double seconds) const;

  // Sleeps unless the emulator stops first; false when it stopped.
  bool SleepFor(std::chrono::microseconds d);
  void RequestStop();
  bool stopping() const { return stopping_.load(); }

  Accounts accounts;
  Counters counters;
  RequestLog log;
  Faults faults;
  FileStore files;
  WebhookDispatcher webhooks;
  JobStore jobs;

 private:
  void OnJobChange(const JobStore::Change& change);

  const EmulatorOptions options_;
  std::string base_url_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
};

// ---- answers -------------------------------------------------------------

Reply JsonReply(int status, const nlohmann::json& body);

// Vimmerse v2: {"message", "code"}.
Reply VimmerseError(int status, const std::string& code,
                    const std::string& message);
// Vimmerse v1 (legacy routes such as GET /asset/{id}): {"message"}.
Reply VimmerseV1Error(int status, const std::string& message);
// FastAPI 422: {"detail": [{"loc", "msg", "type"}, ...]}.
Reply ValidationReply(const nlohmann::json& errors);
// ElevenLabs: {"detail": {"type", "code", "message", "status",
// "request_id", "param"}} with a `request-id` header.
Reply ElevenLabsError(int status, const std::string& type,
                      const std::string& code, const std::string& message,
                      const nlohmann::json& param = nullptr);
// AIMLAPI: {"message", "path", "requestId", "statusCode", "timestamp"}.
Reply AimlapiError(int status, const std::string& message,
                   const std::string& path);

// The error a fault rule's `status` produces on `path`, in the shape of the
// provider that owns the path. `code`/`message` override the defaults.
Reply FaultErrorReply(const std::string& path, int status,
                      const std::string& code, const std::string& message);

// 429 for a request above a concurrency limit, in the path's provider
// shape. ElevenLabs gets `concurrent_limit_exceeded` and the
// `current-concurrent-requests` / `maximum-concurrent-requests` headers.
Reply ConcurrencyLimitReply(const std::string& path, int current, int limit);

// 404/405 for paths no route serves, in FastAPI's shape.
Reply NotFoundReply();
Reply MethodNotAllowedReply();

// ---- request helpers -----------------------------------------------------

// Authenticate and set call.customer_id, or return the error answer.
// `v1_shape`: answer in the legacy {"message"} shape (GET /asset/{id}).
std::optional<Reply> AuthVimmerse(Context& ctx, Call& call,
                                  bool v1_shape = false);
std::optional<Reply> AuthElevenLabs(Context& ctx, Call& call);
std::optional<Reply> AuthAimlapi(Context& ctx, Call& call);

enum class ErrorStyle { kFastApi, kAimlapi };

// Checks the content type (strict mode: application/json) and parses the
// body into `out`; on failure returns a 422 in `style`.
std::optional<Reply> ParseJsonBody(const Context& ctx, const Call& call,
                                   nlohmann::json* out,
                                   ErrorStyle style = ErrorStyle::kFastApi);

// Validates `body` against `schema` (strict per ctx); on failure returns a
// 422 in `style` for `path`.
std::optional<Reply> ValidateBody(const Context& ctx, const Schema& schema,
                                  const nlohmann::json& body,
                                  ErrorStyle style = ErrorStyle::kFastApi,
                                  const std::string& path = "");

// In strict mode, a 422 for any query parameter not in `allowed`.
std::optional<Reply> CheckQueryParams(const Context& ctx, const Call& call,
                                      const std::vector<std::string>& allowed,
                                      ErrorStyle style = ErrorStyle::kFastApi);

// A 422 answer for `errors` in `style`.
Reply ValidationErrorIn(ErrorStyle style, const nlohmann::json& errors,
                        const std::string& path);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_CONTEXT_H_
