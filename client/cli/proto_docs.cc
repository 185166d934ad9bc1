#include "client/cli/proto_docs.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"

namespace mediagen::cli {
namespace {

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FileDescriptorSet;
using ::google::protobuf::SourceLocation;

// The serialized FileDescriptorSet, as bytes (see client/cli/BUILD).
constexpr unsigned char kApiDescriptorSet[] = {
#include "client/cli/api_descriptor_set.inc"
};

// A pool of its own: the generated pool holds the same types, but built
// without source info.
const DescriptorPool& DocumentedPool() {
  struct Docs {
    google::protobuf::SimpleDescriptorDatabase database;
    DescriptorPool pool{&database};
  };
  static Docs* const docs = [] {
    auto* d = new Docs;
    FileDescriptorSet set;
    // Built from our own .proto files by our own build: a failure here is a
    // build bug, and shows as empty help (which help_test catches).
    if (set.ParseFromArray(kApiDescriptorSet, sizeof(kApiDescriptorSet))) {
      for (const auto& file : set.file()) d->database.Add(file);
    }
    return d;
  }();
  return docs->pool;
}

std::string OneLine(const std::string& comment) {
  return absl::StrJoin(
      absl::StrSplit(comment, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty()),
      " ");
}

template <typename Descriptor>
std::string LeadingComment(const Descriptor* documented) {
  SourceLocation location;
  if (documented == nullptr || !documented->GetSourceLocation(&location)) {
    return "";
  }
  return OneLine(location.leading_comments);
}

bool IsHttpMethod(absl::string_view word) {
  for (absl::string_view m : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    if (word == m) return true;
  }
  return false;
}

}  // namespace

std::string ProtoComment(const google::protobuf::FieldDescriptor* field) {
  return LeadingComment(DocumentedPool().FindFieldByName(field->full_name()));
}

std::string ProtoComment(const google::protobuf::MethodDescriptor* method) {
  return LeadingComment(DocumentedPool().FindMethodByName(method->full_name()));
}

std::vector<std::string> UpstreamRoutes(
    const google::protobuf::MethodDescriptor* method) {
  // "POST /v2/media. Validates ...", "(GET /v2/media/{id}, GET /asset/{id}
  // or ...)": a method word, then a path, less the sentence's punctuation.
  std::vector<std::string> words =
      absl::StrSplit(ProtoComment(method), ' ', absl::SkipEmpty());
  std::vector<std::string> routes;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    absl::string_view verb = absl::StripPrefix(words[i], "(");
    absl::string_view path = words[i + 1];
    if (!IsHttpMethod(verb) || !absl::StartsWith(path, "/")) continue;
    while (!path.empty() && absl::string_view(".,;:)").find(path.back()) !=
                                absl::string_view::npos) {
      path.remove_suffix(1);
    }
    std::string route = absl::StrCat(verb, " ", path);
    if (std::find(routes.begin(), routes.end(), route) == routes.end()) {
      routes.push_back(std::move(route));
    }
  }
  return routes;
}

}  // namespace mediagen::cli
