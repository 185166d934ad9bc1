#include "tests/emulator/flags.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mediagen::emulator {
namespace {

absl::Status Bad(const std::string& flag, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", why));
}

absl::Status ParseInt(const std::string& flag, const std::string& v, int lo,
                      int* out) {
  if (!absl::SimpleAtoi(v, out) || *out < lo) {
    return Bad(flag,
               absl::StrCat("want an integer >= ", lo, ", got '", v, "'"));
  }
  return absl::OkStatus();
}

absl::Status ParseSize(const std::string& flag, const std::string& v,
                       size_t* out) {
  if (!absl::SimpleAtoi(v, out)) {
    return Bad(flag,
               absl::StrCat("want a non-negative integer, got '", v, "'"));
  }
  return absl::OkStatus();
}

absl::Status ParseDouble(const std::string& flag, const std::string& v,
                         double* out) {
  if (!absl::SimpleAtod(v, out) || *out < 0) {
    return Bad(flag, absl::StrCat("want a number >= 0, got '", v, "'"));
  }
  return absl::OkStatus();
}

absl::Status ParseBoolValue(const std::string& flag, const std::string& v,
                            bool* out) {
  if (v == "true" || v == "1" || v == "yes") {
    *out = true;
  } else if (v == "false" || v == "0" || v == "no") {
    *out = false;
  } else {
    return Bad(flag, absl::StrCat("want true or false, got '", v, "'"));
  }
  return absl::OkStatus();
}

// KEY:CREDITS[:CUSTOMER_ID] or, for ElevenLabs, KEY[:CUSTOMER_ID[:LIMIT]].
absl::Status ParseKey(const std::string& flag, const std::string& v,
                      Provider provider, int index, AccountSpec* out) {
  std::vector<std::string> parts = absl::StrSplit(v, ':');
  out->provider = provider;
  out->key = parts[0];
  if (out->key.empty()) return Bad(flag, "empty key");
  const std::string prefix = ProviderName(provider);
  out->customer_id = absl::StrCat(prefix, "-customer-", index);
  if (provider == Provider::kElevenLabs) {
    if (parts.size() > 3)
      return Bad(flag, "want KEY[:CUSTOMER_ID[:CONCURRENCY]]");
    if (parts.size() >= 2 && !parts[1].empty()) out->customer_id = parts[1];
    if (parts.size() == 3) {
      if (!absl::SimpleAtoi(parts[2], &out->concurrency_limit) ||
          out->concurrency_limit < 1) {
        return Bad(flag, "CONCURRENCY must be an integer >= 1");
      }
    }
    return absl::OkStatus();
  }
  if (parts.size() < 2 || parts.size() > 3) {
    return Bad(flag, "want KEY:CREDITS[:CUSTOMER_ID]");
  }
  if (!absl::SimpleAtod(parts[1], &out->credits) || out->credits < 0) {
    return Bad(flag, absl::StrCat("CREDITS must be a number >= 0, got '",
                                  parts[1], "'"));
  }
  if (parts.size() == 3 && !parts[2].empty()) out->customer_id = parts[2];
  return absl::OkStatus();
}

bool IsValueFlag(const std::string& name) {
  static const char* kNames[] = {"port",
                                 "host",
                                 "time_scale",
                                 "job_seconds",
                                 "charge_ratio",
                                 "webhook_max_attempts",
                                 "webhook_timeout_ms",
                                 "elevenlabs_concurrency",
                                 "threads",
                                 "keep_alive_timeout_s",
                                 "request_log_max",
                                 "request_log_body_cap",
                                 "public_url",
                                 "fault",
                                 "vimmerse_key",
                                 "elevenlabs_key",
                                 "aimlapi_key"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args) {
  ParsedFlags f;
  EmulatorOptions& o = f.options;
  int key_index[3] = {0, 0, 0};
  for (const std::string& arg : args) {
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "' (see --help)"));
    }
    const std::string body = arg.substr(2);
    const size_t eq = body.find('=');
    const std::string name = body.substr(0, eq);
    const bool has_value = eq != std::string::npos;
    const std::string value = has_value ? body.substr(eq + 1) : "";
    absl::Status s;
    auto boolean = [&](bool* out) {
      if (!has_value) {
        *out = true;
        return absl::OkStatus();
      }
      return ParseBoolValue(name, value, out);
    };
    auto need_value = [&]() {
      return has_value ? absl::OkStatus() : Bad(name, "needs =VALUE");
    };
    if (name == "help" || name == "h") {
      f.help = true;
    } else if (name == "strict") {
      s = boolean(&o.strict);
    } else if (name == "nostrict") {
      o.strict = false;
    } else if (name == "webhooks") {
      s = boolean(&o.webhooks);
    } else if (name == "nowebhooks") {
      o.webhooks = false;
    } else if (name == "log_requests") {
      s = boolean(&o.log_requests);
    } else if (!IsValueFlag(name)) {
      s = absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see --help)"));
    } else if (!(s = need_value()).ok()) {
      // Every other flag takes a value.
    } else if (name == "port") {
      s = ParseInt(name, value, 0, &o.port);
      if (s.ok() && o.port > 65535) s = Bad(name, "want a port 0-65535");
    } else if (name == "host") {
      o.host = value;
    } else if (name == "time_scale") {
      s = ParseDouble(name, value, &o.time_scale);
    } else if (name == "job_seconds") {
      s = ParseDouble(name, value, &o.job_seconds);
    } else if (name == "charge_ratio") {
      s = ParseDouble(name, value, &o.charge_ratio);
    } else if (name == "webhook_max_attempts") {
      s = ParseInt(name, value, 1, &o.webhook_max_attempts);
    } else if (name == "webhook_timeout_ms") {
      s = ParseInt(name, value, 1, &o.webhook_timeout_ms);
    } else if (name == "elevenlabs_concurrency") {
      s = ParseInt(name, value, 1, &o.elevenlabs_concurrency);
    } else if (name == "threads") {
      s = ParseInt(name, value, 4, &o.threads);
    } else if (name == "keep_alive_timeout_s") {
      s = ParseInt(name, value, 1, &o.keep_alive_timeout_s);
    } else if (name == "request_log_max") {
      s = ParseSize(name, value, &o.request_log_max_entries);
    } else if (name == "request_log_body_cap") {
      s = ParseSize(name, value, &o.request_log_body_cap);
    } else if (name == "public_url") {
      o.public_url = value;
    } else if (name == "fault") {
      o.faults.push_back(value);
    } else if (name == "vimmerse_key" || name == "elevenlabs_key" ||
               name == "aimlapi_key") {
      const Provider p = name == "vimmerse_key"     ? Provider::kVimmerse
                         : name == "elevenlabs_key" ? Provider::kElevenLabs
                                                    : Provider::kAimlapi;
      AccountSpec spec;
      s = ParseKey(name, value, p, ++key_index[static_cast<int>(p)], &spec);
      if (s.ok()) o.accounts.push_back(std::move(spec));
    } else {
      s = absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!s.ok()) return s;
  }
  return f;
}

