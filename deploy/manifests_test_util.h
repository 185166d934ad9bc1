// What the deploy manifest tests share (test-only): files and shell
// commands, the manifests rendered with kustomize, labels, ports and
// durations read off them, and the ManifestsTest fixture, which renders
// deploy/k8s and deploy/istio once and applies the ConfigMap's config.json
// with the server's own parser onto the server's defaults.
#ifndef MEDIAGEN_DEPLOY_MANIFESTS_TEST_UTIL_H_
#define MEDIAGEN_DEPLOY_MANIFESTS_TEST_UTIL_H_

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/common.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/jobs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/video.pb.h"
#include "nlohmann/json.hpp"
#include "service/server/config_file.h"
#include "service/server/server_options.h"
#include "yaml-cpp/yaml.h"

namespace mediagen::deploy::manifests_testing {

namespace fs = std::filesystem;
using server::ServerOptions;

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `cmd` with sh; returns its stdout, and the exit status in `*status`.
inline std::string Shell(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = pclose(p);
  return out;
}

inline std::string TempDir() {
  const char* d = std::getenv("TEST_TMPDIR");
  return d != nullptr ? d : "/tmp";
}

// `kustomize build deploy/<dir>` on a plain copy of deploy/ (runfiles are
// symlinks, which kustomize's load restrictions would rightly refuse).
inline std::vector<YAML::Node> Render(const std::string& dir) {
  static auto* const rendered =
      new std::map<std::string, std::vector<YAML::Node>>;
  auto it = rendered->find(dir);
  if (it != rendered->end()) return it->second;
  static const std::string copy = [] {
    const std::string to = TempDir() + "/deploy";
    fs::remove_all(to);
    fs::copy("deploy", to, fs::copy_options::recursive);
    return to;
  }();
  const std::string kustomize =
      std::string(std::getenv("TEST_SRCDIR")) + "/kustomize/kustomize";
  int status = 0;
  const std::string yaml = Shell(
      absl::StrCat(kustomize, " build ", copy, "/", dir, " 2>&1"), &status);
  EXPECT_EQ(status, 0) << "kustomize build " << dir << ":\n" << yaml;
  std::vector<YAML::Node> docs;
  for (const YAML::Node& d : YAML::LoadAll(yaml)) {
    if (d.IsMap()) docs.push_back(d);
  }
  if (status == 0) (*rendered)[dir] = docs;
  return docs;
}

inline YAML::Node Find(const std::vector<YAML::Node>& docs,
                       const std::string& kind,
                       const std::string& name_prefix) {
  for (const YAML::Node& d : docs) {
    if (d["kind"].as<std::string>() == kind &&
        absl::StartsWith(d["metadata"]["name"].as<std::string>(),
                         name_prefix)) {
      return d;
    }
  }
  ADD_FAILURE() << "no " << kind << " " << name_prefix;
  return YAML::Node();
}

inline std::map<std::string, std::string> Labels(const YAML::Node& m) {
  std::map<std::string, std::string> out;
  if (!m.IsMap()) return out;
  for (const auto& kv : m) {
    out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return out;
}

// Every label of `selector` is on the pod.
inline bool Selects(const YAML::Node& selector,
                    const std::map<std::string, std::string>& pod) {
  std::map<std::string, std::string> want = Labels(selector);
  if (want.empty()) return false;  // selects nothing (or everything): wrong
  for (const auto& [k, v] : want) {
    auto it = pod.find(k);
    if (it == pod.end() || it->second != v) return false;
  }
  return true;
}

inline int PortOf(const std::string& host_port) {
  int port = 0;
  EXPECT_TRUE(
      absl::SimpleAtoi(host_port.substr(host_port.rfind(':') + 1), &port))
      << host_port;
  return port;
}

// "30s", "1.5s", "0s" -> seconds.
inline double Seconds(const std::string& s) {
  double v = -1;
  EXPECT_TRUE(absl::EndsWith(s, "s") &&
              absl::SimpleAtod(absl::StripSuffix(s, "s"), &v))
      << s;
  return v;
}

class ManifestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    docs_ = Render("k8s");
    ASSERT_FALSE(docs_.empty());
    deployment_ = Find(docs_, "Deployment", "mediagen");
    ASSERT_TRUE(deployment_.IsMap());
    pod_ = deployment_["spec"]["template"];
    pod_labels_ = Labels(pod_["metadata"]["labels"]);
    container_ = pod_["spec"]["containers"][0];
    ASSERT_EQ(container_["name"].as<std::string>(), "mediagen");
    for (const auto& p : container_["ports"]) {
      ports_[p["name"].as<std::string>()] = p["containerPort"].as<int>();
    }
    ApplyConfigMap();
  }

