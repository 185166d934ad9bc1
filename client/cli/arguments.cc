#include "client/cli/arguments.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/request_flags.h"
#include "google/protobuf/util/json_util.h"

namespace mediagen::cli {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  absl::StatusOr<std::string> token = ReadFile(path);
  if (!token.ok()) return token.status();
  return std::string(absl::StripAsciiWhitespace(*token));
}

std::optional<std::string> Lookup(const GetEnv& getenv,
                                  const std::string& name) {
  return getenv ? getenv(name) : std::nullopt;
}

}  // namespace

absl::StatusOr<Arguments> ParseArguments(const std::vector<std::string>& args,
                                         const GetEnv& getenv) {
  Arguments p;
  p.globals.target =
      Lookup(getenv, "MEDIAGEN_TARGET").value_or("127.0.0.1:50051");
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
        absl::StatusOr<std::string> token = ReadToken(*v);
        if (!token.ok()) return token.status();
        p.globals.token = *std::move(token);
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
    if (std::optional<std::string> file =
            Lookup(getenv, "MEDIAGEN_TOKEN_FILE")) {
      absl::StatusOr<std::string> token = ReadToken(*file);
      if (!token.ok()) return token.status();
      p.globals.token = *std::move(token);
    } else if (std::optional<std::string> token =
                   Lookup(getenv, "MEDIAGEN_TOKEN")) {
      p.globals.token = *std::move(token);
    }
  }
  return p;
}

absl::Status FillRequest(const Arguments& args,
                         google::protobuf::Message* message) {
  if (!args.globals.request_json.empty()) {
    google::protobuf::util::JsonParseOptions options;
    auto status = google::protobuf::util::JsonStringToMessage(
        args.globals.request_json, message, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--request: ", status.message().ToString()));
    }
  }
  for (const auto& [path, value] : args.fields) {
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

}  // namespace mediagen::cli
