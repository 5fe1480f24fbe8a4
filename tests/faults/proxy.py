"""A TCP proxy on loopback that a test can cut and restore, to take a real
service (PostgreSQL, Redis) away from the code under test and give it back.

Threads, not asyncio: the code under test runs in other threads or processes,
and a proxy thread per direction keeps each connection independent.
"""

import contextlib
import socket
import threading

HOST = "127.0.0.1"


class TcpProxy:
    """Forwards 127.0.0.1:<port> to `target`. `cut()` closes the listener and
    every live connection, as a crashed or unreachable server would: new
    connections are refused and open ones see the peer go away. `stall()` is
    a server that hangs: connections are accepted and never answered.
    `restore()` forwards on the same port again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._live: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._forward = True

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self, *, forward: bool = True) -> "TcpProxy":
        self.cut()
        self._forward = forward
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    restore = start

    def stall(self) -> None:
        self.start(forward=False)

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            live, self._live = self._live, set()
        if listener is not None:
            _close(listener)
        for sock in live:
            _close(sock)

    stop = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed by cut()
                return
            if not self._forward:
                with self._lock:
                    self._live.add(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _close(client)
                    _close(upstream)
                    return
                self._live.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._live.discard(source)
                self._live.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
