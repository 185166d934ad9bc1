// The emulator's jobs (Vimmerse media, Vimmerse video assets, AIMLAPI
// generations) and the clock that moves them through their statuses on a
// configurable time scale. One thread runs every job's timeline.
//
// Timeline (in units of `job_seconds`, times `time_scale`):
//   media/asset  new -> queue_bullet (0.10) -> processing_bullet (0.25,
//                progress 0, then 20/40/60/80 every 0.15) -> success (1.0,
//                progress 100); a failing job goes to `fail` at 0.60.
//   generation   queued -> generating (0.10) -> completed (0.50), or
//                error at 0.30.
//
//   JobStore jobs({.time_scale = 0.01, .job_seconds = 20},
//                 [](const JobStore::Change& c) { /* webhook */ });
//   jobs.Start();
//   Job job;  job.kind = JobKind::kMedia; job.id = "m1"; ...
//   jobs.Add(std::move(job));
//   std::optional<nlohmann::json> media =
//       jobs.Get("m1", "customer-1", JobKind::kMedia);
//   jobs.WaitTerminal("m1", std::chrono::seconds(5));
#ifndef MEDIAGEN_TESTS_EMULATOR_JOB_CLOCK_H_
#define MEDIAGEN_TESTS_EMULATOR_JOB_CLOCK_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace mediagen::emulator {

enum class JobKind { kMedia, kAsset, kGeneration };

const char* JobKindName(JobKind kind);

struct Job {
  JobKind kind = JobKind::kMedia;
  std::string id;
  std::string customer_id;
  // What GET answers: the media object, the asset, or the generation. The
  // clock keeps its status, progress, results and `updated_at` current.
  nlohmann::json object;
  std::string webhook_url;
  std::vector<std::string> results;  // result URLs, published on success
  nlohmann::json audio_file;         // generations: published on completed
  // Set by JobStore::Add from the outcome queue.
  bool fail = false;
  std::string error_message;
};

class JobStore {
 public:
  struct Options {
    double time_scale = 1.0;
    double job_seconds = 20.0;
  };
  // A status change, reported after the store's lock is released.
  struct Change {
    JobKind kind;
    std::string id;
    std::string customer_id;
    std::string status;
    std::string webhook_url;
  };
  using ChangeCallback = std::function<void(const Change&)>;

  JobStore(Options options, ChangeCallback on_change);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  void Start();
  void Stop();

  // Queues the outcome of the next job(s) of `kind` ("media", "asset",
  // "generation" or "any"): `fail` true makes them fail with `message`.
  void QueueOutcome(const std::string& kind, bool fail, int count,
                    const std::string& message);
  nlohmann::json PendingOutcomes() const;

  // Stores the job (taking the next queued outcome for its kind) and starts
  // its timeline.
  void Add(Job job);

  // A copy of the visible object of job `id` if it is a `kind` job that
  // belongs to `customer_id` (empty: any customer).
  std::optional<nlohmann::json> Get(const std::string& id,
                                    const std::string& customer_id,
                                    JobKind kind) const;

  // Get() serialized: the same bytes, cached between changes, so polling a
  // job costs no JSON work (the throughput benchmark's route).
  std::optional<std::string> GetJson(const std::string& id,
                                     const std::string& customer_id,
                                     JobKind kind) const;

  // Applies `edit` to the job under the lock. With `restart`, the job goes
  // back to its first status and runs its timeline again (media
  // regeneration), taking a new queued outcome. Returns the visible object
  // after the edit, or nullopt when there is no such job for the customer.
  std::optional<nlohmann::json> Edit(const std::string& id,
                                     const std::string& customer_id,
                                     JobKind kind,
                                     const std::function<void(Job&)>& edit,
                                     bool restart);

  // Blocks until the job is terminal, `timeout` passes, or the store stops.
  // True when terminal.
  bool WaitTerminal(const std::string& id, std::chrono::milliseconds timeout);

  // Runs the job's next step now (control API).
  absl::Status Advance(const std::string& id);
  // Ends the job now: "success", "fail" or "cancel" (generations:
  // "completed"/"success" or "error"/"fail").
  absl::Status Complete(const std::string& id, const std::string& outcome,
                        const std::string& message);
  // While paused, no timeline step runs (Advance and Complete still do).
  void SetPaused(bool paused);
  bool paused() const;

  // {id: {kind, customer_id, status, fail, next_step, steps}}.
  nlohmann::json Describe(const std::string& id) const;
  size_t size() const;

  // Forgets every job, timer and queued outcome; unpauses.
  void Reset();

  static bool IsTerminal(JobKind kind, const std::string& status);

 private:
  struct Step {
    double at;  // fraction of job_seconds after the cycle starts
    std::string status;
    int progress;
  };
  struct Entry {
    Job job;
    mutable std::string dump;  // job.object serialized; "" when stale
    std::vector<Step> steps;
    size_t next_step = 0;
    uint64_t cycle = 0;
    std::string status;
  };
  struct Timer {
    std::string id;
    uint64_t cycle;
    size_t step;
  };
  using Clock = std::chrono::steady_clock;

  void Run();
  void TakeOutcomeLocked(Job& job);
  void StartCycleLocked(Entry& entry);
  // Applies `status`/`progress` to the entry; queues a Change in outbox_
  // when the status changed.
  void ApplyLocked(Entry& entry, const std::string& status, int progress);
  // Reports queued changes, in the order they happened, without mu_ held.
  // Called by every thread that changed a job, after releasing mu_.
  void Notify();

  const Options options_;
  const ChangeCallback on_change_;
  mutable std::mutex mu_;
  std::condition_variable cv_;           // timer thread
  std::condition_variable terminal_cv_;  // WaitTerminal
  std::map<std::string, Entry> jobs_;
  std::multimap<Clock::time_point, Timer> timers_;
  struct Outcome {
    std::string kind;
    bool fail;
    std::string message;
  };
  std::deque<Outcome> outcomes_;
  std::deque<Change> outbox_;  // guarded by mu_
  // Held while reporting, so two threads cannot report out of order.
  std::mutex notify_mu_;
  bool paused_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_JOB_CLOCK_H_
