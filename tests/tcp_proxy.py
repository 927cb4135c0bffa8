"""A TCP proxy in front of PostgreSQL that a test can cut (every connection dropped, new ones
refused) and restore: a database restart as the application sees it."""
from __future__ import annotations

import socket
import threading


class Proxy:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream, self.cut_off, self.sockets = upstream, threading.Event(), set()
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.cut_off.set()
        with self.lock:
            for s in list(self.sockets):
                self._close(s)
            self.sockets.clear()

    def restore(self) -> None:
        self.cut_off.clear()

    def close(self) -> None:
        self.cut()
        self.server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.cut_off.is_set():
                self._close(client)
                continue
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                self._close(client)
                continue
            with self.lock:
                self.sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            self._close(source)
            self._close(target)

    @staticmethod
    def _close(s: socket.socket) -> None:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
