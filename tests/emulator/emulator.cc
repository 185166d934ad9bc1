#include "tests/emulator/emulator.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "tests/emulator/aimlapi_routes.h"
#include "tests/emulator/connections.h"
#include "tests/emulator/context.h"
#include "tests/emulator/control_routes.h"
#include "tests/emulator/elevenlabs_routes.h"
#include "tests/emulator/router.h"
#include "tests/emulator/util.h"
#include "tests/emulator/vimmerse_routes.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

// ---- sending ----------------------------------------------------------

std::string Malform(const std::string& body) {
  // Cut mid-document and add a stray byte: no JSON parser accepts it.
  if (body.empty()) return "{";
  return body.substr(0, std::max<size_t>(1, body.size() / 2)) + "\x01";
}

struct SendState {
  Context* ctx = nullptr;
  std::string body;
  bool chunked = false;
  size_t chunk_size = 0;
  std::chrono::microseconds first_byte_delay{0};
  std::chrono::microseconds chunk_interval{0};
  int64_t drip = 0;
  int64_t reset_after = -1;
  int local_port = -1;
  int remote_port = -1;
  size_t sent = 0;
  bool started = false;
};

// Writes the next piece of the body; false aborts the connection.
bool SendNext(SendState& s, httplib::DataSink& sink) {
  if (!s.started) {
    s.started = true;
    if (!s.ctx->SleepFor(s.first_byte_delay)) return false;
  }
  if (s.reset_after >= 0 && s.sent >= static_cast<size_t>(s.reset_after)) {
    AbortConnection(s.local_port, s.remote_port);
    return false;
  }
  const size_t remaining = s.body.size() - s.sent;
  if (remaining == 0) {
    if (s.chunked) sink.done();
    return true;
  }
  size_t n = s.chunk_size > 0 ? std::min(s.chunk_size, remaining) : remaining;
  if (s.drip > 0) n = std::min<size_t>(n, std::max<int64_t>(1, s.drip / 10));
  if (s.reset_after >= 0) {
    n = std::min<size_t>(n, static_cast<size_t>(s.reset_after) - s.sent);
  }
  if (!sink.write(s.body.data() + s.sent, n)) return false;
  s.sent += n;
  if (s.sent == s.body.size()) {
    if (s.chunked) sink.done();
    return true;
  }
  std::chrono::microseconds pause{0};
  if (s.drip > 0) {
    pause +=
        std::chrono::microseconds(static_cast<int64_t>(n) * 1000000 / s.drip);
  }
  if (s.chunk_size > 0) pause += s.chunk_interval;
  return s.ctx->SleepFor(pause);
}

// httplib listens with a backlog of 5: a load test opening dozens of
// connections at once loses SYNs and waits a second for the retries. The
// listening socket is a protected member, so a subclass can widen it.
class Server : public httplib::Server {
 public:
  void WidenBacklog() {
    const socket_t fd = svr_sock_;
    if (fd != INVALID_SOCKET) ::listen(fd, 1024);
  }
};

}  // namespace

// ---- Emulator::Impl
// ----------------------------------------------------------

struct Emulator::Impl {
  explicit Impl(Options options) : ctx(std::move(options)) {
    std::vector<Route> routes;
    AddVimmerseRoutes(&routes);
    AddElevenLabsRoutes(&routes);
    AddAimlapiRoutes(&routes);
    routes.push_back(
        {"GET", "/files/{token}/{name}", Provider::kVimmerse, false,
         [](Context& c, Call& call) { return ServeFile(c, call); }});
    provider_routes = Compile(std::move(routes));
    std::vector<Route> control;
    AddControlRoutes(&control);
    control_routes = Compile(std::move(control));
  }

  static Reply ServeFile(Context& ctx, Call& call) {
    std::optional<FileSpec> spec = ctx.files.Find(call.params[0]);
    if (!spec || spec->name != call.params[1]) return NotFoundReply();
    Reply r;
    r.content_type = FileStore::ContentType(*spec);
    r.body = FileStore::Render(*spec);
    return r;
  }

  void Handle(const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader* reader);
  void HandleControl(const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader* reader);
  void Write(Reply reply, const FaultEffects& fx, const httplib::Request& req,
             httplib::Response& res);

