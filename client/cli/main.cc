// mediagen: the command-line tool for the mediagen.v1 API.
//
//   mediagen media create --prompt "..." --audio-option.narrator Sarah --watch
//   mediagen video reframe --video-url URL --aspect-ratio 9:16 --watch
//   mediagen video upload --file clip.mp4
//   mediagen watch media/abc
//   mediagen download media/abc -o out/
//   mediagen elevenlabs speech --voice-id V --text "Hello" -o hello.mp3
//
// `mediagen help` lists every command; `mediagen GROUP VERB --help` its flags.
// Exit status: the gRPC status code of the failed call (0 when all is well),
// 20 when a watched job ended FAILED, 21 when it ended CANCELLED.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/cli/commands.h"
#include "client/cli/download.h"
#include "client/cli/progress.h"
#include "client/cli/request_flags.h"
#include "client/client.h"
#include "client/connection.h"
#include "client/file_chunks.h"
#include "client/status.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::google::protobuf::Message;

constexpr int kExitJobFailed = 20;
constexpr int kExitJobCancelled = 21;

// Flags every command understands (the rest are request fields).
struct Globals {
  std::string target;
  std::string token;
  bool json = false;
  bool watch = false;
  bool help = false;
  std::string output;  // -o
  std::string file;    // uploads
  std::string request_json;
  absl::Duration timeout = absl::ZeroDuration();
};

struct Parsed {
  Globals globals;
  std::vector<std::string> positional;
  // Request flags in order: (path, value or nullopt when no value given).
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;
};

int ExitCode(const absl::Status& status) {
  return static_cast<int>(status.code());
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "mediagen: %s\n", client::DescribeError(status).c_str());
  return ExitCode(status);
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "mediagen: %s\n", message.c_str());
  return ExitCode(absl::InvalidArgumentError(""));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Splits argv into globals, positionals and request flags. `--x=v`,
// `--x v`; a request flag followed by another flag (or nothing) has no
// value, which only bool fields accept.
absl::StatusOr<Parsed> Parse(int argc, char** argv) {
  Parsed p;
  const char* env_target = std::getenv("MEDIAGEN_TARGET");
  p.globals.target = env_target ? env_target : "127.0.0.1:50051";
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-o") arg = "--output";
    if (arg == "-h") arg = "--help";
    if (!absl::StartsWith(arg, "--")) {
      p.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto take = [&]() -> absl::StatusOr<std::string> {
      if (value) return *value;
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
      return args[++i];
    };
    if (name == "json" || name == "watch" || name == "help") {
      bool on = true;
      if (value && !absl::SimpleAtob(*value, &on)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, ": expected true or false"));
      }
      (name == "json"    ? p.globals.json
       : name == "watch" ? p.globals.watch
                         : p.globals.help) = on;
    } else if (name == "target" || name == "output" || name == "file" ||
               name == "request" || name == "token-file" || name == "timeout") {
      absl::StatusOr<std::string> v = take();
      if (!v.ok()) return v.status();
      if (name == "target") p.globals.target = *v;
      if (name == "output") p.globals.output = *v;
      if (name == "file") p.globals.file = *v;
      if (name == "request") p.globals.request_json = *v;
      if (name == "token-file") {
        absl::StatusOr<std::string> token = ReadFile(*v);
        if (!token.ok()) return token.status();
        p.globals.token = std::string(absl::StripAsciiWhitespace(*token));
      }
      if (name == "timeout" && (!absl::ParseDuration(*v, &p.globals.timeout) ||
                                p.globals.timeout <= absl::ZeroDuration())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--timeout: \"", *v, "\" is not a duration like 30s or 2m"));
      }
    } else {
      // A request field; its value is the next argument unless that is a
      // flag (bools alone mean true).
      if (!value && i + 1 < args.size() &&
          !absl::StartsWith(args[i + 1], "--")) {
        value = args[++i];
      }
      p.fields.emplace_back(name, value);
    }
  }
  if (p.globals.token.empty()) {
    if (const char* file = std::getenv("MEDIAGEN_TOKEN_FILE")) {
      absl::StatusOr<std::string> token = ReadFile(file);
      if (!token.ok()) return token.status();
      p.globals.token = std::string(absl::StripAsciiWhitespace(*token));
    } else if (const char* token = std::getenv("MEDIAGEN_TOKEN")) {
      p.globals.token = token;
    }
  }
  return p;
}

