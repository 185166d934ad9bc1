// PriceTable: what a create costs where the provider has no estimate route,
// from the config file's top-level `prices` object (all keys optional; the
// defaults are the emulator's prices, not a contract: operators set
// their own). Vimmerse's video and audio routes are priced by the
// provider's own estimate routes instead (cost_estimate.h).
//
//   "prices": {
//     "vimmerse":   {"media_credits_per_block": 10, "media_block_seconds": 5},
//     "elevenlabs": {"sound_effect_characters": 100,
//                    "sound_effect_characters_per_second": 20},
//     "aimlapi":    {"stable_audio_credits_per_step": 252,
//                    "stable_audio_default_steps": 100}
//   }
//
//   absl::StatusOr<PriceTable> t = PriceTableFromJson(j, "prices");
//   PriceBook book(*t);            // shared by the handlers
//   book.Get()->media_credits_per_block;
//   book.Replace(fresh);           // SIGHUP: calls in flight keep theirs
#ifndef MEDIAGEN_SERVICE_QUOTA_PRICE_TABLE_H_
#define MEDIAGEN_SERVICE_QUOTA_PRICE_TABLE_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "service/common/mutex.h"

namespace mediagen::quota {

struct PriceTable {
  // Vimmerse media (CreateMedia, an UpdateMedia that regenerates): credits
  // per started block of `media_block_seconds`, per output.
  double media_credits_per_block = 10;
  double media_block_seconds = 5;
  // ElevenLabs sound effects, in characters: per generation without a
  // `duration_seconds`, per second with one.
  double sound_effect_characters = 100;
  double sound_effect_characters_per_second = 20;
  // AIMLAPI Stable Audio: credits per (started) step, the docs' "252 AI/ML
  // Tokens per step"; a request without `steps` is priced at
  // `stable_audio_default_steps` (the docs do not say upstream's default;
  // their example and the emulator use 100).
  double stable_audio_credits_per_step = 252;
  double stable_audio_default_steps = 100;

  bool operator==(const PriceTable& o) const {
    return media_credits_per_block == o.media_credits_per_block &&
           media_block_seconds == o.media_block_seconds &&
           sound_effect_characters == o.sound_effect_characters &&
           sound_effect_characters_per_second ==
               o.sound_effect_characters_per_second &&
           stable_audio_credits_per_step == o.stable_audio_credits_per_step &&
           stable_audio_default_steps == o.stable_audio_default_steps;
  }
};

// Parses the `prices` object; `where` names it in errors. Unknown keys are
// errors; every price must be a number >= 0 (media_block_seconds > 0).
absl::StatusOr<PriceTable> PriceTableFromJson(const nlohmann::json& j,
                                              absl::string_view where);

// The price table in force, replaced as a whole on reload. Thread-safe.
class PriceBook {
 public:
  explicit PriceBook(PriceTable table = {})
      : table_(std::make_shared<const PriceTable>(table)) {}

  std::shared_ptr<const PriceTable> Get() const {
    MutexLock lock(&mu_);
    return table_;
  }
  void Replace(const PriceTable& table) {
    auto fresh = std::make_shared<const PriceTable>(table);
    MutexLock lock(&mu_);
    table_ = std::move(fresh);
  }

 private:
  mutable Mutex mu_;
  std::shared_ptr<const PriceTable> table_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_PRICE_TABLE_H_