  Context ctx;
  std::vector<CompiledRoute> provider_routes;
  std::vector<CompiledRoute> control_routes;
  Server server;
  std::thread listener;
  int port = 0;
  bool started = false;
  bool stopped = false;
  std::mutex lifecycle_mu;
};

namespace {

// Reads a non-multipart body into `out`, keeping at most `cap` bytes but
// always draining the connection. False when the body exceeded the cap.
bool ReadBody(const httplib::Request& req, const httplib::ContentReader* reader,
              size_t cap, std::string* out) {
  if (reader == nullptr) {
    *out = req.body.size() > cap ? req.body.substr(0, cap) : req.body;
    return req.body.size() <= cap;
  }
  bool fits = true;
  (*reader)([&](const char* data, size_t len) {
    if (out->size() + len > cap) {
      fits = false;
      out->append(data, cap - out->size());
    } else {
      out->append(data, len);
    }
    return true;
  });
  return fits;
}

}  // namespace

void Emulator::Impl::HandleControl(const httplib::Request& req,
                                   httplib::Response& res,
                                   const httplib::ContentReader* reader) {
  Call call(req);
  ReadBody(req, reader, 1 << 20, &call.body);
  bool known = false;
  const CompiledRoute* r =
      Match(control_routes, req.method, req.path, &call.params, &known);
  Reply reply = r ? r->route.handler(ctx, call)
                  : (known ? MethodNotAllowedReply() : NotFoundReply());
  res.status = reply.status;
  res.set_content(reply.body, reply.content_type);
}

void Emulator::Impl::Handle(const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader* reader) {
  if (absl::StartsWith(req.path, "/_emulator/")) {
    HandleControl(req, res, reader);
    return;
  }
  Call call(req);
  bool path_known = false;
  const CompiledRoute* route =
      Match(provider_routes, req.method, req.path, &call.params, &path_known);
  if (route != nullptr) call.route = route->name;

  // Body: multipart uploads are counted part by part and never kept.
  bool too_large = false;
  bool bad_multipart = false;
  size_t body_bytes = 0;
  if (route != nullptr && route->route.multipart && reader != nullptr &&
      req.is_multipart_form_data()) {
    call.multipart = true;
    call.parts = json::array();
    const bool ok = (*reader)(
        [&](const httplib::MultipartFormData& part) {
          call.parts.push_back({{"name", part.name},
                                {"filename", part.filename},
                                {"content_type", part.content_type},
                                {"size", 0}});
          return true;
        },
        [&](const char*, size_t len) {
          if (!call.parts.empty()) {
            json& size = call.parts.back()["size"];
            size = size.get<int64_t>() + static_cast<int64_t>(len);
          }
          body_bytes += len;
          return true;
        });
    bad_multipart = !ok;
  } else {
    too_large =
        !ReadBody(req, reader, ctx.options().max_json_body_bytes, &call.body);
    body_bytes = call.body.size();
  }

  LoggedRequest entry;
  entry.time = IsoTimestamp();
  entry.method = req.method;
  entry.path = req.path;
  const size_t q = req.target.find('?');
  if (q != std::string::npos) entry.query = req.target.substr(q + 1);
  entry.route = call.route;
  entry.provider = route != nullptr ? ProviderName(route->route.provider) : "";
  entry.headers = RedactHeaders(req.headers);
  entry.body_bytes = body_bytes;
  if (call.multipart) {
    entry.parts = call.parts;
  } else {
    const size_t cap = ctx.log.body_cap();
    entry.body_truncated = call.body.size() > cap || too_large;
    entry.body = call.body.size() > cap ? call.body.substr(0, cap) : call.body;
  }
  const uint64_t seq = ctx.log.Add(std::move(entry));

  FaultEffects fx = ctx.faults.Match(req.method, req.path);
  if (fx.latency_ms > 0) ctx.SleepFor(std::chrono::milliseconds(fx.latency_ms));

  Reply reply;
  auto fault_reply = [&]() {
    Reply r = FaultErrorReply(req.path, fx.status, fx.code, fx.message);
    if (fx.body) {
      r.body = fx.body->is_string() ? fx.body->get<std::string>()
                                    : DumpJson(*fx.body);
    }
    for (const auto& h : fx.headers) r.headers.push_back(h);
    return r;
  };
  if (route == nullptr) {
    reply = path_known ? MethodNotAllowedReply() : NotFoundReply();
  } else if (too_large) {
    reply = FaultErrorReply(req.path, 413, "", "Request body too large.");
  } else if (bad_multipart) {
    reply = FaultErrorReply(req.path, 400, "", "Malformed multipart body.");
  } else if (fx.concurrency_rejected) {
    reply = ConcurrencyLimitReply(req.path, fx.concurrency_current,
                                  fx.concurrency_limit);
    for (const auto& h : fx.headers) reply.headers.push_back(h);
  } else if (fx.status != 0 && !fx.after_processing) {
    reply = fault_reply();
  } else {
    try {
      reply = route->route.handler(ctx, call);
    } catch (const std::exception& e) {
      reply = FaultErrorReply(req.path, 500, "",
                              absl::StrCat("emulator bug: ", e.what()));
    }
    if (fx.status != 0 && fx.after_processing) {
      // The work was done (and paid for); only the answer is lost.
      if (reply.on_finish) reply.on_finish();
      reply = fault_reply();
    }
  }
  if (!fx.content_type.empty()) reply.content_type = fx.content_type;
  if (fx.oversize_bytes > 0 &&
      reply.body.size() < static_cast<size_t>(fx.oversize_bytes)) {
    // Spaces: JSON stays JSON, it is just more than a client will take.
    reply.body.append(
        static_cast<size_t>(fx.oversize_bytes) - reply.body.size(), ' ');
  }
  if (fx.malformed_json) reply.body = Malform(reply.body);
  ctx.counters.CountRequest(call.route, reply.status);
  const std::string fault = fx.Describe();
  ctx.log.Finish(seq, reply.status, call.customer_id, fault);
  if (ctx.options().log_requests) {
    std::fprintf(stderr, "emulator: %s %s -> %d%s%s\n", req.method.c_str(),
                 req.path.c_str(), reply.status, fault.empty() ? "" : " ",
                 fault.c_str());
  }
  Write(std::move(reply), fx, req, res);
}

