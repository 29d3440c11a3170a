"""The production WSGI server of `serve` (and of the demo page): waitress (pure Python),
in this process.

waitress buffers a request body in full before the app sees it (in memory, then in a
temporary file), so it gets the app's body cap too: a Content-Length over the cap
(`guard.MAX_BODY_BYTES` for the rating app) is answered 413 from the headers, and the
body is never read.
It keeps its defaults otherwise: 4 worker threads, no proxy headers trusted, no
tracebacks in responses.
"""

from __future__ import annotations

import threading

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server
from waitress.trigger import trigger

from avgan.humaneval import guard


class Server:
    """waitress serving `app` on host:port.

    `run()` blocks until `close()` (from another thread) or Ctrl-C; port 0 binds a free
    port, read back from `port`. `max_body_bytes` is the app's own cap
    (`guard.Policy.max_body_bytes`).
    """

    def __init__(
        self,
        app: Flask,
        host: str = "127.0.0.1",
        port: int = 0,
        max_body_bytes: int = guard.MAX_BODY_BYTES,
    ):
        self._map: dict = {}
        self._stop = threading.Event()
        self._server = create_server(
            app,
            map=self._map,
            host=host,
            port=port,
            # waitress refuses Content-Length >= this; the app refuses > max_body_bytes.
            max_request_body_size=max_body_bytes + 1,
        )
        listening = getattr(self._server, "effective_listen", None)
        self.port = listening[0][1] if listening else self._server.effective_port

    def run(self) -> None:
        """Serves until close() or KeyboardInterrupt, then closes every socket."""
        try:
            while self._map and not self._stop.is_set():
                wasyncore.loop(timeout=1.0, map=self._map, use_poll=True, count=1)
        except KeyboardInterrupt:
            pass
        finally:
            self._server.task_dispatcher.shutdown()
            wasyncore.close_all(self._map)

    def close(self) -> None:
        """Asks run() to return; wakes its poll so that it does at once."""
        self._stop.set()
        for channel in list(self._map.values()):
            if isinstance(channel, trigger):
                channel.pull_trigger()
                break
