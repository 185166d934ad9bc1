// SHA-256 (OpenSSL), for values that must hash the same in every process:
// tenant tokens are stored as their hash, and idempotency fingerprints may
// be compared by another replica through a shared store.
//
//   std::string hex = Sha256Hex("secret-token");   // 64 lowercase hex chars
#ifndef MEDIAGEN_SERVICE_COMMON_SHA256_H_
#define MEDIAGEN_SERVICE_COMMON_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mediagen {

// Lowercase hex of SHA-256(data).
std::string Sha256Hex(absl::string_view data);

// Lowercase hex of HMAC-SHA256(key, data): tokens derived from a secret, so
// every replica sharing the secret derives the same ones.
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);

// Compares two strings in time that depends only on their lengths, so a
// token check does not leak how many leading bytes matched.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace mediagen

#endif  // MEDIAGEN_SERVICE_COMMON_SHA256_H_
