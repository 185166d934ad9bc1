// Which easy-handle options a request produces, read from EasyConfigFor
// without a socket, and one application to a real (never performed)
// handle.
#include "service/http/curl_handle_config.h"

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/http/curl_transfer.h"
#include "service/http/curl_transport_options.h"
#include "service/http/transport.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::http::internal {
namespace {

using ::mediagen::testing::IsOk;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

// A streamed body of a known or unknown size that is never read here.
class SizedSource : public BodySource {
 public:
  explicit SizedSource(std::optional<int64_t> size) : size_(size) {}
  void SetResumeCallback(std::function<void()>) override {}
  ReadResult Read(char*, size_t, size_t*) override { return ReadResult::kEnd; }
  absl::Status error() const override { return absl::OkStatus(); }
  std::optional<int64_t> size() const override { return size_; }

 private:
  std::optional<int64_t> size_;
};

class EasyConfigTest : public ::testing::Test {
 protected:
  EasyConfigTest() {
    t_.request.method = "GET";
    t_.request.url = "http://upstream.test/v1/x";
    t_.redacted_url = t_.request.url;
  }

  EasyConfig Config(absl::Duration remaining = absl::Seconds(30)) {
    return EasyConfigFor(t_, options_, remaining);
  }
  EasyConfig ConfigFor(const std::string& method) {
    t_.request.method = method;
    return Config();
  }

  // The options in the order they are set, names only.
  static std::vector<CURLoption> Names(const EasyConfig& config) {
    std::vector<CURLoption> names;
    for (const EasyOption& o : config.options) names.push_back(o.option);
    return names;
  }
  // The value `option` is last set to, if it is set (and of type T).
  template <typename T>
  static std::optional<T> Value(const EasyConfig& config, CURLoption option) {
    std::optional<T> value;
    for (const EasyOption& o : config.options) {
      if (o.option != option) continue;
      const T* v = std::get_if<T>(&o.value);
      value = v == nullptr ? std::nullopt : std::optional<T>(*v);
    }
    return value;
  }
  static std::optional<long> Long(const EasyConfig& c, CURLoption option) {
    return Value<long>(c, option);
  }
  static std::optional<curl_off_t> Large(const EasyConfig& c,
                                         CURLoption option) {
    std::optional<LargeValue> v = Value<LargeValue>(c, option);
    return v.has_value() ? std::optional<curl_off_t>(v->value) : std::nullopt;
  }
  static std::optional<std::string> String(const EasyConfig& c,
                                           CURLoption option) {
    std::optional<const char*> v = Value<const char*>(c, option);
    return v.has_value() ? std::optional<std::string>(*v) : std::nullopt;
  }

