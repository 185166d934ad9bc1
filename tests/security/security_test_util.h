// What the security tests share (test-only): the two tenants' distinctive
// tokens, keys and webhook secret (none may ever leave the server), a
// finder for any of them in a text, and the SecurityTest fixture (the real
// server with both tenants against the strict emulator).
#ifndef MEDIAGEN_TESTS_SECURITY_SECURITY_TEST_UTIL_H_
#define MEDIAGEN_TESTS_SECURITY_SECURITY_TEST_UTIL_H_

#include <signal.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "mediagen/v1/audio.grpc.pb.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/stable_audio.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/common/sha256.h"
#include "tests/testing_util/api_methods.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"
#include "tests/testing_util/url_fields.h"
#include "tests/testing_util/watch_client.h"

namespace mediagen::testing::security {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using grpc::StatusCode;

// Every secret of the configuration; none may ever leave the server.
inline constexpr char kAcmeToken[] = "tok-acme-7Hc9QvX2mN4pL8rT";
inline constexpr char kGlobexToken[] = "tok-globex-3Fz6WbY1kJ5sD0eU";
inline constexpr char kAcmeVim[] = "vk-acme-Zq8Lw3Xe5Rt2Yu7I";
inline constexpr char kGlobexVim[] = "vk-globex-Pa4Sd6Fg8Hj1Kl3M";
inline constexpr char kAcmeEl[] = "ek-acme-Nb2Vc4Xz6Lk8Jh0G";
inline constexpr char kGlobexEl[] = "ek-globex-Wq3Er5Ty7Ui9Op1A";
inline constexpr char kAcmeAiml[] = "ak-acme-Sd2Fg4Hj6Kl8Zx0C";
inline constexpr char kGlobexAiml[] = "ak-globex-Vb1Nm3Qw5Er7Ty9U";
inline constexpr char kWebhookSecret[] = "whs-Ty5Ui7Op9As1Df3GhJ2";

inline std::string WebhookToken(const std::string& tenant) {
  return HmacSha256Hex(kWebhookSecret, "mediagen-webhook:" + tenant);
}

inline std::vector<std::string> Secrets() {
  return {kAcmeToken,
          kGlobexToken,
          kAcmeVim,
          kGlobexVim,
          kAcmeEl,
          kGlobexEl,
          kAcmeAiml,
          kGlobexAiml,
          kWebhookSecret,
          WebhookToken("acme"),
          WebhookToken("globex")};
}

// Where `text` holds a secret (as it is or base64-encoded); "" if nowhere.
inline std::string FindSecret(absl::string_view text) {
  for (const std::string& s : Secrets()) {
    for (const std::string& form : {s, absl::Base64Escape(s)}) {
      if (absl::StrContains(text, form)) return s;
    }
  }
  return "";
}

inline std::unique_ptr<grpc::ClientContext> Ctx(
    const std::string& token, absl::Duration timeout = absl::Seconds(15)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

class SecurityTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra_server_flags = {},
             std::vector<std::string> extra_emulator_flags = {}) {
    std::vector<std::string> emu_flags = {
        "--time_scale=0.01",
        absl::StrCat("--vimmerse_key=", kAcmeVim, ":1000000:acme-vim"),
        absl::StrCat("--vimmerse_key=", kGlobexVim, ":1000000:globex-vim"),
        absl::StrCat("--elevenlabs_key=", kAcmeEl, ":acme-el:10"),
        absl::StrCat("--elevenlabs_key=", kGlobexEl, ":globex-el:10"),
        absl::StrCat("--aimlapi_key=", kAcmeAiml, ":100000000:acme-aiml"),
        absl::StrCat("--aimlapi_key=", kGlobexAiml, ":100000000:globex-aiml"),
    };
    emu_flags.insert(emu_flags.end(), extra_emulator_flags.begin(),
                     extra_emulator_flags.end());
    auto emu = EmulatorProcess::Start(emu_flags);
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);

    ServerConfig config;
    config.emulator_port = emu_->port();
    config.dev = false;
    config.webhooks = true;
    auto tenant = [](const char* name, const char* token) {
      const std::string up = absl::AsciiStrToUpper(name);
      return json{{"name", name},
                  {"token_sha256", Sha256Hex(token)},
                  {"keys",
                   {{"vimmerse", {{"env", up + "_VIM"}}},
                    {"elevenlabs", {{"env", up + "_EL"}}},
                    {"aimlapi", {{"env", up + "_AIML"}}}}}};
    };
    config.config_json =
        json{{"webhook_secret", {{"env", "HOOK_SECRET"}}},
             {"tenants",
              {tenant("acme", kAcmeToken), tenant("globex", kGlobexToken)}}}
            .dump();
    config.env = {{"ACME_VIM", kAcmeVim},         {"GLOBEX_VIM", kGlobexVim},
                  {"ACME_EL", kAcmeEl},           {"GLOBEX_EL", kGlobexEl},
                  {"ACME_AIML", kAcmeAiml},       {"GLOBEX_AIML", kGlobexAiml},
                  {"HOOK_SECRET", kWebhookSecret}};
    config.flags = std::move(extra_server_flags);
    auto server = ServerProcess::Start(config);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  void TearDown() override {
    if (server_ && HasFailure()) {
      std::cerr << "--- server stderr ---\n"
                << server_->process().stderr_text();
    }
  }

  int CountRequests(const std::string& method, const std::string& prefix) {
    return static_cast<int>(emu_->Requests(method, prefix).size());
  }

  // One call of `method` ("/mediagen.v1.X/Y") with `request` bytes, on
  // the wire as every kind of RPC is (one message out, all messages in).
  grpc::Status RawCall(const std::string& method, const std::string& request,
                       const std::multimap<std::string, std::string>& metadata,
                       std::vector<std::string>* responses = nullptr) {
    grpc::GenericStub stub(server_->channel());
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(15));
    for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
    auto call = stub.PrepareCall(&ctx, method, &cq);
    void* tag;
    bool ok;
    auto step = [&](intptr_t want) {
      EXPECT_TRUE(cq.Next(&tag, &ok));
      EXPECT_EQ(reinterpret_cast<intptr_t>(tag), want);
      return ok;
    };
    call->StartCall(reinterpret_cast<void*>(1));
    step(1);
    grpc::Slice slice(request);
    grpc::ByteBuffer out(&slice, 1);
    call->Write(out, reinterpret_cast<void*>(2));
    step(2);
    call->WritesDone(reinterpret_cast<void*>(3));
    step(3);
    while (true) {
      grpc::ByteBuffer in;
      call->Read(&in, reinterpret_cast<void*>(4));
      if (!step(4)) break;
      if (responses != nullptr) {
        std::vector<grpc::Slice> slices;
        (void)in.Dump(&slices);
        std::string bytes;
        for (const auto& s : slices) {
          bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
        responses->push_back(std::move(bytes));
      }
    }
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(5));
    step(5);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  }

  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
};

// A test of one RPC: GetParam() is its method.
class SecurityRpcTest : public SecurityTest,
                        public ::testing::WithParamInterface<
                            const google::protobuf::MethodDescriptor*> {};

}  // namespace mediagen::testing::security

#endif  // MEDIAGEN_TESTS_SECURITY_SECURITY_TEST_UTIL_H_
