#include "service/telemetry/metrics.h"

#include <cmath>
#include <cstring>
#include <variant>

#include "absl/strings/str_cat.h"
#include "service/common/mutex.h"

namespace mediagen::telemetry {
namespace {

// Prometheus writes +Inf, -Inf and NaN by name; everything else as the
// shortest decimal that reads back the same (absl::StrCat gives up to six
// significant digits, plenty for seconds and byte counts).
std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrCat(v);
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}` (with `extra` appended, e.g. le="0.5"), or "" for none.
std::string Labels(const std::vector<std::string>& names,
                   const std::vector<std::string>& values,
                   absl::string_view extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"",
                    EscapeLabelValue(values[i]), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

double FromBits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

uint64_t ToBits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof d);
  return bits;
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  uint64_t old = sum_bits_.load(std::memory_order_relaxed);
  while (!sum_bits_.compare_exchange_weak(old, ToBits(FromBits(old) + value),
                                          std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::Take() const {
  Snapshot s;
  s.bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = FromBits(sum_bits_.load(std::memory_order_relaxed));
  return s;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
          0.5,   1,      2.5,   5,    10,    30,   60,  300};
}

template <typename T>
T* Family<T>::With(const std::vector<std::string>& values) {
  MutexLock lock(&mu_);
  auto it = series_.find(values);
  if (it != series_.end()) return it->second.get();
  std::vector<std::string> key = values;
  key.resize(label_names_.size());
  if (series_.size() >= kMaxSeriesPerFamily) {
    key.assign(label_names_.size(), "_other");
    it = series_.find(key);
    if (it != series_.end()) return it->second.get();
  }
  auto& slot = series_[key];
  slot = factory_();
  return slot.get();
}

template <typename T>
void Family<T>::ForEach(
    const std::function<void(const std::vector<std::string>&, const T&)>& fn)
    const {
  MutexLock lock(&mu_);
  for (const auto& [values, series] : series_) fn(values, *series);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct MetricsRegistry::Entry {
  std::string name;
  std::string help;
  std::string type;
  std::variant<std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
               std::unique_ptr<Family<Histogram>>, std::function<double()>>
      metric;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

Family<Counter>* MetricsRegistry::AddCounter(
    std::string name, std::string help, std::vector<std::string> label_names) {
  auto family = std::make_unique<Family<Counter>>(
      std::move(label_names), [] { return std::make_unique<Counter>(); });
  Family<Counter>* out = family.get();
  MutexLock lock(&mu_);
  entries_.push_back(std::make_unique<Entry>(
      Entry{std::move(name), std::move(help), "counter", std::move(family)}));
  return out;
}

Family<Gauge>* MetricsRegistry::AddGauge(std::string name, std::string help,
                                         std::vector<std::string> label_names) {
  auto family = std::make_unique<Family<Gauge>>(
      std::move(label_names), [] { return std::make_unique<Gauge>(); });
  Family<Gauge>* out = family.get();
  MutexLock lock(&mu_);
  entries_.push_back(std::make_unique<Entry>(
      Entry{std::move(name), std::move(help), "gauge", std::move(family)}));
  return out;
}

Family<Histogram>* MetricsRegistry::AddHistogram(
    std::string name, std::string help, std::vector<std::string> label_names,
    std::vector<double> bounds) {
  auto family = std::make_unique<Family<Histogram>>(
      std::move(label_names),
      [bounds] { return std::make_unique<Histogram>(bounds); });
  Family<Histogram>* out = family.get();
  MutexLock lock(&mu_);
  entries_.push_back(std::make_unique<Entry>(
      Entry{std::move(name), std::move(help), "histogram", std::move(family)}));
  return out;
}

void MetricsRegistry::AddCallback(std::string name, std::string help,
                                  std::string type,
                                  std::function<double()> read) {
  MutexLock lock(&mu_);
  entries_.push_back(std::make_unique<Entry>(Entry{
      std::move(name), std::move(help), std::move(type), std::move(read)}));
}

std::string MetricsRegistry::Render() const {
  MutexLock lock(&mu_);
  std::string out;
  for (const auto& e : entries_) {
    absl::StrAppend(&out, "# HELP ", e->name, " ", EscapeHelp(e->help), "\n",
                    "# TYPE ", e->name, " ", e->type, "\n");
    if (auto* c = std::get_if<std::unique_ptr<Family<Counter>>>(&e->metric)) {
      (*c)->ForEach([&](const std::vector<std::string>& v, const Counter& s) {
        absl::StrAppend(&out, e->name, Labels((*c)->label_names(), v), " ",
                        s.value(), "\n");
      });
    } else if (auto* g =
                   std::get_if<std::unique_ptr<Family<Gauge>>>(&e->metric)) {
      (*g)->ForEach([&](const std::vector<std::string>& v, const Gauge& s) {
        absl::StrAppend(&out, e->name, Labels((*g)->label_names(), v), " ",
                        s.value(), "\n");
      });
    } else if (auto* h = std::get_if<std::unique_ptr<Family<Histogram>>>(
                   &e->metric)) {
      (*h)->ForEach([&](const std::vector<std::string>& v, const Histogram& s) {
        const Histogram::Snapshot snap = s.Take();
        const auto& names = (*h)->label_names();
        for (size_t i = 0; i < snap.cumulative.size(); ++i) {
          const std::string le =
              i < snap.bounds.size() ? FormatValue(snap.bounds[i]) : "+Inf";
          absl::StrAppend(&out, e->name, "_bucket",
                          Labels(names, v, absl::StrCat("le=\"", le, "\"")),
                          " ", snap.cumulative[i], "\n");
        }
        absl::StrAppend(&out, e->name, "_sum", Labels(names, v), " ",
                        FormatValue(snap.sum), "\n", e->name, "_count",
                        Labels(names, v), " ", snap.cumulative.back(), "\n");
      });
    } else if (auto* f = std::get_if<std::function<double()>>(&e->metric)) {
      absl::StrAppend(&out, e->name, " ", FormatValue((*f)()), "\n");
    }
  }
  return out;
}

}  // namespace mediagen::telemetry
