// Renders deploy/istio with kustomize and checks what the mesh would be
// told: its timeouts and retries never cut a watch nor retry a create,
// the AuthorizationPolicy admits exactly the API's RPCs (from the proto
// descriptors), and nothing reaches the process but through the sidecar
// (gRPC 1.51 has no defence against HTTP/2 rapid reset).
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
#include "deploy/manifests_test_util.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/common.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/jobs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/usage.pb.h"
#include "mediagen/v1/video.pb.h"
#include "nlohmann/json.hpp"
#include "service/server/config_file.h"
#include "service/server/server_options.h"
#include "yaml-cpp/yaml.h"

namespace mediagen::deploy {
namespace {

namespace fs = std::filesystem;
using manifests_testing::Find;
using manifests_testing::Labels;
using manifests_testing::ManifestsTest;
using manifests_testing::ReadFile;
using manifests_testing::Render;
using manifests_testing::Seconds;
using manifests_testing::Selects;
using server::ServerOptions;

std::set<std::string> RetriedReads() {
  nlohmann::json config = nlohmann::json::parse(
      ReadFile("proto/mediagen/v1/mediagen_grpc_service_config.json"));
  std::set<std::string> out;
  for (const auto& mc : config["methodConfig"]) {
    if (!mc.contains("retryPolicy")) continue;
    for (const auto& n : mc["name"]) {
      out.insert(absl::StrCat("/", n["service"].get<std::string>(), "/",
                              n["method"].get<std::string>()));
    }
  }
  return out;
}

TEST_F(ManifestsTest, IstioNeverCutsWatchesNorRetriesACreate) {
  std::vector<YAML::Node> mesh = Render("istio");
  ASSERT_FALSE(mesh.empty());
  // The overlay keeps everything of the base.
  EXPECT_EQ(mesh.size(), docs_.size() + 5);
  YAML::Node svc = Find(mesh, "Service", "mediagen");
  const std::string host = svc["metadata"]["name"].as<std::string>();
  const std::map<std::string, std::string> pod_labels =
      Labels(Find(mesh, "Deployment",
                  "mediagen")["spec"]["template"]["metadata"]["labels"]);

  YAML::Node vs = Find(mesh, "VirtualService", "mediagen");
  const std::set<std::string> reads = RetriedReads();
  ASSERT_FALSE(reads.empty());
  const std::string watch = "/mediagen.v1.JobService/WatchJob";
  const std::string create = "/mediagen.v1.MediaService/CreateMedia";
  bool watch_routed = false, create_routed = false;
  for (const auto& route : vs["spec"]["http"]) {
    const std::string name = route["name"].as<std::string>("");
    for (const auto& dest : route["route"]) {
      EXPECT_EQ(dest["destination"]["host"].as<std::string>(), host);
      EXPECT_EQ(dest["destination"]["port"]["number"].as<int>(),
                ports_["grpc"]);
    }
    // Without `retries`, Istio's default retries UNAVAILABLE and CANCELLED:
    // unsafe for creates. Every route says what it retries.
    ASSERT_TRUE(route["retries"]) << name;
    const std::string retry_on =
        route["retries"]["retryOn"].as<std::string>("");
    bool unsafe_retry = false;
    for (absl::string_view cond : absl::StrSplit(retry_on, ',')) {
      cond = absl::StripAsciiWhitespace(cond);
      if (!cond.empty() && cond != "connect-failure" &&
          cond != "refused-stream") {
        unsafe_retry = true;  // may repeat a call that reached mediagen
      }
    }
    // Which paths this route catches (first match wins, in order).
    auto catches = [&](const std::string& path) {
      if (!route["match"]) return true;
      for (const auto& m : route["match"]) {
        const YAML::Node uri = m["uri"];
        if (uri["exact"] && uri["exact"].as<std::string>() == path) return true;
        if (uri["prefix"] &&
            absl::StartsWith(path, uri["prefix"].as<std::string>())) {
          return true;
        }
      }
      return false;
    };
    if (!watch_routed && catches(watch)) {
      watch_routed = true;
      EXPECT_EQ(Seconds(route["timeout"].as<std::string>("15s")), 0)
          << "route " << name << " would cut watch streams";
    }
    if (!create_routed && catches(create)) {
      create_routed = true;
      EXPECT_FALSE(unsafe_retry) << "route " << name << " retries creates";
    }
    if (unsafe_retry) {
      ASSERT_TRUE(route["match"]) << name << " retries everything";
      for (const auto& m : route["match"]) {
        ASSERT_TRUE(m["uri"]["exact"]) << name << ": retries need exact RPCs";
        EXPECT_TRUE(reads.count(m["uri"]["exact"].as<std::string>()))
            << m["uri"]["exact"].as<std::string>()
            << " is retried by the mesh but not in "
               "mediagen_grpc_service_config.json";
      }
    }
  }
  EXPECT_TRUE(watch_routed);
  EXPECT_TRUE(create_routed);

  YAML::Node dr = Find(mesh, "DestinationRule", "mediagen");
  EXPECT_EQ(dr["spec"]["host"].as<std::string>(), host);
  YAML::Node pa = Find(mesh, "PeerAuthentication", "mediagen");
  EXPECT_EQ(pa["spec"]["mtls"]["mode"].as<std::string>(), "STRICT");
  EXPECT_TRUE(Selects(pa["spec"]["selector"]["matchLabels"], pod_labels));
  YAML::Node authz = Find(mesh, "AuthorizationPolicy", "mediagen");
  EXPECT_TRUE(Selects(authz["spec"]["selector"]["matchLabels"], pod_labels));

  // The sidecar stays up for the whole drain (it carries the calls that
  // finish during the grace period).
  const YAML::Node proxy_config =
      YAML::Load(Find(mesh, "Deployment",
                      "mediagen")["spec"]["template"]["metadata"]["annotations"]
                                 ["proxy.istio.io/config"]
                                     .as<std::string>());
  EXPECT_GE(
      Seconds(proxy_config["terminationDrainDuration"].as<std::string>()),
      absl::ToDoubleSeconds(options_.drain_delay + options_.shutdown_grace));
}

// "/mediagen.v1.MediaService/CreateMedia" for every RPC of every service in
// every file of proto/mediagen/v1, from the descriptors linked in here.
std::set<std::string> ApiPaths() {
  // Naming a message of each file keeps it linked (and its descriptor in
  // the generated pool).
  const google::protobuf::FileDescriptor* linked[] = {
      v1::JobState_descriptor()->file(),
      v1::CreateMediaRequest::descriptor()->file(),
      v1::ReframeVideoRequest::descriptor()->file(),
      v1::TextToSpeechRequest::descriptor()->file(),
      v1::SynthesizeSpeechRequest::descriptor()->file(),
      v1::GenerateAudioRequest::descriptor()->file(),
      v1::GetJobRequest::descriptor()->file(),
      v1::GetUsageRequest::descriptor()->file(),
  };
  (void)linked;
  std::set<std::string> paths;
  int files = 0;
  for (const auto& entry : fs::directory_iterator("proto/mediagen/v1")) {
    if (entry.path().extension() != ".proto") continue;
    ++files;
    const std::string name = "mediagen/v1/" + entry.path().filename().string();
    const google::protobuf::FileDescriptor* file =
        google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
            name);
    if (file == nullptr) {
      ADD_FAILURE() << name << " is not linked into //deploy:manifests_test: "
                    << "add its cc_proto and name one of its messages in "
                       "ApiPaths()";
      continue;
    }
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        paths.insert(absl::StrCat("/", service->full_name(), "/",
                                  service->method(m)->name()));
      }
    }
  }
  EXPECT_GE(files, 8);
  return paths;
}

