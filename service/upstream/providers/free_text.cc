#include "service/upstream/providers/free_text.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"

namespace mediagen::upstream {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using Violation = google::rpc::BadRequest::FieldViolation;

void CheckText(const std::string& field, const std::string& text,
               std::vector<Violation>* out) {
  const size_t at = FindControlCharacter(text);
  if (at == absl::string_view::npos) return;
  Violation v;
  v.set_field(field);
  v.set_description(absl::StrFormat(
      "`%s` must not contain control characters other than tab, line feed "
      "and carriage return (found U+%04X at byte %d)",
      field, static_cast<unsigned char>(text[at]), at));
  out->push_back(std::move(v));
}

void Walk(const Message& m, const std::string& prefix,
          std::vector<Violation>* out) {
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);  // set fields only: unset ones hold nothing
  for (const FieldDescriptor* f : fields) {
    const std::string name =
        prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          CheckText(absl::StrCat(name, "[", i, "]"),
                    r->GetRepeatedString(m, f, i), out);
        }
      } else {
        CheckText(name, r->GetString(m, f), out);
      }
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          Walk(r->GetRepeatedMessage(m, f, i), absl::StrCat(name, "[", i, "]"),
               out);
        }
      } else {
        Walk(r->GetMessage(m, f), name, out);
      }
    }
  }
}

}  // namespace

bool IsFreeTextByte(unsigned char c) {
  if (c == '\t' || c == '\n' || c == '\r') return true;
  return c >= 0x20 && c != 0x7F;
}

size_t FindControlCharacter(absl::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (!IsFreeTextByte(static_cast<unsigned char>(text[i]))) return i;
  }
  return absl::string_view::npos;
}

std::vector<Violation> ControlCharacterViolations(const Message& message) {
  std::vector<Violation> out;
  Walk(message, "", &out);
  return out;
}

}  // namespace mediagen::upstream