void PrintHelp() {
  std::printf(
      "mediagen: call the mediagen.v1 API.\n\n"
      "usage: mediagen GROUP VERB [--field VALUE ...] [--watch] [--json]\n"
      "       mediagen watch NAME          follow a job to its end\n"
      "       mediagen download NAME|URL [-o DIR|FILE]\n"
      "       mediagen GROUP VERB --help   the command's flags\n\n"
      "commands:\n");
  for (const Command& c : Commands()) {
    std::printf("  %-13s %-22s %s\n", c.group.c_str(), c.verb.c_str(),
                std::string(c.method->full_name()).c_str());
  }
  std::printf(
      "\nflags for every command:\n"
      "  --target HOST:PORT   server (env MEDIAGEN_TARGET; 127.0.0.1:50051)\n"
      "  --token-file PATH    bearer token file (env MEDIAGEN_TOKEN_FILE, or\n"
      "                       the token itself in env MEDIAGEN_TOKEN)\n"
      "  --timeout 30s        deadline of the call\n"
      "  --json               machine output: one JSON object per line\n"
      "  --watch              after a create, follow the job to its end\n"
      "  --request JSON       the whole request as JSON (flags then add)\n"
      "  -o, --output PATH    where audio or downloads go ('-': stdout)\n\n"
      "exit status: the gRPC status code; 20 job failed; 21 job cancelled\n");
}

void PrintCommandHelp(const Command& c) {
  std::printf("usage: mediagen %s %s [flags]\n  calls %s\n\nrequest flags:\n",
              c.group.c_str(), c.verb.c_str(),
              std::string(c.method->full_name()).c_str());
  for (const std::string& line : DescribeFlags(c.flags_message)) {
    std::printf("%s\n", line.c_str());
  }
  if (c.kind == CallKind::kUpload) {
    std::printf("  --file PATH  the file to upload (required)\n");
  }
  if (c.kind == CallKind::kServerStream) {
    std::printf(
        "  -o PATH      where the audio goes ('-': stdout; required)\n");
  }
  if (c.creates) {
    std::printf("  --watch      follow the created job to its end\n");
  }
}

