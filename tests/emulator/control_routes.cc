#include "tests/emulator/control_routes.h"

#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/emulator/util.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

Reply Error(int status, const std::string& message) {
  return JsonReply(status, {{"error", message}});
}

Reply FromStatus(const absl::Status& s) {
  if (s.ok()) return JsonReply(200, {{"ok", true}});
  int code = 400;
  if (absl::IsNotFound(s)) code = 404;
  if (absl::IsFailedPrecondition(s)) code = 409;
  return Error(code, std::string(s.message()));
}

// Control bodies are JSON objects; an empty body reads as {}.
bool ParseBody(const Call& call, json* out, Reply* error) {
  if (call.body.empty()) {
    *out = json::object();
    return true;
  }
  *out = json::parse(call.body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    *error = Error(400, "body is not valid JSON");
    return false;
  }
  return true;
}

Reply Health(Context& ctx, Call&) {
  return JsonReply(200, {{"ok", true}, {"base_url", ctx.base_url()}});
}

Reply Config(Context& ctx, Call&) {
  const EmulatorOptions& o = ctx.options();
  return JsonReply(200, {{"base_url", ctx.base_url()},
                         {"time_scale", o.time_scale},
                         {"job_seconds", o.job_seconds},
                         {"strict", o.strict},
                         {"webhooks", o.webhooks},
                         {"webhook_max_attempts", o.webhook_max_attempts},
                         {"webhook_timeout_ms", o.webhook_timeout_ms},
                         {"elevenlabs_concurrency", o.elevenlabs_concurrency},
                         {"threads", o.threads},
                         {"request_log_max_entries", o.request_log_max_entries},
                         {"request_log_body_cap", o.request_log_body_cap},
                         {"customers", ctx.accounts.ToJson()}});
}

Reply AddFaults(Context& ctx, Call& call) {
  json body;
  Reply error;
  if (!ParseBody(call, &body, &error)) return error;
  // One rule, or {"rules": [...]}, or a bare array.
  json rules = body.is_array()          ? body
               : body.contains("rules") ? body["rules"]
                                        : json::array({body});
  if (!rules.is_array()) return Error(400, "\"rules\" must be an array");
  std::vector<FaultRule> parsed;
  for (const json& r : rules) {
    absl::StatusOr<FaultRule> rule = ParseFaultRule(r);
    if (!rule.ok()) return Error(400, std::string(rule.status().message()));
    parsed.push_back(*std::move(rule));
  }
  json ids = json::array();
  for (FaultRule& r : parsed) ids.push_back(ctx.faults.Add(std::move(r)));
  return JsonReply(
      200, {{"ids", ids}, {"id", ids.empty() ? json(nullptr) : ids[0]}});
}

Reply DeleteFault(Context& ctx, Call& call) {
  int id;
  if (!absl::SimpleAtoi(call.params[0], &id) || !ctx.faults.Remove(id)) {
    return Error(404, absl::StrCat("no fault rule ", call.params[0]));
  }
  return JsonReply(200, {{"ok", true}});
}

Reply QueueOutcomes(Context& ctx, Call& call) {
  json body;
  Reply error;
  if (!ParseBody(call, &body, &error)) return error;
  const std::string kind = body.value("kind", "any");
  if (kind != "media" && kind != "asset" && kind != "generation" &&
      kind != "any") {
    return Error(400, "kind must be media, asset, generation or any");
  }
  const std::string outcome = body.value("outcome", "fail");
  if (outcome != "fail" && outcome != "success") {
    return Error(400, "outcome must be fail or success");
  }
  const json count = body.value("count", json(1));
  if (!count.is_number_integer() || count.get<int>() < 1) {
    return Error(400, "count must be an integer >= 1");
  }
  ctx.jobs.QueueOutcome(kind, outcome == "fail", count.get<int>(),
                        body.value("message", std::string()));
  return JsonReply(200, {{"pending", ctx.jobs.PendingOutcomes()}});
}

Reply GetJob(Context& ctx, Call& call) {
  json job = ctx.jobs.Describe(call.params[0]);
  if (job.is_null()) return Error(404, "no such job");
  return JsonReply(200, job);
}

Reply AdvanceJob(Context& ctx, Call& call) {
  absl::Status s = ctx.jobs.Advance(call.params[0]);
  if (!s.ok()) return FromStatus(s);
  return JsonReply(200, ctx.jobs.Describe(call.params[0]));
}

Reply CompleteJob(Context& ctx, Call& call) {
  json body;
  Reply error;
  if (!ParseBody(call, &body, &error)) return error;
  absl::Status s =
      ctx.jobs.Complete(call.params[0], body.value("outcome", "success"),
                        body.value("message", std::string()));
  if (!s.ok()) return FromStatus(s);
  return JsonReply(200, ctx.jobs.Describe(call.params[0]));
}

