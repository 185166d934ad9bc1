// soak_load: mixed load with rotating upstream faults against a running
// mediagen server and emulator, sampling the server's RSS, threads and file
// descriptors as it goes. Started by tests/soak/run, which also starts the
// server and the emulator.
//
//   soak_load --server=127.0.0.1:50051 --server_pid=1234 --emulator_port=8090
//             --minutes=10 --workers=12 --watches=100
//
// Mix (per worker iteration): create media with a request_id (a tenth
// retried with the same id), GetJob, WatchJob to the end, a 1 MiB video
// upload, streamed speech, Stable Audio generate + get, a credit estimate;
// plus `--watches` watch streams kept open on recent jobs (each replaced
// when its job ends). Every 20 s one fault rule from the fault matrix is
// installed on the emulator for 15 s. Prints one line per sample (every 10
// s) and a summary; exits 1 if the server died, a create was charged twice
// for one request_id, or memory/threads kept growing.
#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/stable_audio.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/watch_client.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "mediagen gRPC address");
ABSL_FLAG(int, server_pid, 0, "the server's pid, for /proc sampling");
ABSL_FLAG(int, emulator_port, 0, "the emulator's port (control API)");
ABSL_FLAG(double, minutes, 10, "how long to run");
ABSL_FLAG(int, workers, 12, "threads issuing calls");
ABSL_FLAG(int, watches, 100, "watch streams kept open");
ABSL_FLAG(absl::Duration, sample_every, absl::Seconds(10), "sampling period");
ABSL_FLAG(absl::Duration, warmup, absl::Minutes(3),
          "growth is judged after this: pools, arenas and the server's "
          "time-bounded caches (request_id outcomes, idle job entries: 2 min) "
          "fill up first");

namespace mediagen::soak {
namespace {

using json = nlohmann::json;

long ProcField(int pid, const char* field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  const size_t n = strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0) return std::atol(line.c_str() + n);
  }
  return -1;
}

