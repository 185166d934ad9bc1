// The fault matrix (issue 9): every fault the emulator can inject against
// every kind of call, through the real server binary over loopback.
//
// For each cell the caller must get exactly the gRPC status of README.md's
// "Errors" table (service/upstream/providers/errors.h), with ErrorInfo (reason,
// provider domain, route, HTTP status) and RetryInfo where the table gives
// one. Creates and uploads are retried by the "client" with the same
// request_id, twice while the fault holds and once after it is gone, and
// the emulator's books must show at most one create per request_id: the
// expected number per cell is in the table. Afterwards the server must be
// alive with its threads, file descriptors and upstream connections back at
// their baseline, and (under --config=asan) exit cleanly with no leak.
//
// The table below is the specification. The test has one row per RPC (each
// kind of call), on a server of its own, so a failing RPC is named in the
// test name; each row prints its part of the table with what it observed,
// as a summary, between "== fault matrix" and "== end".

#include "tests/faults/fault_matrix.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"
#include "tests/testing_util/watch_client.h"

namespace mediagen::testing {
namespace {

using json = nlohmann::json;
using grpc::StatusCode;

std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  return ctx;
}

// What a cell produced.
struct Observed {
  grpc::Status status;
  // Creates and uploads: each request id's first attempt (status is the
  // first of these), then its later attempts with the same request_id:
  // while the fault held, and after it was gone.
  std::vector<grpc::Status> first;
  // Later attempts with the same request_id (creates and uploads): while
  // the fault held, and after it was gone; per id.
  std::vector<grpc::Status> during, after;
  int creates = -1;           // emulator creates for the cell's ids
  int max_sends_per_id = -1;  // upstream requests per id (or per call)
  size_t audio_bytes = 0;
  std::vector<std::string> problems;
};

std::string Describe(const grpc::Status& s) {
  absl::Status a = rpc::FromGrpcStatus(s);
  std::string out = absl::StatusCodeToString(a.code());
  if (auto info = rpc::GetErrorInfo(a)) {
    absl::StrAppend(&out, " ", info->reason());
  }
  if (rpc::GetRetryInfo(a)) absl::StrAppend(&out, " +RetryInfo");
  return out;
}

// A row of the matrix: GetParam() is the kind of call, met with every fault.
class FaultMatrixTest : public ::testing::TestWithParam<Call> {
 protected:
  void SetUp() override {
    auto emu =
        EmulatorProcess::Start({"--time_scale=0.01", "--job_seconds=100000",
                                "--keep_alive_timeout_s=1"});
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);
    ServerConfig config;
    config.emulator_port = emu_->port();
    config.dev_vimmerse_key = "vimmerse-demo-key";
    config.dev_elevenlabs_key = "elevenlabs-demo-key";
    config.dev_aimlapi_key = "aimlapi-demo-key";
    config.flags = {
        absl::StrCat("--poll_timeout=", absl::FormatDuration(kPollTimeout))};
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

  int AddRule(json rule, const std::string& method, const std::string& path) {
    rule["method"] = method;
    rule["path"] = path;
    json r = emu_->Post("/_emulator/faults", rule);
    EXPECT_TRUE(r.contains("id")) << r.dump();
    return r.value("id", 0);
  }
  void RemoveRule(int id) {
    emu_->Delete(absl::StrCat("/_emulator/faults/", id));
  }

  // Waits until the emulator has finished every request it received on
  // `method` `prefix` (a request held by a latency fault is counted only
  // once it has been processed).
  void WaitUpstreamIdle(const std::string& method, const std::string& prefix) {
    const absl::Time end = absl::Now() + absl::Seconds(20);
    while (absl::Now() < end) {
      bool busy = false;
      for (const auto& r : emu_->Requests(method, prefix)) {
        if (r.value("status", 0) == 0) busy = true;
      }
      if (!busy) return;
      absl::SleepFor(absl::Milliseconds(100));
    }
    ADD_FAILURE() << "the emulator still has requests in flight";
  }