std::string ToJson(const Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = pretty;
  std::string out;
  google::protobuf::util::MessageToJsonString(message, &out, options).ok();
  if (!pretty) {
    // add_whitespace=false already gives one line.
  } else if (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

// The resource a create returned: the first message field with a `name`.
std::string CreatedName(const Message& response) {
  const auto* d = response.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* field = d->field(i);
    if (field->message_type() == nullptr || field->is_repeated() ||
        !response.GetReflection()->HasField(response, field)) {
      continue;
    }
    const Message& inner =
        response.GetReflection()->GetMessage(response, field);
    const auto* name = inner.GetDescriptor()->FindFieldByName("name");
    if (name != nullptr &&
        name->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      std::string value = inner.GetReflection()->GetString(inner, name);
      if (!value.empty()) return value;
    }
  }
  return "";
}

int Watch(client::Client& client, const std::string& name, const Globals& g) {
  const bool tty = isatty(STDOUT_FILENO) && !g.json;
  LiveLine live(stdout, tty);
  const absl::Time start = absl::Now();
  v1::JobState last_state = v1::JOB_STATE_UNSPECIFIED;
  client::CallOptions options;
  options.timeout = g.timeout;
  absl::StatusOr<v1::Job> done = client.FollowJob(
      name,
      [&](const v1::Job& job) {
        const std::string elapsed = absl::StrFormat(
            "%5.1fs", absl::ToDoubleSeconds(absl::Now() - start));
        if (g.json) {
          std::printf("%s\n", ToJson(job, false).c_str());
          std::fflush(stdout);
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
          std::printf("%s  %s  v%lld\n", elapsed.c_str(),
                      JobLine(job, 20).c_str(),
                      static_cast<long long>(job.version()));
          std::fflush(stdout);
        }
        last_state = job.state();
      },
      {}, options);
  live.Done();
  if (!done.ok()) return Fail(done.status());
  if (!g.json) {
    for (const std::string& url : done->result_urls()) {
      std::printf("result: %s\n", url.c_str());
    }
    if (!done->error_message().empty()) {
      std::printf("error: %s\n", done->error_message().c_str());
    }
  }
  if (done->state() == v1::JOB_STATE_FAILED) return kExitJobFailed;
  if (done->state() == v1::JOB_STATE_CANCELLED) return kExitJobCancelled;
  return 0;
}

absl::Status FillRequest(const Parsed& p, Message* message) {
  if (!p.globals.request_json.empty()) {
    google::protobuf::util::JsonParseOptions options;
    auto status = google::protobuf::util::JsonStringToMessage(
        p.globals.request_json, message, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--request: ", status.message().ToString()));
    }
  }
  for (const auto& [path, value] : p.fields) {
    std::optional<std::string> v = value;
    if (!v) {
      if (!IsBoolFlag(message->GetDescriptor(), path)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", path, " needs a value"));
      }
      v = "true";
    }
    absl::Status status = SetField(message, path, *v);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

int RunUnary(const Command& c, client::Client& client, const Parsed& p) {
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(c.flags_message)
          ->New());
  if (absl::Status s = FillRequest(p, request.get()); !s.ok()) {
    return Usage(absl::StrCat(s.message(), " (mediagen ", c.group, " ", c.verb,
                              " --help)"));
  }
  client::CallOptions options;
  options.timeout = p.globals.timeout;
  absl::StatusOr<std::unique_ptr<Message>> response =
      c.invoke(client, *request, options);
  if (!response.ok()) return Fail(response.status());
  const std::string name = CreatedName(**response);
  if (p.globals.json) {
    std::printf("%s\n", ToJson(**response, false).c_str());
  } else if (c.creates && !name.empty()) {
    std::printf("created %s\n", name.c_str());
  } else {
    std::printf("%s\n", ToJson(**response, true).c_str());
  }
  std::fflush(stdout);
  if (p.globals.watch) {
    if (!c.creates || name.empty()) {
      return Usage("--watch needs a command that creates a job");
    }
    return Watch(client, name, p.globals);
  }
  if (c.creates && !name.empty() && !p.globals.json) {
    std::printf("follow it: mediagen watch %s\n", name.c_str());
  }
  return 0;
}

int RunUpload(const Command& c, client::Client& client, const Parsed& p) {
  if (p.globals.file.empty()) return Usage("--file PATH is required");
  absl::StatusOr<client::FileChunks> file =
      client::FileChunks::Open(p.globals.file);
  if (!file.ok()) return Fail(file.status());
  std::unique_ptr<Message> metadata(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(c.flags_message)
          ->New());
  if (absl::Status s = FillRequest(p, metadata.get()); !s.ok()) {
    return Usage(std::string(s.message()));
  }
  // Defaults from the file itself, unless given.
  const auto* d = metadata->GetDescriptor();
  const auto* r = metadata->GetReflection();
  if (r->GetString(*metadata, d->FindFieldByName("file_name")).empty()) {
    r->SetString(metadata.get(), d->FindFieldByName("file_name"),
                 FileNameFromUrl(p.globals.file, "upload"));
  }
  if (!r->HasField(*metadata, d->FindFieldByName("size_bytes"))) {
    r->SetInt64(metadata.get(), d->FindFieldByName("size_bytes"), file->size());
  }
  const bool tty = isatty(STDERR_FILENO);
  LiveLine live(stderr, tty);
  const absl::Time start = absl::Now();
  const int64_t total = file->size();
  client::ChunkReader reader = file->Reader([&](int64_t sent) {
    live.Update(TransferLine(sent, total, absl::Now() - start));
  });
  client::CallOptions options;
  options.timeout = p.globals.timeout > absl::ZeroDuration()
                        ? p.globals.timeout
                        : absl::Hours(1);  // big files take a while
  absl::StatusOr<std::unique_ptr<Message>> response;
  if (c.method->name() == "UploadVideo") {
    auto done = client.UploadVideo(
        static_cast<const v1::UploadVideoMetadata&>(*metadata), reader,
        options);
    if (done.ok())
      response = std::make_unique<v1::UploadVideoResponse>(*done);
    else
      response = done.status();
  } else {
    auto done = client.UploadAudio(
        static_cast<const v1::UploadAudioMetadata&>(*metadata), reader,
        options);
    if (done.ok())
      response = std::make_unique<v1::UploadAudioResponse>(*done);
    else
      response = done.status();
  }
  live.Done();
  if (!response.ok()) return Fail(response.status());
  if (p.globals.json) {
    std::printf("%s\n", ToJson(**response, false).c_str());
  } else {
    std::printf("uploaded %s (%s in %s)\n", CreatedName(**response).c_str(),
                FormatBytes(total).c_str(),
                FormatClock(absl::Now() - start).c_str());
  }
  return 0;
}

// Streamed audio: written to -o as it arrives.
template <typename Response>
int WriteAudio(client::StreamReader<Response>& stream, const Parsed& p) {
  std::FILE* out = p.globals.output == "-"
                       ? stdout
                       : std::fopen((p.globals.output + ".part").c_str(), "wb");
  if (out == nullptr) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("cannot write ", p.globals.output)));
  }
  const bool tty = out != stdout && isatty(STDERR_FILENO);
  LiveLine live(stderr, tty);
  const absl::Time start = absl::Now();
  std::optional<absl::Duration> first_byte;
  int64_t written = 0;
  std::string info;
  Response message;
  while (stream.Read(&message)) {
    if (message.has_info()) {
      info = ToJson(message.info(), false);
      continue;
    }
    if (!first_byte) first_byte = absl::Now() - start;
    const std::string& chunk = message.audio_chunk();
    std::fwrite(chunk.data(), 1, chunk.size(), out);
    std::fflush(out);
    written += static_cast<int64_t>(chunk.size());
    live.Update(TransferLine(written, -1, absl::Now() - start));
  }
  absl::Status status = stream.Finish();
  live.Done();
  if (out != stdout) {
    std::fclose(out);
    const std::string part = p.globals.output + ".part";
    if (!status.ok()) {
      std::remove(part.c_str());
    } else if (std::rename(part.c_str(), p.globals.output.c_str()) != 0) {
      return Fail(absl::FailedPreconditionError(
          absl::StrCat("cannot write ", p.globals.output)));
    }
  }
  if (!status.ok()) return Fail(status);
  if (out != stdout) {
    if (p.globals.json) {
      std::printf("{\"output\":\"%s\",\"bytes\":%lld,\"info\":%s}\n",
                  absl::CEscape(p.globals.output).c_str(),
                  static_cast<long long>(written),
                  info.empty() ? "null" : info.c_str());
    } else {
      std::printf("wrote %s (%s, first audio after %s)\n",
                  p.globals.output.c_str(), FormatBytes(written).c_str(),
                  first_byte ? absl::FormatDuration(*first_byte).c_str() : "-");
    }
  }
  return 0;
}

