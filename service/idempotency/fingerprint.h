// Fingerprint: what identifies a create's content for idempotency, so a
// request_id reused for a different request is caught instead of answered
// with the wrong result.
//
//   std::string fp = Fingerprint(create_media_request);
#ifndef MEDIAGEN_SERVICE_IDEMPOTENCY_FINGERPRINT_H_
#define MEDIAGEN_SERVICE_IDEMPOTENCY_FINGERPRINT_H_

#include <string>

#include "google/protobuf/message.h"

namespace mediagen::idempotency {

// SHA-256 (hex) of the deterministic serialization of `request` with its
// `request_id` field cleared. Equal for equal content whatever the field
// order on the wire; stable across processes and releases of this binary
// as long as the message's field numbers do not change.
std::string Fingerprint(const google::protobuf::Message& request);

}  // namespace mediagen::idempotency

#endif  // MEDIAGEN_SERVICE_IDEMPOTENCY_FINGERPRINT_H_
