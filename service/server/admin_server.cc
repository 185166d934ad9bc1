#include "service/server/admin_server.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/server/webhook_handler.h"

namespace mediagen::server {
namespace {

constexpr absl::string_view kWebhookPrefix = "/webhooks/vimmerse/";

// [a-z0-9][a-z0-9_-]{0,62}
bool IsTenantSegment(absl::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z') ||
                    (i > 0 && (c == '_' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

// [0-9a-f]{64}
bool IsTokenSegment(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

HttpServer::Response Text(int status, std::string body) {
  HttpServer::Response r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

}  // namespace

AdminServer::AdminServer(const auth::TenantDirectory* tenants,
                         jobs::JobRegistry* registry,
                         telemetry::MetricsRegistry* metrics)
    : AdminServer(tenants, registry, metrics, Options()) {}

AdminServer::AdminServer(const auth::TenantDirectory* tenants,
                         jobs::JobRegistry* registry,
                         telemetry::MetricsRegistry* metrics, Options options)
    : tenants_(tenants), registry_(registry), metrics_(metrics) {
  telemetry::MetricsRegistry* m = metrics_;
  if (m == nullptr) {
    own_metrics_ = std::make_unique<telemetry::MetricsRegistry>();
    m = own_metrics_.get();
  }
  received_ = m->AddCounter("mediagen_webhooks_received_total",
                            "Webhook requests received on the admin port.")
                  ->With({});
  accepted_ = m->AddCounter("mediagen_webhooks_accepted_total",
                            "Webhooks with a valid tenant token and a job id: "
                            "each made the job be re-read from upstream.")
                  ->With({});
  open_ = m->AddGauge("mediagen_admin_connections_open",
                      "Open connections on the admin port.")
              ->With({});
  auto* dropped = m->AddCounter(
      "mediagen_admin_connections_dropped_total",
      "Admin connections closed early: over the connection cap (limit), "
      "request head, body or response not done in time (head_timeout, "
      "body_timeout, write_timeout), malformed or oversized request "
      "(refused).",
      {"reason"});
  using Event = HttpServer::Event;
  const std::pair<Event, const char*> reasons[] = {
      {Event::kShedAtLimit, "limit"},
      {Event::kHeadTimeout, "head_timeout"},
      {Event::kBodyTimeout, "body_timeout"},
      {Event::kWriteTimeout, "write_timeout"},
      {Event::kRefused, "refused"},
  };
  for (const auto& [event, reason] : reasons) {
    dropped_[static_cast<int>(event)] = dropped->With({reason});
  }

  HttpServer::Options http;
  http.max_connections = options.max_connections;
  http.limits.max_body_bytes = kMaxWebhookBytes;
  http.head_timeout = options.head_timeout;
  http.body_timeout = options.body_timeout;
  http.write_timeout = options.write_timeout;
  http.max_requests_per_connection = options.max_requests_per_connection;
  http.on_event = [this](HttpServer::Event e) { Count(e); };
  http_ = std::make_unique<HttpServer>(
      std::move(http), [this](const HttpRequest& r) { return Handle(r); });
}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::Count(HttpServer::Event e) {
  if (e == HttpServer::Event::kAccepted) open_->Add(1);
  if (e == HttpServer::Event::kClosed) open_->Add(-1);
  if (telemetry::Counter* c = dropped_[static_cast<int>(e)]) c->Increment();
}

HttpServer::Response AdminServer::Handle(const HttpRequest& req) {
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (get && req.path == "/healthz") return Text(200, "ok\n");
  if (get && req.path == "/readyz") {
    return ready_ ? Text(200, "ready\n") : Text(503, "draining\n");
  }
  if (get && req.path == "/metrics" && metrics_ != nullptr) {
    HttpServer::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_->Render();
    return r;
  }
  absl::string_view rest = req.path;
  if (req.method == "POST" && absl::ConsumePrefix(&rest, kWebhookPrefix)) {
    const std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');
    if (parts.size() == 2 && IsTenantSegment(parts[0]) &&
        IsTokenSegment(parts[1])) {
      received_->Increment();
      const WebhookDecision d =
          DecideWebhook(*tenants_, parts[0], parts[1], req.body);
      HttpServer::Response res;
      res.status = d.http_status;
      if (d.http_status == 400) {
        res = Text(400, "expected media_id or asset_id\n");
      }
      if (d.poke) {
        accepted_->Increment();
        // 204 whether or not anyone watches: the sender learns nothing.
        registry_->Poke(d.tenant, d.name);
      }
      return res;
    }
  }
  return Text(404, "not found\n");
}

absl::StatusOr<int> AdminServer::Start(const std::string& address) {
  const auto colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin address must be host:port, got ", address));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  absl::StatusOr<int> bound = http_->Start(host, port);
  if (!bound.ok()) {
    return absl::UnavailableError(absl::StrCat("admin server cannot listen on ",
                                               address, ": ",
                                               bound.status().message()));
  }
  return bound;
}

void AdminServer::Stop() { http_->Stop(); }

}  // namespace mediagen::server
