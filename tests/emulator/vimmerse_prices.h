// The Vimmerse price list the emulator charges by, shared by the generation
// routes and the estimate-credits routes (so estimates match charges), and
// the speech sizes and voices that pricing depends on.
//
//   Price p = VideoPrice("reference-to-video", "KlingO", 2, 10.0, "");
//   // p.total == 80: 20 credits per 5-second block per output.
#ifndef MEDIAGEN_TESTS_EMULATOR_VIMMERSE_PRICES_H_
#define MEDIAGEN_TESTS_EMULATOR_VIMMERSE_PRICES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace mediagen::emulator {

struct Price {
  double total = 0;
  nlohmann::json breakdown = nlohmann::json::object();
};

// Video apps (estimate `app_name` values): reference-to-video 20,
// text-image-to-video (media) 10, video-to-video 20, video-effects 15,
// edit-video 5, lip-sync 10, replace-background-video 10, try-on 10,
// upload-video 0 credits per 5-second block (default one block) per output.
// lip-sync with option AvatarLipSync is priced by prompt length instead: one
// block per started 300 characters.
Price VideoPrice(const std::string& app_name, const std::string& option,
                 int64_t quantity, std::optional<double> seconds,
                 const std::string& prompt);

// Audio apps: text-to-speech 8 credits per started 1000 characters (ChirpTTS
// 4), text-to-audio 5 per started 5 seconds (default 5 s), text-to-music
// 10, upload-audio 0; times quantity.
Price AudioPrice(const std::string& app_name, const std::string& option,
                 int64_t quantity, const std::string& prompt,
                 std::optional<double> seconds);

// Seconds of speech the emulator makes for `text` (about 15 characters a
// second, 1 to 120 s).
double SpeechSeconds(const std::string& text);

// Unicode code points in UTF-8 `text`.
size_t CodePoints(const std::string& text);

const std::vector<std::string>& VimmerseVoices();

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_VIMMERSE_PRICES_H_
