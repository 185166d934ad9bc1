// Which `app_name` (and default `option`) prices each Vimmerse create at
// the provider's own estimate routes, POST /v2/video/estimate-credits and
// POST /v2/audio/estimate-credits. The docs say the estimate uses "the same
// pricing as the matching POST /v2/video/ handler" but name the handlers'
// apps only in the estimate's `app_name` list (video: reference-to-video,
// video-effects, edit-video, lip-sync, replace-background-video,
// video-to-video, ...; audio: text-to-speech, text-to-audio,
// text-to-music); the pairing below is the emulator's
// (tests/emulator/vimmerse_video_routes.cc, vimmerse_routes.cc), which
// prices crop, reframe, enhance, sound effect and attach-audio as
// edit-video. One table, keyed by the route table's RPC names
// (route_table.h); estimate_apps_test checks that every Vimmerse video and
// audio create of the route table has a row.
//
//   const EstimateApp* app =
//       EstimateAppFor("mediagen.v1.VideoService/ReframeVideo");
//   app->app_name;        // "edit-video"
//   app->option;          // "LumaReframe" (when the request names none)
//   app->audio;           // false: /v2/video/estimate-credits
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ESTIMATE_APPS_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ESTIMATE_APPS_H_

#include "absl/strings/string_view.h"

namespace mediagen::upstream {

struct EstimateApp {
  absl::string_view rpc;       // "mediagen.v1.VideoService/ReframeVideo"
  absl::string_view app_name;  // the estimate route's `app_name`
  // The estimate's required `option`: the handler's own default tool (or
  // its fixed one) when the request does not choose one.
  absl::string_view option;
  bool audio;  // priced by /v2/audio/estimate-credits
};

// The row of `rpc`, or null when the RPC is not priced by an estimate
// route (media, uploads, reads, other providers).
const EstimateApp* EstimateAppFor(absl::string_view rpc);

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ESTIMATE_APPS_H_
