// Options of the upstream emulator (filled from flags in main.cc, or
// directly by tests that run the emulator in-process).
//
//   EmulatorOptions options;
//   options.time_scale = 0.01;                     // jobs finish in ~0.2 s
//   options.accounts.push_back({Provider::kVimmerse, "key", "cust", 100});
//   Emulator emulator(options);
#ifndef MEDIAGEN_TESTS_EMULATOR_OPTIONS_H_
#define MEDIAGEN_TESTS_EMULATOR_OPTIONS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "tests/emulator/accounts.h"

namespace mediagen::emulator {

struct EmulatorOptions {
  // Address to bind. Loopback by default: the emulator has no security.
  std::string host = "127.0.0.1";
  // 0: pick a free port (Emulator::Start returns it).
  int port = 0;
  // Multiplies every simulated duration: 1.0 realistic, 0.01 in tests.
  double time_scale = 1.0;
  // Seconds (before scaling) from create to success of a media/asset job;
  // AIMLAPI generations take half of this.
  double job_seconds = 20.0;
  // Reject unknown fields, wrong JSON types and wrong content types.
  bool strict = true;
  // POST webhooks to jobs' webhook_url.
  bool webhooks = true;
  int webhook_max_attempts = 5;
  int webhook_timeout_ms = 10000;
  // Vimmerse video generations charge (and report in the asset's
  // `credits`) this fraction of their price; the estimate routes still
  // answer the full price. 1 = as the docs say. Exists only so tests can
  // check that a job reporting fewer credits than estimated frees the
  // difference.
  double charge_ratio = 1.0;
  // Default ElevenLabs concurrency limit per key (429 above it).
  int elevenlabs_concurrency = 5;
  // HTTP worker threads; each open connection (and each slow stream) holds
  // one while it is served.
  int threads = 128;
  int keep_alive_timeout_s = 5;
  size_t request_log_max_entries = 10000;
  size_t request_log_body_cap = 64 * 1024;
  // Larger non-multipart bodies are refused with 413.
  size_t max_json_body_bytes = 16 * 1024 * 1024;
  // Base of result URLs; default "http://<host>:<bound port>".
  std::string public_url;
  // Customers. A provider with no entry here gets the default set
  // (DefaultAccounts()).
  std::vector<AccountSpec> accounts;
  // Fault rules (JSON objects, see README.md) installed at start.
  std::vector<std::string> faults;
  // One line per request on stderr: method, path, status, fault (no
  // headers, no bodies).
  bool log_requests = false;
};

// The built-in customers, documented in README.md and --help:
//   vimmerse   vimmerse-demo-key   1000000 credits  demo-customer
//              vimmerse-test-key      1000 credits  test-customer
//              vimmerse-broke-key        0 credits  broke-customer
//   elevenlabs elevenlabs-demo-key                  demo-el
//              elevenlabs-test-key                  test-el
//   aimlapi    aimlapi-demo-key  100000000 tokens   demo-aiml
//              aimlapi-test-key    1000000 tokens   test-aiml
//              aimlapi-broke-key         0 tokens   broke-aiml
std::vector<AccountSpec> DefaultAccounts(Provider provider);

// `options.accounts` plus the default set of every provider it lacks.
std::vector<AccountSpec> ResolvedAccounts(const EmulatorOptions& options);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_OPTIONS_H_
