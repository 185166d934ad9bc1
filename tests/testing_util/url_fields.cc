#include "tests/testing_util/url_fields.h"

#include "absl/strings/match.h"

namespace mediagen::testing {
namespace {

// Deeper paths than this are not followed (the API nests two levels).
constexpr size_t kMaxDepth = 5;

void Collect(const google::protobuf::Descriptor* d, const FieldPath& prefix,
             bool (*want)(const google::protobuf::FieldDescriptor*),
             std::vector<FieldPath>* out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    FieldPath path = prefix;
    path.push_back(f);
    if (want(f)) {
      out->push_back(path);
    } else if (f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
               path.size() < kMaxDepth) {
      Collect(f->message_type(), path, want, out);
    }
  }
}

}  // namespace

bool IsUrlField(const google::protobuf::FieldDescriptor* f) {
  return f->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
         (f->name() == "url" || absl::EndsWith(f->name(), "_url") ||
          absl::EndsWith(f->name(), "_urls"));
}

std::vector<FieldPath> FindUrlFields(const google::protobuf::Descriptor* d) {
  std::vector<FieldPath> out;
  Collect(d, {}, &IsUrlField, &out);
  return out;
}

std::vector<FieldPath> FindStringFields(const google::protobuf::Descriptor* d) {
  std::vector<FieldPath> out;
  Collect(
      d, {},
      [](const google::protobuf::FieldDescriptor* f) {
        return f->type() == google::protobuf::FieldDescriptor::TYPE_STRING;
      },
      &out);
  return out;
}

std::string SetUrlField(google::protobuf::Message* m, const FieldPath& path,
                        const std::string& value) {
  std::string name;
  for (size_t i = 0; i < path.size(); ++i) {
    const google::protobuf::FieldDescriptor* f = path[i];
    const google::protobuf::Reflection* r = m->GetReflection();
    if (!name.empty()) name += ".";
    name += f->name();
    const bool last = i + 1 == path.size();
    if (f->is_repeated()) {
      name += "[0]";
      if (last) {
        r->AddString(m, f, value);
      } else {
        m = r->AddMessage(m, f);
      }
    } else if (last) {
      r->SetString(m, f, value);
    } else {
      m = r->MutableMessage(m, f);
    }
  }
  return name;
}

}  // namespace mediagen::testing