int RunServerStream(const Command& c, client::Client& client, const Parsed& p) {
  if (p.globals.output.empty()) {
    return Usage("-o PATH is required (the audio; '-' for stdout)");
  }
  client::CallOptions options;
  options.timeout = p.globals.timeout;
  if (c.method->name() == "SynthesizeSpeech") {
    v1::SynthesizeSpeechRequest request;
    if (absl::Status s = FillRequest(p, &request); !s.ok()) {
      return Usage(std::string(s.message()));
    }
    auto stream = client.SynthesizeSpeech(request, options);
    return WriteAudio(*stream, p);
  }
  v1::GenerateSoundEffectRequest request;
  if (absl::Status s = FillRequest(p, &request); !s.ok()) {
    return Usage(std::string(s.message()));
  }
  auto stream = client.GenerateSoundEffect(request, options);
  return WriteAudio(*stream, p);
}

bool IsResourceName(absl::string_view s) {
  return absl::StartsWith(s, "media/") || absl::StartsWith(s, "assets/") ||
         absl::StartsWith(s, "generations/");
}

int RunDownload(client::Client& client, const Parsed& p) {
  if (p.positional.size() < 2) return Usage("download NAME|URL [-o DIR|FILE]");
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
    if (!job.ok()) return Fail(job.status());
    if (job->job().result_urls().empty()) {
      return Fail(absl::FailedPreconditionError(absl::StrCat(
          what, " has no results yet (", StateName(job->job().state()), ")")));
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
    const bool tty = isatty(STDERR_FILENO);
    LiveLine live(stderr, tty);
    const absl::Time start = absl::Now();
    absl::StatusOr<int64_t> bytes =
        DownloadToFile(urls[i], path, [&](int64_t done, int64_t total) {
          live.Update(TransferLine(done, total, absl::Now() - start));
        });
    live.Done();
    if (!bytes.ok()) return Fail(bytes.status());
    if (p.globals.json) {
      std::printf("{\"url\":\"%s\",\"path\":\"%s\",\"bytes\":%lld}\n",
                  absl::CEscape(urls[i]).c_str(), absl::CEscape(path).c_str(),
                  static_cast<long long>(*bytes));
    } else {
      std::printf("downloaded %s (%s)\n", path.c_str(),
                  FormatBytes(*bytes).c_str());
    }
  }
  return 0;
}

