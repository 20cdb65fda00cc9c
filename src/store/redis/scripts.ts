/**
 * @module The Lua scripts of the Redis store. Each runs atomically on the server, so a check and the
 * write it guards (dedupe and append, claim and lease) can never interleave with another instance.
 * Dedupe and timer keys are named under the prefix (ARGV[1]): one Redis primary, not a cluster.
 */
import type { RedisScript } from './port.js';
import { BUCKET_MS } from '../../alarms/schema.js';

/**
 * The group commit. KEYS: records stream, timers zset. ARGV: prefix, dedupe window ms, record count,
 * timer-op count, alarm-counter lifetime ms (0: no counting), then 6 fields per record (event_id,
 * received_at, data, ip, user_agent, alarm counter fields `metric<TAB>key` joined by newlines), then 11 per
 * timer op (op, form, trigger_id, key, now, time, fire_at, source_event_id, client_key, snapshot or
 * reason, source record data). Replies one flag per record: 1 stored, 0 a duplicate of an id seen
 * within the window (nothing appended). Timer ops apply the statements of rules/triggers.ts. A new
 * record adds 1 to each of its counter fields in its 5-minute bucket's hash and moves its name's last
 * receipt forward (src/store/redis/alarms.ts): summed per group, one HINCRBY per bucket and field.
 */
export const COMMIT: RedisScript = {
  name: 'commit',
  lua: `
local prefix, ttl, n, m, keep = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out = {}
local counts, last = {}, {}
local at = 6
for r = 1, n do
  if redis.call('SET', prefix .. 'seen:' .. ARGV[at], '1', 'NX', 'PX', ttl) then
    redis.call('XADD', KEYS[1], '*', 'e', ARGV[at], 't', ARGV[at + 1], 'd', ARGV[at + 2], 'i', ARGV[at + 3], 'u', ARGV[at + 4])
    out[r] = 1
    if keep > 0 then
      local t = tonumber(ARGV[at + 1])
      local b = t - t % ${BUCKET_MS}
      local c = counts[b]
      if not c then c = {}; counts[b] = c end
      for f in string.gmatch(ARGV[at + 5], '[^\\n]+') do
        c[f] = (c[f] or 0) + 1
        if string.sub(f, 1, 3) == 'ev\\t' then
          local name = string.sub(f, 4)
          if not last[name] or last[name] < t then last[name] = t end
        end
      end
    end
  else
    out[r] = 0
  end
  at = at + 6
end
for b, c in pairs(counts) do
  local k = prefix .. 'alarm:b:' .. b
  for f, v in pairs(c) do redis.call('HINCRBY', k, f, v) end
  redis.call('PEXPIRE', k, keep)
end
for name, t in pairs(last) do
  local cur = tonumber(redis.call('HGET', prefix .. 'alarm:last', name))
  if not cur or cur < t then redis.call('HSET', prefix .. 'alarm:last', name, t) end
end
for o = 1, m do
  local op, form, tid, key = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
  local now, time = tonumber(ARGV[at + 4]), tonumber(ARGV[at + 5])
  local member = tid .. ':' .. key
  local h = prefix .. 'timer:' .. member
  local cur = redis.call('HMGET', h, 'state', 'armed_at', 'starts', 'fire_at', 'last_time', 'source_event_id')
  local state = cur[1]
  if op == 'arm' then
    local fire_at, src = ARGV[at + 6], ARGV[at + 7]
    local armed_at, starts, fa = ARGV[at + 4], 1, fire_at
    local apply = true
    if state then
      local last = tonumber(cur[5])
      -- A replayed or late start (event time not after the last start or cancel) changes nothing.
      apply = time > last or (time == last and state == 'armed' and src ~= cur[6])
      if apply and form == 'timed' and state == 'armed' then
        armed_at, starts = cur[2], tonumber(cur[3]) + 1
      elseif apply and form == 'count' and state == 'armed' and tonumber(cur[4]) > now then
        armed_at, starts, fa = cur[2], tonumber(cur[3]) + 1, cur[4]
      end
    end
    if apply then
      redis.call('HSET', h, 'state', 'armed', 'armed_at', armed_at, 'started_at', ARGV[at + 4], 'last_time', ARGV[at + 5], 'fire_at', fa,
        'starts', starts, 'source_event_id', src, 'client_key', ARGV[at + 8], 'snapshot', ARGV[at + 9], 'source', ARGV[at + 10], 'claimed_at', '0')
      redis.call('HDEL', h, 'reason')
      redis.call('ZADD', KEYS[2], fa, member)
      redis.call('PEXPIRE', h, math.max(tonumber(fa) - now, 0) + tonumber(ttl))
    end
  elseif state == 'armed' and tonumber(cur[5]) <= time then
    redis.call('HSET', h, 'state', 'cancelled', 'reason', ARGV[at + 9], 'last_time', ARGV[at + 5])
    redis.call('ZREM', KEYS[2], member)
  end
  at = at + 11
end
return out
`,
};

