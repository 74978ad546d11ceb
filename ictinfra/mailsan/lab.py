"""A throw-away Postfix instance (and filter service) for tests and benchmarks.

Debian's Postfix runs without systemd with its own configuration folder: ``postfix -c
DIR start``. Everything listens on 127.0.0.1 only; mail for the lab domain is delivered
to Maildirs under the lab folder. The configuration comes from the same Jinja2 templates
a deployment uses (``templates/postfix-filter-*.cf.j2``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from ictinfra.mailsan.errors import MailsanError
from ictinfra.mailsan.policy import SanitisePolicy
from ictinfra.mailsan.service import FilterConfig

TEMPLATES = Path(__file__).parent / "templates"
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")


def templates() -> jinja2.Environment:
    """The filter's Postfix templates (also read by the mail_gateway role)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - Postfix configuration, not HTML
    )


def filter_vars(
    *,
    filter_port: int,
    reinject_port: int,
    policy: SanitisePolicy,
    concurrency: int = 10,
    host: str = "127.0.0.1",
    message_time_limit: float = 120.0,
) -> dict[str, Any]:
    """Template variables for the filter fragments (both modes)."""
    return {
        "mailsan_filter_host": host,
        "mailsan_filter_port": filter_port,
        "mailsan_reinject_host": host,
        "mailsan_reinject_port": reinject_port,
        "mailsan_filter_concurrency": concurrency,
        "mailsan_recipient_limit": 100,
        "mailsan_message_size_limit": policy.max_message_bytes,
        # Sanitised mail carries converted attachments and notices: allow some growth.
        "mailsan_reinject_size_limit": policy.max_message_bytes * 2,
        "mailsan_data_done_timeout": "600s",
        # milter mode: Postfix waits this long at end-of-message, more than the
        # sanitiser's own per-message limit (which then holds the message).
        "mailsan_milter_connect_timeout": "10s",
        "mailsan_milter_command_timeout": "30s",
        "mailsan_milter_content_timeout": f"{int(message_time_limit) + 60}s",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise MailsanError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class PostfixLab:
    """One Postfix instance in ``root``; with ``filter_port`` set, mail goes through it."""

    root: Path
    policy: SanitisePolicy
    filter_port: int | None = None
    mode: str = "milter"  # or "content_filter" (FilterConfig.mode)
    domain: str = "lgwan.lab.invalid"
    retry_seconds: int = 2
    # An upstream MTA: relays everything to 127.0.0.1:relay_port (another lab) and retries
    # on 4xx and dropped connections as any MTA does; delivers nothing itself.
    relay_port: int | None = None
    hostname: str = "mx.lab.invalid"
    smtp_port: int = field(default_factory=free_port)
    reinject_port: int = field(default_factory=free_port)

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    def write_config(self) -> None:
        nobody = pwd.getpwnam("nobody")
        for sub in ("etc", "spool", "data", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chown(self.root / "mail", nobody.pw_uid, nobody.pw_gid)
        postfix_user = pwd.getpwnam("postfix")
        os.chown(self.root / "data", postfix_user.pw_uid, postfix_user.pw_gid)
        # Postfix daemons and the delivery user run unprivileged: they must be able to
        # traverse to the lab folder (temporary folders are often 0700).
        for folder in (self.root, *self.root.parents):
            mode = folder.stat().st_mode
            if not mode & 0o001:
                folder.chmod(mode | 0o011)
        values: dict[str, Any] = {
            "lab_dir": str(self.root),
            "lab_hostname": self.hostname,
            "lab_relay_port": self.relay_port or 0,
            "lab_domain": self.domain,
            "lab_uid": nobody.pw_uid,
            "lab_gid": nobody.pw_gid,
            "lab_retry_seconds": self.retry_seconds,
            "lab_smtp_port": self.smtp_port,
            "lab_filter": self.filter_port is not None,
            "lab_mode": self.mode,
            **filter_vars(
                filter_port=self.filter_port or 0,
                reinject_port=self.reinject_port,
                policy=self.policy,
            ),
        }
        env = templates()
        (self.etc / "main.cf").write_text(env.get_template("lab-main.cf.j2").render(values))
        (self.etc / "master.cf").write_text(env.get_template("lab-master.cf.j2").render(values))
        # Every address of the lab domain lands in one Maildir (the trailing slash selects
        # Maildir); virtual(8) forbids regexp substitution, so a catch-all it is.
        (self.etc / "mailboxes").write_text(f"@{self.domain} inbox/\n")

    def postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        # Postfix reports fatal start-up errors on a terminal or to syslog only; "script"
        # gives it a terminal so the reason lands in the output we keep.
        command = " ".join(["postfix", "-c", str(self.etc), *args])
        return subprocess.run(
            ["script", "-qec", command, "/dev/null"],
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    def start(self) -> None:
        self.write_config()
        started = self.postfix("start", check=False)
        if started.returncode != 0:
            raise MailsanError(f"postfix start failed: {started.stdout.strip()}")
        wait_port(self.smtp_port)
        if self.filter_port is not None and self.mode == "content_filter":
            wait_port(self.reinject_port)

    def stop(self) -> None:
        self.postfix("stop", check=False)
        pid_file = self.root / "spool" / "pid" / "master.pid"
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)

    def flush(self) -> None:
        """Ask the queue manager to retry deferred mail now."""
        self.postfix("flush", check=False)

    def queued(self) -> int:
        total = 0
        for name in QUEUES:
            base = self.root / "spool" / name
            if base.is_dir():
                total += sum(len(files) for _, _, files in os.walk(base))
        return total

    def delivered(self) -> list[Path]:
        """Every delivered message file, over all Maildirs."""
        return sorted(self.root.glob("mail/*/new/*")) + sorted(self.root.glob("mail/*/cur/*"))

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class FilterProcess:
    """The filter service as a separate process (``python -m ictinfra.mailsan serve``)."""

    root: Path
    config: FilterConfig
    env: Mapping[str, str]
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "filter.json"
        path.write_text(self.config.model_dump_json())
        log = (self.root / "filter.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ictinfra.mailsan", "serve", "--config", str(path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        log.close()
        wait_port(self.config.listen_port)

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def kill(self) -> None:
        """The whole service dies at once (supervisor and workers), as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        path = self.root / "filter.log"
        return path.read_text(errors="replace") if path.exists() else ""


def postfix_available() -> bool:
    return shutil.which("postfix") is not None


def render_gateway(
    policy: SanitisePolicy,
    *,
    quarantine_dir: Path,
    filter_port: int = 10025,
    reinject_port: int = 10026,
    workers: int = 2,
    mode: str = "milter",
    message_time_limit: float = 120.0,
) -> dict[str, str]:
    """What a mail gateway needs, from the inventory's policy: the Postfix fragments (to
    append to main.cf and master.cf) and the filter's configuration (JSON). ``mode``:
    "milter" (default: smtpd_milters, nothing in master.cf) or "content_filter"."""
    if mode not in ("milter", "content_filter"):
        raise MailsanError(f"unknown filter mode {mode!r}")
    env = templates()
    values = filter_vars(
        filter_port=filter_port,
        reinject_port=reinject_port,
        policy=policy,
        concurrency=max(2, workers * 2),
        message_time_limit=message_time_limit,
    )
    config = FilterConfig.model_validate(
        {
            "listen_port": filter_port,
            "reinject_port": reinject_port,
            "workers": workers,
            "quarantine_dir": quarantine_dir,
            "policy": policy,
            "mode": mode,
            "message_time_limit": message_time_limit,
        }
    )
    prefix = "postfix-milter" if mode == "milter" else "postfix-filter"
    return {
        "main.cf.fragment": env.get_template(f"{prefix}-main.cf.j2").render(values),
        "master.cf.fragment": env.get_template(f"{prefix}-master.cf.j2").render(values),
        "mailsan-filter.json": config.model_dump_json(indent=2) + "\n",
    }
