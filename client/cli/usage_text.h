// How `mediagen usage` shows a GetUsage answer on a terminal: the tenant,
// its rate and jobs in flight against their limits, and per provider the
// spend of this UTC day and month with each budget's remaining amount and
// reset time. (`--json` prints the response itself.)
//
//   v1::GetUsageResponse usage = *client.GetUsage();
//   std::cout << UsageText(usage);
//   // tenant acme
//   // rate            50 requests/s, burst 100
//   // jobs in flight  1 of at most 2
//   // vimmerse        18 credits today, 18 this month, 30 reserved
//   //   day budget    5000 credits: 4952 left, resets 2026-12-05 00:00 UTC
#ifndef MEDIAGEN_CLIENT_CLI_USAGE_TEXT_H_
#define MEDIAGEN_CLIENT_CLI_USAGE_TEXT_H_

#include <string>

#include "google/protobuf/message.h"
#include "mediagen/v1/usage.pb.h"

namespace mediagen::cli {

// Lines ending in "\n". Unset limits read "unlimited".
std::string UsageText(const v1::GetUsageResponse& usage);

// The same for a response that is a GetUsageResponse (Command::text); ""
// for any other message.
std::string UsageMessageText(const google::protobuf::Message& response);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_USAGE_TEXT_H_
