"""The facade's close() stops the share server it started in this process: its port is
free again (a front end that closes its App and opens a new one can serve again)."""

from __future__ import annotations

import asyncio
import socket


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def test_closing_the_app_stops_its_share_server():
    from core.app import App
    from core.share import ServerConfig, ShareAPI, secret

    made = []

    def api():
        made.append(ShareAPI(config=ServerConfig(port=0)))
        return made[-1]

    async def go():
        app = App(share_api_factory=api)
        await app.start()
        try:
            await app.share_session_secret()          # no keyring needed for this
            port = await app.share_start_server()
            assert _accepts(port)
        finally:
            await app.close()
        return port

    secret.clear_cache()
    try:
        port = asyncio.run(go())
        assert not made[0].serving_here()
        assert not _accepts(port)
    finally:
        for a in made:
            a.stop_server()
            a.store.close()
        secret.use_session_secret(False)
        secret.clear_cache()