int FdCount(int pid) {
  int n = 0;
  if (DIR* d = opendir(absl::StrCat("/proc/", pid, "/fd").c_str())) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

struct Sample {
  absl::Duration at;
  long rss_kib;
  long threads;
  int fds;
  int upstream_connections;
  int open_watches;
  long calls;
};

class Soak {
 public:
  Soak()
      : channel_(grpc::CreateChannel(absl::GetFlag(FLAGS_server),
                                     grpc::InsecureChannelCredentials())),
        media_(v1::MediaService::NewStub(channel_)),
        video_(v1::VideoService::NewStub(channel_)),
        eleven_(v1::ElevenLabsService::NewStub(channel_)),
        stable_(v1::StableAudioService::NewStub(channel_)),
        jobs_(v1::JobService::NewStub(channel_)) {}

  int Run() {
    const absl::Time start = absl::Now();
    end_ = start + absl::Seconds(absl::GetFlag(FLAGS_minutes) * 60);
    std::vector<std::thread> threads;
    for (int i = 0; i < absl::GetFlag(FLAGS_workers); ++i) {
      threads.emplace_back([this, i] { Worker(i); });
    }
    threads.emplace_back([this] { Watches(); });
    threads.emplace_back([this] { Faults(); });

    std::printf("%8s %10s %8s %6s %9s %8s %9s\n", "t", "rss_kib", "threads",
                "fds", "upstream", "watches", "calls");
    const int pid = absl::GetFlag(FLAGS_server_pid);
    while (absl::Now() < end_) {
      Sample s;
      s.at = absl::Now() - start;
      s.rss_kib = ProcField(pid, "VmRSS:");
      s.threads = ProcField(pid, "Threads:");
      s.fds = FdCount(pid);
      s.upstream_connections =
          testing::EstablishedConnectionsTo(absl::GetFlag(FLAGS_emulator_port));
      s.open_watches = open_watches_.load();
      s.calls = calls_.load();
      samples_.push_back(s);
      std::printf("%7.0fs %10ld %8ld %6d %9d %8d %9ld\n",
                  absl::ToDoubleSeconds(s.at), s.rss_kib, s.threads, s.fds,
                  s.upstream_connections, s.open_watches, s.calls);
      std::fflush(stdout);
      if (s.rss_kib < 0) {
        std::printf("the server is gone\n");
        break;
      }
      absl::SleepFor(std::min(absl::GetFlag(FLAGS_sample_every),
                              std::max(end_ - absl::Now(), absl::ZeroDuration())));
    }
    stop_ = true;
    for (auto& t : threads) t.join();
    return Summary();
  }

 private:
  std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      absl::ToChronoNanoseconds(timeout));
    return ctx;
  }

  void Count(const std::string& op, const grpc::Status& s) {
    ++calls_;
    std::lock_guard<std::mutex> lock(mu_);
    ++outcomes_[op][s.error_code()];
  }

  void Remember(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    recent_.push_back(name);
    if (recent_.size() > 500) recent_.pop_front();
  }
  std::string Recent(std::mt19937& rng) {
    std::lock_guard<std::mutex> lock(mu_);
    if (recent_.empty()) return "";
    return recent_[rng() % recent_.size()];
  }

  void Worker(int index) {
    std::mt19937 rng(index * 7919 + 1);
    int n = 0;
    while (!stop_ && absl::Now() < end_) {
      ++n;
      switch (rng() % 10) {
        case 0:
        case 1:
        case 2: {  // create, a tenth retried with the same request_id
          v1::CreateMediaRequest r;
          r.set_request_id(absl::StrCat("soak-", index, "-", n));
          r.set_prompt(absl::StrCat("soak clip ", index, " ", n));
          v1::CreateMediaResponse resp;
          grpc::Status s = media_->CreateMedia(Ctx(absl::Seconds(10)).get(), r, &resp);
          Count("create", s);
          {
            std::lock_guard<std::mutex> lock(mu_);
            request_ids_.insert(r.request_id());
          }
          if (s.ok()) Remember(resp.media().name());
          if (rng() % 10 == 0) {
            Count("create retry",
                  media_->CreateMedia(Ctx(absl::Seconds(10)).get(), r, &resp));
          }
          break;
        }
        case 3: {
          const std::string name = Recent(rng);
          if (name.empty()) break;
          v1::GetJobRequest r;
          r.set_name(name);
          v1::GetJobResponse resp;
          Count("get", jobs_->GetJob(Ctx(absl::Seconds(10)).get(), r, &resp));
          break;
        }
        case 4: {
          const std::string name = Recent(rng);
          if (name.empty()) break;
          v1::WatchJobRequest r;
          r.set_name(name);
          auto ctx = Ctx(absl::Seconds(60));
          auto reader = jobs_->WatchJob(ctx.get(), r);
          v1::WatchJobResponse msg;
          while (reader->Read(&msg)) {
          }
          Count("watch", reader->Finish());
          break;
        }
        case 5: {
          auto ctx = Ctx(absl::Seconds(30));
          v1::UploadVideoResponse resp;
          auto writer = video_->UploadVideo(ctx.get(), &resp);
          v1::UploadVideoRequest m;
          m.mutable_metadata()->set_file_name("soak.mp4");
          m.mutable_metadata()->set_content_type("video/mp4");
          if (writer->Write(m)) {
            v1::UploadVideoRequest c;
            c.set_chunk(std::string(256 << 10, 'v'));
            for (int i = 0; i < 4 && writer->Write(c); ++i) {
            }
            writer->WritesDone();
          }
          Count("upload", writer->Finish());
          break;
        }
        case 6: {
          auto ctx = Ctx(absl::Seconds(30));
          v1::SynthesizeSpeechRequest r;
          r.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
          r.set_text("A soak test keeps talking for ten minutes.");
          auto reader = eleven_->SynthesizeSpeech(ctx.get(), r);
          v1::SynthesizeSpeechResponse msg;
          while (reader->Read(&msg)) {
          }
          Count("speech", reader->Finish());
          break;
        }
        case 7: {
          v1::GenerateAudioRequest r;
          r.set_prompt("soak music");
          r.set_seconds_total(5);
          r.set_steps(10);
          v1::GenerateAudioResponse resp;
          grpc::Status s =
              stable_->GenerateAudio(Ctx(absl::Seconds(10)).get(), r, &resp);
          Count("generate", s);
          if (s.ok()) {
            Remember(resp.generation().name());
            v1::GetGenerationRequest g;
            g.set_name(resp.generation().name());
            v1::GetGenerationResponse gr;
            Count("get generation",
                  stable_->GetGeneration(Ctx(absl::Seconds(10)).get(), g, &gr));
          }
          break;
        }
        default: {
          v1::EstimateVideoCreditsRequest r;
          r.set_app_name("reference-to-video");
          r.set_option("KlingO");
          r.set_duration(5);
          v1::EstimateVideoCreditsResponse resp;
          Count("estimate",
                video_->EstimateVideoCredits(Ctx(absl::Seconds(10)).get(), r, &resp));
          break;
        }
      }
    }
  }

  // Keeps `--watches` streams open, each replaced when it ends.
  void Watches() {
    std::mt19937 rng(4242);
    std::vector<std::unique_ptr<testing::WatchClient>> open;
    while (!stop_ && absl::Now() < end_) {
      std::vector<std::unique_ptr<testing::WatchClient>> still;
      for (auto& w : open) {
        if (w->status().has_value()) {
          Count("watch stream", *w->status());
        } else {
          still.push_back(std::move(w));
        }
      }
      open = std::move(still);
      while (static_cast<int>(open.size()) < absl::GetFlag(FLAGS_watches)) {
        const std::string name = Recent(rng);
        if (name.empty()) break;
        open.push_back(std::make_unique<testing::WatchClient>(jobs_.get(), name));
      }
      open_watches_ = static_cast<int>(open.size());
      absl::SleepFor(absl::Milliseconds(200));
    }
    for (auto& w : open) w->Cancel();
    for (auto& w : open) w->WaitDone(absl::Seconds(10));
    open_watches_ = 0;
  }

  // One fault rule of the matrix at a time: 15 s on, 5 s off.
  void Faults() {
    const std::vector<json> rules = {
        {{"method", "POST"}, {"path", "/v2/media"}, {"status", 503}, {"times", 20}},
        {{"method", "POST"}, {"path", "/v2/media"}, {"status", 500},
         {"after_processing", true}, {"times", 10}},
        {{"method", "GET"}, {"path", "/v2/media/*"}, {"status", 429}, {"times", 50}},
        {{"method", "GET"}, {"path", "/v2/media/*"}, {"reset_after_bytes", 10},
         {"times", 30}},
        {{"method", "GET"}, {"path", "/v2/generate/audio"}, {"malformed_json", true},
         {"times", 20}},
        {{"method", "POST"}, {"path", "/v1/text-to-speech/*"},
         {"drip_bytes_per_sec", 2000}, {"times", 5}},
        {{"method", "POST"}, {"path", "/v2/video"}, {"latency_ms", 3000}, {"times", 5}},
        {{"method", "POST"}, {"path", "/v2/video/estimate-credits"},
         {"oversize_bytes", 17 << 20}, {"times", 5}},
        {{"method", "POST"}, {"path", "/v1/text-to-speech/*"}, {"status", 200},
         {"after_processing", true}, {"content_type", "application/json"},
         {"body", {{"status", "ok"}}}, {"times", 5}},
    };
    httplib::Client emu("127.0.0.1", absl::GetFlag(FLAGS_emulator_port));
    size_t next = 0;
    while (!stop_ && absl::Now() < end_) {
      emu.Post("/_emulator/faults", rules[next % rules.size()].dump(),
               "application/json");
      ++faults_installed_;
      ++next;
      for (int i = 0; i < 150 && !stop_; ++i) absl::SleepFor(absl::Milliseconds(100));
      emu.Delete("/_emulator/faults");
      for (int i = 0; i < 50 && !stop_; ++i) absl::SleepFor(absl::Milliseconds(100));
    }
    emu.Delete("/_emulator/faults");
  }

  int Summary() {
    int failures = 0;
    std::printf("\n== summary\n");
    if (samples_.size() < 3) {
      std::printf("too few samples\n");
      return 1;
    }
    // Growth is judged after the warm-up (see --warmup).
    const Sample& first = samples_.front();
    const Sample& last = samples_.back();
    size_t warm = 0;
    while (warm + 2 < samples_.size() &&
           samples_[warm].at < absl::GetFlag(FLAGS_warmup)) {
      ++warm;
    }
    long rss_peak = 0, threads_min = 1 << 30, threads_max = 0;
    int fds_max = 0;
    for (const Sample& s : samples_) {
      rss_peak = std::max(rss_peak, s.rss_kib);
      threads_min = std::min(threads_min, s.threads);
      threads_max = std::max(threads_max, s.threads);
      fds_max = std::max(fds_max, s.fds);
    }
    // Second half against first half after warm-up: a leak keeps climbing.
    const size_t mid = warm + (samples_.size() - warm) / 2;
    long rss_first_half = 0, rss_second_half = 0;
    for (size_t i = warm; i < mid; ++i) rss_first_half = std::max(rss_first_half, samples_[i].rss_kib);
    for (size_t i = mid; i < samples_.size(); ++i) rss_second_half = std::max(rss_second_half, samples_[i].rss_kib);
    std::printf("duration %s, %ld calls, %d fault rules rotated\n",
                absl::FormatDuration(last.at).c_str(), last.calls,
                faults_installed_.load());
    std::printf("RSS KiB: first %ld, after warm-up (%s) %ld, peak %ld, last "
                "%ld; after warm-up, max of 1st half %ld, of 2nd half %ld\n",
                first.rss_kib,
                absl::FormatDuration(samples_[warm].at).c_str(),
                samples_[warm].rss_kib, rss_peak, last.rss_kib, rss_first_half,
                rss_second_half);
    std::printf("threads: first %ld, min %ld, max %ld, last %ld; fds max %d, "
                "last %d\n",
                first.threads, threads_min, threads_max, last.threads, fds_max,
                last.fds);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [op, codes] : outcomes_) {
        std::string line = absl::StrFormat("  %-15s", op);
        for (const auto& [code, n] : codes) {
          absl::StrAppend(&line, " ", absl::StatusCodeToString(
                                          static_cast<absl::StatusCode>(code)),
                          "=", n);
        }
        std::printf("%s\n", line.c_str());
      }
    }
    // No request_id charged twice: the emulator's creates never exceed
    // the distinct ids sent (fewer when a fault refused some before work).
    httplib::Client emu("127.0.0.1", absl::GetFlag(FLAGS_emulator_port));
    auto res = emu.Get("/_emulator/counters");
    int creates = -1;
    if (res && res->status == 200) {
      json c = json::parse(res->body, nullptr, false);
      creates = c["customers"]["demo-customer"]["creates"].value("POST /v2/media", 0);
    }
    size_t ids;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ids = request_ids_.size();
    }
    std::printf("media creates upstream %d for %zu distinct request ids\n",
                creates, ids);
    if (creates < 0 || static_cast<size_t>(creates) > ids) {
      std::printf("FAIL: more creates than request ids\n");
      ++failures;
    }
    if (last.rss_kib < 0) {
      std::printf("FAIL: the server died\n");
      ++failures;
    }
    // A leak of even 1 KiB per call would add tens of MiB here.
    if (rss_second_half > rss_first_half + rss_first_half / 4 + 16 * 1024) {
      std::printf("FAIL: RSS kept growing\n");
      ++failures;
    }
    if (last.threads > samples_[warm].threads + 8) {
      std::printf("FAIL: threads kept growing\n");
      ++failures;
    }
    std::printf("%s\n", failures == 0 ? "soak: ok" : "soak: FAILED");
    return failures == 0 ? 0 : 1;
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MediaService::Stub> media_;
  std::unique_ptr<v1::VideoService::Stub> video_;
  std::unique_ptr<v1::ElevenLabsService::Stub> eleven_;
  std::unique_ptr<v1::StableAudioService::Stub> stable_;
  std::unique_ptr<v1::JobService::Stub> jobs_;
  absl::Time end_;
  std::atomic<bool> stop_{false};
  std::atomic<long> calls_{0};
  std::atomic<int> open_watches_{0};
  std::atomic<int> faults_installed_{0};
  std::mutex mu_;
  std::deque<std::string> recent_;
  std::set<std::string> request_ids_;
  std::map<std::string, std::map<int, long>> outcomes_;
  std::vector<Sample> samples_;
};

}  // namespace
}  // namespace mediagen::soak

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  return mediagen::soak::Soak().Run();
}
