#include "tests/emulator/counters.h"

#include <algorithm>
#include <string>

#include "tests/emulator/util.h"

namespace mediagen::emulator {

using json = nlohmann::json;

void Counters::CountRequest(const std::string& route, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  RouteCount& c = routes_[route.empty() ? "(no route)" : route];
  ++c.total;
  ++c.by_status[status];
}

void Counters::CountCreate(const std::string& customer_id,
                           const std::string& route, double credits) {
  std::lock_guard<std::mutex> lock(mu_);
  CustomerCount& c = customers_[customer_id];
  ++c.creates[route];
  c.credits[route] += credits;
}

bool Counters::TryEnter(const std::string& customer_id, int limit,
                        int* current) {
  std::lock_guard<std::mutex> lock(mu_);
  Concurrency& c = concurrency_[customer_id];
  if (limit > 0 && c.in_flight >= limit) {
    ++c.rejected;
    *current = c.in_flight;
    return false;
  }
  ++c.in_flight;
  c.max_in_flight = std::max(c.max_in_flight, c.in_flight);
  *current = c.in_flight;
  return true;
}

void Counters::Leave(const std::string& customer_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Concurrency& c = concurrency_[customer_id];
  if (c.in_flight > 0) --c.in_flight;
}

json Counters::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  json requests = json::object();
  for (const auto& [route, c] : routes_) {
    json by_status = json::object();
    for (const auto& [status, n] : c.by_status)
      by_status[std::to_string(status)] = n;
    requests[route] = {{"total", c.total}, {"by_status", std::move(by_status)}};
  }
  json customers = json::object();
  for (const auto& [id, c] : customers_) {
    json creates = json::object();
    json credits = json::object();
    int64_t creates_total = 0;
    double credits_total = 0;
    for (const auto& [route, n] : c.creates) {
      creates[route] = n;
      creates_total += n;
    }
    for (const auto& [route, x] : c.credits) {
      credits[route] = JsonNumber(x);
      credits_total += x;
    }
    customers[id] = {{"creates", std::move(creates)},
                     {"credits_spent", std::move(credits)},
                     {"creates_total", creates_total},
                     {"credits_spent_total", JsonNumber(credits_total)}};
  }
  json concurrency = json::object();
  for (const auto& [id, c] : concurrency_) {
    concurrency[id] = {{"in_flight", c.in_flight},
                       {"max_in_flight", c.max_in_flight},
                       {"rejected", c.rejected}};
  }
  return {{"requests", std::move(requests)},
          {"customers", std::move(customers)},
          {"concurrency", std::move(concurrency)}};
}

void Counters::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  routes_.clear();
  customers_.clear();
  for (auto& [id, c] : concurrency_) {
    c.max_in_flight = c.in_flight;
    c.rejected = 0;
  }
}

}  // namespace mediagen::emulator
