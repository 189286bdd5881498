"""The Lua scripts of [RedisJournal][aiospaces.distributed.redis_journal.RedisJournal].

Each runs atomically on the Redis server and reads the server's clock, never the caller's.
"""

from __future__ import annotations

from aiospaces.pubnub.journal import FINAL_STATES

__all__ = ["ADD", "CLAIM", "HELD", "NOW", "PUT", "RENEW"]

# Each script reads the clock of the Redis server, never the caller's.
NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
"""
# Sets `held` to the live lease's until when another owner than ARGV[2] holds KEYS-file ARGV[1].
HELD = """
local held = nil
local lease = redis.call('HGET', KEYS[2], ARGV[1])
if lease then
  local space = string.find(lease, ' ', 1, true)
  local holder_until = tonumber(string.sub(lease, 1, space - 1))
  if string.sub(lease, space + 1) ~= ARGV[2] and holder_until > now then held = holder_until end
end
"""

# KEYS: records states order counts; ARGV: (file key, record JSON, state)...
# Returns {how many were added, the keys (added or not) whose state is not final...}
ADD = (
    "local final = {"
    + ", ".join(f"['{state.value}'] = true" for state in sorted(FINAL_STATES))
    + "}"
    + """
local added, open = 0, {}
for i = 1, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
    redis.call('RPUSH', KEYS[3], ARGV[i])
    redis.call('HINCRBY', KEYS[4], ARGV[i + 2], 1)
    added = added + 1
    if not final[ARGV[i + 2]] then table.insert(open, ARGV[i]) end
  elseif not final[redis.call('HGET', KEYS[2], ARGV[i])] then
    table.insert(open, ARGV[i])
  end
end
return {added, unpack(open)}
"""
)

# KEYS: states leases records order counts meta
# ARGV: file key, fencing owner ('' none), record JSON, state, expected state ('' none),
#       '1' if the state is final
PUT = (
    NOW
    + HELD
    + """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[5] ~= '' and old ~= ARGV[5] then return 0 end
if ARGV[2] ~= '' and held then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
if not old then
  redis.call('RPUSH', KEYS[4], ARGV[1])
  redis.call('HINCRBY', KEYS[5], ARGV[4], 1)
elseif old ~= ARGV[4] then
  redis.call('HINCRBY', KEYS[5], old, -1)
  redis.call('HINCRBY', KEYS[5], ARGV[4], 1)
end
if ARGV[6] == '1' and old ~= ARGV[4] then
  redis.call('HSET', KEYS[6], 'last_done', string.format('%.6f', now))
end
return 1
"""
)

# KEYS: states leases records meta; ARGV: file key, owner, lease seconds, final states...
# Returns {'claimed', JSON, until} | {'held', seconds left} | {'final'} | {'missing'}
CLAIM = (
    NOW
    + HELD
    + """
local state = redis.call('HGET', KEYS[1], ARGV[1])
if not state then return {'missing'} end
for i = 4, #ARGV do
  if state == ARGV[i] then return {'final'} end
end
if held then return {'held', string.format('%.6f', held - now)} end
local lease_until = string.format('%.6f', now + tonumber(ARGV[3]))
redis.call('HSET', KEYS[2], ARGV[1], lease_until .. ' ' .. ARGV[2])
redis.call('HSETNX', KEYS[4], 'started', string.format('%.6f', now))
return {'claimed', redis.call('HGET', KEYS[3], ARGV[1]), lease_until}
"""
)

# KEYS: states leases; ARGV: file key, owner, lease seconds (0: release)
RENEW = (
    NOW
    + """
local lease = redis.call('HGET', KEYS[2], ARGV[1])
if not lease then return 0 end
local space = string.find(lease, ' ', 1, true)
if string.sub(lease, space + 1) ~= ARGV[2] then return 0 end
if tonumber(ARGV[3]) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[2], ARGV[1],
    string.format('%.6f', now + tonumber(ARGV[3])) .. ' ' .. ARGV[2])
end
return 1
"""
)
