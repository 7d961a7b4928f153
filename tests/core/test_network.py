"""--block-network: loopback stays reachable, anything else is refused before a packet is sent."""

from __future__ import annotations

import socket

import pytest

from trace_ops.network import NetworkBlockedError, _is_local, block_network
from trace_ops.testing import FakeLLMServer


@pytest.mark.parametrize(
    ("address", "local"),
    [
        (("127.0.0.1", 80), True),
        (("127.8.9.10", 80), True),
        (("::1", 80, 0, 0), True),
        (("localhost", 80), True),
        ("/tmp/socket", True),
        (("192.0.2.1", 443), False),
        (("api.openai.com", 443), False),
        (("2001:db8::1", 443, 0, 0), False),
    ],
)
def test_only_loopback_is_local(address: object, local: bool) -> None:
    assert _is_local(address) is local


def test_block_network_refuses_remote_and_allows_loopback(fake_llm: FakeLLMServer) -> None:
    original = socket.socket.connect
    with block_network(), block_network():  # nests
        assert socket.socket.connect is not original
        with socket.socket() as sock, pytest.raises(NetworkBlockedError, match="only loopback is allowed"):
            sock.connect(("0.0.0.0", 9))  # not loopback: refused; were the guard broken, nothing leaves
        with socket.create_connection((fake_llm.host, fake_llm.port), timeout=2):
            pass
    assert socket.socket.connect is original
