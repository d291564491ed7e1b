"""Ports of multi-worker runs: a taken port is detected, on every interface, and named."""

from __future__ import annotations

import errno
import socket

import pytest

from course_utils.distribution.ports import PortInUseError, port_in_use, port_in_use_message


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_port_in_use_sees_a_listener_on_any_interface(host):
    with socket.socket() as sock:
        sock.bind((host, 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use(port)
        message = port_in_use_message(port, 1, f"10.0.0.2:{port}")
        assert (
            f"port {port} of worker 1 (10.0.0.2:{port} in TF_CONFIG) is already in use" in message
        )
    assert not port_in_use(port)


def test_port_in_use_error_is_an_address_in_use_os_error():
    error = PortInUseError("port 1 is taken")
    assert isinstance(error, OSError) and error.errno == errno.EADDRINUSE
    assert str(error) == "port 1 is taken"


@pytest.mark.parametrize(
    ("port", "error"), [(0, ValueError), (70000, ValueError), ("80", TypeError)]
)
def test_port_in_use_refuses_bad_ports(port, error):
    with pytest.raises(error, match="port must be"):
        port_in_use(port)
