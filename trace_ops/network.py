"""Block every outbound socket connection except loopback, for tests that want that guarantee."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from typing import Any

from trace_ops.errors import TraceOpsError


class NetworkBlockedError(TraceOpsError, ConnectionError):
    """A test tried to reach the network while it was blocked (`--block-network`)."""


_lock = threading.Lock()
_depth = 0
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _is_local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX paths
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host in ("localhost", "", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _guard(address: Any) -> None:
    if not _is_local(address):
        raise NetworkBlockedError(
            f"network access blocked by trace_ops (--block-network): connection to {address!r} refused; "
            "only loopback is allowed"
        )


def _connect(self: socket.socket, address: Any) -> None:
    _guard(address)
    _original_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _guard(address)
    return _original_connect_ex(self, address)


@contextlib.contextmanager
def block_network() -> Iterator[None]:
    """Within this block, socket connections to non-loopback addresses raise NetworkBlockedError."""
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
            socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                socket.socket.connect = _original_connect  # type: ignore[method-assign,assignment]
                socket.socket.connect_ex = _original_connect_ex  # type: ignore[method-assign,assignment]
