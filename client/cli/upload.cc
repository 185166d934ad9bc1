#include "client/cli/upload.h"

#include <memory>
#include <string>

#include "client/cli/download.h"
#include "client/cli/progress.h"
#include "client/file_chunks.h"
#include "google/protobuf/message.h"

namespace mediagen::cli {

namespace v1 = ::mediagen::v1;
using ::google::protobuf::Message;

int RunUpload(const Command& c, client::Client& client, const Arguments& p,
              const Console& console) {
  if (p.globals.file.empty()) return Usage(console, "--file PATH is required");
  absl::StatusOr<client::FileChunks> file =
      client::FileChunks::Open(p.globals.file);
  if (!file.ok()) return Fail(console, file.status());
  std::unique_ptr<Message> metadata(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(c.flags_message)
          ->New());
  if (absl::Status s = FillRequest(p, metadata.get()); !s.ok()) {
    return Usage(console, s.message());
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
  LiveLine live(console.err, console.err_is_terminal);
  const absl::Time start = console.Now();
  const int64_t total = file->size();
  client::ChunkReader reader = file->Reader([&](int64_t sent) {
    live.Update(TransferLine(sent, total, console.Now() - start));
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
  if (!response.ok()) return Fail(console, response.status());
  if (p.globals.json) {
    console.out << ToJson(**response, false) << "\n";
  } else {
    console.out << "uploaded " << CreatedName(**response) << " ("
                << FormatBytes(total) << " in "
                << FormatClock(console.Now() - start) << ")\n";
  }
  console.out.flush();
  return 0;
}

}  // namespace mediagen::cli
