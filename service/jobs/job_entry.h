// One job as the JobRegistry follows it on this replica (its watchers, the
// latest state and polling bookkeeping), and the fan-out of states and
// heartbeats to its watchers. Internal to service/jobs: the registry holds
// its lock while calling the *Locked functions, which never call a watcher
// directly but queue the calls in `actions`, run after the lock is
// released (RunAll), so a watcher may call back into the registry.
//
//   Actions actions;
//   {
//     MutexLock lock(&mu);
//     ApplyStateLocked(entry, job, actions);   // snapshot or change
//   }
//   RunAll(actions);
#ifndef MEDIAGEN_SERVICE_JOBS_JOB_ENTRY_H_
#define MEDIAGEN_SERVICE_JOBS_JOB_ENTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "mediagen/v1/jobs.pb.h"
#include "service/common/scheduler.h"
#include "service/jobs/job_coordinator.h"
#include "service/jobs/job_registry.h"

namespace mediagen::jobs {

using Action = absl::AnyInvocable<void() &&>;
using Actions = std::vector<Action>;

// Runs and clears `actions`, in order.
void RunAll(Actions& actions);

// The same job state, whatever the versions.
bool SameState(const v1::Job& a, const v1::Job& b);

// Who polls an entry upstream.
enum class Role {
  kLocal,     // this replica, alone (no coordinator, or it is unreachable)
  kOwner,     // this replica, holding the job's lease
  kFollower,  // another replica; this one delivers what it publishes
};

struct WatcherSlot {
  std::shared_ptr<Watcher> watcher;
  // Nothing at or below this version is sent (0: a new watch).
  int64_t resume_from = 0;
  bool primed = false;  // got its first message (snapshot or heartbeat)
};

struct Entry {
  std::string key;
  std::string tenant;
  std::string name;
  ReadFn read;
  std::shared_ptr<const v1::Job> snapshot;
  int64_t version = 0;
  absl::Time read_at = absl::InfinitePast();
  absl::Time last_read_start = absl::InfinitePast();
  // When the last read that a poke asked for began: pokes are spaced from
  // that, not from polls, so a webhook right after a poll is not held back.
  absl::Time last_poke_read = absl::InfinitePast();
  bool poke_scheduled = false;  // the pending poll_task is a spaced poke
  bool stale = false;           // Invalidate()d: the cache must not answer
  bool reading = false;     // an upstream read (and its publication) under way
  bool looking_up = false;  // a read of the shared state under way
  bool dirty = false;       // poked during a read: read again right after
  uint64_t generation = 0;
  absl::Duration interval;
  Role role = Role::kLocal;
  // While local watchers exist and a coordinator is configured.
  std::unique_ptr<JobCoordinator::Membership> membership;
  std::map<uint64_t, WatcherSlot> watchers;
  std::vector<ReadDone> getters;
  Scheduler::TaskId poll_task = 0;
  Scheduler::TaskId heartbeat_task = 0;
  Scheduler::TaskId expiry_task = 0;
};

// The first message for `slot`: the snapshot, or a heartbeat when the
// watcher resumed from this version or a later one.
void PrimeLocked(Entry& e, WatcherSlot& slot, Actions& actions);

// Primes every watcher that has had no message yet.
void PrimeAllLocked(Entry& e, Actions& actions);

// A heartbeat to every primed watcher (never below its resume point).
void HeartbeatAllLocked(Entry& e, Actions& actions);

// Makes `job` (its version set, above e.version) the entry's state: the
// snapshot for watchers not yet primed, a change for the others whose
// resume point it passes.
void ApplyStateLocked(Entry& e, v1::Job job, Actions& actions);

}  // namespace mediagen::jobs

#endif  // MEDIAGEN_SERVICE_JOBS_JOB_ENTRY_H_
