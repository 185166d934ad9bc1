// Delivers job webhooks: POSTs a JSON body to the job's webhook_url on each
// status change, in order per job, retrying a receiver that fails (non-2xx
// or no answer) with exponential backoff, as Vimmerse says it may.
//
//   WebhookDispatcher hooks({.time_scale = 0.01});
//   hooks.Start();
//   hooks.Enqueue("media-1", "http://127.0.0.1:8081/hook",
//                 {{"customer_id", "c"}, {"media_id", "media-1"},
//                  {"status", "success"}});
//   nlohmann::json attempts = hooks.Log();
#ifndef MEDIAGEN_TESTS_EMULATOR_WEBHOOKS_H_
#define MEDIAGEN_TESTS_EMULATOR_WEBHOOKS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"

namespace mediagen::emulator {

class WebhookDispatcher {
 public:
  struct Options {
    bool enabled = true;
    // Attempts per webhook, the first included.
    int max_attempts = 5;
    // Backoff before retry n is 1 s * 2^(n-1), times this scale.
    double time_scale = 1.0;
    // The receiver must answer within this (Vimmerse: 10 s).
    std::chrono::milliseconds timeout{10000};
    int threads = 2;
    size_t max_log_entries = 10000;
  };

  explicit WebhookDispatcher(Options options);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  void Start();
  // Drops undelivered webhooks and joins the threads.
  void Stop();

  // Queues a delivery. Deliveries with the same `key` (the job id) go out
  // one at a time, in order; a retry holds back the ones behind it.
  void Enqueue(const std::string& key, const std::string& url,
               nlohmann::json body);

  // Every attempt: [{seq, key, url, body, attempt, status, error,
  // delivered, final, time}].
  nlohmann::json Log() const;
  // {"attempts", "delivered", "failed", "pending"}.
  nlohmann::json Stats() const;

  // Forgets the log and any queued deliveries.
  void Reset();

 private:
  using Clock = std::chrono::steady_clock;
  struct Delivery {
    std::string url;
    nlohmann::json body;
    int attempts = 0;
  };
  struct Queue {
    std::deque<Delivery> items;
    bool busy = false;
    Clock::time_point next;
  };

  void Run();
  // One POST; returns the HTTP status (0 when there was none) and an error.
  int Post(const std::string& url, const std::string& body, std::string* error);

  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Queue> queues_;
  nlohmann::json log_ = nlohmann::json::array();
  uint64_t next_seq_ = 1;
  int64_t attempts_ = 0;
  int64_t delivered_ = 0;
  int64_t failed_ = 0;
  uint64_t generation_ = 0;  // bumped by Reset to drop in-flight results
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_WEBHOOKS_H_
