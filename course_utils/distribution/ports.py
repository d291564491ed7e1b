"""Ports of ``MultiWorkerMirroredStrategy`` workers: free ones, taken ones, who listens there.

TensorFlow's gRPC server listens on every interface (``[::]:<port>``), whatever address
``TF_CONFIG`` gives; ``listening_addresses`` shows it. A port that is already taken makes
TensorFlow fail with ``UnknownError: Could not start gRPC server``, which names no port:
``port_in_use`` detects that first, and ``PortInUseError`` says which port and which worker.
Used by ``launch.WorkerLauncher`` and ``worker_main``; taught in notebook 06.
"""

from __future__ import annotations

import errno
import socket

from course_utils.validation import check_int, check_positive_int

__all__ = [
    "PortInUseError",
    "free_ports",
    "listening_addresses",
    "port_in_use",
    "port_in_use_message",
]


class PortInUseError(OSError):
    """A worker's port is already taken on this machine, so its gRPC server cannot start."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EADDRINUSE, message)

    def __str__(self) -> str:
        return str(self.strerror)


def port_in_use(port: int) -> bool:
    """True if a TCP server could not listen on ``port`` on every interface, as gRPC does.

    The probe binds ``[::]:port`` (dual stack) or, without IPv6, ``0.0.0.0:port``, with
    ``SO_REUSEADDR`` like gRPC (so a port in ``TIME_WAIT`` counts as free).
    """
    port = check_int("port", port, minimum=1, maximum=65535)
    for family, address in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 on this machine
        with sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            try:
                sock.bind((address, port))
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return True
                continue  # e.g. IPv6 disabled: try IPv4
            return False
    return False


def port_in_use_message(port: int, index: int, address: str) -> str:
    """What ``PortInUseError`` says: the port, the worker, and who listens there (Linux)."""
    listeners = listening_addresses(port)
    by = f" (listening: {', '.join(listeners)})" if listeners else ""
    return (
        f"port {port} of worker {index} ({address} in TF_CONFIG) is already in use on this "
        f"machine{by}, so its gRPC server cannot start: stop the program using it, or choose "
        "another port (WorkerLauncher(num_workers=...) picks free ones)"
    )


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct TCP ports that were free on ``host`` a moment ago."""
    count = check_positive_int("count", count)
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def listening_addresses(port: int) -> list[str]:
    """Local addresses with a TCP socket listening on ``port`` (Linux ``/proc/net``; else [])."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            with open(table, encoding="ascii") as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port and len(address) == width:
                found.append(_decode_address(address) + f":{port}")
    return found


def _decode_address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    # /proc stores each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return socket.inet_ntop(socket.AF_INET, words)
    return "[" + socket.inet_ntop(socket.AF_INET6, words) + "]"
