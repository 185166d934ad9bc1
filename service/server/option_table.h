// The server's options, each written once: one row per option says its
// flag, its config file key, its group, the member of ServerOptions it
// sets (with the kind of value, see option_value.h) and what it means. The
// default is that member's default in server_options.h. The command line
// (command_line.h), the config file (config_file.h), `--help` and the
// README's "Options and their defaults" table (option_docs.h) are all read
// from these rows.
//
//   for (const OptionRow& row : OptionTable()) ...
//   const OptionRow* row = FindFlag("keepalive_time");
//   absl::Status s = row->value.from_flag("20s", secrets, options);
//
// Adding an option (say `redis.url`):
//   1. the member and its default in ServerOptions (server_options.h), where
//      the component that uses it reads it;
//   2. one row in option_table.cc, in its group (a new group name makes a
//      new section in --help and the README):
//        {"redis_url", "redis.url", kRedis,
//         Text(Member(&O::redis, &O::RedisOptions::url), "URL"),
//         "Redis shared by the replicas; empty: state kept in memory"},
//      Either name may be empty (flag only, or config file only). A config
//      key's dots are the config file's nesting; a duration's key ends in
//      `_ms` or `_seconds`, its unit in the file;
//   3. `bazel run //service/server:options_markdown` and paste its output
//      between the markers in README.md (//service/server:option_docs_test
//      fails until the README matches).
// Structured settings (the `tenants` list) stay in config_file.cc.
#ifndef MEDIAGEN_SERVICE_SERVER_OPTION_TABLE_H_
#define MEDIAGEN_SERVICE_SERVER_OPTION_TABLE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "service/server/option_value.h"

namespace mediagen::server {

struct OptionRow {
  // Without the dashes; empty: config file only.
  std::string flag;
  // Dotted path in the config file (`grpc.keepalive_time_ms`); empty:
  // command line only.
  std::string config_key;
  // Section of --help and of the README table; sections appear in the
  // order of their first row.
  std::string group;
  OptionValue value;
  // What the option means, one sentence, lower case, no final period.
  std::string help;
};

// Every row, in --help order.
const std::vector<OptionRow>& OptionTable();

// The row of `--flag` / of a config key, or null.
const OptionRow* FindFlag(absl::string_view flag);
const OptionRow* FindConfigKey(absl::string_view key);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_OPTION_TABLE_H_