  Transfer t_;
  CurlTransportOptions options_;
};

TEST_F(EasyConfigTest, EveryRequestGetsTheFixedPolicy) {
  EasyConfig c = Config();
  EXPECT_EQ(Value<void*>(c, CURLOPT_PRIVATE), &t_);
  EXPECT_EQ(String(c, CURLOPT_URL), "http://upstream.test/v1/x");
  EXPECT_EQ(String(c, CURLOPT_PROTOCOLS_STR), "http,https");
  EXPECT_EQ(Long(c, CURLOPT_NOSIGNAL), 1L);
  EXPECT_EQ(Value<void*>(c, CURLOPT_ERRORBUFFER), t_.errbuf);
  EXPECT_EQ(Long(c, CURLOPT_FOLLOWLOCATION), 0L);  // a 3xx is the response
  EXPECT_EQ(Long(c, CURLOPT_SUPPRESS_CONNECT_HEADERS), 1L);
  EXPECT_EQ(String(c, CURLOPT_USERAGENT), "mediagen/0.1");
  EXPECT_THAT(Names(c), Not(Contains(CURLOPT_CAINFO)));
  // The response goes to the Transfer's callbacks.
  EXPECT_EQ(Value<curl_write_callback>(c, CURLOPT_HEADERFUNCTION), &OnHeader);
  EXPECT_EQ(Value<void*>(c, CURLOPT_HEADERDATA), &t_);
  EXPECT_EQ(Value<curl_write_callback>(c, CURLOPT_WRITEFUNCTION), &OnWrite);
  EXPECT_EQ(Value<void*>(c, CURLOPT_WRITEDATA), &t_);
}

// The protection against libcurl 7.88's silent resend on a reused
// connection (curl_handle_config.h): only idempotent methods reuse one.
TEST_F(EasyConfigTest, NonIdempotentMethodsGetAFreshConnection) {
  for (const char* method : {"POST", "PATCH", "PURGE"}) {
    EXPECT_EQ(Long(ConfigFor(method), CURLOPT_FRESH_CONNECT), 1L) << method;
  }
  for (const char* method :
       {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}) {
    EXPECT_THAT(Names(ConfigFor(method)), Not(Contains(CURLOPT_FRESH_CONNECT)))
        << method;
  }
  // A body does not change it: a PUT with one still reuses connections.
  t_.request.body = "x";
  EXPECT_THAT(Names(ConfigFor("PUT")), Not(Contains(CURLOPT_FRESH_CONNECT)));
}

TEST_F(EasyConfigTest, TimeoutsComeFromTheDeadlineAndTheOptions) {
  options_.connect_timeout = absl::Seconds(2);
  EasyConfig c = Config(absl::Milliseconds(1500) + absl::Microseconds(1));
  EXPECT_EQ(Long(c, CURLOPT_TIMEOUT_MS), 1501L);  // rounded up
  EXPECT_EQ(Long(c, CURLOPT_CONNECTTIMEOUT_MS), 2000L);

  // Never 0, which would mean "no timeout" to libcurl.
  options_.connect_timeout = absl::ZeroDuration();
  c = Config(absl::Microseconds(1));
  EXPECT_EQ(Long(c, CURLOPT_TIMEOUT_MS), 1L);
  EXPECT_EQ(Long(c, CURLOPT_CONNECTTIMEOUT_MS), 1L);
}

TEST_F(EasyConfigTest, KeepAliveProbesFollowTheOptions) {
  options_.tcp_keepalive_idle = absl::Seconds(45);
  EasyConfig c = Config();
  EXPECT_EQ(Long(c, CURLOPT_TCP_KEEPALIVE), 1L);
  EXPECT_EQ(Long(c, CURLOPT_TCP_KEEPIDLE), 45L);
  EXPECT_EQ(Long(c, CURLOPT_TCP_KEEPINTVL), 45L);

  options_.tcp_keepalive_idle = absl::Milliseconds(10);
  EXPECT_EQ(Long(Config(), CURLOPT_TCP_KEEPIDLE), 1L);

  options_.tcp_keepalive = false;
  std::vector<CURLoption> names = Names(Config());
  EXPECT_THAT(names, Not(Contains(CURLOPT_TCP_KEEPALIVE)));
  EXPECT_THAT(names, Not(Contains(CURLOPT_TCP_KEEPIDLE)));
}

TEST_F(EasyConfigTest, Http2OverTlsWaitsForTheFirstConnection) {
  t_.request.url = "https://upstream.test/v1/x";
  EasyConfig c = Config();
  EXPECT_EQ(Long(c, CURLOPT_HTTP_VERSION), long{CURL_HTTP_VERSION_2TLS});
  EXPECT_EQ(Long(c, CURLOPT_PIPEWAIT), 1L);

  // Cleartext is never HTTP/2 here: no waiting.
  t_.request.url = "http://upstream.test/v1/x";
  c = Config();
  EXPECT_EQ(Long(c, CURLOPT_HTTP_VERSION), long{CURL_HTTP_VERSION_2TLS});
  EXPECT_THAT(Names(c), Not(Contains(CURLOPT_PIPEWAIT)));

  options_.http2 = false;
  t_.request.url = "https://upstream.test/v1/x";
  c = Config();
  EXPECT_EQ(Long(c, CURLOPT_HTTP_VERSION), long{CURL_HTTP_VERSION_1_1});
  EXPECT_THAT(Names(c), Not(Contains(CURLOPT_PIPEWAIT)));
}

TEST_F(EasyConfigTest, UserAgentAndCaFileFromTheOptions) {
  options_.user_agent = "test-agent/2";
  options_.ca_file = "/etc/ssl/test.pem";
  EasyConfig c = Config();
  EXPECT_EQ(String(c, CURLOPT_USERAGENT), "test-agent/2");
  EXPECT_EQ(String(c, CURLOPT_CAINFO), "/etc/ssl/test.pem");
}

TEST_F(EasyConfigTest, MethodsWithoutABody) {
  EasyConfig get = ConfigFor("GET");
  EXPECT_EQ(Long(get, CURLOPT_HTTPGET), 1L);
  EXPECT_THAT(Names(get), Not(Contains(CURLOPT_CUSTOMREQUEST)));
  EXPECT_THAT(Names(get), Not(Contains(CURLOPT_POST)));

  EasyConfig del = ConfigFor("DELETE");
  EXPECT_EQ(Long(del, CURLOPT_HTTPGET), 1L);
  EXPECT_EQ(String(del, CURLOPT_CUSTOMREQUEST), "DELETE");

  EasyConfig head = ConfigFor("HEAD");
  EXPECT_EQ(Long(head, CURLOPT_NOBODY), 1L);
  EXPECT_THAT(Names(head), Not(Contains(CURLOPT_HTTPGET)));
  EXPECT_THAT(Names(head), Not(Contains(CURLOPT_CUSTOMREQUEST)));
}

TEST_F(EasyConfigTest, BodyMethodsSendABodyEvenWhenEmpty) {
  EasyConfig post = ConfigFor("POST");
  EXPECT_EQ(Long(post, CURLOPT_POST), 1L);
  EXPECT_EQ(Large(post, CURLOPT_POSTFIELDSIZE_LARGE), 0);
  EXPECT_THAT(Names(post), Not(Contains(CURLOPT_CUSTOMREQUEST)));

  for (const char* method : {"PUT", "PATCH"}) {
    EasyConfig c = ConfigFor(method);
    EXPECT_EQ(Long(c, CURLOPT_POST), 1L) << method;
    EXPECT_EQ(Large(c, CURLOPT_POSTFIELDSIZE_LARGE), 0) << method;
    EXPECT_EQ(String(c, CURLOPT_CUSTOMREQUEST), method);
  }
}

TEST_F(EasyConfigTest, ABufferedBodyIsSentFromTheTransferWithoutACopy) {
  t_.request.body = R"({"prompt":"a cat"})";
  EasyConfig c = ConfigFor("POST");
  EXPECT_EQ(Long(c, CURLOPT_POST), 1L);
  EXPECT_EQ(Large(c, CURLOPT_POSTFIELDSIZE_LARGE), 18);
  EXPECT_EQ(Value<const char*>(c, CURLOPT_POSTFIELDS), t_.request.body.data());
  EXPECT_THAT(Names(c), Not(Contains(CURLOPT_READFUNCTION)));

  // A body makes any method send it (libcurl's POST machinery, the
  // method's own name).
  c = ConfigFor("DELETE");
  EXPECT_EQ(Long(c, CURLOPT_POST), 1L);
  EXPECT_EQ(String(c, CURLOPT_CUSTOMREQUEST), "DELETE");
}

TEST_F(EasyConfigTest, AStreamedBodyIsReadByTheTransfer) {
  t_.request.body = "ignored when a source is set";
  t_.request.body_source = std::make_shared<SizedSource>(1 << 20);
  EasyConfig c = ConfigFor("POST");
  EXPECT_EQ(Long(c, CURLOPT_POST), 1L);
  EXPECT_EQ(Large(c, CURLOPT_POSTFIELDSIZE_LARGE), 1 << 20);
  EXPECT_EQ(Value<curl_write_callback>(c, CURLOPT_READFUNCTION), &OnRead);
  EXPECT_EQ(Value<void*>(c, CURLOPT_READDATA), &t_);
  EXPECT_THAT(Names(c), Not(Contains(CURLOPT_POSTFIELDS)));

  // Size unknown: -1, so HTTP/1.1 sends it chunked.
  t_.request.body_source = std::make_shared<SizedSource>(std::nullopt);
  EXPECT_EQ(Large(ConfigFor("POST"), CURLOPT_POSTFIELDSIZE_LARGE), -1);
}

TEST_F(EasyConfigTest, HeaderLinesTurnOffLibcurlsAdditions) {
  t_.request.headers = {{"xi-api-key", "k"}, {"X-Empty", ""}};
  // "X-Empty;" sends the header with an empty value ("X-Empty:" would
  // delete it); "Expect:" stops libcurl's 100-continue.
  EXPECT_THAT(ConfigFor("GET").header_lines,
              ElementsAre("xi-api-key: k", "X-Empty;", "Expect:"));
  // A body without a type is not labelled form-urlencoded.
  EXPECT_THAT(
      ConfigFor("POST").header_lines,
      ElementsAre("xi-api-key: k", "X-Empty;", "Expect:", "Content-Type:"));
}

TEST_F(EasyConfigTest, TheCallersExpectAndContentTypeAreKept) {
  EXPECT_THAT(
      HeaderLines(
          {{"expect", "100-continue"}, {"content-TYPE", "application/json"}},
          /*sends_body=*/true),
      ElementsAre("expect: 100-continue", "content-TYPE: application/json"));
  EXPECT_THAT(HeaderLines({}, /*sends_body=*/false), ElementsAre("Expect:"));
}

class ConfigureEasyTest : public EasyConfigTest {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  static void TearDownTestSuite() { curl_global_cleanup(); }
};

TEST_F(ConfigureEasyTest, AppliesTheOptionsAndTheHeaderListToTheHandle) {
  t_.easy = curl_easy_init();
  ASSERT_NE(t_.easy, nullptr);
  t_.request.method = "POST";
  t_.request.headers = {{"Content-Type", "application/json"}};
  t_.request.body = "{}";
  EXPECT_THAT(ConfigureEasy(&t_, options_, absl::Seconds(5)), IsOk());

  char* priv = nullptr;
  curl_easy_getinfo(t_.easy, CURLINFO_PRIVATE, &priv);
  EXPECT_EQ(reinterpret_cast<Transfer*>(priv), &t_);
  std::vector<std::string> lines;
  for (curl_slist* l = t_.header_list; l != nullptr; l = l->next) {
    lines.push_back(l->data);
  }
  EXPECT_THAT(lines, ElementsAre("Content-Type: application/json", "Expect:"));
  curl_easy_cleanup(t_.easy);
}

TEST_F(ConfigureEasyTest, TheFirstRefusedOptionIsReportedAndTheRestAreSet) {
  CURL* easy = curl_easy_init();
  ASSERT_NE(easy, nullptr);
  int marker = 0;
  const std::vector<EasyOption> options = {
      {CURLOPT_POSTFIELDSIZE_LARGE, LargeValue{-2}},  // libcurl refuses < -1
      {CURLOPT_PROTOCOLS_STR, "gopher-over-carrier-pigeon"},
      {CURLOPT_PRIVATE, static_cast<void*>(&marker)},
  };
  EXPECT_EQ(SetEasyOptions(easy, options), CURLE_BAD_FUNCTION_ARGUMENT);
  char* priv = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
  EXPECT_EQ(reinterpret_cast<int*>(priv), &marker);
  curl_easy_cleanup(easy);
}

}  // namespace
}  // namespace mediagen::http::internal
