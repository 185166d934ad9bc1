// Fuzzes Vimmerse's response parsers (ParseMedia, ParseAsset, ParseEstimate)
// and the Job view of their results. The input is a response body.
// Invariants: a parsed object has a usable id and a name that
// GetJob/WatchJob accept, its progress is 0-100, and whatever reaches a
// client survives protobuf's wire format.
#include <cstddef>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/upstream/providers/job_state.h"
#include "service/upstream/providers/resource_name.h"
#include "service/upstream/providers/vimmerse.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using mediagen::fuzz::SurvivesTheWire;
namespace up = mediagen::upstream;
namespace v1 = mediagen::v1;

template <typename T>
void CheckObject(const T& object, absl::string_view collection,
                 const v1::Job& job) {
  FUZZ_CHECK(!object.id().empty(), "");
  FUZZ_CHECK(object.name() == absl::StrCat(collection, "/", object.id()),
             object.name());
  FUZZ_CHECK(up::ParseResourceName(object.name()).ok(), object.name());
  FUZZ_CHECK(!object.has_progress_percentage() ||
                 (object.progress_percentage() >= 0 &&
                  object.progress_percentage() <= 100),
             absl::StrCat(object.progress_percentage()));
  FUZZ_CHECK(v1::JobState_IsValid(object.state()), "");
  FUZZ_CHECK(SurvivesTheWire(object), object.ShortDebugString());
  FUZZ_CHECK(job.name() == object.name(), job.name());
  FUZZ_CHECK(job.state() == object.state(), job.ShortDebugString());
  FUZZ_CHECK(SurvivesTheWire(job), job.ShortDebugString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  // GetMedia with `fields` may leave the id out; the caller knows it.
  for (absl::string_view known : {absl::string_view(), absl::string_view("k-1")}) {
    if (auto m = up::vimmerse::ParseMedia(body, known); m.ok()) {
      CheckObject(*m, "media", up::JobFromMedia(*m));
    }
    if (auto a = up::vimmerse::ParseAsset(body, known); a.ok()) {
      CheckObject(*a, "assets", up::JobFromAsset(*a));
    }
  }
  v1::EstimateVideoCreditsResponse video;
  if (up::vimmerse::ParseEstimate(body, &video).ok()) {
    FUZZ_CHECK(SurvivesTheWire(video), video.ShortDebugString());
  }
  v1::EstimateAudioCreditsResponse audio;
  if (up::vimmerse::ParseEstimate(body, &audio).ok()) {
    FUZZ_CHECK(SurvivesTheWire(audio), audio.ShortDebugString());
  }
  return 0;
}
