#include "service/jobs/job_entry.h"

#include <algorithm>
#include <utility>

#include "google/protobuf/util/message_differencer.h"

namespace mediagen::jobs {

void RunAll(Actions& actions) {
  for (auto& action : actions) std::move(action)();
  actions.clear();
}

bool SameState(const v1::Job& a, const v1::Job& b) {
  google::protobuf::util::MessageDifferencer diff;
  diff.IgnoreField(v1::Job::descriptor()->FindFieldByName("version"));
  return diff.Compare(a, b);
}

void PrimeLocked(Entry& e, WatcherSlot& slot, Actions& actions) {
  slot.primed = true;
  auto w = slot.watcher;
  if (slot.resume_from != 0 && slot.resume_from >= e.snapshot->version()) {
    // The caller has this state, or a later one (its replica read upstream
    // more recently than this one): a lower version would take it back.
    // The heartbeat says the stream is live; the next change that orders
    // after what it holds follows.
    const int64_t version = std::max(e.version, slot.resume_from);
    actions.push_back([w, version] { w->OnHeartbeat(version); });
  } else {
    auto job = e.snapshot;
    actions.push_back([w, job] { w->OnJob(*job); });
  }
}

void PrimeAllLocked(Entry& e, Actions& actions) {
  if (e.snapshot == nullptr) return;
  for (auto& [id, slot] : e.watchers) {
    if (!slot.primed) PrimeLocked(e, slot, actions);
  }
}

void HeartbeatAllLocked(Entry& e, Actions& actions) {
  for (auto& [id, slot] : e.watchers) {
    // The snapshot comes first: nothing goes to a watcher before it.
    if (!slot.primed) continue;
    auto w = slot.watcher;
    const int64_t version = std::max(e.version, slot.resume_from);
    actions.push_back([w, version] { w->OnHeartbeat(version); });
  }
}

void ApplyStateLocked(Entry& e, v1::Job job, Actions& actions) {
  e.version = job.version();
  e.snapshot = std::make_shared<const v1::Job>(std::move(job));
  for (auto& [id, slot] : e.watchers) {
    if (!slot.primed) {
      PrimeLocked(e, slot, actions);
    } else if (e.version > slot.resume_from) {
      auto w = slot.watcher;
      auto job_ptr = e.snapshot;
      actions.push_back([w, job_ptr] { w->OnJob(*job_ptr); });
    }
  }
}

}  // namespace mediagen::jobs