  int Creates(const std::string& route) {
    json c = emu_->Counters()["customers"]["demo-customer"]["creates"];
    return c.is_object() && c.contains(route) ? c[route].get<int>() : 0;
  }

  // Counts logged requests for which `pick` returns `key`.
  int CountLogged(const std::string& method, const std::string& prefix,
                  const std::function<std::string(const json&)>& pick,
                  const std::string& key) {
    int n = 0;
    for (const auto& r : emu_->Requests(method, prefix)) {
      if (pick(r) == key) ++n;
    }
    return n;
  }

  std::string CreateMediaNow(const std::string& prompt) {
    auto media = v1::MediaService::NewStub(server_->channel());
    v1::CreateMediaRequest cm;
    cm.set_prompt(prompt);
    v1::CreateMediaResponse resp;
    grpc::Status s =
        media->CreateMedia(Ctx(absl::Seconds(10)).get(), cm, &resp);
    EXPECT_THAT(s, IsOk());
    return resp.media().id();
  }

  grpc::Status Create(const std::string& request_id,
                      const std::string& prompt) {
    auto media = v1::MediaService::NewStub(server_->channel());
    v1::CreateMediaRequest cm;
    cm.set_request_id(request_id);
    cm.set_prompt(prompt);
    v1::CreateMediaResponse resp;
    return media->CreateMedia(Ctx(kCallDeadline).get(), cm, &resp);
  }

  grpc::Status Upload(const std::string& request_id, const std::string& file) {
    auto video = v1::VideoService::NewStub(server_->channel());
    auto ctx = Ctx(kCallDeadline);
    v1::UploadVideoResponse resp;
    auto writer = video->UploadVideo(ctx.get(), &resp);
    v1::UploadVideoRequest m;
    m.mutable_metadata()->set_request_id(request_id);
    m.mutable_metadata()->set_file_name(file);
    m.mutable_metadata()->set_content_type("video/mp4");
    m.mutable_metadata()->set_size_bytes(64 << 10);
    if (writer->Write(m)) {
      v1::UploadVideoRequest c;
      c.set_chunk(std::string(64 << 10, 'v'));
      // A replayed outcome may end the call before the file is sent.
      if (writer->Write(c)) writer->WritesDone();
    }
    return writer->Finish();
  }

  grpc::Status Speech(const std::string& voice, size_t* bytes,
                      absl::Duration deadline = kCallDeadline) {
    auto eleven = v1::ElevenLabsService::NewStub(server_->channel());
    auto ctx = Ctx(deadline);
    v1::SynthesizeSpeechRequest req;
    req.set_voice_id(voice);
    req.set_text("The first move is what sets everything in motion.");
    req.set_output_format("pcm_44100");
    auto reader = eleven->SynthesizeSpeech(ctx.get(), req);
    v1::SynthesizeSpeechResponse msg;
    while (reader->Read(&msg)) *bytes += msg.audio_chunk().size();
    return reader->Finish();
  }

  // A create-like cell: kIdsPerCell request ids, each tried twice under the
  // fault and once after it is gone.
  Observed RunCreateLike(const Expect& e) {
    Observed o;
    const bool upload = e.call == Call::kUpload;
    const std::string route = upload ? "POST /v2/video" : "POST /v2/media";
    const std::string path = upload ? "/v2/video" : "/v2/media";
    auto key = [&](int i) {
      return absl::StrCat("matrix-", Name(e.call), "-", Slug(e.fault), "-", i,
                          upload ? ".mp4" : "");
    };
    auto attempt = [&](int i) {
      return upload ? Upload(key(i), key(i)) : Create(key(i), key(i));
    };
    const int creates_before = Creates(route);
    const int rule = AddRule(RuleFor(e.fault, false, false), "POST", path);
    for (int i = 0; i < kIdsPerCell; ++i) {
      o.first.push_back(attempt(i));
      o.during.push_back(attempt(i));
    }
    o.status = o.first[0];
    RemoveRule(rule);
    WaitUpstreamIdle("POST", path);
    for (int i = 0; i < kIdsPerCell; ++i) o.after.push_back(attempt(i));
    WaitUpstreamIdle("POST", path);
    o.creates = Creates(route) - creates_before;
    o.max_sends_per_id = 0;
    for (int i = 0; i < kIdsPerCell; ++i) {
      const int sends =
          upload ? CountLogged(
                       "POST", path,
                       [](const json& r) {
                         return r["parts"].empty()
                                    ? std::string()
                                    : r["parts"][0].value("filename", "");
                       },
                       key(i))
                 : CountLogged(
                       "POST", path,
                       [](const json& r) {
                         return r.contains("json") && r["json"].is_object()
                                    ? r["json"].value("prompt", "")
                                    : std::string();
                       },
                       key(i));
      o.max_sends_per_id = std::max(o.max_sends_per_id, sends);
    }
    return o;
  }

