// The fault matrix's specification (issue 9): every fault the emulator can
// inject, every kind of call, and what the caller must see in each cell
// (README.md's "Errors" table). fault_matrix_test.cc runs it through the
// real server binary.
//
//   for (const Expect& e : Matrix()) {
//     json rule = RuleFor(e.fault, e.call == Call::kSpeech, /*read=*/false);
//     ...  // inject, call, compare with e.code, e.reason, e.retry_info
//   }
#ifndef MEDIAGEN_TESTS_FAULTS_FAULT_MATRIX_H_
#define MEDIAGEN_TESTS_FAULTS_FAULT_MATRIX_H_

#include <cstdint>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"

namespace mediagen::testing {

enum class Fault {
  k500,          // 500 after upstream did the work (the lost answer)
  k502,          // a proxy's HTML 502 page, before upstream saw anything
  k503,          // 503 in the provider's shape, before processing
  k429,          // rate limited, before processing
  kTimeout,      // upstream answers after the deadline
  kReset,        // TCP reset in the middle of the answer's body
  kMalformed,    // the answer's JSON cut in half plus a stray byte
  kDrip,         // the answer trickles at 50 bytes per second
  kOversize,     // the answer padded to 17 MiB (limit: 16 MiB)
  kContentType,  // a 2xx page of the wrong kind after the work was done
};

enum class Call { kCreate, kGet, kWatch, kUpload, kSpeech };

inline constexpr Fault kFaults[] = {
    Fault::k500,      Fault::k502,        Fault::k503,       Fault::k429,
    Fault::kTimeout,  Fault::kReset,      Fault::kMalformed, Fault::kDrip,
    Fault::kOversize, Fault::kContentType};

const char* Name(Fault f);
// A short name for test names and emulator rule ids.
const char* Slug(Fault f);
// The RPC each kind of call is made with: the rows' test names.
const char* Rpc(Call c);
const char* Name(Call c);

// One cell of the matrix: what the caller must see.
struct Expect {
  Fault fault;
  Call call;
  grpc::StatusCode code;
  const char* reason;  // ErrorInfo reason; "" for OK
  bool retry_info;     // RetryInfo attached
  int http_status;     // ErrorInfo metadata http_status; 0: none
  // Creates and uploads, per request_id, after all retries: upstream
  // creates (never more than 1) and whether a retry replays the first
  // outcome (true) or goes upstream again (false: nothing was created).
  int creates_per_id = -1;
  bool replayed = false;
};

// Every cell, once: the specification.
absl::Span<const Expect> Matrix();

// Per-call deadline of creates, uploads and speech; the server's poll
// deadline (--poll_timeout) for get and watch, long enough for all four
// attempts of a read even on a loaded machine. Slow faults outlast both.
inline constexpr absl::Duration kCallDeadline = absl::Seconds(3);
inline constexpr absl::Duration kPollTimeout = absl::Seconds(5);
inline constexpr int kLatencyMs = 4000;
inline constexpr int kReadLatencyMs = 8000;
inline constexpr int64_t kOversizeBytes = int64_t{17} << 20;
inline constexpr int kIdsPerCell = 2;

// The emulator rule for `f` (method and path added by the caller). Audio
// routes get an audio-sized reset point and a JSON page as the wrong kind
// of answer; JSON routes get an HTML page.
nlohmann::json RuleFor(Fault f, bool audio, bool read);

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_FAULTS_FAULT_MATRIX_H_