  // The ConfigMap's config.json through the server's own parser, with
  // secret references resolved against the mounted Secret's keys.
  void ApplyConfigMap() {
    std::map<std::string, std::string> mounts;  // volume name -> path
    for (const auto& m : container_["volumeMounts"]) {
      mounts[m["name"].as<std::string>()] = m["mountPath"].as<std::string>();
    }
    std::string config_dir, secret_dir, secret_name, configmap_name;
    for (const auto& v : pod_["spec"]["volumes"]) {
      const std::string name = v["name"].as<std::string>();
      if (v["configMap"]) {
        config_dir = mounts[name];
        configmap_name = v["configMap"]["name"].as<std::string>();
      }
      if (v["secret"]) {
        secret_dir = mounts[name];
        secret_name = v["secret"]["secretName"].as<std::string>();
      }
    }
    ASSERT_FALSE(config_dir.empty());
    ASSERT_FALSE(secret_dir.empty());
    // The generated (hashed) names are what the Deployment refers to.
    YAML::Node cm = Find(docs_, "ConfigMap", configmap_name);
    ASSERT_EQ(cm["metadata"]["name"].as<std::string>(), configmap_name);
    YAML::Node secret = Find(docs_, "Secret", secret_name);
    std::set<std::string> secret_keys;
    for (const char* field : {"stringData", "data"}) {
      if (!secret[field]) continue;
      for (const auto& kv : secret[field]) {
        secret_keys.insert(kv.first.as<std::string>());
      }
    }
    std::vector<std::string> args;
    for (const auto& a : container_["args"])
      args.push_back(a.as<std::string>());
    std::string config_file;
    for (const auto& a : args) {
      if (absl::StartsWith(a, "--config=")) config_file = a.substr(9);
    }
    ASSERT_EQ(fs::path(config_file).parent_path().string(), config_dir);
    const std::string key = fs::path(config_file).filename().string();
    ASSERT_TRUE(cm["data"][key]) << "ConfigMap has no " << key;

    server::SecretSources secrets;
    secrets.env = [](const std::string& name) -> std::optional<std::string> {
      ADD_FAILURE() << "config.json reads env " << name
                    << ": the Deployment sets no environment; use files";
      return std::nullopt;
    };
    secrets.read_file =
        [&](const std::string& path) -> absl::StatusOr<std::string> {
      const fs::path p(path);
      EXPECT_EQ(p.parent_path().string(), secret_dir) << path;
      EXPECT_TRUE(secret_keys.count(p.filename().string()))
          << path << " is not a key of Secret " << secret_name;
      return std::string("placeholder");
    };
    absl::Status s = server::ApplyConfig(cm["data"][key].as<std::string>(),
                                         secrets, options_);
    ASSERT_TRUE(s.ok()) << s;
  }

  std::vector<YAML::Node> docs_;
  YAML::Node deployment_, pod_, container_;
  std::map<std::string, std::string> pod_labels_;
  std::map<std::string, int> ports_;
  ServerOptions options_;  // defaults + config.json
};

}  // namespace mediagen::deploy::manifests_testing

#endif  // MEDIAGEN_DEPLOY_MANIFESTS_TEST_UTIL_H_
