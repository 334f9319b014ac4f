"""What an RPC call sends with a link besides the link: request headers (Cookie,
Referer, User-Agent, ...) and further URLs of the same file (aria2 takes several URIs
of one file as mirrors).

They are kept per task in memory and, so that they survive a restart, in the system
keyring (one entry per task).  They never enter the queue database or a log: the
database only notes *that* a task has such extras and under which keyring entry
(table ``rpc_extras``), so that after a restart without a keyring the task stops with
a message ("send the link again") instead of downloading without its cookies.

Headers go to the mirrors on the hosts the client named (its URIs), never to hosts a
resolver found by itself; the engine's HTTP client drops Cookie/Authorization when a
redirect leaves the host.  A finished or removed task forgets its extras.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import LinkExpired
from ..models import Mirror, Resolved
from ..queue.tasks import host_of

log = logging.getLogger("zhilian.rpc")

TABLE_SQL = """CREATE TABLE IF NOT EXISTS rpc_extras (
    task_id INTEGER PRIMARY KEY,
    keyring_user TEXT NOT NULL,
    created REAL NOT NULL)"""

LOST = ("The cookies and headers sent with this link were not kept (no usable system keyring): "
        "send the link again from the browser")


@dataclass
class Extras:
    headers: dict[str, str] = field(default_factory=dict)
    mirrors: list[str] = field(default_factory=list)      # further URLs of the same file

    def __bool__(self) -> bool:
        return bool(self.headers or self.mirrors)

    def to_json(self) -> str:
        return json.dumps({"headers": self.headers, "mirrors": self.mirrors})

    @classmethod
    def from_json(cls, text: str) -> Extras | None:
        try:
            d = json.loads(text)
            return cls(dict(d.get("headers") or {}), list(d.get("mirrors") or []))
        except (ValueError, TypeError, AttributeError):
            return None


class ExtrasStore:
    """Per-task extras: memory first, keyring behind (written off the event loop)."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con
        con.execute(TABLE_SQL)
        self._users: dict[int, str] = dict(con.execute("SELECT task_id, keyring_user FROM rpc_extras"))
        self._mem: dict[int, Extras] = {}
        self._io = asyncio.Lock()
        self._pending: set[asyncio.Task] = set()
        self.keyring_problem: str | None = None

    def cached(self, task_id: int) -> Extras | None:
        """The extras in memory (no keyring read)."""
        return self._mem.get(task_id)

    def has(self, task_id: int) -> bool:
        return task_id in self._mem or task_id in self._users

    def put(self, task_id: int, extras: Extras) -> None:
        """Replaces the task's extras (a link sent again brings fresh cookies)."""
        if not extras:
            return
        self._mem[task_id] = extras
        user = self._users.get(task_id)
        if user is None:
            user = f"rpc-task-{secrets.token_hex(8)}"
            self.con.execute("INSERT OR REPLACE INTO rpc_extras(task_id, keyring_user, created) VALUES(?, ?, ?)",
                             (task_id, user, time.time()))
            self._users[task_id] = user
        self._spawn(self._kr(_set, user, extras.to_json()))

    def drop(self, task_id: int) -> None:
        self._mem.pop(task_id, None)
        user = self._users.pop(task_id, None)
        if user is not None:
            self.con.execute("DELETE FROM rpc_extras WHERE task_id = ?", (task_id,))
            self._spawn(self._kr(_delete, user))

    def _spawn(self, coro: Any) -> None:
        t = asyncio.get_running_loop().create_task(coro)
        self._pending.add(t)
        t.add_done_callback(self._pending.discard)

    async def _kr(self, fn: Any, *args: Any) -> Any:
        async with self._io:            # in order: a put then a drop never end the other way round
            try:
                return await asyncio.to_thread(fn, *args)
            except Exception as e:      # no keyring: memory only (the message names no secret)
                if self.keyring_problem is None:
                    log.info("RPC headers kept in memory only: %s", e.__class__.__name__)
                self.keyring_problem = str(e) or e.__class__.__name__
                return None

    async def flush(self) -> None:
        """Waits for the keyring writes started so far."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def get(self, task_id: int) -> Extras | None:
        ex = self._mem.get(task_id)
        if ex is not None:
            return ex
        user = self._users.get(task_id)
        if user is None:
            return None
        text = await self._kr(_get, user)
        ex = Extras.from_json(text) if text else None
        if ex is not None:
            self._mem[task_id] = ex
        return ex

    async def apply(self, row: Any, resolved: Resolved) -> Resolved:
        """The scheduler's source hook: headers onto the client's hosts, extra mirrors added."""
        if not self.has(row.id):
            return resolved
        ex = await self.get(row.id)
        if ex is None:
            raise LinkExpired(LOST)
        link = row.real_link or row.link
        hosts = {host_of(u) for u in [link, *ex.mirrors]} - {""}
        mirrors = [dataclasses.replace(m, headers={**m.headers, **ex.headers}) if host_of(m.url) in hosts else m
                   for m in resolved.mirrors]
        if resolved.resolver == "direct":
            known = {m.url for m in mirrors}
            prio = max((m.priority for m in mirrors), default=0)
            for i, url in enumerate(ex.mirrors, 1):
                if url not in known:
                    mirrors.append(Mirror(url, headers=dict(ex.headers), priority=prio + i))
        return dataclasses.replace(resolved, mirrors=mirrors)


def _keyring():
    from ..accounts.store import SERVICE, keyring_backend
    return SERVICE, keyring_backend()


def _set(user: str, value: str) -> None:
    service, kr = _keyring()
    kr.set_password(service, user, value)


def _get(user: str) -> str | None:
    service, kr = _keyring()
    return kr.get_password(service, user)


def _delete(user: str) -> None:
    service, kr = _keyring()
    try:
        kr.delete_password(service, user)
    except Exception:   # already gone
        pass
