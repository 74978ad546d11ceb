"""One netmiko session to one device, with a masked session log written however it ends."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout
from paramiko.ssh_exception import SSHException  # type: ignore[import-untyped]  # no stubs

from ictinfra.netmig.credentials import Credentials
from ictinfra.netmig.drivers import net_driver
from ictinfra.netmig.endpoints import Endpoint
from ictinfra.netmig.masking import mask
from ictinfra.render.output import write_atomic

# Failures worth another try: the network or the device was busy, not the request wrong.
TRANSIENT: tuple[type[BaseException], ...] = (
    NetmikoTimeoutException,
    ReadTimeout,
    SSHException,
    EOFError,
    OSError,
    ConnectionError,
)
PERMANENT: tuple[type[BaseException], ...] = (NetmikoAuthenticationException,)


@contextmanager
def device_session(
    ep: Endpoint,
    creds: Credentials,
    log: Path | None = None,
    timeout: float = 10.0,
) -> Iterator[BaseConnection]:
    """Connected (and enabled where the platform has it); the log is masked and written last."""
    drv = net_driver(ep.device_type)
    buffer = io.BytesIO()
    kwargs: dict[str, Any] = {
        "device_type": ep.device_type,
        "host": ep.host,
        "port": ep.port,
        "username": creds.username,
        "password": creds.secret(),
        "conn_timeout": timeout,
        "auth_timeout": timeout,
        "banner_timeout": timeout,
        "fast_cli": True,
        "session_log": buffer,
        # Our sessions are never interactive: no key agent, no ~/.ssh keys tried.
        "allow_agent": False,
        "use_keys": False,
    }
    if drv.send_secret:
        kwargs["secret"] = creds.secret()
    conn: BaseConnection | None = None
    try:
        conn = ConnectHandler(**kwargs)
        if drv.send_secret:
            conn.enable()
        yield conn
    finally:
        if conn is not None:
            # A dead session cannot be closed politely; the device drops it on its side.
            with suppress(*TRANSIENT, ValueError):
                conn.disconnect()
        if log is not None:
            text = buffer.getvalue().decode("utf-8", errors="replace")
            log.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(log, mask(text, [creds.secret()]))
