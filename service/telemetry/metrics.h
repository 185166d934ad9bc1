// MetricsRegistry: counters, gauges and histograms rendered in Prometheus'
// text exposition format (version 0.0.4) for the admin port's /metrics.
//
//   MetricsRegistry metrics;
//   auto* rpcs = metrics.AddHistogram("mediagen_rpc_duration_seconds",
//                                     "RPC latency.", {"method", "code"},
//                                     LatencyBuckets());
//   rpcs->With({"mediagen.v1.JobService/GetJob", "OK"})->Observe(0.012);
//   Counter* bytes = metrics.AddCounter("mediagen_bytes_total", "...",
//                                       {"direction"})->With({"up"});
//   bytes->Increment(4096);            // hot path: keep the series pointer
//   std::string text = metrics.Render();
//
// Updates are lock-free (relaxed atomics); only finding or creating a series
// by its label values takes the family's mutex, so hot paths look a series
// up once and keep the pointer (it lives as long as the registry).
//
// Labels must stay bounded: method names, status codes, providers, route
// templates. Never ids, tenants' keys, tokens or prompts. As a backstop, a
// family holds at most kMaxSeriesPerFamily series; later label sets share
// one series whose every label value is "_other".
#ifndef MEDIAGEN_SERVICE_TELEMETRY_METRICS_H_
#define MEDIAGEN_SERVICE_TELEMETRY_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "service/common/mutex.h"

namespace mediagen::telemetry {

inline constexpr size_t kMaxSeriesPerFamily = 1000;

class Counter {
 public:
  void Increment(uint64_t n = 1) {
    value_.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class Histogram {
 public:
  // `bounds`: upper bounds of the buckets, increasing; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
  };
  // Taken without stopping writers: a concurrent Observe may be half in
  // (counted in a bucket but not yet in the sum), which scrapes tolerate.
  Snapshot Take() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> sum_bits_{0};                 // a double's bits
};

// Seconds, for request latencies from a cache hit (~1 ms) to a long upload
// or a watch stream (minutes).
std::vector<double> LatencyBuckets();

// All series of one metric name, one per set of label values.
template <typename T>
class Family {
 public:
  using Factory = std::function<std::unique_ptr<T>()>;
  Family(std::vector<std::string> label_names, Factory factory)
      : label_names_(std::move(label_names)), factory_(std::move(factory)) {}

  // The series for `values` (one per label name, in order), created on
  // first use. The pointer stays valid as long as the registry.
  T* With(const std::vector<std::string>& values);

  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls `fn(values, series)` for every series, sorted by label values.
  void ForEach(const std::function<void(const std::vector<std::string>&,
                                        const T&)>& fn) const;

 private:
  const std::vector<std::string> label_names_;
  const Factory factory_;
  mutable Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_
      ABSL_GUARDED_BY(mu_);
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Names must be valid Prometheus names and unique in the registry.
  Family<Counter>* AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>* AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>* AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds);
  // A value read at each scrape from elsewhere (e.g. the job registry's
  // poller count). `type` is "gauge" or "counter". `read` must be
  // thread-safe and must outlive the registry's renders.
  void AddCallback(std::string name, std::string help, std::string type,
                   std::function<double()> read);

  // Every metric, in registration order, as Prometheus text.
  std::string Render() const;

 private:
  struct Entry;
  mutable Mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

// Prometheus label value escaping: backslash, double quote and newline.
std::string EscapeLabelValue(absl::string_view value);

}  // namespace mediagen::telemetry

#endif  // MEDIAGEN_SERVICE_TELEMETRY_METRICS_H_