/**
 * Claim due timers for one lease. KEYS: timers zset. ARGV: prefix, now, lease ms, limit. Replies per
 * claimed timer: member, armed_at, started_at, starts, source_event_id, client_key, snapshot, source.
 * A timer whose claim outlived its lease (its instance died) is claimed again.
 */
export const CLAIM_TIMERS: RedisScript = {
  name: 'claim-timers',
  lua: `
local prefix, now, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[4])) do
  local h = prefix .. 'timer:' .. m
  local v = redis.call('HMGET', h, 'state', 'fire_at', 'claimed_at', 'armed_at', 'started_at', 'starts', 'source_event_id', 'client_key', 'snapshot', 'source')
  if (v[1] == 'armed' and tonumber(v[2]) <= now) or (v[1] == 'firing' and tonumber(v[3]) + lease <= now) then
    redis.call('HSET', h, 'state', 'firing', 'claimed_at', now)
    redis.call('ZADD', KEYS[1], now + lease, m)
    out[#out + 1] = { m, v[4], v[5], v[6], v[7], v[8] or '', v[9], v[10] }
  elseif v[1] == 'armed' then
    redis.call('ZADD', KEYS[1], v[2], m)
  elseif v[1] == 'firing' then
    redis.call('ZADD', KEYS[1], tonumber(v[3]) + lease, m)
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return out
`,
};

/** Settle a claimed timer (fired, cancelled, expired) unless a new start re-armed it meanwhile. KEYS: timers. ARGV: prefix, member, armed_at, state, reason. */
export const SETTLE_TIMER: RedisScript = {
  name: 'settle-timer',
  lua: `
local h = ARGV[1] .. 'timer:' .. ARGV[2]
local v = redis.call('HMGET', h, 'state', 'armed_at')
if v[1] ~= 'firing' or v[2] ~= ARGV[3] then return 0 end
redis.call('HSET', h, 'state', ARGV[4], 'reason', ARGV[5])
redis.call('ZREM', KEYS[1], ARGV[2])
return 1
`,
};

/**
 * Claim due retries of one destination for one lease. KEYS: retry zset, attempts hash, records stream.
 * ARGV: now, lease ms, limit. Replies per retry: stream id, attempts, the entry's field list. A retry
 * whose entry is gone is dropped.
 */
export const CLAIM_RETRIES: RedisScript = {
  name: 'claim-retries',
  lua: `
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for _, sid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[3])) do
  local e = redis.call('XRANGE', KEYS[3], sid, sid)
  if #e == 0 then
    redis.call('ZREM', KEYS[1], sid)
    redis.call('HDEL', KEYS[2], sid)
  else
    redis.call('ZADD', KEYS[1], now + lease, sid)
    out[#out + 1] = { sid, redis.call('HGET', KEYS[2], sid) or '0', e[1][2] }
  end
end
return out
`,
};
