"""One netmiko session to one device, with a masked session log written however it ends."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout
from netmiko.nec import NecIxSSH
from netmiko.yamaha import YamahaSSH
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


class NecIxSession(NecIxSSH):
    """netmiko's NEC IX driver, waiting for the prompt where netmiko sleeps a fixed second.

    Leaving configuration mode (done twice per session by netmiko: once while preparing
    it, once on closing) is the same command; only the wait differs. On a fleet of IX
    routers that second is most of a backup's time per device.
    """

    def exit_enable_mode(self, exit_command: str = "exit") -> str:
        output = ""
        if self.check_enable_mode():
            output += self._send_command_str(command_string="configure", expect_string=r"\)\#")
            self.write_channel(self.normalize_cmd(exit_command))
            output += self.read_until_pattern(pattern=rf"{re.escape(self.base_prompt)}#")
            if self.check_enable_mode():
                raise ValueError("Failed to exit enable/config mode.")
        return output


class YamahaSession(YamahaSSH):
    """netmiko's YAMAHA driver, reading the answer where netmiko sleeps a fixed second."""

    def exit_enable_mode(self, exit_command: str = "exit") -> str:
        output = ""
        if self.check_enable_mode():
            self.write_channel(self.normalize_cmd(exit_command))
            output += self.read_until_pattern(pattern=r"\(Y/N\)|>\s*$", re_flags=re.M)
            if "(Y/N)" in output:
                # Unsaved changes: never save on the way out (the caller saves on purpose).
                self.write_channel("N")
                output += self.read_until_pattern(pattern=r">\s*$", re_flags=re.M)
            if self.check_enable_mode():
                raise ValueError("Failed to exit enable mode.")
        return output


# Explicit: device types whose session class ictinfra provides itself.
SESSION_CLASSES: dict[str, type[BaseConnection]] = {
    "nec_ix": NecIxSession,
    "yamaha": YamahaSession,
}


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
        cls = SESSION_CLASSES.get(ep.device_type)
        conn = cls(**kwargs) if cls is not None else ConnectHandler(**kwargs)
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
