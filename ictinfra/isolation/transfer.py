"""The sanitising file transfer (ファイル無害化) from the internet zone to the LGWAN zone.

Files dropped into the inbox (internet side) go through the same code as mail
attachments (``ictinfra.mailsan.attachments.process`` under the mail policy): by true type,
documents rendered to image-only PDF, images re-encoded, archives opened within limits,
executables and active content removed, encrypted content held. The work on the content is
done in the mail filter's converter children (``ictinfra.mailsan.converter``), never in
this process: a file whose conversion takes longer than ``time_limit`` (a hostile PDF or
Office file can take for ever) has its child killed and replaced, and is held like an
encrypted one, and the service goes on with the next file. For each file, in this order:

1. the original is stored in the encrypted quarantine and fsynced (id = hash of the
   source, the file's inbox path and its bytes: storing is idempotent);
2. what may cross is written to the outbox (LGWAN side) atomically: a hidden temporary
   file in the same folder, fsynced, renamed, the folder fsynced. The LGWAN side never
   sees half a file;
3. a removed or held file leaves a notice (``<name>.notice.txt``) naming what was done,
   why, and the quarantine id to ask for the original;
4. the quarantine record gets the per-object audit (type, size, hash, action, reason) and
   the delivered mark;
5. only then is the inbox file deleted.

A crash at any point leaves the inbox file in place; the next pass repeats the steps
with the same id and the same outputs, so nothing is lost. A file whose delivered mark
exists is only removed from the inbox (never transferred twice).

``python -m ictinfra.isolation.transfer run --config FILE`` processes what is waiting
once (offline use, reviewers); ``serve`` keeps polling (the systemd service).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import secrets
import signal
import sys
import time
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ictinfra.isolation.errors import IsolationError
from ictinfra.mailsan.converter import Converters
from ictinfra.mailsan.policy import SanitisePolicy
from ictinfra.mailsan.quarantine import Quarantine, take_key
from ictinfra.mailsan.records import Action, ObjectRecord, SanitiseResult, Verdict
from ictinfra.mailsan.service import FilterConfig

log = logging.getLogger("ictinfra.transfer")

NOTICE_SUFFIX = ".notice.txt"
# Names an uploader uses while a file is still being written: never picked up.
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart")
EX_TEMPFAIL = 75
# The mail filter's per-message limit: one file may take as long as one message.
DEFAULT_TIME_LIMIT: float = FilterConfig.model_fields["message_time_limit"].default


class TransferError(IsolationError):
    """The transfer cannot run (configuration, key, folders)."""


class TransferConfig(BaseModel):
    """One transfer service (written by the file_transfer role)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inbox: Path
    outbox: Path
    quarantine_dir: Path
    policy: SanitisePolicy
    # A file is taken once unchanged for this long: an uploader that writes in place
    # (no temporary name) has finished by then.
    settle_seconds: float = Field(default=2.0, ge=0)
    poll_seconds: float = Field(default=1.0, gt=0)
    source: str = "internet-zone"
    # Failed files are retried, but not more often than this (a broken file must not spin).
    retry_seconds: float = Field(default=30.0, ge=0)
    # Seconds one file's conversion may take; past it the file is held with a notice.
    time_limit: float = Field(default=DEFAULT_TIME_LIMIT, gt=0, le=3600)


Status = Literal["transferred", "removed", "held", "already-transferred"]


class FileResult(BaseModel):
    """What happened to one inbox file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str  # path relative to the inbox
    id: str  # quarantine id
    status: Status
    outputs: tuple[str, ...] = ()  # paths relative to the outbox
    notice: str | None = None  # path relative to the outbox
    objects: tuple[ObjectRecord, ...] = ()


def _hidden_or_partial(rel: PurePosixPath) -> bool:
    return any(part.startswith(".") for part in rel.parts) or rel.name.lower().endswith(
        PARTIAL_SUFFIXES
    )


def pending(config: TransferConfig, now: float | None = None) -> list[Path]:
    """Inbox files ready to process, oldest first."""
    moment = time.time() if now is None else now
    ready: list[tuple[float, Path]] = []
    for path in config.inbox.rglob("*"):
        rel = PurePosixPath(path.relative_to(config.inbox).as_posix())
        if _hidden_or_partial(rel) or path.is_symlink() or not path.is_file():
            continue
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            continue  # taken away between the listing and now
        if moment - mtime >= config.settle_seconds:
            ready.append((mtime, path))
    return [p for _, p in sorted(ready)]


def write_atomic(path: Path, data: bytes) -> None:
    """Visible under its name only once complete and on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _place(outbox: Path, rel_dir: PurePosixPath, filename: str, data: bytes, ident: str) -> str:
    """Write ``data`` under ``filename``; an existing different file keeps its name and this
    one gets the id's prefix. The same bytes again (a repeated pass) write nothing."""
    name = PurePosixPath(filename).name or "file"
    candidates = [name, f"{PurePosixPath(name).stem}-{ident[:8]}{PurePosixPath(name).suffix}"]
    for candidate in candidates:
        target = outbox / rel_dir / candidate
        if target.is_file():
            if target.read_bytes() == data:
                return (rel_dir / candidate).as_posix()
            continue
        write_atomic(target, data)
        return (rel_dir / candidate).as_posix()
    target = outbox / rel_dir / f"{ident}-{name}"
    write_atomic(target, data)
    return (rel_dir / target.name).as_posix()


