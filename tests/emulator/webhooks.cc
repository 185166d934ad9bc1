#include "tests/emulator/webhooks.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "tests/emulator/util.h"

namespace mediagen::emulator {

using json = nlohmann::json;

WebhookDispatcher::WebhookDispatcher(Options options) : options_(options) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!threads_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] { Run(); });
  }
}

void WebhookDispatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queues_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WebhookDispatcher::Enqueue(const std::string& key, const std::string& url,
                                json body) {
  if (!options_.enabled || url.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    Queue& q = queues_[key];
    if (q.items.empty()) q.next = Clock::now();
    q.items.push_back({url, std::move(body), 0});
  }
  cv_.notify_one();
}

json WebhookDispatcher::Log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

json WebhookDispatcher::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t pending = 0;
  for (const auto& [key, q] : queues_) pending += q.items.size();
  return {{"attempts", attempts_},
          {"delivered", delivered_},
          {"failed", failed_},
          {"pending", pending}};
}

void WebhookDispatcher::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  log_ = json::array();
  attempts_ = delivered_ = failed_ = 0;
  for (auto it = queues_.begin(); it != queues_.end();) {
    // A queue being delivered right now is left for its worker to finish.
    if (it->second.busy) {
      while (it->second.items.size() > 1) it->second.items.pop_back();
      ++it;
    } else {
      it = queues_.erase(it);
    }
  }
}

int WebhookDispatcher::Post(const std::string& url, const std::string& body,
                            std::string* error) {
  const bool https = absl::StartsWith(url, "https://");
  if (!https && !absl::StartsWith(url, "http://")) {
    *error = "webhook_url is not an http(s) URL";
    return 0;
  }
  const size_t host_start = https ? 8 : 7;
  const size_t slash = url.find('/', host_start);
  const std::string origin = url.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  httplib::Client client(origin);
  const auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(options_.timeout);
  const auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(
      options_.timeout - secs);
  client.set_connection_timeout(secs.count(), usecs.count());
  client.set_read_timeout(secs.count(), usecs.count());
  client.set_write_timeout(secs.count(), usecs.count());
  httplib::Result res = client.Post(path.c_str(), body, "application/json");
  if (!res) {
    *error = absl::StrCat("no answer: ", httplib::to_string(res.error()));
    return 0;
  }
  if (res->status < 200 || res->status > 299) {
    *error = absl::StrCat("receiver answered ", res->status);
  }
  return res->status;
}

void WebhookDispatcher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    // The queue whose head is due first among those not being delivered.
    auto ready = queues_.end();
    Clock::time_point earliest = Clock::time_point::max();
    for (auto it = queues_.begin(); it != queues_.end(); ++it) {
      if (it->second.busy || it->second.items.empty()) continue;
      if (it->second.next < earliest) {
        earliest = it->second.next;
        ready = it;
      }
    }
    if (ready == queues_.end()) {
      cv_.wait(lock);
      continue;
    }
    if (earliest > Clock::now()) {
      cv_.wait_until(lock, earliest);
      continue;
    }
    const std::string key = ready->first;
    Queue& q = ready->second;
    q.busy = true;
    Delivery d = q.items.front();
    const uint64_t generation = generation_;
    lock.unlock();

    std::string error;
    const std::string body = DumpJson(d.body);
    const int status = Post(d.url, body, &error);
    const bool ok = status >= 200 && status <= 299;

    lock.lock();
    ++d.attempts;
    auto it = queues_.find(key);
    if (it == queues_.end()) continue;  // Stop() dropped it
    Queue& q2 = it->second;
    q2.busy = false;
    const bool permanent =
        status == 0 && !error.empty() && absl::StartsWith(error, "webhook_url");
    // After a Reset the delivery is no longer wanted: never retry it.
    const bool final = ok || permanent || d.attempts >= options_.max_attempts ||
                       generation != generation_;
    if (generation == generation_) {
      ++attempts_;
      if (ok) ++delivered_;
      if (!ok && final) ++failed_;
      log_.push_back({{"seq", next_seq_++},
                      {"key", key},
                      {"url", d.url},
                      {"body", d.body},
                      {"attempt", d.attempts},
                      {"status", status},
                      {"error", error},
                      {"delivered", ok},
                      {"final", final},
                      {"time", IsoTimestamp()}});
      while (log_.size() > options_.max_log_entries) log_.erase(log_.begin());
    }
    if (final) {
      if (!q2.items.empty()) q2.items.pop_front();
      q2.next = Clock::now();
      if (q2.items.empty()) queues_.erase(it);
    } else {
      q2.items.front().attempts = d.attempts;
      const double backoff =
          std::pow(2.0, d.attempts - 1) * std::max(0.0, options_.time_scale);
      q2.next = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(backoff));
    }
    cv_.notify_all();
  }
}

}  // namespace mediagen::emulator
