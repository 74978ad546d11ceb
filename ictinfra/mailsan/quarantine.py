"""The quarantine: every original, encrypted at rest, with a JSON audit trail.

Layout under the root folder:
  segments/<day>-<pid>-<n>.seg
                      the originals as received, appended: per entry MAGIC ‖ id ‖ length ‖
                      nonce ‖ AES-256-GCM ciphertext (id as AAD). Appending to an open
                      segment needs one fdatasync where a file per message needs two
                      fsyncs (file and folder), and one fdatasync covers every message
                      stored since the last one (group commit): the disk's latency is paid
                      once per batch of concurrent messages, not once per message.
  index.sqlite        the audit records (metadata only: JSON per message) and the ids handed
                      back to Postfix, in SQLite (WAL, not fsynced: an index over the
                      segments, rebuilt from them if a power cut loses it). A file per
                      message cost two new inodes per message, and ext4 pays dearly for
                      each on a busy mail host (every allocation walks the inodes freed in
                      the last seconds: ~1 ms per message under the queue's churn, against
                      0.05 ms here). Folders of JSON records from earlier versions
                      (records/, delivered/) are imported once and renamed *.imported.
  audit.jsonl         one line per event: stored, sanitised, delivered, per removed object,
                      release, release refused

The id is derived from the envelope and the bytes, so a message Postfix retries after a
failure maps to the same entry: storing is idempotent and a message already delivered is
recognised instead of being delivered twice.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import os
import secrets
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, ValidationError

from ictinfra.inventory.model import SecretRef
from ictinfra.mailsan.errors import KeyUnavailableError, QuarantineError, ReleaseRefusedError
from ictinfra.mailsan.records import Action, ObjectRecord, SanitiseResult

log = logging.getLogger("ictinfra.mailsan.quarantine")
MAGIC = b"MSQ2"
HEADER = 4 + 32 + 8  # magic, id, length of what follows
SEGMENT_BYTES = 256 * 1024 * 1024
Status = Literal["stored", "sanitised", "delivered"]


class Release(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: str
    approver: str
    recipients: tuple[str, ...]
    reason: str


class QuarantineRecord(BaseModel):
    """What the audit keeps about one message: never its content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    received_at: str
    envelope_from: str
    envelope_to: tuple[str, ...]
    size: int
    sha256: str
    status: Status = "stored"
    segment: str | None = None
    offset: int | None = None
    subject: str | None = None
    verdict: str | None = None
    summary: str | None = None
    objects: tuple[ObjectRecord, ...] = ()
    releases: tuple[Release, ...] = ()