void Emulator::Impl::Write(Reply reply, const FaultEffects& fx,
                           const httplib::Request& req,
                           httplib::Response& res) {
  res.status = reply.status;
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  Context* c = &ctx;
  std::function<void()> finish = [c, fx, done = std::move(reply.on_finish)] {
    if (done) done();
    c->faults.Release(fx);
  };
  const bool body_faults =
      fx.drip_bytes_per_sec > 0 || fx.reset_after_bytes >= 0;
  if (!reply.Paced() && !body_faults) {
    res.set_content(reply.body, reply.content_type);
    finish();
    return;
  }
  auto state = std::make_shared<SendState>();
  state->ctx = c;
  state->chunked = reply.chunked;
  state->chunk_size = reply.chunk_size;
  state->first_byte_delay = reply.first_byte_delay;
  state->chunk_interval = reply.chunk_interval;
  state->drip = fx.drip_bytes_per_sec;
  if (fx.reset_after_bytes >= 0) {
    // Always short of the whole body, so the cut is mid-body.
    const int64_t last =
        reply.body.empty() ? 0 : static_cast<int64_t>(reply.body.size()) - 1;
    state->reset_after = std::min(fx.reset_after_bytes, last);
  }
  state->local_port = req.local_port;
  state->remote_port = req.remote_port;
  state->body = std::move(reply.body);
  auto releaser = [finish](bool) { finish(); };
  if (state->chunked) {
    res.set_chunked_content_provider(
        reply.content_type,
        [state](size_t, httplib::DataSink& sink) {
          return SendNext(*state, sink);
        },
        releaser);
  } else {
    const size_t length = state->body.size();
    if (length == 0) {
      // httplib never calls a provider for an empty body.
      res.set_content("", reply.content_type);
      finish();
      return;
    }
    res.set_content_provider(
        length, reply.content_type,
        [state](size_t, size_t, httplib::DataSink& sink) {
          return SendNext(*state, sink);
        },
        releaser);
  }
}

// ---- Emulator
// ----------------------------------------------------------------

