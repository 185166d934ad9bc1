#include "client/cli/audio_stream.h"

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "client/cli/progress.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;

template <typename Response>
int WriteAudio(client::StreamReader<Response>& stream, const Arguments& p,
               const Console& console) {
  const std::string& output = p.globals.output;
  const bool to_out = output == "-";
  const std::string part = output + ".part";
  std::ofstream file;
  if (!to_out) {
    file.open(part, std::ios::binary | std::ios::trunc);
    if (!file) {
      return Fail(console, absl::FailedPreconditionError(
                               absl::StrCat("cannot write ", output)));
    }
  }
  std::ostream& sink = to_out ? console.out : file;
  // Audio on the terminal's stdout has no room for a progress line.
  LiveLine live(console.err, !to_out && console.err_is_terminal);
  const absl::Time start = console.Now();
  std::optional<absl::Duration> first_byte;
  int64_t written = 0;
  std::string info;
  Response message;
  while (stream.Read(&message)) {
    if (message.has_info()) {
      info = ToJson(message.info(), false);
      continue;
    }
    if (!first_byte) first_byte = console.Now() - start;
    const std::string& chunk = message.audio_chunk();
    sink.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    sink.flush();
    written += static_cast<int64_t>(chunk.size());
    live.Update(TransferLine(written, -1, console.Now() - start));
  }
  absl::Status status = stream.Finish();
  live.Done();
  if (!to_out) {
    file.close();
    if (!status.ok()) {
      std::remove(part.c_str());
    } else if (std::rename(part.c_str(), output.c_str()) != 0) {
      return Fail(console, absl::FailedPreconditionError(
                               absl::StrCat("cannot write ", output)));
    }
  }
  if (!status.ok()) return Fail(console, status);
  if (!to_out) {
    if (p.globals.json) {
      console.out << "{\"output\":\"" << absl::CEscape(output)
                  << "\",\"bytes\":" << written
                  << ",\"info\":" << (info.empty() ? "null" : info) << "}\n";
    } else {
      console.out << "wrote " << output << " (" << FormatBytes(written)
                  << ", first audio after "
                  << (first_byte ? absl::FormatDuration(*first_byte) : "-")
                  << ")\n";
    }
    console.out.flush();
  }
  return 0;
}

}  // namespace

int RunServerStream(const Command& c, client::Client& client,
                    const Arguments& p, const Console& console) {
  if (p.globals.output.empty()) {
    return Usage(console, "-o PATH is required (the audio; '-' for stdout)");
  }
  client::CallOptions options;
  options.timeout = p.globals.timeout;
  if (c.method->name() == "SynthesizeSpeech") {
    v1::SynthesizeSpeechRequest request;
    if (absl::Status s = FillRequest(p, &request); !s.ok()) {
      return Usage(console, s.message());
    }
    auto stream = client.SynthesizeSpeech(request, options);
    return WriteAudio(*stream, p, console);
  }
  v1::GenerateSoundEffectRequest request;
  if (absl::Status s = FillRequest(p, &request); !s.ok()) {
    return Usage(console, s.message());
  }
  auto stream = client.GenerateSoundEffect(request, options);
  return WriteAudio(*stream, p, console);
}

}  // namespace mediagen::cli
