#include "service/api/job_slot_sweeper.h"

#include <string>
#include <utility>
#include <vector>

#include "service/api/job_service.h"
#include "service/api/job_slots.h"
#include "service/common/mutex.h"

namespace mediagen::api {

class JobSlotSweeper::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(const ApiContext& api, Scheduler* scheduler, absl::Duration interval)
      : api_(api), scheduler_(scheduler), interval_(interval) {}

  void ScheduleNext() {
    MutexLock lock(&mu_);
    if (stopped_) return;
    std::weak_ptr<Impl> weak = weak_from_this();
    task_ = scheduler_->RunAfter(interval_, [weak] {
      if (auto self = weak.lock()) self->Sweep();
    });
  }

  void Stop() {
    MutexLock lock(&mu_);
    // Once only: the destructor stops again, after the server has
    // destroyed the scheduler.
    if (stopped_) return;
    stopped_ = true;
    scheduler_->Cancel(task_);
    // A sweep running now holds mu_ while it starts its reads (below), so
    // none starts once this returns.
  }

 private:
  void Sweep() {
    {
      MutexLock lock(&mu_);
      if (stopped_) return;
    }
    // A shared store answers later, on its own thread; the next sweep is
    // scheduled once this one's jobs are known (never two at once).
    std::weak_ptr<Impl> weak = weak_from_this();
    api_.quota->JobsToCheck(interval_, [weak](std::vector<quota::JobRef> due) {
      auto self = weak.lock();
      if (self == nullptr) return;
      self->Check(due);
      self->ScheduleNext();
    });
  }

  void Check(const std::vector<quota::JobRef>& due) {
    MutexLock lock(&mu_);
    if (stopped_) return;
    quota::QuotaStore* quota = api_.quota;
    for (const quota::JobRef& ref : due) {
      std::shared_ptr<const auth::Tenant> tenant =
          api_.tenants->Find(ref.tenant);
      if (tenant == nullptr) {
        quota->JobEnded(ref.tenant, ref.name);  // the tenant is gone
        continue;
      }
      // Answered from the registry's entry when fresh (or terminal, which
      // the read that saw it reported already); read upstream otherwise.
      api_.registry->Get(
          ref.tenant, ref.name,
          JobReader(api_, ref.tenant, tenant->credentials, ref.name),
          [quota, ref](absl::StatusOr<v1::Job> job) {
            NoteJobRead(quota, ref.tenant, ref.name, job);
          });
    }
  }

  const ApiContext api_;
  Scheduler* const scheduler_;
  const absl::Duration interval_;
  Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  Scheduler::TaskId task_ ABSL_GUARDED_BY(mu_) = 0;
};

JobSlotSweeper::JobSlotSweeper(const ApiContext& api, Scheduler* scheduler,
                               absl::Duration interval)
    : impl_(std::make_shared<Impl>(api, scheduler, interval)) {
  if (api.quota != nullptr) impl_->ScheduleNext();
}

JobSlotSweeper::~JobSlotSweeper() { Stop(); }

void JobSlotSweeper::Stop() { impl_->Stop(); }

}  // namespace mediagen::api
