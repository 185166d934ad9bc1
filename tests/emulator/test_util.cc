#include "tests/emulator/test_util.h"

#include <utility>

#include "tests/emulator/job_clock.h"

namespace mediagen::emulator {

using json = nlohmann::json;

Http ToHttp(const httplib::Result& r) {
  Http h;
  if (!r) return h;
  h.status = r->status;
  h.headers = r->headers;
  h.body = r->body;
  h.json = json::parse(h.body, nullptr, /*allow_exceptions=*/false);
  return h;
}

EmulatorOptions TestOptions() {
  EmulatorOptions o;
  o.time_scale = 0.01;
  o.strict = true;
  o.threads = 32;
  o.elevenlabs_concurrency = 2;
  o.accounts = {
      {Provider::kVimmerse, kVimKey, kVimCustomer, 1000, 0},
      {Provider::kVimmerse, kVimOtherKey, kVimOtherCustomer, 1000, 0},
      {Provider::kVimmerse, kVimPoorKey, kVimPoorCustomer, 5, 0},
      {Provider::kElevenLabs, kElKey, kElCustomer, 0, 0},
      {Provider::kAimlapi, kAimlKey, kAimlCustomer, 1000000, 0},
      {Provider::kAimlapi, kAimlPoorKey, "aiml-poor", 1000, 0},
      {Provider::kAimlapi, kAimlOtherKey, "aiml-other", 1000000, 0},
  };
  return o;
}

void EmulatorTest::SetUp() {
  options_ = TestOptions();
  Configure(options_);
  emulator_ = std::make_unique<Emulator>(options_);
  absl::StatusOr<int> port = emulator_->Start();
  ASSERT_TRUE(port.ok()) << port.status();
  port_ = *port;
  client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  client_->set_read_timeout(10, 0);
}

void EmulatorTest::TearDown() {
  client_.reset();
  if (emulator_) emulator_->Stop();
}

Http EmulatorTest::Get(const std::string& path,
                       const httplib::Headers& headers) {
  return ToHttp(client_->Get(path.c_str(), headers));
}

Http EmulatorTest::PostJson(const std::string& path, const json& body,
                            const httplib::Headers& headers) {
  return ToHttp(
      client_->Post(path.c_str(), headers, body.dump(), "application/json"));
}

Http EmulatorTest::PutJson(const std::string& path, const json& body,
                           const httplib::Headers& headers) {
  return ToHttp(
      client_->Put(path.c_str(), headers, body.dump(), "application/json"));
}

Http EmulatorTest::PostRaw(const std::string& path, const std::string& body,
                           const std::string& content_type,
                           const httplib::Headers& headers) {
  return ToHttp(client_->Post(path.c_str(), headers, body, content_type));
}

json EmulatorTest::Control(const std::string& method, const std::string& path,
                           const json& body) {
  const std::string full = "/_emulator" + path;
  auto send = [&]() {
    if (method == "GET") return client_->Get(full.c_str());
    if (method == "DELETE") return client_->Delete(full.c_str());
    return client_->Post(full.c_str(), body.is_null() ? "" : body.dump(),
                         "application/json");
  };
  httplib::Result r = send();
  if (!r) {
    ADD_FAILURE() << "control " << method << " " << path << " failed";
    return nullptr;
  }
  return json::parse(r->body, nullptr, false);
}

json EmulatorTest::WaitFor(const std::function<json()>& fetch,
                           const std::function<bool(const json&)>& done,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json last = fetch();
  while (!done(last)) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "timed out; last value: " << last.dump();
      return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    last = fetch();
  }
  return last;
}

std::vector<std::string> EmulatorTest::MediaStatuses(const std::string& id,
                                                     json* last) {
  std::vector<std::string> seen;
  *last = WaitFor(
      [&] {
        Http r = Get("/v2/media/" + id, Vim());
        const std::string s = r.json.value("processing_status", "");
        if (seen.empty() || seen.back() != s) seen.push_back(s);
        return r.json;
      },
      [](const json& m) {
        return JobStore::IsTerminal(JobKind::kMedia,
                                    m.value("processing_status", ""));
      });
  return seen;
}

json EmulatorTest::WaitAsset(const std::string& id) {
  json wrapped =
      WaitFor([&] { return Get("/asset/" + id, Vim()).json; },
              [](const json& a) {
                return a.contains("data") &&
                       JobStore::IsTerminal(JobKind::kAsset,
                                            a["data"].value("status", ""));
              });
  return wrapped.value("data", json());
}

WebhookReceiver::WebhookReceiver(int fail_first) : fail_first_(fail_first) {
  server_.Post(".*",
               [this](const httplib::Request& req, httplib::Response& res) {
                 std::lock_guard<std::mutex> lock(mu_);
                 ++requests_;
                 if (requests_ <= fail_first_) {
                   res.status = 500;
                   return;
                 }
                 accepted_.push_back(json::parse(req.body, nullptr, false));
                 res.status = 200;
                 cv_.notify_all();
               });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::yield();
}

WebhookReceiver::~WebhookReceiver() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string WebhookReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<json> WebhookReceiver::WaitForBodies(
    size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return accepted_.size() >= n; });
  return accepted_;
}

int WebhookReceiver::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

}  // namespace mediagen::emulator