def load_key(ref: SecretRef, environ: dict[str, str] | None = None) -> bytes:
    """The 32-byte key the secret reference names (base64 in an environment variable)."""
    env = os.environ if environ is None else environ
    if ref.env is None:
        raise KeyUnavailableError(
            f"quarantine key {ref}: vault references are resolved at deployment into an "
            "environment variable; none is set here"
        )
    value = env.get(ref.env)
    if not value:
        raise KeyUnavailableError(f"quarantine key {ref}: variable {ref.env} is not set")
    try:
        key = base64.urlsafe_b64decode(value.strip() + "=" * (-len(value.strip()) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyUnavailableError(f"quarantine key {ref}: not base64") from exc
    if len(key) != 32:
        raise KeyUnavailableError(f"quarantine key {ref}: {len(key)} bytes, need 32")
    return key


def take_key(ref: SecretRef) -> bytes:
    """``load_key`` for a long-running service: the variable is then removed from this
    process's environment, so the children that parse hostile attachments (converters,
    LibreOffice) never inherit the key."""
    key = load_key(ref)
    if ref.env is not None:
        os.environ.pop(ref.env, None)
    return key


def new_key() -> str:
    """A fresh key in the form ``load_key`` reads (for set-up and tests)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def message_id(raw: bytes, envelope_from: str, envelope_to: Sequence[str]) -> str:
    digest = hashlib.sha256()
    digest.update(envelope_from.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(",".join(sorted(envelope_to)).encode("utf-8", "surrogateescape") + b"\0")
    digest.update(raw)
    return digest.hexdigest()[:32]


class Durable:
    """A stored original on its way to the disk. ``wait()`` returns once it is there
    (raises QuarantineError if it cannot be); call it before anything leaves the filter."""

    def __init__(self, ticket: _Ticket | None = None) -> None:
        self._ticket = ticket

    def wait(self) -> None:
        """Return once the original is on disk; raise QuarantineError if it is not."""
        if self._ticket is None:
            return
        self._ticket.done.wait()
        if self._ticket.error is not None:
            error = self._ticket.error
            raise QuarantineError(f"original not stored durably: {error}") from error


@dataclass
class _Ticket:
    fd: int
    folder: Path | None
    done: threading.Event = field(default_factory=threading.Event)
    error: OSError | None = None

    def finish(self) -> None:
        self.done.set()


class _GroupSync:
    """Group commit: one thread runs fdatasync for every original written since its last
    sync, so N messages stored concurrently cost one disk flush, not N. A ticket is only
    released by a sync that started after its write (the flush covers it)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[_Ticket] = []
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.syncs = 0

    def request(self, fd: int, folder: Path | None) -> _Ticket:
        ticket = _Ticket(fd, folder)
        with self._cond:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                # After a fork the thread does not exist in the child: start one there.
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, daemon=True, name="fsync")
                self._thread.start()
            self._queue.append(ticket)
            self._cond.notify()
        return ticket

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                batch, self._queue = self._queue, []
            errors: dict[int | str, OSError] = {}
            for fd in {t.fd for t in batch}:
                try:
                    os.fdatasync(fd)
                except OSError as exc:
                    errors[fd] = exc
            for folder in {t.folder for t in batch if t.folder is not None}:
                try:  # a new segment: its folder entry must be durable too
                    dir_fd = os.open(folder, os.O_RDONLY)
                    try:
                        os.fsync(dir_fd)
                    finally:
                        os.close(dir_fd)
                except OSError as exc:
                    errors[str(folder)] = exc
            self.syncs += 1
            for ticket in batch:
                ticket.error = errors.get(ticket.fd) or (
                    errors.get(str(ticket.folder)) if ticket.folder else None
                )
                ticket.finish()


class _Segment:
    """The open segment this process appends to (one per process: workers never share)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fd: int | None = None
        self.name = ""
        self.size = 0
        self.pid = 0
        self.day = ""
        self.lock = threading.Lock()

    def append(self, entry: bytes) -> tuple[str, int, int, bool]:
        """(segment name, offset, fd, new segment?) after writing ``entry``."""
        with self.lock:
            day = datetime.now(UTC).strftime("%Y%m%d")
            fresh = False
            if (
                self.fd is None
                or self.pid != os.getpid()
                or self.day != day
                or self.size + len(entry) > SEGMENT_BYTES
            ):
                self.pid, self.day, fresh = os.getpid(), day, True
                self.name = f"{day}-{self.pid}-{secrets.token_hex(4)}.seg"
                self.fd = os.open(
                    self.folder / self.name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
                )
                self.size = 0
            offset = self.size
            view = memoryview(entry)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
            self.size += len(entry)
            return self.name, offset, self.fd, fresh


def open_sqlite(
    path: Path,
    schema: Sequence[str],
    *,
    synchronous: Literal["NORMAL", "FULL"],
    threads: bool = False,
) -> sqlite3.Connection:
    """A SQLite file in WAL mode with ``schema`` applied, every statement its own commit;
    created owner-only first (SQLite gives its -wal and -shm files the file's mode).
    ``threads``: the caller shares the connection between threads under its own lock.
    Raises OSError or sqlite3.Error."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    conn = sqlite3.connect(path, timeout=60.0, isolation_level=None, check_same_thread=not threads)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        for statement in schema:
            conn.execute(statement)
    except BaseException:
        conn.close()
        raise
    return conn


class _Index:
    """The records and delivered marks in SQLite. One connection per process, opened
    lazily (again after a fork, and when the file was removed or replaced: an operator
    moving the index away gets a fresh one, or an error, not writes into a deleted file),
    shared by the process's threads under a lock; every statement commits by itself."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, received_at TEXT NOT NULL,"
        " record TEXT NOT NULL) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS delivered (id TEXT PRIMARY KEY) WITHOUT ROWID",
    )

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._file: tuple[int, int] | None = None

    def _identity(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_dev, st.st_ino

    def connection(self) -> sqlite3.Connection:
        """The process's connection (hold ``lock``); raises QuarantineError if unusable."""
        if self._conn is not None and self._pid == os.getpid() and self._identity() == self._file:
            return self._conn
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()  # removed or replaced under us (a forked child only drops it)
        self._conn = None
        try:
            # No fsync per commit: a commit survives a killed process (the data is in the
            # page cache); a power cut is what rebuild_index is for.
            conn = open_sqlite(self.path, self.SCHEMA, synchronous="NORMAL", threads=True)
        except (OSError, sqlite3.Error) as exc:
            raise QuarantineError(f"quarantine index {self.path} is unusable: {exc}") from exc
        self._conn, self._pid, self._file = conn, os.getpid(), self._identity()
        return conn

    def run(
        self, sql: str, args: Sequence[object] = (), *, durable: bool = False
    ) -> list[tuple[object, ...]]:
        """One statement, committed; ``durable``: its commit fsyncs the WAL (and with it
        every earlier commit) before this returns."""
        with self.lock:
            try:
                conn = self.connection()
                if not durable:
                    return conn.execute(sql, args).fetchall()
                conn.execute("PRAGMA synchronous=FULL")
                try:
                    return conn.execute(sql, args).fetchall()
                finally:
                    conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise QuarantineError(f"quarantine index {self.path}: {exc}") from exc

    def get(self, ident: str) -> tuple[str, bool] | None:
        rows = self.run(
            "SELECT record, EXISTS(SELECT 1 FROM delivered WHERE id = ?1)"
            " FROM records WHERE id = ?1",
            (ident,),
        )
        return (str(rows[0][0]), bool(rows[0][1])) if rows else None

    def put(self, ident: str, received_at: str, record: str, *, durable: bool = False) -> None:
        self.run(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
            (ident, received_at, record),
            durable=durable,
        )

    def mark_delivered(self, ident: str, *, durable: bool = False) -> None:
        self.run("INSERT OR IGNORE INTO delivered VALUES (?)", (ident,), durable=durable)

    def all(self) -> list[tuple[str, bool]]:
        rows = self.run(
            "SELECT r.record, d.id IS NOT NULL FROM records r"
            " LEFT JOIN delivered d ON d.id = r.id ORDER BY r.id"
        )
        return [(str(record), bool(delivered)) for record, delivered in rows]

    def import_folders(self, root: Path) -> int:
        """Records and delivered marks of the file layout of earlier versions, imported
        once: under the write lock (concurrent workers import once), committed durably,
        and only then the folders renamed aside (a process killed in between imports
        again at its next start: INSERT OR IGNORE). A record that does not read is left
        in the renamed folder with a warning, not a reason to refuse every message."""
        folders = [root / "records", root / "delivered"]
        if not any(f.is_dir() for f in folders):
            return 0
        imported = 0
        with self.lock:
            conn = self.connection()
            try:
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("BEGIN IMMEDIATE")
                try:
                    if not any(f.is_dir() for f in folders):  # another process was first
                        conn.execute("ROLLBACK")
                        return 0
                    if folders[0].is_dir():
                        for path in sorted(folders[0].glob("*.json")):
                            try:
                                record = QuarantineRecord.model_validate_json(path.read_bytes())
                            except (OSError, ValidationError) as exc:
                                log.warning("%s: not imported: %s", path, exc)
                                continue
                            conn.execute(
                                "INSERT OR IGNORE INTO records VALUES (?, ?, ?)",
                                (record.id, record.received_at, record.model_dump_json()),
                            )
                            imported += 1
                    if folders[1].is_dir():
                        conn.executemany(
                            "INSERT OR IGNORE INTO delivered VALUES (?)",
                            [(p.name,) for p in folders[1].iterdir() if p.name.isalnum()],
                        )
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                for folder in folders:
                    if folder.is_dir():
                        folder.rename(_free_name(folder.with_name(f"{folder.name}.imported")))
            except (OSError, sqlite3.Error) as exc:
                raise QuarantineError(f"importing the records of {root}: {exc}") from exc
            finally:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA synchronous=NORMAL")
        return imported


def _free_name(path: Path) -> Path:
    """``path``, or ``path.N`` for the first N that does not exist."""
    candidate, number = path, 0
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.{number}")
    return candidate


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Quarantine:
    """Encrypted originals and their audit records in one folder."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self._aead = AESGCM(key)
        (root / "segments").mkdir(parents=True, exist_ok=True, mode=0o700)
        self._index = _Index(root / "index.sqlite")
        self._index.import_folders(root)
        self._segment = _Segment(root / "segments")
        self._sync = _GroupSync()
        self._audit_fd: int | None = None
        self._audit_pid = 0

    # --- storing ---------------------------------------------------------------------

    def store(self, raw: bytes, envelope_from: str, envelope_to: Sequence[str]) -> QuarantineRecord:
        """Store the original durably before anything else; idempotent per message."""
        record, durable = self.store_begin(raw, envelope_from, envelope_to)
        durable.wait()
        return record

    def store_begin(
        self,
        raw: bytes,
        envelope_from: str,
        envelope_to: Sequence[str],
        *,
        index: bool = True,
    ) -> tuple[QuarantineRecord, Durable]:
        """Write the original now and make it durable in the background: the caller
        sanitises while the disk syncs, and calls ``wait()`` before anything leaves.

        ``index=False``: the record is written only by ``record_result`` (one index write
        per message instead of two); a worker killed in between leaves the original in
        its segment, where ``rebuild_index`` finds it."""
        ident = message_id(raw, envelope_from, envelope_to)
        existing = self._read_record(ident)
        if existing is not None:
            if existing.status == "delivered":
                return existing, Durable()
            try:
                self.original(ident)  # a retry: the stored copy must still be whole
            except QuarantineError:
                pass
            else:
                return existing, Durable()
        received = _now()
        # The envelope travels inside the encrypted entry, so the index can be rebuilt
        # from the segments alone (rebuild_index) if a power cut loses a record.
        envelope = json.dumps(
            {"from": envelope_from, "to": list(envelope_to), "at": received}
        ).encode()
        nonce = secrets.token_bytes(12)
        sealed = nonce + self._aead.encrypt(nonce, envelope + b"\0" + raw, ident.encode())
        entry = MAGIC + ident.encode() + len(sealed).to_bytes(8, "big") + sealed
        name, offset, fd, fresh = self._segment.append(entry)
        record = QuarantineRecord(
            id=ident,
            received_at=received,
            envelope_from=envelope_from,
            envelope_to=tuple(envelope_to),
            size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            segment=name,
            offset=offset,
        )
        # The record is an index over the segments, rebuilt by scanning them if a power
        # cut loses it: no fsync.
        if index:
            self._write_record(record, durable=False)
        self._event("stored", ident, size=record.size, sha256=record.sha256, segment=name)
        return record, Durable(self._sync.request(fd, self.root / "segments" if fresh else None))

    def record_result(
        self, stored: QuarantineRecord, result: SanitiseResult, subject: str | None
    ) -> QuarantineRecord:
        ident = stored.id
        record = stored.model_copy(
            update={
                "status": "sanitised",
                "subject": subject,
                "verdict": result.verdict.value,
                "summary": result.summary,
                "objects": result.objects,
            }
        )
        self._write_record(record, durable=False)
        self._event("sanitised", ident, verdict=result.verdict.value, summary=result.summary)
        for obj in result.objects:
            if obj.action is not Action.KEPT:
                self._event("object", ident, **obj.model_dump(mode="json"))
        return record

    def mark_delivered(self, ident: str, *, durable: bool = False) -> None:
        """Record the hand-over. Not fsynced by default: it must survive the worker being
        killed, which a committed WAL write does, and keeping this window short is what
        stops a retried message being delivered twice. ``durable``: on disk before this
        returns (a caller that next forgets what a power cut must not make it redo)."""
        self._index.mark_delivered(ident, durable=durable)
        self._event("delivered", ident)

    # --- reading ---------------------------------------------------------------------

    def get(self, ident: str) -> QuarantineRecord:
        record = self._read_record(ident)
        if record is None:
            raise QuarantineError(f"no message {ident!r} in the quarantine")
        return record

    def original(self, ident: str) -> bytes:
        """The original bytes, decrypted and checked against the recorded hash."""
        record = self.get(ident)
        _, raw = self._open_entry(ident, self._sealed(record))
        if hashlib.sha256(raw).hexdigest() != record.sha256:
            raise QuarantineError(f"message {ident}: content does not match its record")
        return raw

    def _open_entry(self, ident: str, sealed: bytes) -> tuple[dict[str, object], bytes]:
        try:
            plain = self._aead.decrypt(sealed[:12], sealed[12:], ident.encode())
        except InvalidTag as exc:
            raise QuarantineError(f"message {ident}: wrong key or tampered file") from exc
        envelope, _, raw = plain.partition(b"\0")
        return json.loads(envelope), raw

    def rebuild_index(self) -> list[str]:
        """Write the records a power cut lost, from the segments (envelope included)."""
        rebuilt = []
        for path in sorted((self.root / "segments").glob("*.seg")):
            data = path.read_bytes()
            offset = 0
            while offset + HEADER <= len(data) and data[offset : offset + 4] == MAGIC:
                ident = data[offset + 4 : offset + 36].decode("ascii", errors="replace")
                length = int.from_bytes(data[offset + 36 : offset + HEADER], "big")
                sealed = data[offset + HEADER : offset + HEADER + length]
                if len(sealed) != length:
                    break  # a torn last entry: its message was never acknowledged
                if self._read_record(ident) is None:
                    envelope, raw = self._open_entry(ident, sealed)
                    record = QuarantineRecord(
                        id=ident,
                        received_at=str(envelope["at"]),
                        envelope_from=str(envelope["from"]),
                        envelope_to=tuple(str(t) for t in envelope["to"]),  # type: ignore[attr-defined]
                        size=len(raw),
                        sha256=hashlib.sha256(raw).hexdigest(),
                        segment=path.name,
                        offset=offset,
                    )
                    self._write_record(record, durable=True)
                    self._event("reindexed", ident, segment=path.name)
                    rebuilt.append(ident)
                offset += HEADER + length
        return rebuilt

    def _sealed(self, record: QuarantineRecord) -> bytes:
        if record.segment is None or record.offset is None:
            raise QuarantineError(f"message {record.id}: no stored original")
        path = self.root / "segments" / record.segment
        try:
            with path.open("rb") as fh:
                fh.seek(record.offset)
                head = fh.read(HEADER)
                length = int.from_bytes(head[36:44], "big") if len(head) == HEADER else -1
                sealed = fh.read(length) if length > 0 else b""
        except OSError as exc:
            raise QuarantineError(f"message {record.id}: original missing ({exc})") from exc
        if head[:4] != MAGIC or head[4:36] != record.id.encode() or len(sealed) != length:
            raise QuarantineError(f"message {record.id}: damaged or missing entry")
        return sealed

    def records(self) -> Iterator[QuarantineRecord]:
        for data, delivered in self._index.all():
            yield self._parse_record(data, delivered)

    def search(
        self,
        text: str | None = None,
        *,
        status: str | None = None,
        verdict: str | None = None,
        since: str | None = None,
    ) -> list[QuarantineRecord]:
        """Records whose sender, recipients, subject, id or object names contain ``text``."""
        found = []
        needle = (text or "").lower()
        for rec in self.records():
            haystack = " ".join(
                [rec.id, rec.envelope_from, *rec.envelope_to, rec.subject or ""]
                + [o.path for o in rec.objects]
            ).lower()
            if needle and needle not in haystack:
                continue
            if status and rec.status != status:
                continue
            if verdict and rec.verdict != verdict:
                continue
            if since and rec.received_at < since:
                continue
            found.append(rec)
        return sorted(found, key=lambda r: r.received_at)

    # --- release ---------------------------------------------------------------------

    def release(
        self,
        ident: str,
        *,
        approver: str,
        approvers: Sequence[str],
        reason: str,
        deliver: Callable[[bytes, str, Sequence[str]], None],
        recipients: Sequence[str] | None = None,
    ) -> QuarantineRecord:
        """Hand the original to ``deliver`` for an authorised approver; audit either way."""
        if approver not in approvers:
            self._event("release-refused", ident, approver=approver, why="not an approver")
            raise ReleaseRefusedError(f"{approver!r} is not an authorised approver")
        try:
            record = self.get(ident)
        except QuarantineError as exc:
            self._event("release-refused", ident, approver=approver, why="unknown message")
            raise ReleaseRefusedError(str(exc)) from exc
        if not reason.strip():
            self._event("release-refused", ident, approver=approver, why="no reason given")
            raise ReleaseRefusedError("a release needs a reason for the audit")
        targets = tuple(recipients or record.envelope_to)
        deliver(self.original(ident), record.envelope_from, targets)
        entry = Release(at=_now(), approver=approver, recipients=targets, reason=reason)
        updated = record.model_copy(update={"releases": (*record.releases, entry)})
        self._write_record(updated, durable=True)
        self._event("released", ident, approver=approver, recipients=list(targets), reason=reason)
        return updated

    # --- retention -------------------------------------------------------------------

    def purge(self, days: int, now: datetime | None = None) -> list[str]:
        """Delete segments whose day is older than ``days`` (the policy's quarantine_days);
        the records stay, with a 'purged' audit event, so the trail outlives the content."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=days)).strftime("%Y%m%d")
        old = {p.name for p in (self.root / "segments").glob("*.seg") if p.name[:8] < cutoff}
        purged = []
        for rec in self.records():
            if rec.segment in old:
                self._event("purged", rec.id, retention_days=days, segment=rec.segment)
                purged.append(rec.id)
        for name in sorted(old):
            (self.root / "segments" / name).unlink()
        return purged

    # --- internals -------------------------------------------------------------------

    def _read_record(self, ident: str) -> QuarantineRecord | None:
        if not ident.isalnum():
            return None
        found = self._index.get(ident)
        return None if found is None else self._parse_record(*found)

    def _parse_record(self, data: str, delivered: bool) -> QuarantineRecord:  # noqa: FBT001
        try:
            record = QuarantineRecord.model_validate_json(data)
        except ValidationError as exc:
            raise QuarantineError(f"a record in {self._index.path} is unreadable") from exc
        return record.model_copy(update={"status": "delivered"}) if delivered else record

    def _write_record(self, record: QuarantineRecord, *, durable: bool) -> None:
        self._index.put(record.id, record.received_at, record.model_dump_json(), durable=durable)

    def _event(self, event: str, ident: str, **fields: object) -> None:
        line = json.dumps({"at": _now(), "event": event, "id": ident, **fields}, ensure_ascii=False)
        # O_APPEND with one write per line: concurrent workers never interleave lines. The
        # descriptor stays open (one per process; reopened after a fork).
        if self._audit_fd is None or self._audit_pid != os.getpid():
            path = self.root / "audit.jsonl"
            self._audit_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._audit_pid = os.getpid()
            weakref.finalize(self, os.close, self._audit_fd)
        os.write(self._audit_fd, (line + "\n").encode())
