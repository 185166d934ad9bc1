// JobRegistry: one poller per (tenant, job) however many callers watch it.
// Watchers get the current snapshot first, then each change with a higher
// version, heartbeats in between, and the end after a terminal state. Polls
// back off while nothing changes; a webhook poke makes the next poll happen
// now. GetJob reads through the same entry, so a fresh cached state answers
// without an upstream call.
//
//   JobRegistry registry(JobRegistry::Options{}, &scheduler);
//   ReadFn read = [engine, creds, name](ReadDone done) {
//     engine->GetJob(creds, name, std::move(done));
//   };
//   auto handle = registry.Watch("tenant-a", "media/m1",
//                                /*resume_from_version=*/0, read, watcher);
//   registry.Poke("tenant-a", "media/m1");       // from a webhook
//   handle.reset();                               // stop watching
//
// Several replicas: given a JobCoordinator (job_coordinator.h) that shares
// state through Redis, one replica polls each job (it holds the job's
// lease) and publishes every new state; the others deliver what it
// publishes to their own watchers, answer GetJob from the shared state while
// it is fresh, and take over the polling when the poller goes away. When
// the coordinator is unavailable every replica polls what it watches itself
// (versions are a function of upstream's state, so they still agree), and
// returns to shared polling when it is back, without ending any watch.
//
// Threading: everything is thread-safe. Watcher callbacks run on scheduler
// or transport threads, outside the registry's lock, and may run
// concurrently for one watcher (a heartbeat beside a change). A watcher must
// therefore (a) ignore a job whose version is not above the last it took,
// (b) ignore everything after OnEnd, and (c) never block. It may call back
// into the registry (e.g. drop its handle) from inside a callback.
#ifndef MEDIAGEN_SERVICE_JOBS_JOB_REGISTRY_H_
#define MEDIAGEN_SERVICE_JOBS_JOB_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mediagen/v1/jobs.pb.h"
#include "service/common/scheduler.h"
#include "service/jobs/job_coordinator.h"

namespace mediagen::jobs {

// Receives one watch's events. See the threading notes above.
class Watcher {
 public:
  virtual ~Watcher() = default;
  // The snapshot, or a change. `job.version()` increases.
  virtual void OnJob(const v1::Job& job) = 0;
  // Nothing changed; `version` is the latest the registry holds.
  virtual void OnHeartbeat(int64_t version) = 0;
  // The end: OK right after a terminal job; otherwise why it stopped
  // (NOT_FOUND, PERMISSION_DENIED, UNAVAILABLE on shutdown, ...).
  virtual void OnEnd(const absl::Status& status) = 0;
};

using ReadDone = absl::AnyInvocable<void(absl::StatusOr<v1::Job>) &&>;
// Reads the job from upstream once. Called with no registry lock held.
using ReadFn = std::function<void(ReadDone)>;

class JobRegistry {
 public:
  struct Options {
    // Poll interval right after a change; grows by `poll_multiplier` while
    // nothing changes, up to `max_poll_interval`.
    absl::Duration min_poll_interval = absl::Seconds(1);
    absl::Duration max_poll_interval = absl::Seconds(10);
    double poll_multiplier = 2.0;
    // Below common mesh / load balancer idle timeouts (60 s and more).
    absl::Duration heartbeat_interval = absl::Seconds(15);
    // GetJob answers from the cache when the last read is this recent.
    absl::Duration fresh_for = absl::Seconds(1);
    // An unwatched entry is kept this long for GetJob and new watchers.
    absl::Duration idle_ttl = absl::Minutes(2);
    // Webhook pokes closer together than this share one read.
    absl::Duration min_poke_gap = absl::Milliseconds(50);
  };

  // `coordinator` may be null (a single replica); it must outlive the
  // registry.
  JobRegistry(Options options, Scheduler* scheduler,
              JobCoordinator* coordinator = nullptr);
  // Ends every watcher with UNAVAILABLE and stops all polling.
  ~JobRegistry();
  JobRegistry(const JobRegistry&) = delete;
  JobRegistry& operator=(const JobRegistry&) = delete;

  // Ends the watch when destroyed (no OnEnd is sent for that).
  class WatchHandle {
   public:
    virtual ~WatchHandle() = default;
  };

  // Registers `watcher` for (tenant, name). `read` is used for polling while
  // anybody watches (the first watcher's `read` is kept; all watchers of an
  // entry belong to the same tenant). resume_from_version: 0 for a new
  // watch; otherwise the last version the caller holds. Versions are a
  // function of upstream's state (job_version.h), so they mean the same on
  // every replica: the watcher gets only states with a higher version (the
  // current one first, if it is), and a heartbeat instead while this
  // replica knows of nothing newer. Never a lower version.
  std::unique_ptr<WatchHandle> Watch(const std::string& tenant,
                                     const std::string& name,
                                     int64_t resume_from_version, ReadFn read,
                                     std::shared_ptr<Watcher> watcher);

  // The job's state: cached when fresh (or terminal), else read (sharing an
  // in-flight read). `done` may run on this thread. When no answer has come
  // by `deadline` (on the scheduler's clock), `done` gets DEADLINE_EXCEEDED
  // then, on a scheduler thread, and nothing later: a caller is never held
  // past its own deadline by a read it shares with the job's watchers (whose
  // reads take the poll timeout), and the read carries on for them.
  void Get(const std::string& tenant, const std::string& name, ReadFn read,
           ReadDone done, absl::Time deadline = absl::InfiniteFuture());

  // A hint that (tenant, name) changed (a webhook). Reads now when somebody
  // watches it; returns whether anybody does. Never trusts the hint itself.
  bool Poke(const std::string& tenant, const std::string& name);

  // Forget the cached state (e.g. after UpdateMedia restarted generation).
  void Invalidate(const std::string& tenant, const std::string& name);

  // Ends every watch with `status` (drain) and refuses new ones with it.
  void Shutdown(const absl::Status& status);

  // Jobs this replica polls upstream (with a coordinator: those whose lease
  // it holds, or all it watches while the coordinator is unavailable).
  size_t active_pollers() const;
  size_t watcher_count() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Terminal states end a watch.
bool IsTerminal(v1::JobState state);

}  // namespace mediagen::jobs

#endif  // MEDIAGEN_SERVICE_JOBS_JOB_REGISTRY_H_
