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
   sees half a file. Each name is claimed for the id (``OutboxClaims``, on disk) before
   its file is written, and marked written after;
3. a removed or held file leaves a notice (``<name>.notice.txt``) naming what was done,
   why, and the quarantine id to ask for the original;
4. the quarantine record gets the per-object audit (type, size, hash, action, reason) and
   the delivered mark;
5. only then is the inbox file deleted.

A crash at any point leaves the inbox file in place; the next pass repeats the steps
with the same id, so nothing is lost. It finds its earlier outbox names by their claims,
not by their bytes: the sanitiser need not give the same bytes twice (pdfium renders a
page differently depending on what its process rendered before), so a repeated pass
keeps a file marked written and writes one that is not again under the same name, never
a second copy. (One window remains: a crash between a file's rename into the outbox and
its written mark, one SQLite commit later, makes the next pass replace that file under
its name; a reader that took it in those milliseconds sees it twice.) A file whose
delivered mark exists is only removed from the inbox (never transferred twice); its
claims are then dropped.

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
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import count
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from ictinfra.isolation.errors import IsolationError
from ictinfra.mailsan.converter import Converters
from ictinfra.mailsan.errors import QuarantineError
from ictinfra.mailsan.policy import SanitisePolicy
from ictinfra.mailsan.quarantine import Quarantine, open_sqlite, take_key
from ictinfra.mailsan.records import Action, Deliverable, ObjectRecord, SanitiseResult, Verdict
from ictinfra.mailsan.service import FilterConfig

log = logging.getLogger("ictinfra.transfer")

NOTICE_SUFFIX = ".notice.txt"
# The claims live beside the quarantine: the one folder the service may write besides its
# inbox and outbox (the unit's ReadWritePaths), and never seen by the LGWAN side.
CLAIMS_FILE = "transfer-outbox.sqlite"
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


@dataclass(frozen=True)
class Claim:
    """An outbox name (relative to the outbox) taken by one upload's ``item``-th output."""

    path: str
    ident: str
    item: int
    name: str  # the sanitiser's file name for the output
    written: bool  # the file was complete in the outbox when this was recorded


class OutboxClaims:
    """Which outbox names each upload (quarantine id) took, from before its file is
    written until its delivered mark. A repeated pass finds its own names here (bytes
    cannot tell: the sanitiser need not repeat them), and no other upload takes them
    meanwhile. SQLite, every commit fsynced (WAL, synchronous=FULL): a claim must
    survive a power cut as surely as the outbox file written after it."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS claims (path TEXT PRIMARY KEY, id TEXT NOT NULL,"
        " item INTEGER NOT NULL, name TEXT NOT NULL, written INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE INDEX IF NOT EXISTS claims_by_id ON claims (id)",
    )

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = open_sqlite(path, self.SCHEMA, synchronous="FULL")
        except (OSError, sqlite3.Error) as exc:
            raise TransferError(f"outbox claims {path} are unusable: {exc}") from exc

    def _run(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise TransferError(f"outbox claims {self.path}: {exc}") from exc

    def of(self, ident: str) -> list[Claim]:
        rows = self._run(
            "SELECT path, item, name, written FROM claims WHERE id = ? ORDER BY item", (ident,)
        )
        return [Claim(str(p), ident, cast(int, i), str(n), bool(w)) for p, i, n, w in rows]

    def owner(self, path: str) -> str | None:
        rows = self._run("SELECT id FROM claims WHERE path = ?", (path,))
        return str(rows[0][0]) if rows else None

    def claim(self, claim: Claim) -> bool:
        """Take ``claim.path``; False if another took it first (another transfer process)."""
        try:
            self._conn.execute(
                "INSERT INTO claims VALUES (?, ?, ?, ?, ?)",
                (claim.path, claim.ident, claim.item, claim.name, int(claim.written)),
            )
        except sqlite3.IntegrityError:
            return False
        except sqlite3.Error as exc:
            raise TransferError(f"outbox claims {self.path}: {exc}") from exc
        return True

    def mark_written(self, path: str) -> None:
        self._run("UPDATE claims SET written = 1 WHERE path = ?", (path,))

    def drop(self, path: str) -> None:
        self._run("DELETE FROM claims WHERE path = ?", (path,))

    def release(self, ident: str) -> None:
        """After the delivered mark is on disk: the names are free for later uploads (the
        same name uploaded again while the file is still there gets ``stem-<id8>``)."""
        self._run("DELETE FROM claims WHERE id = ?", (ident,))

    def close(self) -> None:
        self._conn.close()


def _candidates(name: str, ident: str) -> Iterator[str]:
    """The names an output may take, in order: its own, then with the id's prefix."""
    pure = PurePosixPath(name)
    yield name
    yield f"{pure.stem}-{ident[:8]}{pure.suffix}"
    yield f"{ident}-{name}"
    for n in count(2):  # several outputs of one upload with one name
        yield f"{ident}-{n}-{name}"


