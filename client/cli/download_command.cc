#include "client/cli/download_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/cli/download.h"
#include "client/cli/progress.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;

bool IsResourceName(absl::string_view s) {
  return absl::StartsWith(s, "media/") || absl::StartsWith(s, "assets/") ||
         absl::StartsWith(s, "generations/");
}

}  // namespace

int RunDownload(client::Client& client, const Arguments& p,
                const Console& console) {
  if (p.positional.size() < 2) {
    return Usage(console, "download NAME|URL [-o DIR|FILE]");
  }
  std::vector<std::string> urls;
  for (size_t i = 1; i < p.positional.size(); ++i) {
    const std::string& what = p.positional[i];
    if (!IsResourceName(what)) {
      urls.push_back(what);
      continue;
    }
    v1::GetJobRequest request;
    request.set_name(what);
    client::CallOptions options;
    options.timeout = p.globals.timeout;
    absl::StatusOr<v1::GetJobResponse> job = client.GetJob(request, options);
    if (!job.ok()) return Fail(console, job.status());
    if (job->job().result_urls().empty()) {
      return Fail(console, absl::FailedPreconditionError(absl::StrCat(
                               what, " has no results yet (",
                               StateName(job->job().state()), ")")));
    }
    for (const std::string& url : job->job().result_urls()) urls.push_back(url);
  }
  // -o is a file for a single URL unless it is an existing directory or
  // ends in '/'; several URLs always go into a directory.
  std::string out = p.globals.output.empty() ? "." : p.globals.output;
  const bool into_dir = urls.size() > 1 || absl::EndsWith(out, "/") ||
                        access((out + "/.").c_str(), F_OK) == 0;
  if (into_dir) ::mkdir(out.c_str(), 0755);
  for (size_t i = 0; i < urls.size(); ++i) {
    const std::string path =
        into_dir
            ? absl::StrCat(absl::StripSuffix(out, "/"), "/",
                           FileNameFromUrl(urls[i], absl::StrCat("result-", i)))
            : out;
    LiveLine live(console.err, console.err_is_terminal);
    const absl::Time start = console.Now();
    absl::StatusOr<int64_t> bytes =
        DownloadToFile(urls[i], path, [&](int64_t done, int64_t total) {
          live.Update(TransferLine(done, total, console.Now() - start));
        });
    live.Done();
    if (!bytes.ok()) return Fail(console, bytes.status());
    if (p.globals.json) {
      console.out << "{\"url\":\"" << absl::CEscape(urls[i]) << "\",\"path\":\""
                  << absl::CEscape(path) << "\",\"bytes\":" << *bytes << "}\n";
    } else {
      console.out << "downloaded " << path << " (" << FormatBytes(*bytes)
                  << ")\n";
    }
    console.out.flush();
  }
  return 0;
}

}  // namespace mediagen::cli
