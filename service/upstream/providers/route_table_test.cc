// The route table against what it must agree with: every RPC of the API
// that makes one upstream call has exactly one row, with the RPC's own
// request and response types; each row's route is the one the README's RPC
// table (and so the .proto comment, //proto/mediagen/v1:api_test) names;
// and the rows that may be repeated are exactly the reads the published
// service config lets clients retry.
#include "service/upstream/providers/route_table.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "mediagen/v1/jobs.pb.h"
#include "nlohmann/json.hpp"

namespace mediagen::upstream {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What the tests below need of a row, whatever its kind.
struct RowFacts {
  std::string rpc;
  Route route;
  std::string request_type;   // full proto name
  std::string response_type;  // "" for streamed audio
  std::string file_field;     // uploads only
};

template <typename Req, typename Resp>
RowFacts Facts(const UnaryRoute<Req, Resp>& row) {
  return {std::string(row.rpc), row.route.ToRoute(),
          Req::descriptor()->full_name(), Resp::descriptor()->full_name(), ""};
}
template <typename Meta, typename Resp>
RowFacts Facts(const UploadRoute<Meta, Resp>& row) {
  return {std::string(row.rpc), row.route.ToRoute(),
          Meta::descriptor()->full_name(), Resp::descriptor()->full_name(),
          std::string(row.file_field)};
}
template <typename Req>
RowFacts Facts(const AudioRoute<Req>& row) {
  return {std::string(row.rpc), row.route.ToRoute(),
          Req::descriptor()->full_name(), "", ""};
}

std::vector<RowFacts> Rows() {
  std::vector<RowFacts> rows;
  ForEachRoute([&rows](const auto& row) { rows.push_back(Facts(row)); });
  return rows;
}

// Every method of every service of the API, by full RPC name.
std::map<std::string, const google::protobuf::MethodDescriptor*> ApiMethods() {
  const google::protobuf::FileDescriptor* files[] = {
      v1::CreateMediaRequest::descriptor()->file(),
      v1::ReframeVideoRequest::descriptor()->file(),
      v1::TextToSpeechRequest::descriptor()->file(),
      v1::SynthesizeSpeechRequest::descriptor()->file(),
      v1::GenerateAudioRequest::descriptor()->file(),
      v1::GetJobRequest::descriptor()->file(),
  };
  std::map<std::string, const google::protobuf::MethodDescriptor*> methods;
  for (const auto* file : files) {
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        methods[service->full_name() + "/" + service->method(m)->name()] =
            service->method(m);
      }
    }
  }
  return methods;
}

TEST(RouteTableTest, EveryRpcWithAnUpstreamCallHasExactlyOneRow) {
  std::set<std::string> in_table;
  for (const RowFacts& row : Rows()) {
    EXPECT_TRUE(in_table.insert(row.rpc).second) << row.rpc << " twice";
  }
  for (const auto& [rpc, method] : ApiMethods()) {
    // JobService reads through the GetMedia / GetGeneration rows.
    if (method->service()->name() == "JobService") {
      EXPECT_FALSE(in_table.count(rpc)) << rpc;
      continue;
    }
    EXPECT_TRUE(in_table.count(rpc)) << rpc << " has no row in the table";
  }
  const auto api = ApiMethods();
  for (const std::string& rpc : in_table) {
    EXPECT_TRUE(api.count(rpc)) << rpc << " in the table is not an RPC";
  }
}

