#include "service/quota/redis_scripts.h"

#include <string>

namespace mediagen::quota::scripts {
namespace {

// Redis 7 script flags. Taking a place or credits is refused whole when
// Redis is over maxmemory (noeviction); settling, releasing and holding
// keep the promise of a reservation already given, so they may run then.
constexpr char kDenyOom[] = "#!lua\n";
constexpr char kAllowOom[] = "#!lua flags=allow-oom\n";

// Shared by the scripts that touch a tenant's reservations. `add` never
// takes a counter below zero (a late settle correcting an estimate that
// was already counted must not make spend negative).
constexpr char kCommon[] = R"lua(
local DAY_TTL = 172800000
local MONTH_TTL = 5356800000
local function parse(e)
  local pl, p, a, dk, mk =
      string.match(e, '^(%d) (%S+) (%S+) (%S+) (%S+)$')
  if not pl then return nil end
  return {pl = pl, p = p, a = a, dk = dk, mk = mk}
end
local function encode(x)
  return x.pl .. ' ' .. x.p .. ' ' .. x.a .. ' ' .. x.dk .. ' ' .. x.mk
end
local function add(key, field, delta)
  local cur = tonumber(redis.call('HGET', key, field) or '0') or 0
  if cur + tonumber(delta) <= 0 then
    redis.call('HSET', key, field, '0')
  else
    redis.call('HINCRBYFLOAT', key, field, delta)
  end
end
local function spend(T, dk, mk, p, amount)
  local d = T .. 'day:' .. dk
  local m = T .. 'month:' .. mk
  add(d, p, amount)
  redis.call('PEXPIRE', d, DAY_TTL)
  add(m, p, amount)
  redis.call('PEXPIRE', m, MONTH_TTL)
end
local function sweep(res, resx, agg, now, T)
  local ids = redis.call('ZRANGEBYSCORE', resx, '-inf', now)
  for _, id in ipairs(ids) do
    local e = redis.call('HGET', res, id)
    local x = e and parse(e)
    if x then
      if x.pl == '1' then add(agg, 'pl', -1) end
      if x.p ~= '-' then
        add(agg, 'r:' .. x.p, -tonumber(x.a))
        spend(T, x.dk, x.mk, x.p, x.a)
      end
    end
    redis.call('HDEL', res, id)
    redis.call('ZREM', resx, id)
  end
end
)lua";

}  // namespace

const redis::Script kReserve(std::string(kDenyOom) + kCommon + R"lua(
local now = ARGV[1]
sweep(KEYS[1], KEYS[2], KEYS[3], now, ARGV[10])
local place = ARGV[4] == '1'
if place then
  local n = (tonumber(redis.call('HGET', KEYS[3], 'pl') or '0') or 0) +
            redis.call('ZCARD', KEYS[4])
  if n >= tonumber(ARGV[5]) then return {'jobs', n} end
end
local p = ARGV[6]
local a = tonumber(ARGV[7])
if p ~= '-' then
  local r = tonumber(redis.call('HGET', KEYS[3], 'r:' .. p) or '0') or 0
  local periods = {'day', 'month'}
  for i = 1, 2 do
    local b = ARGV[7 + i]
    if b ~= '' then
      local spent = tonumber(redis.call('HGET', KEYS[4 + i], p) or '0') or 0
      local committed = spent + r
      if committed + a > tonumber(b) then
        return {'budget', periods[i], tostring(committed)}
      end
    end
  end
  if a > 0 then add(KEYS[3], 'r:' .. p, ARGV[7]) end
end
if place then add(KEYS[3], 'pl', 1) end
if place or (p ~= '-' and a > 0) then
  local x = {pl = place and '1' or '0', p = p, a = ARGV[7], dk = ARGV[11],
             mk = ARGV[12]}
  redis.call('HSET', KEYS[1], ARGV[2], encode(x))
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
end
return {'ok'})lua");

const redis::Script kSettle(std::string(kAllowOom) + kCommon + R"lua(
local e = redis.call('HGET', KEYS[1], ARGV[2])
local x = e and parse(e)
if x then
  if x.p == '-' then return 0 end
  add(KEYS[3], 'r:' .. x.p, -tonumber(x.a))
  spend(ARGV[6], x.dk, x.mk, x.p, ARGV[5])
  if x.pl == '1' then
    x.p = '-'
    x.a = '0'
    redis.call('HSET', KEYS[1], ARGV[2], encode(x))
  else
    redis.call('HDEL', KEYS[1], ARGV[2])
    redis.call('ZREM', KEYS[2], ARGV[2])
  end
  return 1
end
-- Never stored (no place, nothing reserved) or already swept (its estimate
-- counted as spent): what upstream reported corrects the estimate.
local delta = tonumber(ARGV[5]) - tonumber(ARGV[4])
if delta ~= 0 then spend(ARGV[6], ARGV[7], ARGV[8], ARGV[3], delta) end
return 2)lua");

const redis::Script kRelease(std::string(kAllowOom) + kCommon + R"lua(
local e = redis.call('HGET', KEYS[1], ARGV[1])
local x = e and parse(e)
if not x then return 0 end
if x.pl == '1' then add(KEYS[3], 'pl', -1) end
if x.p ~= '-' then add(KEYS[3], 'r:' .. x.p, -tonumber(x.a)) end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1)lua");

const redis::Script kHold(std::string(kAllowOom) + kCommon + R"lua(
local e = redis.call('HGET', KEYS[1], ARGV[2])
local x = e and parse(e)
if x and x.pl == '1' then
  add(KEYS[3], 'pl', -1)
  x.pl = '0'
  if x.p == '-' then
    redis.call('HDEL', KEYS[1], ARGV[2])
    redis.call('ZREM', KEYS[2], ARGV[2])
  else
    redis.call('HSET', KEYS[1], ARGV[2], encode(x))
  end
end
-- Also when the reservation had expired: the job exists upstream and runs.
redis.call('ZADD', KEYS[4], ARGV[1], ARGV[3])
return 1)lua");

const redis::Script kJobsToCheck(std::string(kAllowOom) + R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0,
                       tonumber(ARGV[3]))
for _, n in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[1], n) end
return due)lua");

const redis::Script kUsage(std::string(kAllowOom) + kCommon + R"lua(
sweep(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2])
local out = {redis.call('HGET', KEYS[3], 'pl') or '0',
             redis.call('ZCARD', KEYS[4])}
for i = 3, #ARGV do
  local p = ARGV[i]
  out[#out + 1] = redis.call('HGET', KEYS[5], p) or '0'
  out[#out + 1] = redis.call('HGET', KEYS[6], p) or '0'
  out[#out + 1] = redis.call('HGET', KEYS[3], 'r:' .. p) or '0'
end
return out)lua");

const redis::Script kHeartbeat(std::string(kAllowOom) + R"lua(
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return redis.call('ZCARD', KEYS[1]))lua");

const redis::Script* const* All(int* count) {
  static const redis::Script* const kAll[] = {
      &kReserve,     &kSettle, &kRelease,  &kHold,
      &kJobsToCheck, &kUsage,  &kHeartbeat};
  *count = sizeof(kAll) / sizeof(kAll[0]);
  return kAll;
}

}  // namespace mediagen::quota::scripts
