#include "tests/fuzz/fuzz_util.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "google/protobuf/util/message_differencer.h"

namespace mediagen::fuzz {

uint8_t Input::Byte() {
  if (rest_.empty()) return 0;
  const uint8_t b = static_cast<uint8_t>(rest_.front());
  rest_.remove_prefix(1);
  return b;
}

absl::string_view Input::Line() {
  const size_t nl = rest_.find('\n');
  absl::string_view line = rest_.substr(0, nl);
  rest_.remove_prefix(nl == absl::string_view::npos ? rest_.size() : nl + 1);
  return line;
}

void Fail(absl::string_view what, absl::string_view detail) {
  std::fprintf(stderr, "FUZZ_CHECK failed: %.*s\n  detail: %s\n",
               static_cast<int>(what.size()), what.data(),
               absl::CHexEscape(detail.substr(0, 2000)).c_str());
  std::fflush(stderr);
  std::abort();
}

bool SurvivesTheWire(const google::protobuf::Message& message) {
  std::string bytes;
  if (!message.SerializeToString(&bytes)) return false;
  std::unique_ptr<google::protobuf::Message> back(message.New());
  if (!back->ParseFromString(bytes)) return false;
  return google::protobuf::util::MessageDifferencer::Equals(message, *back);
}

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

bool HasNoControlCharacters(absl::string_view text) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return false;
  }
  return true;
}

}  // namespace mediagen::fuzz
