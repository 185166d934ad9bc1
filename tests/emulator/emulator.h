// The upstream emulator: Vimmerse, ElevenLabs and AIMLAPI on one loopback
// port, with jobs that progress on a time scale, real result files, strict
// request checking and scriptable faults (see README.md for routes, the
// control API and every choice made where the provider docs are silent).
//
//   Emulator::Options options;
//   options.time_scale = 0.01;  // a media job succeeds in ~0.2 s
//   Emulator emulator(options);
//   absl::StatusOr<int> port = emulator.Start();  // 127.0.0.1:<port>
//   httplib::Client client(emulator.base_url());
//   client.Get("/v2/media/123", {{"X-Api-Key", "vimmerse-test-key"}});
//   emulator.AddFault(R"({"path": "/v2/media", "status": 503, "times": 1})");
//   nlohmann::json sent = emulator.Requests();  // what clients sent
//   emulator.Stop();                            // also done by the destructor
#ifndef MEDIAGEN_TESTS_EMULATOR_EMULATOR_H_
#define MEDIAGEN_TESTS_EMULATOR_EMULATOR_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tests/emulator/options.h"

namespace mediagen::emulator {

class Emulator {
 public:
  using Options = EmulatorOptions;

  explicit Emulator(Options options);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Binds options.host:options.port (0: a free port), starts serving and
  // returns the bound port. Fails when the port is taken, a fault rule in
  // the options is invalid, or the emulator was started before.
  absl::StatusOr<int> Start();

  // Stops serving: in-flight streams are cut, idle keep-alive connections
  // closed, pending webhooks dropped. Idempotent.
  void Stop();

  // The bound port (0 before Start) and "http://<host>:<port>".
  int port() const;
  std::string base_url() const;

  // In-process shortcuts to the control API (same effects as the HTTP
  // routes under /_emulator/).
  absl::StatusOr<int> AddFault(const std::string& rule_json);
  void ClearFaults();
  // Queues the outcome of the next `count` jobs of `kind` (media, asset,
  // generation or any).
  void QueueOutcome(const std::string& kind, bool fail, int count = 1,
                    const std::string& message = "");
  nlohmann::json Requests() const;
  nlohmann::json Counters() const;
  nlohmann::json Webhooks() const;
  void Reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_EMULATOR_H_