def _place_new(
    outbox: Path,
    claims: OutboxClaims,
    rel_dir: PurePosixPath,
    wanted: Claim,
    data: bytes,
    delivered: Callable[[str], bool],
) -> str:
    """Claim a free name for an output no earlier pass claimed, then write it. A name is
    taken if another upload not yet delivered claimed it, or if a file is there (never
    overwritten: it is another upload's) unless that file holds exactly these bytes."""
    for candidate in _candidates(wanted.name, wanted.ident):
        rel = (rel_dir / candidate).as_posix()
        owner = claims.owner(rel)
        if owner is not None:
            if owner == wanted.ident or not delivered(owner):
                continue
            claims.drop(rel)  # left behind by an upload delivered since (a crash)
        target = outbox / rel
        same = target.is_file() and not target.is_symlink() and target.read_bytes() == data
        if os.path.lexists(target) and not same:
            continue
        if not claims.claim(Claim(rel, wanted.ident, wanted.item, wanted.name, same)):
            continue
        if not same:
            write_atomic(target, data)
            claims.mark_written(rel)
        return rel
    raise AssertionError("unreachable: the candidates never end")  # pragma: no cover


def _place(
    outbox: Path,
    claims: OutboxClaims,
    rel_dir: PurePosixPath,
    items: Sequence[Deliverable],
    ident: str,
    delivered: Callable[[str], bool],
) -> tuple[str, ...]:
    """Outbox paths of ``items``, the outputs of upload ``ident``. An output an earlier
    pass claimed keeps its name: kept as it is if it was marked written (complete; the
    LGWAN side may have taken it already, and must not get it twice), written again
    (atomically replacing our own partial work) if not. A new output gets a new name."""
    earlier = {(c.item, c.name): c for c in claims.of(ident)}
    wanted = [
        Claim("", ident, index, PurePosixPath(item.filename).name or "file", written=False)
        for index, item in enumerate(items)
    ]
    mine = [earlier.pop((w.item, w.name), None) for w in wanted]
    for stale in earlier.values():
        # Claimed by an earlier pass for an output this pass does not deliver (this time
        # held past the time limit, or the policy changed): withdrawn, so the outbox
        # shows what the record says. The LGWAN side may have taken it meanwhile.
        log.warning("%s: withdrawn, not delivered by this pass of %s", stale.path, ident)
        (outbox / stale.path).unlink(missing_ok=True)
        claims.drop(stale.path)
    outputs = []
    for want, claim, item in zip(wanted, mine, items, strict=True):
        if claim is None:
            outputs.append(_place_new(outbox, claims, rel_dir, want, item.data, delivered))
            continue
        if not claim.written:
            write_atomic(outbox / claim.path, item.data)
            claims.mark_written(claim.path)
        outputs.append(claim.path)
    return tuple(outputs)


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


def _delivered(quarantine: Quarantine, ident: str) -> bool:
    try:
        return quarantine.get(ident).status == "delivered"
    except QuarantineError:
        return False  # unknown or unreadable: its claims stand (fail closed)


def process_file(
    config: TransferConfig,
    quarantine: Quarantine,
    converters: Converters,
    claims: OutboxClaims,
    path: Path,
) -> FileResult:
    """Steps 1-5 of the module's docstring for one inbox file."""
    rel = path.relative_to(config.inbox).as_posix()
    upload = _upload_identity(path)
    raw = path.read_bytes()
    record = quarantine.store(raw, config.source, [rel])  # durable before anything else
    if record.status == "delivered":
        claims.release(record.id)  # a crash after the delivered mark left them
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
    outputs = _place(
        config.outbox,
        claims,
        rel_path.parent,
        deliver,
        record.id,
        lambda owner: _delivered(quarantine, owner),
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
    # Durable before the claims go: a power cut must not keep an undelivered record
    # while forgetting which names its outputs took (the next pass would write a copy).
    quarantine.mark_delivered(record.id, durable=True)
    claims.release(record.id)
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
        self.claims = OutboxClaims(config.quarantine_dir / CLAIMS_FILE)
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
        """Stop the converter child (and whatever it started); close the claims."""
        if self._converters is not None:
            self._converters.close()
            self._converters = None
        self.claims.close()

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
                result = process_file(
                    self.config, self.quarantine, self.converters, self.claims, path
                )
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
