// Test helpers for the emulator's HTTP tests: a fixture that runs an
// in-process Emulator on a free loopback port with a tiny time scale and
// known customers, JSON request helpers, polling with a deadline, and a
// local webhook receiver.
//
//   class MyTest : public EmulatorTest {};
//   TEST_F(MyTest, Works) {
//     Http r = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
//     EXPECT_EQ(r.status, 200);
//     nlohmann::json done = WaitFor([&] { return GetJson(...); }, ...);
//   }
#ifndef MEDIAGEN_TESTS_EMULATOR_TEST_UTIL_H_
#define MEDIAGEN_TESTS_EMULATOR_TEST_UTIL_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/emulator/emulator.h"

namespace mediagen::emulator {

// Customers of the test fixture.
inline constexpr char kVimKey[] = "vim-key-secret-1";  // 1000 credits
inline constexpr char kVimCustomer[] = "vim-cust";
inline constexpr char kVimOtherKey[] = "vim-key-secret-2";  // 1000 credits
inline constexpr char kVimOtherCustomer[] = "vim-other";
inline constexpr char kVimPoorKey[] = "vim-key-secret-3";  // 5 credits
inline constexpr char kVimPoorCustomer[] = "vim-poor";
inline constexpr char kElKey[] = "el-key-secret-1";  // concurrency 2
inline constexpr char kElCustomer[] = "el-cust";
inline constexpr char kAimlKey[] = "aiml-key-secret-1";  // 1000000 tokens
inline constexpr char kAimlCustomer[] = "aiml-cust";
inline constexpr char kAimlPoorKey[] = "aiml-key-secret-2";  // 1000 tokens
inline constexpr char kAimlOtherKey[] = "aiml-key-secret-3";

// An HTTP answer, with the body parsed when it is JSON.
struct Http {
  int status = 0;  // 0: no answer (connection error)
  httplib::Headers headers;
  std::string body;
  nlohmann::json json;  // discarded when the body is not JSON

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

Http ToHttp(const httplib::Result& r);

// Options with the customers above, time_scale 0.01, strict.
EmulatorOptions TestOptions();

class EmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Override to change the options before the emulator starts.
  virtual void Configure(EmulatorOptions& options) {}

 public:
  httplib::Headers Vim(const std::string& key = kVimKey) const {
    return {{"X-Api-Key", key}};
  }
  httplib::Headers El(const std::string& key = kElKey) const {
    return {{"xi-api-key", key}};
  }
  httplib::Headers Aiml(const std::string& key = kAimlKey) const {
    return {{"Authorization", "Bearer " + key}};
  }

  Http Get(const std::string& path, const httplib::Headers& headers = {});
  Http PostJson(const std::string& path, const nlohmann::json& body,
                const httplib::Headers& headers = {});
  Http PutJson(const std::string& path, const nlohmann::json& body,
               const httplib::Headers& headers = {});
  Http PostRaw(const std::string& path, const std::string& body,
               const std::string& content_type,
               const httplib::Headers& headers = {});

  // Control API.
  nlohmann::json Control(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nullptr);

  // Polls `fetch` (every 5 ms) until `done` holds or `timeout`; returns the
  // last value. Fails the test on timeout.
  nlohmann::json WaitFor(
      const std::function<nlohmann::json()>& fetch,
      const std::function<bool(const nlohmann::json&)>& done,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // GET /v2/media/{id} until terminal; returns every status seen, in order.
  std::vector<std::string> MediaStatuses(const std::string& id,
                                         nlohmann::json* last);
  // GET /asset/{id} until terminal; returns the unwrapped asset.
  nlohmann::json WaitAsset(const std::string& id);

  EmulatorOptions options_;
  std::unique_ptr<Emulator> emulator_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

// A local HTTP server that records webhook POSTs. The first `fail_first`
// requests are answered 500.
class WebhookReceiver {
 public:
  explicit WebhookReceiver(int fail_first = 0);
  ~WebhookReceiver();

  std::string url(const std::string& path = "/hook") const;

  // Waits until `n` bodies were accepted (2xx); returns them all.
  std::vector<nlohmann::json> WaitForBodies(
      size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  int requests() const;

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<nlohmann::json> accepted_;
  int requests_ = 0;
  int fail_first_;
};

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_TEST_UTIL_H_
