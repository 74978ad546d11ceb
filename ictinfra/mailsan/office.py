"""Office documents to PDF with LibreOffice headless, killed when it takes too long.

Only the caller's converter child runs this (``ictinfra.mailsan.converter``), never the
SMTP/milter process. Each process has its own LibreOffice profile folder (two instances
sharing one profile block each other), kept between conversions because a fresh profile
costs seconds. LibreOffice runs in a process group of its own (the ``soffice`` wrapper,
``oosplash``, ``soffice.bin``), killed as a whole on timeout; its id is written in the
profile folder while it runs, so a filter worker that kills a stuck converter child kills
that child's LibreOffice too (``kill_running``).

What the conversion does with active content: a document with macros, ActiveX or embedded
OLE objects never gets here (``attachments`` removes it first); LibreOffice loads the rest
with macros disabled (headless conversion never runs them), prints it to PDF, and that PDF
is then rendered to an image-only PDF like any PDF attachment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ictinfra.mailsan.errors import MailsanError

SUFFIXES = {
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/rtf": ".rtf",
    "text/rtf": ".rtf",
}


class OfficeError(MailsanError):
    """LibreOffice could not convert the document (or took too long)."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile() -> Path:
    """This process's LibreOffice profile; stale ones of dead processes are removed."""
    base = Path(tempfile.gettempdir())
    for old in base.glob("mailsan-lo-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(old, ignore_errors=True)
    path = _profile_of(os.getpid())
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _profile_of(pid: int) -> Path:
    return Path(tempfile.gettempdir()) / f"mailsan-lo-{pid}"


def kill_running(pid: int) -> None:
    """Kill the LibreOffice that process ``pid`` (a converter child) has running, if any."""
    try:
        group = int((_profile_of(pid) / "running").read_text())
        os.killpg(group, signal.SIGKILL)
    except (OSError, ValueError):
        pass


def to_pdf(data: bytes, mime: str, timeout: float) -> bytes:
    """The document printed to PDF by LibreOffice; OfficeError on failure or timeout."""
    binary = soffice()
    if binary is None:
        raise OfficeError("LibreOffice is not installed")
    profile = _profile()
    with tempfile.TemporaryDirectory(prefix="mailsan-office-") as tmp:
        work = Path(tmp)
        source = work / f"document{SUFFIXES.get(mime, '.bin')}"
        source.write_bytes(data)
        command = [
            binary,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--nofirststartwizard",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(source),
        ]
        path = os.environ.get("PATH", "/usr/bin:/bin")
        env = {"PATH": path, "HOME": str(work), "LANG": "C.UTF-8"}
        proc = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        running = profile / "running"
        running.write_text(str(proc.pid))
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise OfficeError(f"LibreOffice took longer than {timeout:g} s") from exc
        finally:
            # Whatever happened, nothing of this conversion keeps running (soffice.bin can
            # outlive the wrapper on errors).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
            running.unlink(missing_ok=True)
        result = work / "document.pdf"
        if proc.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
            raise OfficeError(f"LibreOffice could not convert it (exit {proc.returncode})")
        return result.read_bytes()