def _notice(
    rel: str, ident: str, status: Status, objects: tuple[ObjectRecord, ...], contact: str
) -> str:
    lines = [
        "【ファイル無害化のお知らせ / File transfer notice】",
        "",
        f"ファイル / File: {rel}",
        f"隔離ID / Quarantine id: {ident}",
        (
            "このファイルは検査できなかったため保留されました(理由は下記)。"
            " / This file could not be inspected (see below): it is held."
            if status == "held"
            else "このファイルの一部または全部は安全でないため除去されました。"
            " / Part or all of this file was removed as unsafe."
        ),
        "",
        "処理内容 / What was done:",
    ]
    lines += [
        f"  - {o.path}: {o.action.value} ({o.true_type}, {o.size} bytes): {o.reason}"
        for o in objects
    ]
    lines += [
        "",
        "原本は隔離領域に保管されています。必要な場合は隔離IDを添えて次へ依頼してください。",
        f"The original is kept in the quarantine; to ask for it, quote the id to: {contact}",
        "",
    ]
    return "\n".join(lines)


def _upload_identity(path: Path) -> tuple[int, int, int]:
    """(inode, size, mtime in ns): changes when the file is rewritten or replaced."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return (0, -1, 0)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def process_file(
    config: TransferConfig, quarantine: Quarantine, converters: Converters, path: Path
) -> FileResult:
    """Steps 1-5 of the module's docstring for one inbox file."""
    rel = path.relative_to(config.inbox).as_posix()
    upload = _upload_identity(path)
    raw = path.read_bytes()
    record = quarantine.store(raw, config.source, [rel])  # durable before anything else
    if record.status == "delivered":
        path.unlink(missing_ok=True)
        return FileResult(name=rel, id=record.id, status="already-transferred")
    policy = config.policy
    rel_path = PurePosixPath(rel)
    if len(raw) > policy.max_message_bytes:
        objects: tuple[ObjectRecord, ...] = (
            ObjectRecord(
                path=rel_path.name,
                declared_type=None,
                true_type="application/octet-stream",
                size=len(raw),
                sha256=record.sha256,
                action=Action.REMOVED,
                reason=f"larger than the limit of {policy.max_message_bytes} bytes",
            ),
        )
        deliver = []
    else:
        # In a converter child under the time limit: past it the file comes back held.
        outcome = converters.run_file(raw, rel_path.name)
        objects = tuple(outcome.records)
        deliver = [] if outcome.held else outcome.deliver
    if _upload_identity(path) != upload:
        # Still being written (an uploader that paused longer than the settle time):
        # nothing reaches the outbox; the next pass takes the finished file.
        raise TransferError(f"{rel} changed while it was read; left for the next pass")
    held = any(o.action is Action.HELD for o in objects)
    removed = any(o.action is Action.REMOVED for o in objects)
    status: Status = "held" if held else ("transferred" if deliver else "removed")
    outputs = tuple(
        _place(config.outbox, rel_path.parent, item.filename, item.data, record.id)
        for item in deliver
    )
    notice_rel: str | None = None
    notice = ""
    if held or removed or not deliver:
        notice = _notice(rel, record.id, status, objects, policy.contact)
        notice_rel = (rel_path.parent / f"{rel_path.name}{NOTICE_SUFFIX}").as_posix()
        write_atomic(config.outbox / notice_rel, notice.encode())
    result = SanitiseResult(
        verdict=Verdict.HOLD if held else Verdict.DELIVER,
        message=b"",
        objects=objects,
        body_actions=(f"file-transfer={status}",),
        links=(),
        notice=notice,
        defects=(),
    )
    quarantine.record_result(record, result, rel)
    quarantine.mark_delivered(record.id)
    # Last: a crash before this repeats the pass, losing nothing. A file rewritten since it
    # was read stays: its new content is a new upload for the next pass.
    if _upload_identity(path) == upload:
        path.unlink(missing_ok=True)
    return FileResult(
        name=rel, id=record.id, status=status, outputs=outputs, notice=notice_rel, objects=objects
    )


