// ApiMethods() against the .proto sources: a service or RPC added to the
// API and missing from the list fails here, before a suite skips it.
#include "tests/testing_util/api_methods.h"

#include <dirent.h>

#include <fstream>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagen::testing {
namespace {

constexpr char kProtoDir[] = "proto/mediagen/v1";

// "Service/Method" of every `rpc` line of every .proto file in kProtoDir.
std::set<std::string> RpcsInSources() {
  std::set<std::string> rpcs;
  DIR* dir = opendir(kProtoDir);
  EXPECT_NE(dir, nullptr) << kProtoDir << " is not in the runfiles";
  if (dir == nullptr) return rpcs;
  while (dirent* e = readdir(dir)) {
    const std::string file = e->d_name;
    if (!absl::EndsWith(file, ".proto")) continue;
    std::ifstream in(absl::StrCat(kProtoDir, "/", file));
    std::string line, service;
    while (std::getline(in, line)) {
      absl::string_view l = absl::StripAsciiWhitespace(line);
      std::vector<std::string> words =
          absl::StrSplit(l, absl::ByAnyChar(" ({"), absl::SkipEmpty());
      if (words.size() < 2) continue;
      if (words[0] == "service") service = words[1];
      if (words[0] == "rpc") rpcs.insert(absl::StrCat(service, "/", words[1]));
    }
  }
  closedir(dir);
  return rpcs;
}

TEST(ApiMethodsTest, ListsEveryRpcOfTheProtoSources) {
  std::set<std::string> listed;
  for (const MethodDescriptor* m : ApiMethods()) {
    listed.insert(absl::StrCat(m->service()->name(), "/", m->name()));
  }
  const std::set<std::string> in_sources = RpcsInSources();
  EXPECT_GE(in_sources.size(), 27u);  // a parser that finds none is broken
  EXPECT_EQ(listed, in_sources);
  EXPECT_EQ(ApiMethods().size(), listed.size()) << "a method listed twice";
}

TEST(ApiMethodsTest, PathsAndTestNames) {
  const std::vector<const MethodDescriptor*> methods = ApiMethods();
  ASSERT_FALSE(methods.empty());
  EXPECT_EQ(MethodPath(methods[0]), "/mediagen.v1.MediaService/CreateMedia");
  std::set<std::string> names;
  for (size_t i = 0; i < methods.size(); ++i) {
    names.insert(MethodTestName({methods[i], i}));
  }
  EXPECT_EQ(names.size(), methods.size()) << "test names must be unique";
  EXPECT_TRUE(names.count("WatchJob"));
}

}  // namespace
}  // namespace mediagen::testing
