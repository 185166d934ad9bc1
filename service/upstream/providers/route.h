// A translated upstream call: the route it targets (for error metadata and
// the retry decision) and the exact HTTP request. Plus the URL helpers every
// translator uses, so percent-encoding lives in one place.
//
//   UpstreamRequest up;
//   up.route = Route{v1::PROVIDER_AIMLAPI, "GET", "/v2/generate/audio",
//                    Idempotency::kIdempotent};
//   up.http.url = BuildUrl(endpoints.aimlapi, "/v2/generate/audio",
//                          {{"generation_id", id}});   // id percent-encoded
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ROUTE_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ROUTE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagen/v1/common.pb.h"
#include "service/http/transport.h"

namespace mediagen::upstream {

// Whether repeating a call is harmless. Reads (and estimate-credits, which
// creates nothing) are idempotent; every call that may create something or
// spend credits is not, and is repeated only when the transport proves the
// first attempt never left (http::RequestNotSent).
enum class Idempotency { kIdempotent, kNonIdempotent };

struct Route {
  v1::Provider provider = v1::PROVIDER_UNSPECIFIED;
  std::string method;
  // The path as documented, with placeholders: "/v2/media/{id}".
  std::string path;
  Idempotency idempotency = Idempotency::kNonIdempotent;

  // "POST /v2/media": the `route` metadata of errors.
  std::string Label() const { return method + " " + path; }
};

// The constant part of a Route, as literal data for the route table
// (route_table.h): one per RPC.
struct RouteSpec {
  v1::Provider provider = v1::PROVIDER_UNSPECIFIED;
  absl::string_view method;
  absl::string_view path;
  Idempotency idempotency = Idempotency::kNonIdempotent;

  Route ToRoute() const;
};

struct UpstreamRequest {
  Route route;
  http::HttpRequest http;
};

// Reads a 2xx answer into an RPC's response; an error is our short reason
// why the answer is unusable (never upstream text). One is made per call,
// so it may hold what the answer lacks (GetMedia's id).
template <typename Resp>
using AnswerReader =
    absl::AnyInvocable<absl::StatusOr<Resp>(const http::HttpResponse&)>;

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The provider's auth header: `X-Api-Key: KEY` (Vimmerse), `xi-api-key:
// KEY` (ElevenLabs), `Authorization: Bearer KEY` (AIMLAPI).
std::pair<std::string, std::string> AuthHeader(v1::Provider provider,
                                               absl::string_view key);

// A request for `route` at `url` carrying the auth header and `accept`; with
// a `json_body`, also that body and `Content-Type: application/json`.
UpstreamRequest MakeRequest(Route route, std::string url, absl::string_view key,
                            absl::string_view accept,
                            const std::string* json_body = nullptr);

// RFC 3986 percent-encoding of everything but unreserved characters
// (ALPHA / DIGIT / "-" / "." / "_" / "~"): safe for a path segment and for
// a query name or value ("a b:c/d" -> "a%20b%3Ac%2Fd").
std::string PercentEncode(absl::string_view in);

// `base` + `path` + "?" + encoded query (omitted when empty). `path` is used
// as given: encode the ids in it with PercentEncode first. A trailing "/"
// on `base` is dropped.
std::string BuildUrl(absl::string_view base, absl::string_view path,
                     const QueryParams& query = {});

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ROUTE_H_
