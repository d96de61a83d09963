"""A TCP proxy for tests that need a network blip: it forwards every connection to a server,
and ``blip(path)`` makes the WebSocket connections whose request line names ``path`` lose
what is in flight for a moment and then die — as a flaky network would — while new
connections keep working."""

import asyncio
import threading
from contextlib import contextmanager

from tests.live import free_port

REQUEST_STARTS = {b"GET ", b"POST", b"HEAD", b"PUT ", b"DELE", b"OPTI", b"PATC"}


def request_line(data: bytes) -> str:
    return data.split(b"\r\n", 1)[0].decode("latin-1", "replace")


class BlipProxy:
    def __init__(self, target_port: int):
        self.port = free_port()
        self.target_port = target_port
        self.loop = asyncio.new_event_loop()
        self.conns: list[dict] = []
        self.dropped_bytes = 0

    async def _pipe(self, conn, reader, writer, upstream: bool):
        try:
            while data := await reader.read(65536):
                if upstream and data[:4] in REQUEST_STARTS:  # a new request on a kept-alive connection
                    conn["path"] = request_line(data)
                if conn["stalled"] and upstream:
                    self.dropped_bytes += len(data)  # lost on the way to the server
                    continue
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _serve(self, client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        conn = {"path": "", "stalled": False, "writers": (client_writer, server_writer)}
        self.conns.append(conn)
        await asyncio.gather(self._pipe(conn, client_reader, server_writer, True),
                             self._pipe(conn, server_reader, client_writer, False))

    async def _blip(self, path: str, stall: float) -> int:
        hit = [c for c in self.conns if path in c["path"] and not c["writers"][0].is_closing()]
        before = self.dropped_bytes
        for conn in hit:
            conn["stalled"] = True
        await asyncio.sleep(stall)
        deadline = self.loop.time() + 10
        while hit and self.dropped_bytes == before and self.loop.time() < deadline:
            await asyncio.sleep(0.05)  # until something the client sent was lost
        for conn in hit:
            for writer in conn["writers"]:
                writer.transport.abort()
        return len(hit)

    def blip(self, path: str, *, stall: float = 1.5) -> int:
        """Stall the connections to ``path`` (at least ``stall`` seconds, and until some of the
        client's data was lost), then cut them; returns how many there were."""
        return asyncio.run_coroutine_threadsafe(self._blip(path, stall), self.loop).result(stall + 20)

    async def _shutdown(self):
        self.server.close()
        for conn in self.conns:
            for writer in conn["writers"]:
                writer.transport.abort()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _run(self, ready: threading.Event):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
        ready.set()
        self.loop.run_forever()


@contextmanager
def blip_proxy(target_port: int):
    proxy = BlipProxy(target_port)
    ready = threading.Event()
    thread = threading.Thread(target=proxy._run, args=(ready,), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield proxy
    finally:
        asyncio.run_coroutine_threadsafe(proxy._shutdown(), proxy.loop).result(10)
        proxy.loop.call_soon_threadsafe(proxy.loop.stop)
        thread.join(5)
        proxy.loop.close()
