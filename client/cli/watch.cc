#include "client/cli/watch.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/progress.h"

namespace mediagen::cli {

namespace v1 = ::mediagen::v1;

int Watch(client::Client& client, const std::string& name, const Globals& g,
          const Console& console, int64_t resume_from_version) {
  std::ostream& out = console.out;
  const bool tty = console.out_is_terminal && !g.json;
  LiveLine live(out, tty);
  const absl::Time start = console.Now();
  v1::JobState last_state = v1::JOB_STATE_UNSPECIFIED;
  client::CallOptions options;
  options.timeout = g.timeout;
  absl::StatusOr<v1::Job> done = client.FollowJob(
      name,
      [&](const v1::Job& job) {
        const std::string elapsed = absl::StrFormat(
            "%5.1fs", absl::ToDoubleSeconds(console.Now() - start));
        if (g.json) {
          out << ToJson(job, false) << "\n" << std::flush;
        } else if (tty) {
          if (job.state() != last_state) {
            live.Print(absl::StrCat(
                elapsed, "  ", StateName(job.state()),
                job.upstream_status().empty()
                    ? ""
                    : absl::StrCat(" (", job.upstream_status(), ")")));
          }
          live.Update(absl::StrCat(elapsed, "  ", JobLine(job, 30)));
        } else {
          out << elapsed << "  " << JobLine(job, 20) << "  v" << job.version()
              << "\n"
              << std::flush;
        }
        last_state = job.state();
      },
      client::FollowOptions{.resume_from_version = resume_from_version},
      options);
  live.Done();
  if (!done.ok()) return Fail(console, done.status());
  if (!g.json) {
    for (const std::string& url : done->result_urls()) {
      out << "result: " << url << "\n";
    }
    if (!done->error_message().empty()) {
      out << "error: " << done->error_message() << "\n";
    }
  }
  out.flush();
  if (done->state() == v1::JOB_STATE_FAILED) return kExitJobFailed;
  if (done->state() == v1::JOB_STATE_CANCELLED) return kExitJobCancelled;
  return 0;
}

}  // namespace mediagen::cli
