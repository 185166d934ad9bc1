#include "service/quota/price_table.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace mediagen::quota {
namespace {

using json = nlohmann::json;

absl::Status Bad(absl::string_view where, absl::string_view key,
                 absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "config: `", where, where.empty() ? "" : ".", key, "` ", why));
}

// One provider's object: each key names a field of the table.
struct Field {
  const char* key;
  double PriceTable::*price;
  bool positive;  // > 0 instead of >= 0
};

absl::Status ParseProvider(const json& j, const std::string& where,
                           std::initializer_list<Field> fields,
                           PriceTable& table) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: `", where, "` must be an object"));
  }
  for (const auto& [key, value] : j.items()) {
    const Field* found = nullptr;
    for (const Field& f : fields) {
      if (key == f.key) found = &f;
    }
    if (found == nullptr) return Bad(where, key, "is not a known setting");
    // A price is a plain number: NaN, infinities and negatives would make
    // every estimate meaningless.
    if (!value.is_number() || !(value.get<double>() >= 0) ||
        value.get<double>() > 1e15 ||
        (found->positive && !(value.get<double>() > 0))) {
      return Bad(where, key,
                 found->positive ? "must be a number above 0"
                                 : "must be a number >= 0");
    }
    table.*(found->price) = value.get<double>();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PriceTable> PriceTableFromJson(const json& j,
                                              absl::string_view where) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: `", where, "` must be an object"));
  }
  PriceTable table;
  for (const auto& [provider, value] : j.items()) {
    const std::string at = absl::StrCat(where, ".", provider);
    absl::Status s;
    if (provider == "vimmerse") {
      s = ParseProvider(
          value, at,
          {{"media_credits_per_block", &PriceTable::media_credits_per_block,
            false},
           {"media_block_seconds", &PriceTable::media_block_seconds, true}},
          table);
    } else if (provider == "elevenlabs") {
      s = ParseProvider(
          value, at,
          {{"sound_effect_characters", &PriceTable::sound_effect_characters,
            false},
           {"sound_effect_characters_per_second",
            &PriceTable::sound_effect_characters_per_second, false}},
          table);
    } else if (provider == "aimlapi") {
      s = ParseProvider(value, at,
                        {{"stable_audio_credits_per_step",
                          &PriceTable::stable_audio_credits_per_step, false},
                         {"stable_audio_default_steps",
                          &PriceTable::stable_audio_default_steps, true}},
                        table);
    } else {
      s = Bad(where, provider, "is not a known provider");
    }
    if (!s.ok()) return s;
  }
  return table;
}

}  // namespace mediagen::quota
