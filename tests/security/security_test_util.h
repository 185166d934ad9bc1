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
#include "tests/security/raw_call.h"
#include "tests/security/two_tenants.h"
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

// Every secret of the configuration (TwoTenants'); none may ever leave
// the server.
inline constexpr const auto& kAcmeToken = TwoTenants::kAcmeToken;
inline constexpr const auto& kGlobexToken = TwoTenants::kGlobexToken;
inline constexpr const auto& kAcmeVim = TwoTenants::kAcmeVim;
inline constexpr const auto& kGlobexVim = TwoTenants::kGlobexVim;
inline constexpr const auto& kAcmeEl = TwoTenants::kAcmeEl;
inline constexpr const auto& kGlobexEl = TwoTenants::kGlobexEl;
inline constexpr const auto& kAcmeAiml = TwoTenants::kAcmeAiml;
inline constexpr const auto& kGlobexAiml = TwoTenants::kGlobexAiml;
inline constexpr const auto& kWebhookSecret = TwoTenants::kWebhookSecret;

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
  return TwoTenants::Ctx(token, timeout);
}

class SecurityTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra_server_flags = {},
             std::vector<std::string> extra_emulator_flags = {}) {
    ASSERT_THAT(tenants_.Start(std::move(extra_server_flags), {},
                               std::move(extra_emulator_flags)),
                IsOk());
    emu_ = &tenants_.emulator();
    server_ = &tenants_.server();
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

  grpc::Status RawCall(const std::string& method, const std::string& request,
                       const std::multimap<std::string, std::string>& metadata,
                       std::vector<std::string>* responses = nullptr) {
    return testing::RawCall(server_->channel(), method, request, metadata,
                            responses);
  }

  TwoTenants tenants_;
  // Owned by tenants_; null until Start.
  EmulatorProcess* emu_ = nullptr;
  ServerProcess* server_ = nullptr;
};

// A test of one RPC: GetParam() is its method.
class SecurityRpcTest : public SecurityTest,
                        public ::testing::WithParamInterface<
                            const google::protobuf::MethodDescriptor*> {};

}  // namespace mediagen::testing::security

#endif  // MEDIAGEN_TESTS_SECURITY_SECURITY_TEST_UTIL_H_
