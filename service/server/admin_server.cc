#include "service/server/admin_server.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "service/server/webhook_handler.h"

namespace mediagen::server {

AdminServer::AdminServer(const auth::TenantDirectory* tenants,
                         jobs::JobRegistry* registry,
                         telemetry::MetricsRegistry* metrics)
    : tenants_(tenants),
      registry_(registry),
      metrics_(metrics),
      http_(std::make_unique<httplib::Server>()) {
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
}

AdminServer::~AdminServer() { Stop(); }

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
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);

  http_->set_payload_max_length(kMaxWebhookBytes);
  http_->set_read_timeout(5, 0);
  http_->set_write_timeout(5, 0);

  http_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  http_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (ready_) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("draining\n", "text/plain");
    }
  });
  if (metrics_ != nullptr) {
    http_->Get("/metrics",
               [this](const httplib::Request&, httplib::Response& res) {
                 res.set_content(metrics_->Render(),
                                 "text/plain; version=0.0.4; charset=utf-8");
               });
  }
  http_->Post(
      R"(/webhooks/vimmerse/([a-z0-9][a-z0-9_-]{0,62})/([0-9a-f]{64}))",
      [this](const httplib::Request& req, httplib::Response& res) {
        received_->Increment();
        const WebhookDecision d = DecideWebhook(
            *tenants_, req.matches[1].str(), req.matches[2].str(), req.body);
        res.status = d.http_status;
        if (d.http_status == 400) {
          res.set_content("expected media_id or asset_id\n", "text/plain");
        }
        if (!d.poke) return;
        accepted_->Increment();
        // 204 whether or not anyone watches: the sender learns nothing.
        registry_->Poke(d.tenant, d.name);
      });

  int bound = port;
  if (port == 0) {
    bound = http_->bind_to_any_port(host);
  } else if (!http_->bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    return absl::UnavailableError(
        absl::StrCat("admin server cannot listen on ", address));
  }
  // The socket is bound and listening already, so connections made before
  // the loop below starts wait in the backlog instead of failing.
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return bound;
}

void AdminServer::Stop() {
  if (thread_.joinable()) {
    http_->stop();
    thread_.join();
  }
}

}  // namespace mediagen::server
