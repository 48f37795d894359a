"""The online store on Redis (``redis://host:port/db``), for several servers sharing one store.

A record is a hash (event time, record JSON — empty for a soft delete's tombstone — and expiry);
a sorted set per feature group lists its identifiers for ListRecords. The newer-event rule runs
inside Redis as one Lua script, so concurrent servers cannot interleave. The offline journal stays
in a local SQLite file (written, and synced, before Redis is touched); Redis's own durability is
its persistence settings (appendonly yes, appendfsync always for the same guarantee as SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import redis

from sagecraft.services.featurestore.online import StoredRecord, Write
from sagecraft.services.featurestore.online_sqlite import SqliteJournal

APPLY = """
local current = redis.call('HGET', KEYS[1], 'event_time')
if current and tonumber(ARGV[1]) < tonumber(current) then return 0 end
if ARGV[4] == 'hard' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[5])
  return 1
end
redis.call('HSET', KEYS[1], 'event_time', ARGV[1], 'record', ARGV[2], 'expires_at', ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[5])
return 1
"""


class RedisOnlineStore(SqliteJournal):
    fast_reads = False  # a network round trip: reads run in worker threads

    def __init__(self, url: str, journal_path: Path) -> None:
        super().__init__(journal_path)
        self.redis = redis.Redis.from_url(url)
        self._apply = self.redis.register_script(APPLY)

    @staticmethod
    def _record_key(key: str, record_id: str) -> str:
        return f"sagecraft:fs:{{{key}}}:r:{record_id}"

    @staticmethod
    def _ids_key(key: str) -> str:
        return f"sagecraft:fs:{{{key}}}:ids"

    def apply(self, key: str, writes: list[Write], journal: list[tuple[str, str]]) -> None:
        self.append(journal)
        for write in writes:
            if not write.online:
                continue
            record = "" if write.values is None else json.dumps(write.values)
            expires = "" if write.expires_at is None else repr(write.expires_at)
            self._apply(
                keys=[self._record_key(key, write.record_id), self._ids_key(key)],
                args=[repr(write.event_time), record, expires, "hard" if write.hard_delete else "put", write.record_id],
            )

    def get(self, key: str, record_ids: list[str]) -> dict[str, StoredRecord]:
        pipe = self.redis.pipeline(transaction=False)
        for record_id in record_ids:
            pipe.hmget(self._record_key(key, record_id), "event_time", "record", "expires_at")
        found = {}
        for record_id, (event_time, record, expires_at) in zip(record_ids, pipe.execute(), strict=True):
            if event_time is None:
                continue
            found[record_id] = StoredRecord(
                record_id,
                float(event_time),
                json.loads(record) if record else None,
                float(expires_at) if expires_at else None,
            )
        return found

    def scan(self, key: str, after: str, limit: int) -> list[StoredRecord]:
        start = f"({after}" if after else "-"
        ids = [i.decode() for i in self.redis.zrangebylex(self._ids_key(key), start, "+", start=0, num=limit)]
        found = self.get(key, ids)
        return [found[i] for i in ids if i in found]

    def drop(self, key: str) -> None:
        after = ""
        while batch := self.scan(key, after, 1000):
            self.redis.delete(*[self._record_key(key, r.record_id) for r in batch])
            after = batch[-1].record_id
        self.redis.delete(self._ids_key(key))

    def size_bytes(self, key: str) -> int:
        total, after = 0, ""
        while ids := [
            i.decode()
            for i in self.redis.zrangebylex(self._ids_key(key), f"({after}" if after else "-", "+", start=0, num=1000)
        ]:
            pipe = self.redis.pipeline(transaction=False)
            for record_id in ids:
                pipe.hstrlen(self._record_key(key, record_id), "record")
            total += sum(pipe.execute()) + sum(len(i) + 16 for i in ids)
            after = ids[-1]
        return total

    def close(self) -> None:
        self.redis.close()
        super().close()
