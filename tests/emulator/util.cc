#include "tests/emulator/util.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <random>
#include <string>

#include "absl/strings/str_format.h"

namespace mediagen::emulator {
namespace {

uint64_t Random64() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  return rng();
}

std::string Timestamp(bool micros, const char* zone) {
  const auto now = std::chrono::system_clock::now();
  const auto since = now.time_since_epoch();
  const int64_t us =
      std::chrono::duration_cast<std::chrono::microseconds>(since).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
  if (micros) return absl::StrFormat("%s.%06d%s", date, us % 1000000, zone);
  return absl::StrFormat("%s.%03d%s", date, (us % 1000000) / 1000, zone);
}

}  // namespace

std::string NewUuid() {
  const uint64_t hi =
      (Random64() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const uint64_t lo =
      (Random64() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32,
                         (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                         lo & 0xffffffffffffULL);
}

std::string NewHexId() {
  return absl::StrFormat("%016x%016x", Random64(), Random64());
}

std::string VimmerseTimestamp() { return Timestamp(true, "+00:00"); }

std::string IsoTimestamp() { return Timestamp(false, "Z"); }

nlohmann::json JsonNumber(double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 9e15) {
    return static_cast<int64_t>(v);
  }
  return v;
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mediagen::emulator
