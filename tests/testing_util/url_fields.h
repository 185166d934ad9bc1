// Every URL field of a request message, found by reflection, and a way to
// set one: tests that try bad URLs in every URL field of every request
// cover a new field the day it is added, without a list to keep up.
//
//   for (const FieldPath& path :
//        FindUrlFields(v1::CreateMediaRequest::descriptor())) {
//     v1::CreateMediaRequest req;
//     const std::string field = SetUrlField(&req, path, "file:///etc/passwd");
//     // field is the BadRequest path, e.g. "media_items[0].url".
//     EXPECT_THAT(upstream::Validate(req),
//                 StatusIs(absl::StatusCode::kInvalidArgument)) << field;
//   }
#ifndef MEDIAGEN_TESTS_TESTING_UTIL_URL_FIELDS_H_
#define MEDIAGEN_TESTS_TESTING_UTIL_URL_FIELDS_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace mediagen::testing {

// The fields from a message down to one of its (nested) fields.
using FieldPath = std::vector<const google::protobuf::FieldDescriptor*>;

// A string field named `url`, or `..._url` / `..._urls`: the API's naming
// rule for every field that carries a URL.
bool IsUrlField(const google::protobuf::FieldDescriptor* f);

// The path to every URL field of `d`, through its message fields (repeated
// ones included) down to five levels, which also ends recursive types.
std::vector<FieldPath> FindUrlFields(const google::protobuf::Descriptor* d);

// The path to every string field (not bytes) of `d`, URL fields included,
// the same way: the fields the free-text rule covers.
std::vector<FieldPath> FindStringFields(const google::protobuf::Descriptor* d);

// Sets the (string) field at `path` of `m` to `value`, adding one element to
// each repeated field on the way, and returns the field's proto path as a
// BadRequest names it: "audio_option.narration_url", "media_items[0].url".
std::string SetUrlField(google::protobuf::Message* m, const FieldPath& path,
                        const std::string& value);

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_TESTING_UTIL_URL_FIELDS_H_
