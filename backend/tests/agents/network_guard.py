"""Fails any test that opens a network connection (loopback and unix sockets are fine).

An audit hook cannot be removed, so it is installed once per process; it raises inside the offending
`connect`, and records the address so a test that swallows the error still fails at teardown.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

import pytest

attempts: list[str] = []
_installed = False


class NetworkAccessBlocked(RuntimeError):
    pass


def _is_local(address: Any, family: int) -> bool:
    if family == getattr(socket, "AF_UNIX", None) or isinstance(address, str | bytes):
        return True
    host = address[0] if isinstance(address, tuple) and address else ""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        sock, address = args[0], args[1]
        if not _is_local(address, sock.family):
            attempts.append(repr(address))
            raise NetworkAccessBlocked(f"test tried to connect to {address!r}")
    elif event == "socket.getaddrinfo":
        host = args[0]
        if host not in (None, "localhost") and not _is_local((host,), socket.AF_INET):
            attempts.append(repr(host))
            raise NetworkAccessBlocked(f"test tried to resolve {host!r}")


def install_network_guard() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


@pytest.fixture(autouse=True)
def _no_network_attempts() -> Any:
    before = len(attempts)
    yield
    assert attempts[before:] == [], f"network access attempted: {attempts[before:]}"
