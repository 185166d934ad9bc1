// Fuzzes AIMLAPI's generation parser (create and poll answers) and the Job
// view of its result. The input is a response body. Invariants: a usable
// name, `status: "error"` is a FAILED generation, and the result survives
// protobuf's wire format.
#include <cstddef>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "service/upstream/providers/aimlapi.h"
#include "service/upstream/providers/job_state.h"
#include "service/upstream/providers/resource_name.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace up = mediagen::upstream;
  namespace v1 = mediagen::v1;
  using mediagen::fuzz::SurvivesTheWire;
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  for (absl::string_view known :
       {absl::string_view(), absl::string_view("g-1:stable-audio")}) {
    for (bool from_create : {true, false}) {
      auto g = up::aimlapi::ParseGeneration(body, known, from_create);
      if (!g.ok()) continue;
      FUZZ_CHECK(!g->id().empty(), "");
      FUZZ_CHECK(g->name() == absl::StrCat("generations/", g->id()), g->name());
      FUZZ_CHECK(up::ParseResourceName(g->name()).ok(), g->name());
      FUZZ_CHECK(v1::JobState_IsValid(g->state()), "");
      if (g->status() == "error") {
        FUZZ_CHECK(g->state() == v1::JOB_STATE_FAILED, g->ShortDebugString());
      }
      FUZZ_CHECK(SurvivesTheWire(*g), g->ShortDebugString());
      v1::Job job = up::JobFromGeneration(*g);
      FUZZ_CHECK(job.name() == g->name(), job.name());
      FUZZ_CHECK(SurvivesTheWire(job), job.ShortDebugString());
    }
  }
  return 0;
}
