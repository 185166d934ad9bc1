// The one rule for free text, applied by reflection to every string field
// of a request (prompts, titles, narration, ElevenLabs text, ...): no C0
// control character other than TAB, LF and CR, and no DEL. Such bytes mean
// nothing in a prompt and reach providers, their logs and consoles as they
// are (a NUL, an ANSI escape, a BEL). Because the rule walks the message's
// descriptor, a string field added later is covered without a line of code;
// bytes fields (file chunks) are not text and are never looked at. Fields
// with stricter rules of their own (URLs, ids, request_id: validation.cc)
// keep them: Validate reports this rule only for fields those did not name.
//
//   for (const auto& v : ControlCharacterViolations(request)) {
//     // v.field() == "media_items[0].type", v.description() says why
//   }
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_FREE_TEXT_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_FREE_TEXT_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/rpc/error_details.pb.h"

namespace mediagen::upstream {

// False for U+0000-U+0008, U+000B, U+000C, U+000E-U+001F and U+007F.
// (Bytes of UTF-8 sequences are all >= 0x80 and always allowed.)
bool IsFreeTextByte(unsigned char c);

// The offset of the first byte of `text` that IsFreeTextByte refuses, or
// absl::string_view::npos.
size_t FindControlCharacter(absl::string_view text);

// One violation per set string field of `message`, at any depth (through
// message fields, repeated ones and map entries), holding a byte
// IsFreeTextByte refuses. `field` is the proto path as BadRequest names it
// ("prompt", "media_items[1].type"); the description names the field and
// the character's code point, never the value.
std::vector<google::rpc::BadRequest::FieldViolation> ControlCharacterViolations(
    const google::protobuf::Message& message);

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_FREE_TEXT_H_
