#include "tests/emulator/vimmerse_prices.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "tests/emulator/util.h"

namespace mediagen::emulator {

const std::vector<std::string>& VimmerseVoices() {
  static const auto* v = new std::vector<std::string>{
      "AutoV",   "Rachel",  "Aria",   "Roger",   "Sarah", "Laura",
      "Charlie", "George",  "Callum", "River",   "Liam",  "Charlotte",
      "Alice",   "Matilda", "Will",   "Jessica", "Eric",  "Chris",
      "Brian",   "Daniel",  "Lily",   "Bill"};
  return *v;
}

size_t CodePoints(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

double SpeechSeconds(const std::string& text) {
  return std::clamp(static_cast<double>(CodePoints(text)) / 15.0, 1.0, 120.0);
}

Price VideoPrice(const std::string& app_name, const std::string& option,
                 int64_t quantity, std::optional<double> seconds,
                 const std::string& prompt) {
  static const std::map<std::string, double>* base =
      new std::map<std::string, double>{{"reference-to-video", 20},
                                        {"text-image-to-video", 10},
                                        {"video-to-video", 20},
                                        {"video-effects", 15},
                                        {"edit-video", 5},
                                        {"lip-sync", 10},
                                        {"replace-background-video", 10},
                                        {"try-on", 10},
                                        {"upload-video", 0}};
  auto it = base->find(app_name);
  const double unit = it == base->end() ? 10 : it->second;
  int64_t blocks = 1;
  if (seconds && *seconds > 0) {
    blocks =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(*seconds / 5.0)));
  }
  if (app_name == "lip-sync" && option == "AvatarLipSync") {
    blocks = std::max<int64_t>(
        1, static_cast<int64_t>((CodePoints(prompt) + 299) / 300));
  }
  quantity = std::max<int64_t>(1, quantity);
  Price p;
  p.total = unit * static_cast<double>(blocks * quantity);
  p.breakdown = {{"app_name", app_name},
                 {"option", option},
                 {"unit_credits", JsonNumber(unit)},
                 {"blocks", blocks},
                 {"block_seconds", 5},
                 {"quantity", quantity}};
  return p;
}

Price AudioPrice(const std::string& app_name, const std::string& option,
                 int64_t quantity, const std::string& prompt,
                 std::optional<double> seconds) {
  double unit = 0;
  int64_t blocks = 1;
  if (app_name == "text-to-speech") {
    unit = option == "ChirpTTS" ? 4 : 8;
    blocks = std::max<int64_t>(
        1, static_cast<int64_t>((CodePoints(prompt) + 999) / 1000));
  } else if (app_name == "text-to-audio") {
    unit = 5;
    const double s = seconds.value_or(5);
    blocks = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(s / 5.0)));
  } else if (app_name == "text-to-music") {
    unit = 10;
  }
  quantity = std::max<int64_t>(1, quantity);
  Price p;
  p.total = unit * static_cast<double>(blocks * quantity);
  p.breakdown = {{"app_name", app_name},
                 {"option", option},
                 {"unit_credits", JsonNumber(unit)},
                 {"blocks", blocks},
                 {"quantity", quantity}};
  return p;
}

}  // namespace mediagen::emulator
