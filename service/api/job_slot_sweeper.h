// JobSlotSweeper: a job that holds a place among its tenant's jobs in
// flight but that nobody watches or reads would hold it forever, since
// only reads see jobs end. Every `interval` this reads (through the job
// registry, so a fresh or shared state costs no upstream call) each held
// job nobody has reported on for that long; a read that finds it ended
// frees its place (JobReader, NoteJobRead).
//
//   JobSlotSweeper sweeper(api, &scheduler, absl::Minutes(1));
//   ...
//   sweeper.Stop();   // before the registry and the scheduler go
#ifndef MEDIAGEN_SERVICE_API_JOB_SLOT_SWEEPER_H_
#define MEDIAGEN_SERVICE_API_JOB_SLOT_SWEEPER_H_

#include <memory>

#include "absl/time/time.h"
#include "service/api/api_context.h"
#include "service/common/scheduler.h"

namespace mediagen::api {

class JobSlotSweeper {
 public:
  // `api.quota`, `api.registry`, `api.tenants` and `scheduler` must
  // outlive the first Stop(); does nothing when api.quota is null.
  JobSlotSweeper(const ApiContext& api, Scheduler* scheduler,
                 absl::Duration interval);
  // Stops.
  ~JobSlotSweeper();
  JobSlotSweeper(const JobSlotSweeper&) = delete;
  JobSlotSweeper& operator=(const JobSlotSweeper&) = delete;

  // No sweep starts after this returns. Idempotent; the scheduler is not
  // touched after the first call.
  void Stop();

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_JOB_SLOT_SWEEPER_H_
