// The version of a job state: a function of what upstream reports, so that
// every replica gives the same state the same version (a watch resumed on
// another replica neither goes back nor repeats what it has seen), and a
// later state of a job gets a higher version even when upstream's
// `updated_at` does not move (Vimmerse advances `processing_status` without
// touching it).
//
//   int64_t v = StateVersion(job);      // job.version() is ignored
//   int64_t next = NextVersion(previous_version, job);
//
// Layout: upstream's update time in seconds, times 10^6, plus an ordinal of
// how far the job has got within that second:
//   state rank (queued 1, running 2, terminal 3)     x 100000
//   upstream status step within the rank (0-9)       x  10000
//   progress percentage (0-100)                      x     10
//   what only appears late: result URLs (up to 4), credits (+5)
// Jobs only move forward through these, so the ordinal grows with every
// change that leaves the update time alone. Positive for every job, and
// below 2^53 until the year 2255, so that a Lua script in Redis (whose
// numbers are doubles) compares and increments versions exactly.
#ifndef MEDIAGEN_SERVICE_JOBS_JOB_VERSION_H_
#define MEDIAGEN_SERVICE_JOBS_JOB_VERSION_H_

#include <cstdint>

#include "mediagen/v1/jobs.pb.h"

namespace mediagen::jobs {

// The version of `job`'s state as upstream reports it.
int64_t StateVersion(const v1::Job& job);

// The version to give `job`, a changed state that follows one with version
// `previous` (0: none): StateVersion(job), unless upstream reported a state
// that does not order after the previous one (its clock went back, or a
// field changed that the ordinal does not see); then previous + 1, so
// versions always increase.
int64_t NextVersion(int64_t previous, const v1::Job& job);

}  // namespace mediagen::jobs

#endif  // MEDIAGEN_SERVICE_JOBS_JOB_VERSION_H_