Reply SetClock(Context& ctx, Call& call) {
  json body;
  Reply error;
  if (!ParseBody(call, &body, &error)) return error;
  if (!body.contains("paused") || !body["paused"].is_boolean()) {
    return Error(400, "give {\"paused\": true|false}");
  }
  ctx.jobs.SetPaused(body["paused"].get<bool>());
  return JsonReply(200, {{"paused", ctx.jobs.paused()}});
}

Reply Requests(Context& ctx, Call& call) {
  RequestLog::Filter f;
  const httplib::Request& r = call.req;
  f.method = r.get_param_value("method");
  f.path_prefix = r.get_param_value("path_prefix");
  f.route = r.get_param_value("route");
  uint64_t since = 0;
  if (absl::SimpleAtoi(r.get_param_value("since"), &since)) f.since = since;
  size_t limit = 0;
  if (absl::SimpleAtoi(r.get_param_value("limit"), &limit)) f.limit = limit;
  return JsonReply(200, {{"requests", ctx.log.ToJson(f)}});
}

Reply SetCredits(Context& ctx, Call& call) {
  json body;
  Reply error;
  if (!ParseBody(call, &body, &error)) return error;
  if (!body.contains("customer_id") || !body["customer_id"].is_string() ||
      !body.contains("credits") || !body["credits"].is_number()) {
    return Error(400, "give {\"customer_id\": \"...\", \"credits\": N}");
  }
  absl::Status s = ctx.accounts.SetCredits(
      body["customer_id"].get<std::string>(), body["credits"].get<double>());
  if (!s.ok()) return FromStatus(s);
  return JsonReply(200, {{"customers", ctx.accounts.ToJson()}});
}

}  // namespace

void ResetAll(Context& ctx) {
  ctx.log.Clear();
  ctx.counters.Reset();
  ctx.faults.Clear();
  ctx.jobs.Reset();
  ctx.files.Clear();
  ctx.webhooks.Reset();
  ctx.accounts.Reset();
}

void AddControlRoutes(std::vector<Route>* routes) {
  auto add = [routes](std::string method, std::string pattern, Handler h) {
    routes->push_back({std::move(method), "/_emulator" + pattern,
                       Provider::kVimmerse, false, std::move(h)});
  };
  add("GET", "/health", Health);
  add("GET", "/config", Config);
  add("GET", "/faults", [](Context& ctx, Call&) {
    return JsonReply(200, {{"rules", ctx.faults.ToJson()}});
  });
  add("POST", "/faults", AddFaults);
  add("DELETE", "/faults", [](Context& ctx, Call&) {
    ctx.faults.Clear();
    return JsonReply(200, {{"ok", true}});
  });
  add("DELETE", "/faults/{id}", DeleteFault);
  add("GET", "/outcomes", [](Context& ctx, Call&) {
    return JsonReply(200, {{"pending", ctx.jobs.PendingOutcomes()}});
  });
  add("POST", "/outcomes", QueueOutcomes);
  add("GET", "/jobs/{id}", GetJob);
  add("POST", "/jobs/{id}/advance", AdvanceJob);
  add("POST", "/jobs/{id}/complete", CompleteJob);
  add("GET", "/clock", [](Context& ctx, Call&) {
    return JsonReply(200, {{"paused", ctx.jobs.paused()}});
  });
  add("POST", "/clock", SetClock);
  add("GET", "/requests", Requests);
  add("DELETE", "/requests", [](Context& ctx, Call&) {
    ctx.log.Clear();
    return JsonReply(200, {{"ok", true}});
  });
  add("GET", "/counters", [](Context& ctx, Call&) {
    json c = ctx.counters.ToJson();
    c["balances"] = ctx.accounts.ToJson();
    c["webhooks"] = ctx.webhooks.Stats();
    c["jobs"] = ctx.jobs.size();
    c["files"] = ctx.files.size();
    return JsonReply(200, c);
  });
  add("GET", "/webhooks", [](Context& ctx, Call&) {
    return JsonReply(200, {{"attempts", ctx.webhooks.Log()},
                           {"stats", ctx.webhooks.Stats()}});
  });
  add("GET", "/customers", [](Context& ctx, Call&) {
    return JsonReply(200, {{"customers", ctx.accounts.ToJson()}});
  });
  add("POST", "/credits", SetCredits);
  add("POST", "/reset", [](Context& ctx, Call&) {
    ResetAll(ctx);
    return JsonReply(200, {{"ok", true}});
  });
}

}  // namespace mediagen::emulator