  Observed RunRead(const Expect& e, const std::string& media_id) {
    Observed o;
    const std::string path = "/v2/media/" + media_id;
    const int rule = AddRule(RuleFor(e.fault, false, true), "GET", path);
    auto jobs = v1::JobService::NewStub(server_->channel());
    const std::string name = "media/" + media_id;
    if (e.call == Call::kGet) {
      v1::GetJobRequest req;
      req.set_name(name);
      v1::GetJobResponse resp;
      o.status = jobs->GetJob(Ctx(absl::Seconds(20)).get(), req, &resp);
    } else {
      WatchClient watch(jobs.get(), name);
      if (!watch.WaitDone(absl::Seconds(20))) {
        o.problems.push_back("the watch did not end");
        watch.Cancel();
        watch.WaitDone(absl::Seconds(5));
      }
      o.status = watch.status().value_or(grpc::Status::CANCELLED);
      if (!watch.jobs().empty()) o.problems.push_back("a job was sent");
    }
    RemoveRule(rule);
    o.max_sends_per_id = static_cast<int>(emu_->Requests("GET", path).size());
    return o;
  }

  Observed RunSpeech(const Expect& e) {
    Observed o;
    const std::string voice = absl::StrCat("matrixvoice", Slug(e.fault));
    const std::string path =
        absl::StrCat("/v1/text-to-speech/", voice, "/stream");
    const int rule = AddRule(RuleFor(e.fault, true, false), "POST", path);
    // 17 MiB of audio must have the time to stream; every other fault is
    // meant to outlast the deadline.
    o.status =
        Speech(voice, &o.audio_bytes,
               e.fault == Fault::kOversize ? absl::Seconds(60) : kCallDeadline);
    RemoveRule(rule);
    WaitUpstreamIdle("POST", path);
    o.max_sends_per_id = static_cast<int>(emu_->Requests("POST", path).size());
    return o;
  }