int Main(int argc, char** argv) {
  absl::StatusOr<Parsed> parsed = Parse(argc, argv);
  if (!parsed.ok()) return Usage(std::string(parsed.status().message()));
  const Parsed& p = *parsed;
  if (p.positional.empty() || p.positional[0] == "help") {
    PrintHelp();
    return p.positional.empty() && !p.globals.help ? Usage("no command") : 0;
  }
  client::ConnectionOptions connection;
  connection.target = p.globals.target;
  client::ClientOptions options;
  options.bearer_token = p.globals.token;
  client::Client client(client::MakeConnection(connection), options);

  const std::string& group = p.positional[0];
  if (group == "watch") {
    if (p.positional.size() != 2) return Usage("watch NAME");
    return Watch(client, p.positional[1], p.globals);
  }
  if (group == "download") return RunDownload(client, p);
  if (p.positional.size() < 2) {
    return Usage(absl::StrCat("`", group, "` needs a verb (mediagen help)"));
  }
  const Command* c = FindCommand(group, p.positional[1]);
  if (c == nullptr) {
    return Usage(absl::StrCat("no command `", group, " ", p.positional[1],
                              "` (mediagen help)"));
  }
  if (p.globals.help) {
    PrintCommandHelp(*c);
    return 0;
  }
  if (p.positional.size() > 2) {
    return Usage(absl::StrCat("unexpected argument `", p.positional[2], "`"));
  }
  if (c->method->name() == "WatchJob") {
    std::string name;
    for (const auto& [path, value] : p.fields) {
      if (path == "name" && value) name = *value;
    }
    if (name.empty()) return Usage("job watch --name NAME");
    return Watch(client, name, p.globals);
  }
  switch (c->kind) {
    case CallKind::kUnary:
      return RunUnary(*c, client, p);
    case CallKind::kUpload:
      return RunUpload(*c, client, p);
    case CallKind::kServerStream:
      return RunServerStream(*c, client, p);
  }
  return 0;
}

}  // namespace
}  // namespace mediagen::cli

int main(int argc, char** argv) { return mediagen::cli::Main(argc, argv); }