TEST(RouteTableTest, EachRowHasItsRpcsOwnMessages) {
  const auto api = ApiMethods();
  for (const RowFacts& row : Rows()) {
    auto it = api.find(row.rpc);
    ASSERT_NE(it, api.end()) << row.rpc;
    const google::protobuf::MethodDescriptor* method = it->second;
    if (method->client_streaming()) {
      // An upload: the stream's first message holds the metadata.
      const auto* metadata = method->input_type()->FindFieldByName("metadata");
      ASSERT_NE(metadata, nullptr) << row.rpc;
      EXPECT_EQ(metadata->message_type()->full_name(), row.request_type)
          << row.rpc;
      EXPECT_FALSE(row.file_field.empty()) << row.rpc;
    } else {
      EXPECT_EQ(method->input_type()->full_name(), row.request_type) << row.rpc;
    }
    if (method->server_streaming()) {
      EXPECT_EQ(row.response_type, "") << row.rpc << " streams its answer";
    } else {
      EXPECT_EQ(method->output_type()->full_name(), row.response_type)
          << row.rpc;
    }
  }
}

// "mediagen.v1.VideoService/ReframeVideo" -> the text of the second cell of
// its row in the README's RPC table ("| `RPC` | `POST /...` | Provider |").
std::map<std::string, std::string> ReadmeRows() {
  constexpr absl::string_view kRowStart = "| `mediagen.v1.";
  std::map<std::string, std::string> rows;
  std::istringstream lines(ReadFile("README.md"));
  std::string line;
  while (std::getline(lines, line)) {
    if (!absl::StartsWith(line, kRowStart)) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    // "", " `RPC` ", " routes ", " provider ", ""
    if (cells.size() < 4) continue;
    const std::string rpc(absl::StripAsciiWhitespace(cells[1]));
    rows[rpc.substr(1, rpc.size() - 2)] = cells[2];
  }
  return rows;
}

TEST(RouteTableTest, EachRouteIsTheOneTheReadmeNames) {
  const auto readme = ReadmeRows();
  for (const RowFacts& row : Rows()) {
    auto it = readme.find(row.rpc);
    ASSERT_NE(it, readme.end()) << row.rpc << " is missing from README.md";
    const std::string label = "`" + row.route.Label() + "`";
    EXPECT_NE(it->second.find(label), std::string::npos)
        << row.rpc << ": the table says " << label
        << ", the README: " << it->second;
    if (!row.file_field.empty()) {
      EXPECT_NE(it->second.find("`" + row.file_field + "`"), std::string::npos)
          << row.rpc << ": multipart field " << row.file_field;
    }
  }
}

TEST(RouteTableTest, RepeatableRowsAreTheReadsClientsMayRetry) {
  const nlohmann::json config = nlohmann::json::parse(
      ReadFile("proto/mediagen/v1/mediagen_grpc_service_config.json"));
  std::set<std::string> retried;
  for (const auto& mc : config["methodConfig"]) {
    if (!mc.contains("retryPolicy")) continue;
    for (const auto& n : mc["name"]) {
      retried.insert(n["service"].get<std::string>() + "/" +
                     n["method"].get<std::string>());
    }
  }
  for (const RowFacts& row : Rows()) {
    const bool repeatable = row.route.idempotency == Idempotency::kIdempotent;
    EXPECT_EQ(repeatable, retried.count(row.rpc) > 0)
        << row.rpc
        << (repeatable ? " is a read the service config omits"
                       : " may spend credits but clients retry it");
  }
}

TEST(RouteTableTest, BuildRequestUsesTheRowsRoute) {
  v1::ReframeVideoRequest r;
  r.set_video_url("https://cdn.example/v.mp4");
  absl::StatusOr<UpstreamRequest> up = BuildRequest(Endpoints{}, "k", r);
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->route.Label(), "POST /v2/video/reframe");
  EXPECT_EQ(up->route.idempotency, Idempotency::kNonIdempotent);
  EXPECT_EQ(up->http.url, "https://api.vimmerse.net/v2/video/reframe");
  EXPECT_EQ(RouteFor<v1::ReframeVideoRequest>().rpc,
            "mediagen.v1.VideoService/ReframeVideo");
  static_assert(std::is_same_v<ResponseOf<v1::UploadAudioMetadata>,
                               v1::UploadAudioResponse>);
}

}  // namespace
}  // namespace mediagen::upstream