Emulator::Emulator(Options options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

Emulator::~Emulator() { Stop(); }

absl::StatusOr<int> Emulator::Start() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
  if (impl_->started) return absl::FailedPreconditionError("already started");
  Impl* impl = impl_.get();
  const EmulatorOptions& o = impl->ctx.options();
  for (const std::string& text : o.faults) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return absl::InvalidArgumentError(
          absl::StrCat("fault rule is not JSON: ", text));
    }
    absl::StatusOr<FaultRule> rule = ParseFaultRule(j);
    if (!rule.ok()) return rule.status();
    impl->ctx.faults.Add(*std::move(rule));
  }

  Server& s = impl->server;
  const int threads = std::max(4, o.threads);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_keep_alive_max_count(1000000);
  s.set_keep_alive_timeout(o.keep_alive_timeout_s);
  s.set_read_timeout(30, 0);
  s.set_write_timeout(30, 0);
  s.set_tcp_nodelay(true);
  // httplib's default adds SO_REUSEPORT, which would let a second emulator
  // bind the same port and silently share its traffic.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s.set_pre_routing_handler(
      [impl](const httplib::Request& req, httplib::Response& res) {
        // Body-less GETs skip httplib's regex routing: the hot path.
        const bool get = req.method == "GET" || req.method == "HEAD";
        const std::string length = req.get_header_value("Content-Length");
        if (get && (length.empty() || length == "0") &&
            !req.has_header("Transfer-Encoding")) {
          impl->Handle(req, res, nullptr);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  auto plain = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->Handle(req, res, nullptr);
  };
  auto streamed = [impl](const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& reader) {
    impl->Handle(req, res, &reader);
  };
  s.Get(".*", plain);
  s.Post(".*", streamed);
  s.Post(".*", plain);
  s.Put(".*", streamed);
  s.Put(".*", plain);
  s.Patch(".*", streamed);
  s.Patch(".*", plain);
  s.Delete(".*", streamed);
  s.Delete(".*", plain);

  int port = o.port;
  if (port == 0) {
    port = s.bind_to_any_port(o.host);
    if (port <= 0)
      return absl::UnavailableError(absl::StrCat("cannot bind ", o.host));
  } else if (!s.bind_to_port(o.host, port)) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind ", o.host, ":", port));
  }
  s.WidenBacklog();
  impl->port = port;
  const std::string host = o.host.find(':') != std::string::npos
                               ? absl::StrCat("[", o.host, "]")
                               : o.host;
  impl->ctx.set_base_url(o.public_url.empty()
                             ? absl::StrCat("http://", host, ":", port)
                             : o.public_url);
  impl->ctx.jobs.Start();
  impl->ctx.webhooks.Start();
  impl->listener = std::thread([impl] { impl->server.listen_after_bind(); });
  // stop() is a no-op until the accept loop runs; wait for it so a quick
  // Stop() after Start() cannot leave the loop running forever.
  for (int i = 0; i < 5000 && !s.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl->started = true;
  return port;
}

void Emulator::Stop() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ctx.RequestStop();  // wakes paced streams, drips and delays
  impl_->ctx.jobs.Stop();    // wakes handlers holding async_mode false calls
  impl_->server.stop();
  // Idle keep-alive connections would hold their worker (and so Stop) for
  // the keep-alive timeout: close them now.
  ForEachConnection(impl_->port, -1, [](int fd) { shutdown(fd, SHUT_RDWR); });
  if (impl_->listener.joinable()) impl_->listener.join();
  impl_->ctx.webhooks.Stop();
}

int Emulator::port() const { return impl_->port; }

std::string Emulator::base_url() const { return impl_->ctx.base_url(); }

absl::StatusOr<int> Emulator::AddFault(const std::string& rule_json) {
  json j = json::parse(rule_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return absl::InvalidArgumentError("fault rule is not JSON");
  absl::StatusOr<FaultRule> rule = ParseFaultRule(j);
  if (!rule.ok()) return rule.status();
  return impl_->ctx.faults.Add(*std::move(rule));
}

void Emulator::ClearFaults() { impl_->ctx.faults.Clear(); }

void Emulator::QueueOutcome(const std::string& kind, bool fail, int count,
                            const std::string& message) {
  impl_->ctx.jobs.QueueOutcome(kind, fail, count, message);
}

json Emulator::Requests() const { return impl_->ctx.log.ToJson({}); }

json Emulator::Counters() const {
  json c = impl_->ctx.counters.ToJson();
  c["balances"] = impl_->ctx.accounts.ToJson();
  c["webhooks"] = impl_->ctx.webhooks.Stats();
  return c;
}

json Emulator::Webhooks() const { return impl_->ctx.webhooks.Log(); }

void Emulator::Reset() { ResetAll(impl_->ctx); }

}  // namespace mediagen::emulator
