// What the Vimmerse routes of the emulator share (internal to them): reads
// of validated request bodies, the v2 media schema, URL checks, result
// files, and the asset objects the routes return and store.
//
//   std::optional<Reply> bad = vimmerse::CheckUrls(body);
//   json asset = vimmerse::NewAsset(call, id, "text-to-audio", args,
//                                   "audio/wav", 1, credits, "Success");
#ifndef MEDIAGEN_TESTS_EMULATOR_VIMMERSE_ASSETS_H_
#define MEDIAGEN_TESTS_EMULATOR_VIMMERSE_ASSETS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/emulator/context.h"
#include "tests/emulator/json_schema.h"
#include "tests/emulator/media_files.h"

namespace mediagen::emulator::vimmerse {

using json = nlohmann::json;

std::optional<std::string> OptStr(const json& j, const char* key);

std::string StrOr(const json& j, const char* key, const std::string& def = "");

std::optional<double> OptNum(const json& j, const char* key);

std::optional<int64_t> OptInt(const json& j, const char* key);

bool Present(const json& j, const char* key);

std::string UserId(const std::string& customer_id);

const std::vector<std::string>& MotionTypes();

Schema AudioOptionSchema();

Schema MediaSchema(bool update);

// Every URL the client gives must be fetchable by upstream: http(s) only.
std::optional<Reply> CheckUrls(const json& body);

std::vector<std::string> VideoResults(Context& ctx, int64_t count,
                                      double seconds);

std::string AudioResult(Context& ctx, double seconds, Waveform waveform,
                        const std::string& name);

json NewAsset(const Call& call, const std::string& id,
              const std::string& app_name, json args,
              const std::string& mime_type, int64_t quantity, double credits,
              const std::string& status);

Reply InsufficientCredit();

// Adds a finished (synchronous) asset so GET /asset/{id} knows it.
json StoreFinishedAsset(Context& ctx, const Call& call, json asset,
                        std::vector<std::string> results, double credits);

}  // namespace mediagen::emulator::vimmerse

#endif  // MEDIAGEN_TESTS_EMULATOR_VIMMERSE_ASSETS_H_