  // Checks `o` against `e`; returns the problems found.
  std::vector<std::string> Check(const Expect& e, Observed& o) {
    std::vector<std::string> p = std::move(o.problems);
    absl::Status got = rpc::FromGrpcStatus(o.status);
    if (o.status.error_code() != e.code) {
      p.push_back(absl::StrCat("code ", o.status.error_code(), " (",
                               o.status.error_message(), ")"));
    }
    const bool speech = e.call == Call::kSpeech;
    if (e.code != StatusCode::OK) {
      std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(got);
      if (!info.has_value()) {
        p.push_back("no ErrorInfo");
      } else {
        if (info->reason() != e.reason) {
          p.push_back(absl::StrCat("reason ", info->reason()));
        }
        const std::string domain =
            speech ? "api.elevenlabs.io" : "api.vimmerse.net";
        if (info->domain() != domain) {
          p.push_back(absl::StrCat("domain ", info->domain()));
        }
        const auto& md = info->metadata();
        auto at = [&](const std::string& k) {
          auto it = md.find(k);
          return it == md.end() ? std::string() : it->second;
        };
        if (at("provider") != (speech ? "elevenlabs" : "vimmerse")) {
          p.push_back(absl::StrCat("provider ", at("provider")));
        }
        if (at("route").empty()) p.push_back("no route in ErrorInfo");
        const std::string http =
            e.http_status == 0 ? "" : absl::StrCat(e.http_status);
        if (at("http_status") != http) {
          p.push_back(absl::StrCat("http_status '", at("http_status"), "'"));
        }
        if (e.call == Call::kWatch && at("last_version").empty()) {
          p.push_back("watch end without last_version");
        }
      }
      if (rpc::GetRetryInfo(got).has_value() != e.retry_info) {
        p.push_back(e.retry_info ? "no RetryInfo" : "unexpected RetryInfo");
      }
      for (const char* key : {"vimmerse-demo-key", "elevenlabs-demo-key"}) {
        if (absl::StrContains(o.status.error_message(), key) ||
            absl::StrContains(o.status.error_details(), key)) {
          p.push_back("a key in the error");
        }
      }
    }
    if (e.creates_per_id >= 0) {
      if (o.creates != e.creates_per_id * kIdsPerCell) {
        p.push_back(absl::StrCat("creates ", o.creates, " for ", kIdsPerCell,
                                 " request ids"));
      }
      if (o.creates > kIdsPerCell) p.push_back("CREDITS SPENT TWICE");
      for (size_t i = 0; i < o.during.size(); ++i) {
        if (o.first[i].error_code() != e.code) {
          p.push_back(
              absl::StrCat("request id ", i, " got ", Describe(o.first[i])));
        }
        if (e.replayed) {
          // Same outcome, same words, nothing sent again.
          for (const grpc::Status& again : {o.during[i], o.after[i]}) {
            if (again.error_code() != o.first[i].error_code() ||
                again.error_message() != o.first[i].error_message()) {
              p.push_back(absl::StrCat("retry got ", Describe(again)));
            }
          }
        } else {
          if (o.during[i].error_code() != e.code) {
            p.push_back(
                absl::StrCat("retry under fault got ", Describe(o.during[i])));
          }
          if (!o.after[i].ok()) {
            p.push_back(
                absl::StrCat("retry after fault got ", Describe(o.after[i])));
          }
        }
      }
      const int sends = e.replayed ? 1 : 3;
      if (o.max_sends_per_id != sends) {
        p.push_back(absl::StrCat(o.max_sends_per_id,
                                 " upstream requests for "
                                 "one request_id (want ",
                                 sends, ")"));
      }
    } else if (speech) {
      // Billed per call: never sent twice, whatever happened.
      if (o.max_sends_per_id != 1) {
        p.push_back(absl::StrCat(o.max_sends_per_id, " upstream requests"));
      }
      if (e.fault == Fault::kOversize &&
          o.audio_bytes != static_cast<size_t>(kOversizeBytes)) {
        p.push_back(absl::StrCat(o.audio_bytes, " audio bytes"));
      }
      if (e.code == StatusCode::OK && o.audio_bytes == 0)
        p.push_back("no audio");
      if (e.fault == Fault::kContentType && o.audio_bytes > 0) {
        p.push_back("a non-audio page was streamed as audio");
      }
    } else {
      // Reads are retried, within bounds (4 attempts).
      if (o.max_sends_per_id < 1 || o.max_sends_per_id > 4) {
        p.push_back(absl::StrCat(o.max_sends_per_id, " upstream reads"));
      }
    }
    return p;
  }

  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
};

struct Resources {
  std::vector<std::string> thread_names;
  int threads = 0;       // the server's own (everything gRPC does not name)
  int grpc_threads = 0;  // gRPC's pools
  int fds = 0;
  int upstream_connections = 0;
};

TEST_P(FaultMatrixTest, EveryFaultDocumentedStatusNoDoubleSpendNoLeak) {
  // Warm up every path once (lazily started threads, channel, pools).
  const std::string warm_id = CreateMediaNow("warm-up");
  {
    const std::string& id = warm_id;
    auto jobs = v1::JobService::NewStub(server_->channel());
    v1::GetJobRequest req;
    req.set_name("media/" + id);
    v1::GetJobResponse resp;
    ASSERT_THAT(jobs->GetJob(Ctx(absl::Seconds(10)).get(), req, &resp), IsOk());
    WatchClient watch(jobs.get(), "media/" + id);
    ASSERT_TRUE(watch.WaitMessages(1, absl::Seconds(10)));
    watch.Cancel();
    watch.WaitDone(absl::Seconds(5));
    ASSERT_THAT(Upload("", "warm-up.mp4"), IsOk());
    size_t bytes = 0;
    ASSERT_THAT(Speech("warmupvoice", &bytes), IsOk());
  }
  // This row's cells. Media for read cells are made before any fault.
  const Call call = GetParam();
  std::vector<size_t> cells;
  std::map<Fault, std::string> media;
  for (size_t i = 0; i < Matrix().size(); ++i) {
    const Expect& e = Matrix()[i];
    if (e.call != call) continue;
    cells.push_back(i);
    if (e.call == Call::kGet || e.call == Call::kWatch) {
      media[e.fault] = CreateMediaNow(
          absl::StrCat("read target ", Slug(e.fault), " ", Name(e.call)));
    }
  }
  // libcurl drops upstream connections that the emulator closed (after
  // its 1 s keep-alive) when it next uses its pool: wait that long, make
  // one read, then count. Both measurements are taken the same way.
  auto measure = [&] {
    absl::SleepFor(absl::Milliseconds(1500));
    auto media = v1::MediaService::NewStub(server_->channel());
    v1::GetMediaRequest gm;
    gm.set_name("media/" + warm_id);
    v1::GetMediaResponse resp;
    EXPECT_THAT(media->GetMedia(Ctx(absl::Seconds(10)).get(), gm, &resp),
                IsOk());
    Resources r;
    r.thread_names = server_->process().ThreadNames();
    for (const std::string& name : r.thread_names) {
      ++(IsGrpcPoolThread(name) ? r.grpc_threads : r.threads);
    }
    r.fds = server_->process().OpenFdCount();
    r.upstream_connections = EstablishedConnectionsTo(emu_->port());
    return r;
  };
  const Resources baseline = measure();

  // Creates, uploads and speech run their cells one after another; reads
  // target one media each, so their cells run all at once.
  std::vector<Observed> observed(Matrix().size());
  auto run_cell = [&](size_t i) {
    const Expect& e = Matrix()[i];
    switch (e.call) {
      case Call::kCreate:
      case Call::kUpload:
        observed[i] = RunCreateLike(e);
        break;
      case Call::kGet:
      case Call::kWatch:
        observed[i] = RunRead(e, media.at(e.fault));
        break;
      case Call::kSpeech:
        observed[i] = RunSpeech(e);
        break;
    }
  };
  const absl::Time start = absl::Now();
  if (call == Call::kGet || call == Call::kWatch) {
    std::vector<std::thread> reads;
    for (size_t i : cells) reads.emplace_back(run_cell, i);
    for (auto& t : reads) t.join();
  } else {
    for (size_t i : cells) run_cell(i);
  }
  const absl::Duration took = absl::Now() - start;

  // Summary: the table as specified, with what was observed.
  int failures = 0;
  std::string summary = absl::StrFormat(
      "== fault matrix, %s: %d cells in %s (client deadline %s, poll deadline "
      "%s)\n| %-19s | %-6s | %-49s | %-35s | %s\n",
      Rpc(call), static_cast<int>(cells.size()), absl::FormatDuration(took),
      absl::FormatDuration(kCallDeadline), absl::FormatDuration(kPollTimeout),
      "fault", "call", "expected (code, ErrorInfo reason, RetryInfo)",
      "upstream effect", "result");
  for (size_t i : cells) {
    const Expect& e = Matrix()[i];
    std::vector<std::string> problems = Check(e, observed[i]);
    std::string expected =
        e.code == StatusCode::OK
            ? "OK"
            : absl::StrCat(absl::StatusCodeToString(
                               static_cast<absl::StatusCode>(e.code)),
                           " ", e.reason, e.retry_info ? " +RetryInfo" : "");
    std::string effect;
    if (e.creates_per_id >= 0) {
      effect = absl::StrCat(observed[i].creates, "/", kIdsPerCell, " created, ",
                            observed[i].max_sends_per_id, " POST/id, ",
                            e.replayed ? "replayed" : "retried ok");
    } else if (e.call == Call::kSpeech) {
      effect = absl::StrCat(observed[i].max_sends_per_id, " POST, ",
                            observed[i].audio_bytes, " audio bytes");
    } else {
      effect = absl::StrCat(observed[i].max_sends_per_id, " GET (retries)");
    }
    std::string result = "ok";
    if (!problems.empty()) {
      ++failures;
      result = absl::StrCat("FAIL: ", absl::StrJoin(problems, "; "));
      ADD_FAILURE() << Name(e.fault) << " x " << Name(e.call) << ": "
                    << absl::StrJoin(problems, "; ");
    }
    absl::StrAppendFormat(&summary, "| %-19s | %-6s | %-49s | %-35s | %s\n",
                          Name(e.fault), Name(e.call), expected, effect,
                          result);
  }

  // The server survived, and what it held for the faults is given back:
  // upstream connections close, threads and descriptors return.
  EXPECT_TRUE(server_->process().Running()) << "the server crashed";
  Resources after = measure();
  const int grpc_bound =
      baseline.grpc_threads +
      2 * static_cast<int>(std::thread::hardware_concurrency());
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while ((after.threads > baseline.threads || after.grpc_threads > grpc_bound ||
          after.fds > baseline.fds ||
          after.upstream_connections > baseline.upstream_connections) &&
         absl::Now() < until) {
    after = measure();
  }
  absl::StrAppendFormat(
      &summary,
      "server after the matrix: own threads %d (baseline %d), gRPC pool "
      "threads %d (baseline %d, bound %d), open fds %d (baseline %d), "
      "upstream connections %d (baseline %d); %d of %d cells failed\n"
      "== end\n",
      after.threads, baseline.threads, after.grpc_threads,
      baseline.grpc_threads, grpc_bound, after.fds, baseline.fds,
      after.upstream_connections, baseline.upstream_connections, failures,
      static_cast<int>(cells.size()));
  std::cout << summary << std::flush;
  EXPECT_LE(after.grpc_threads, grpc_bound);
  EXPECT_LE(after.threads, baseline.threads)
      << "threads before: " << absl::StrJoin(baseline.thread_names, ",")
      << "\nthreads after: " << absl::StrJoin(after.thread_names, ",");
  EXPECT_LE(after.fds, baseline.fds);
  EXPECT_LE(after.upstream_connections, baseline.upstream_connections);

  // A clean exit: under --config=asan LeakSanitizer runs at exit and turns
  // any leak into a non-zero status.
  auto code = server_->process().Stop(SIGTERM, absl::Seconds(30));
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, 0) << server_->process().stderr_text();
}

INSTANTIATE_TEST_SUITE_P(EveryCall, FaultMatrixTest,
                         ::testing::Values(Call::kCreate, Call::kGet,
                                           Call::kWatch, Call::kUpload,
                                           Call::kSpeech),
                         [](const ::testing::TestParamInfo<Call>& info) {
                           return std::string(Rpc(info.param));
                         });

// The specification is complete: each fault meets each kind of call once.
TEST(FaultMatrixTableTest, EveryFaultMeetsEveryCallOnce) {
  for (Fault f : kFaults) {
    for (Call c : {Call::kCreate, Call::kGet, Call::kWatch, Call::kUpload,
                   Call::kSpeech}) {
      int n = 0;
      for (const Expect& e : Matrix()) n += e.fault == f && e.call == c;
      EXPECT_EQ(n, 1) << Name(f) << " x " << Name(c);
    }
  }
  EXPECT_EQ(Matrix().size(), std::size(kFaults) * 5);
}

}  // namespace
}  // namespace mediagen::testing
