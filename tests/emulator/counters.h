// Counters that let tests prove what happened upstream: requests per route
// and status, creates and credits spent per customer and route, and the
// ElevenLabs in-flight count per customer (with its high-water mark).
//
//   Counters counters;
//   counters.CountRequest("POST /v2/media", 200);
//   counters.CountCreate("customer-1", "POST /v2/media", 10);
//   int current = 0;
//   if (!counters.TryEnter("el-customer", /*limit=*/2, &current)) { /* 429 */ }
//   ...
//   counters.Leave("el-customer");
#ifndef MEDIAGEN_TESTS_EMULATOR_COUNTERS_H_
#define MEDIAGEN_TESTS_EMULATOR_COUNTERS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "nlohmann/json.hpp"

namespace mediagen::emulator {

class Counters {
 public:
  void CountRequest(const std::string& route, int status);

  // A create that was accepted (and paid for, when `credits` > 0).
  void CountCreate(const std::string& customer_id, const std::string& route,
                   double credits);

  // Enters one in-flight request for `customer_id` unless `limit` are in
  // flight already (limit <= 0: no limit). `current` receives the in-flight
  // count after entering, or the count that caused the refusal.
  bool TryEnter(const std::string& customer_id, int limit, int* current);
  void Leave(const std::string& customer_id);

  // {"requests": {route: {"total", "by_status": {code: n}}},
  //  "customers": {id: {"creates": {route: n}, "credits_spent": {route: x},
  //                     "creates_total", "credits_spent_total"}},
  //  "concurrency": {id: {"in_flight", "max_in_flight", "rejected"}}}
  nlohmann::json ToJson() const;

  // Zeroes everything except requests currently in flight.
  void Reset();

 private:
  struct RouteCount {
    int64_t total = 0;
    std::map<int, int64_t> by_status;
  };
  struct CustomerCount {
    std::map<std::string, int64_t> creates;
    std::map<std::string, double> credits;
  };
  struct Concurrency {
    int in_flight = 0;
    int max_in_flight = 0;
    int64_t rejected = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, RouteCount> routes_;
  std::map<std::string, CustomerCount> customers_;
  std::map<std::string, Concurrency> concurrency_;
};

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_COUNTERS_H_