TEST_F(ManifestsTest, AuthorizationPolicyAdmitsExactlyTheApisRpcs) {
  std::vector<YAML::Node> mesh = Render("istio");
  ASSERT_FALSE(mesh.empty());
  YAML::Node authz = Find(mesh, "AuthorizationPolicy", "mediagen");
  ASSERT_EQ(authz["spec"]["action"].as<std::string>("ALLOW"), "ALLOW");
  const std::string grpc_port = absl::StrCat(ports_["grpc"]);
  std::set<std::string> api, other;
  for (const auto& rule : authz["spec"]["rules"]) {
    // A rule without `to`, or an operation without ports or paths, would
    // admit every path: each must say exactly what it admits.
    ASSERT_TRUE(rule["to"] && rule["to"].size() > 0)
        << "a rule admits anything";
    for (const auto& to : rule["to"]) {
      const YAML::Node op = to["operation"];
      ASSERT_TRUE(op["ports"] && op["paths"])
          << "an operation without ports or paths";
      EXPECT_FALSE(op["notPaths"] || op["notPorts"] || op["notMethods"]);
      bool on_grpc = false;
      for (const auto& port : op["ports"])
        on_grpc |= port.as<std::string>() == grpc_port;
      if (!on_grpc) continue;
      EXPECT_EQ(op["ports"].size(), 1u) << "the gRPC rule shares its ports";
      for (const auto& p : op["paths"]) {
        const std::string path = p.as<std::string>();
        EXPECT_FALSE(absl::StrContains(path, "*"))
            << path << ": list exact methods, never a prefix or suffix";
        (absl::StartsWith(path, "/mediagen.v1.") ? api : other).insert(path);
      }
      EXPECT_TRUE(op["methods"] && op["methods"].size() == 1 &&
                  op["methods"][0].as<std::string>() == "POST")
          << "gRPC calls are POSTs";
    }
  }
  const std::set<std::string> want = ApiPaths();
  ASSERT_FALSE(want.empty());
  for (const std::string& path : want) {
    EXPECT_TRUE(api.count(path)) << path << " is an RPC the policy refuses";
  }
  for (const std::string& path : api) {
    EXPECT_TRUE(want.count(path)) << path << " is admitted but is no RPC";
  }
  // Besides the API: gRPC health (client-side health checking) and
  // reflection (the version gRPC 1.51 serves), nothing else.
  const std::set<std::string> allowed_other = {
      "/grpc.health.v1.Health/Check",
      "/grpc.health.v1.Health/Watch",
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
  };
  for (const std::string& path : other) {
    EXPECT_TRUE(allowed_other.count(path)) << path << " is admitted";
  }
}