_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$")


def sweep_temporaries(outbox: Path) -> list[Path]:
    """Remove what ``write_atomic`` of a killed writer left behind; return what went.

    Only names of ``write_atomic``'s own pattern whose writing process is gone: a live
    writer's file (its pid still running) is left alone. The file it would have become
    is written again, because its inbox file was not yet removed.
    """
    removed: list[Path] = []
    for path in outbox.rglob(".*.tmp"):
        match = _TEMPORARY.match(path.name)
        if match is None or not path.is_file():
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
            removed.append(path)
        except PermissionError:
            continue  # a live process of another user
    return removed


class Transfer:
    """The inbox-to-outbox pass, with retry pacing for files that fail."""

    def __init__(self, config: TransferConfig, key: bytes) -> None:
        self.config = config
        for folder in (config.inbox, config.outbox):
            if not folder.is_dir():
                raise TransferError(f"{folder} is not a folder")
        for stale in sweep_temporaries(config.outbox):
            log.warning("removed %s, left by a writer that was killed", stale)
        self.quarantine = Quarantine(config.quarantine_dir, key)
        self._failed: dict[Path, float] = {}
        self._converters: Converters | None = None
        self.stopping = False  # set by a signal: no further file is started

    @property
    def converters(self) -> Converters:
        """The converter child, started when a first file needs it."""
        if self._converters is None:
            self._converters = Converters(self.config.policy, self.config.time_limit, count=1)
        return self._converters

    def close(self) -> None:
        """Stop the converter child (and whatever it started)."""
        if self._converters is not None:
            self._converters.close()
            self._converters = None

    def __enter__(self) -> Transfer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def run_once(self, now: float | None = None) -> tuple[list[FileResult], list[str]]:
        """(results, failures) for every file ready now; failures stay in the inbox."""
        results: list[FileResult] = []
        failures: list[str] = []
        moment = time.time() if now is None else now
        for path in pending(self.config, moment):
            if self.stopping:
                break  # the rest waits in the inbox for the next start
            last = self._failed.get(path)
            if last is not None and moment - last < self.config.retry_seconds:
                continue
            try:
                result = process_file(self.config, self.quarantine, self.converters, path)
            except FileNotFoundError:
                continue  # taken away meanwhile (another pass, the uploader): nothing to do
            except Exception as exc:  # one bad file never stops the others
                log.exception("transfer of %s failed; kept in the inbox", path)
                self._failed[path] = moment
                failures.append(f"{path}: {type(exc).__name__}: {exc}")
                continue
            self._failed.pop(path, None)
            log.info("%s", json.dumps(result.model_dump(mode="json", exclude={"objects"})))
            results.append(result)
        return results, failures

    def serve(self) -> int:
        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("transfer %s -> %s", self.config.inbox, self.config.outbox)
        # A signal lets the current file finish: at most the time limit, plus the start
        # of a converter child when one was being (re)started (up to its own start wait;
        # past the unit's stop timeout systemd kills both and the file waits, unharmed,
        # for the next start). Only this process gets the SIGTERM, not the converter.
        while not self.stopping:
            self.run_once()
            time.sleep(self.config.poll_seconds)
        return 0


def load_config(path: Path) -> TransferConfig:
    try:
        return TransferConfig.model_validate_json(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise TransferError(f"{path}: {exc}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ictinfra.isolation.transfer")
    parser.add_argument("command", choices=("run", "serve"))
    parser.add_argument("--config", required=True, help="transfer configuration (JSON)")
    parser.add_argument(
        "--now", action="store_true", help="run: take files at once (no settle time)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s transfer[%(process)d] %(levelname)s %(message)s",
    )
    # Outbox files readable by the LGWAN side's group (the outbox is setgid to it); the
    # quarantine sets its own owner-only modes.
    os.umask(0o027)
    try:
        config = load_config(Path(args.config))
        if args.now:
            config = config.model_copy(update={"settle_seconds": 0.0})
        transfer = Transfer(config, take_key(config.policy.quarantine_key))
    except Exception as exc:  # noqa: BLE001 - any start-up failure: one line, exit 1
        sys.stderr.write(f"transfer: {exc}\n")
        return 1
    with transfer:
        if args.command == "serve":
            return transfer.serve()
        results, failures = transfer.run_once()
    for result in results:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), ensure_ascii=False) + "\n")
    for failure in failures:
        sys.stderr.write(f"transfer: {failure}\n")
    return EX_TEMPFAIL if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