absl::StatusOr<ParsedFlags> ParseFlags(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return ParseFlags(args);
}

std::string HelpText() {
  return R"(emulator: Vimmerse, ElevenLabs and AIMLAPI on one loopback port, for mediagen's
tests and demo. Prints "emulator listening on 127.0.0.1:<port>" as its first
stdout line, serves until SIGTERM/SIGINT, then exits 0.

Flags (--name=value; booleans also --name / --noname):
  --port=N                  port to bind; 0 (default) picks a free one
  --host=ADDR               address to bind (default 127.0.0.1)
  --time_scale=X            multiplies every simulated duration: 1.0 (default)
                            realistic, 0.01 in tests, 0 = as fast as possible
  --job_seconds=S           seconds (before scaling) from create to success of
                            a media or async video job (default 20); AIMLAPI
                            generations take half
  --charge_ratio=X          Vimmerse video routes charge and report X times
                            their price (default 1); estimates stay the full
                            price (tests of settling below an estimate)
  --strict / --nostrict     strict request checking (default on): unknown
                            fields, wrong JSON types, values out of range and
                            wrong content types answer 422
  --webhooks / --nowebhooks POST webhooks to jobs' webhook_url (default on)
  --webhook_max_attempts=N  attempts per webhook incl. the first (default 5);
                            retries back off 1 s, 2 s, 4 s ... times time_scale
  --webhook_timeout_ms=N    receiver must answer within this (default 10000)
  --elevenlabs_concurrency=N
                            ElevenLabs requests in flight per key before 429
                            concurrent_limit_exceeded (default 5)
  --threads=N               HTTP worker threads (default 128); each open
                            connection and each slow stream holds one
  --keep_alive_timeout_s=N  idle keep-alive connections close after N s (5)
  --request_log_max=N       request log entries kept (default 10000)
  --request_log_body_cap=N  body bytes kept per logged request (default 65536)
  --public_url=URL          base of result URLs (default http://HOST:PORT)
  --log_requests            one stderr line per request (method, path, status)
  --fault=JSON              a fault rule installed at start (repeatable; same
                            JSON as POST /_emulator/faults)
  --vimmerse_key=KEY:CREDITS[:CUSTOMER_ID]        (repeatable)
  --elevenlabs_key=KEY[:CUSTOMER_ID[:CONCURRENCY]] (repeatable)
  --aimlapi_key=KEY:TOKENS[:CUSTOMER_ID]          (repeatable)
                            customers; CUSTOMER_ID defaults to
                            <provider>-customer-<n>. Giving any key of a
                            provider replaces that provider's default set.
  --help                    this text

Default customers (when no key flag is given for the provider):
  Vimmerse (X-Api-Key)          vimmerse-demo-key    1000000 credits  demo-customer
                                vimmerse-test-key       1000 credits  test-customer
                                vimmerse-broke-key         0 credits  broke-customer
  ElevenLabs (xi-api-key)       elevenlabs-demo-key                   demo-el
                                elevenlabs-test-key                   test-el
  AIMLAPI (Authorization: Bearer)
                                aimlapi-demo-key   100000000 tokens   demo-aiml
                                aimlapi-test-key     1000000 tokens   test-aiml
                                aimlapi-broke-key          0 tokens   broke-aiml

Provider routes:
  Vimmerse   POST /v2/media, GET|PUT /v2/media/{id} (GET takes ?fields=a,b)
             POST /v2/video (multipart video_file) and /v2/video/{estimate-credits,
               crop-to-aspect-ratio, reframe, enhance, sound-effect,
               avatars/lip-sync, lip-sync, video-effects, replace-background,
               reference-to-video, video-to-video, audio}
             POST /v2/audio (multipart audio_file) and /v2/audio/{estimate-credits,
               text-2-speech, text-2-sound-effect, text-2-music}
             GET /asset/{asset_id}  (answers {"data": asset})
  ElevenLabs POST /v1/text-to-speech/{voice_id}[/stream], POST /v1/sound-generation
  AIMLAPI    POST /v2/generate/audio, GET /v2/generate/audio?generation_id=ID
  Results    GET /files/{token}/{name}  (WAV, raw PCM/mu-law/MP3, AVI)

Control API (JSON; never logged, never faulted):
  GET    /_emulator/health | /_emulator/config | /_emulator/customers
  POST   /_emulator/faults      {"method","path","times","skip","status",
                                 "after_processing","code","message","body",
                                 "headers","latency_ms","reset_after_bytes",
                                 "malformed_json","drip_bytes_per_sec",
                                 "concurrency_limit","content_type",
                                 "oversize_bytes"} (or {"rules": [...]})
  GET    /_emulator/faults      DELETE /_emulator/faults[/{id}]
  POST   /_emulator/outcomes    {"kind": "media|asset|generation|any",
                                 "outcome": "fail|success", "count", "message"}
  GET    /_emulator/outcomes
  GET    /_emulator/jobs/{id}   POST /_emulator/jobs/{id}/advance
  POST   /_emulator/jobs/{id}/complete {"outcome": "success|fail|cancel", "message"}
  GET|POST /_emulator/clock     {"paused": true|false}
  GET    /_emulator/requests?method=&path_prefix=&route=&since=SEQ&limit=N
  DELETE /_emulator/requests
  GET    /_emulator/counters    GET /_emulator/webhooks
  POST   /_emulator/credits     {"customer_id", "credits"}
  POST   /_emulator/reset
See tests/emulator/README.md for the details.
)";
}

}  // namespace mediagen::emulator