// gRPC 1.51 (Debian 12) does not bound HTTP/2 rapid reset (CVE-2023-44487):
// 20,000 streams opened and reset on one plaintext connection took the
// server from 26 MB to ~450 MB, 60,000 to ~1.5 GB, and no server option of
// 1.51 changes that (tests/soak/rapid_reset_run). So in the mesh nothing
// may reach the process but through its sidecar, whose Envoy bounds it:
// the pod is injected, every inbound port is captured, only mutual TLS is
// admitted, and the NetworkPolicies admit named namespaces only. The
// server listens on 0.0.0.0 (the sidecar forwards to the pod IP since
// Istio 1.10): the capture, not the bind address, keeps others out.
TEST_F(ManifestsTest, NothingReachesTheServerButThroughTheSidecar) {
  std::vector<YAML::Node> mesh = Render("istio");
  ASSERT_FALSE(mesh.empty());
  const YAML::Node deployment = Find(mesh, "Deployment", "mediagen");
  const YAML::Node pod = deployment["spec"]["template"];
  const std::map<std::string, std::string> pod_labels =
      Labels(pod["metadata"]["labels"]);
  const std::map<std::string, std::string> annotations =
      Labels(pod["metadata"]["annotations"]);
  const std::string grpc_port = absl::StrCat(ports_["grpc"]);
  const std::string admin_port = absl::StrCat(ports_["http-admin"]);

  // Injected whatever the namespace's label says.
  auto label = pod_labels.find("sidecar.istio.io/inject");
  ASSERT_TRUE(label != pod_labels.end()) << "the pod must ask for a sidecar";
  EXPECT_EQ(label->second, "true");
  auto inject = annotations.find("sidecar.istio.io/inject");
  EXPECT_TRUE(inject == annotations.end() || inject->second == "true");
  // Every inbound port captured.
  auto mode = annotations.find("sidecar.istio.io/interceptionMode");
  EXPECT_TRUE(mode == annotations.end() || mode->second != "NONE");
  auto include =
      annotations.find("traffic.sidecar.istio.io/includeInboundPorts");
  ASSERT_TRUE(include != annotations.end());
  EXPECT_EQ(include->second, "*");
  for (const char* key : {"traffic.sidecar.istio.io/excludeInboundPorts",
                          "traffic.sidecar.istio.io/excludeInterfaces"}) {
    EXPECT_EQ(annotations.count(key), 0u) << key << " lets traffic bypass "
                                          << "the sidecar";
  }
  // Neither the host's network nor host ports, which bypass the capture.
  EXPECT_FALSE(pod["spec"]["hostNetwork"].as<bool>(false));
  for (const auto& container : pod["spec"]["containers"]) {
    for (const auto& port : container["ports"]) {
      EXPECT_FALSE(port["hostPort"]) << "a hostPort bypasses the sidecar";
    }
  }
  // Beyond loopback (the sidecar forwards to the pod IP).
  EXPECT_FALSE(server::IsLoopbackAddress(options_.listen_address));

  // Mutual TLS only, on every port.
  int strict = 0;
  for (const YAML::Node& d : mesh) {
    if (d["kind"].as<std::string>() != "PeerAuthentication") continue;
    const YAML::Node selector = d["spec"]["selector"]["matchLabels"];
    if (selector && !Selects(selector, pod_labels)) continue;
    EXPECT_EQ(d["spec"]["mtls"]["mode"].as<std::string>(""), "STRICT");
    for (const auto& port : d["spec"]["portLevelMtls"]) {
      EXPECT_EQ(port.second["mode"].as<std::string>(""), "STRICT")
          << "port " << port.first.as<std::string>() << " admits plaintext";
    }
    ++strict;
  }
  EXPECT_GE(strict, 1) << "no PeerAuthentication selects the pods";

  // The NetworkPolicies admit named namespaces on named ports only.
  int policies = 0;
  bool grpc_admitted = false;
  for (const YAML::Node& d : mesh) {
    if (d["kind"].as<std::string>() != "NetworkPolicy") continue;
    if (!Selects(d["spec"]["podSelector"]["matchLabels"], pod_labels)) continue;
    ++policies;
    bool ingress = false;
    for (const auto& t : d["spec"]["policyTypes"]) {
      ingress |= t.as<std::string>() == "Ingress";
    }
    EXPECT_TRUE(ingress) << d["metadata"]["name"].as<std::string>();
    for (const auto& rule : d["spec"]["ingress"]) {
      ASSERT_TRUE(rule["ports"] && rule["ports"].size() > 0)
          << "an ingress rule admits every port";
      ASSERT_TRUE(rule["from"] && rule["from"].size() > 0)
          << "an ingress rule admits every source";
      for (const auto& peer : rule["from"]) {
        EXPECT_FALSE(peer["ipBlock"]) << "admits addresses, not namespaces";
        EXPECT_TRUE(peer["namespaceSelector"] &&
                    peer["namespaceSelector"]["matchLabels"] &&
                    peer["namespaceSelector"]["matchLabels"].size() > 0)
            << "every source is a named namespace";
      }
      for (const auto& port : rule["ports"]) {
        const std::string p = port["port"].as<std::string>();
        grpc_admitted |= p == grpc_port || p == "grpc";
        EXPECT_TRUE(p == grpc_port || p == admin_port || p == "15020")
            << "port " << p << " is admitted";
      }
    }
  }
  EXPECT_GE(policies, 2);
  EXPECT_TRUE(grpc_admitted) << "clients must reach the gRPC port";
}

}  // namespace
}  // namespace mediagen::deploy
