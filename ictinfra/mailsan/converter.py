"""Sanitising under a time limit, in a child process that can be killed.

A hostile PDF, image or Office file can make a converter run for ever (or crash it). The
filter worker never converts in its own process: it hands the message to a converter
child (its own process group, so LibreOffice started by it dies with it) and waits at most
``time_limit`` seconds. On timeout or crash the child's whole group is SIGKILLed and a new
child started, and the message is HELD with a notice to the recipient (the original is
already in the quarantine, so nothing is lost and an approver can release it). Holding,
not a temporary failure: a message that timed out once would time out on every retry, so
a 4xx would only make the sending MTA retry until it bounces.

Plain-text messages (no attachment, no HTML, below ``INLINE_BYTES``) do bounded, linear
work and are sanitised inline: the child's round trip would cost more than the work.

``run_file`` does the same for one file that is not a message (the sanitising file
transfer, ``ictinfra.isolation.transfer``): ``attachments.process`` in the same children
under the same limit; past it, or when the child dies, the file is held.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import TypeVar

from ictinfra.mailsan import office
from ictinfra.mailsan.attachments import Budget, Outcome, process
from ictinfra.mailsan.errors import ConverterUnavailableError
from ictinfra.mailsan.policy import SanitisePolicy
from ictinfra.mailsan.records import Action, ObjectRecord, SanitiseResult, sha256
from ictinfra.mailsan.sanitise import held_result, plain_text_only, sanitise

log = logging.getLogger("ictinfra.mailsan.converter")
INLINE_BYTES = 256 * 1024
READY = "ready"  # the child's first message
START_TIMEOUT = 120.0
_T = TypeVar("_T", SanitiseResult, Outcome)


@dataclass(frozen=True)
class FileJob:
    """One file, not a message, for ``attachments.process`` in the child."""

    data: bytes
    name: str


def _process_file(job: FileJob, policy: SanitisePolicy) -> Outcome:
    budget = Budget(members=policy.archive_max_members, expanded=policy.archive_max_expanded_bytes)
    return process(job.data, path=job.name, declared=None, policy=policy, budget=budget)


def _child(conn: multiprocessing.connection.Connection, policy: SanitisePolicy) -> None:
    os.setpgrp()  # whatever else it starts dies with it (LibreOffice: office.kill_running)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn.send(READY)  # the sanitiser is imported: the worker may hand over work
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if isinstance(job, FileJob):
            conn.send(_process_file(job, policy))
            continue
        raw, ident = job
        conn.send(sanitise(raw, policy, quarantine_id=ident))


class _Child:
    def __init__(self, ctx: multiprocessing.context.SpawnContext, policy: SanitisePolicy) -> None:
        self.conn, child_conn = ctx.Pipe()
        self.proc: BaseProcess = ctx.Process(
            target=_child, args=(child_conn, policy), daemon=True, name="mailsan-converter"
        )
        self.proc.start()
        child_conn.close()
        self.ready = False

    def wait_ready(self, timeout: float) -> str:
        """Wait until the child has imported the sanitiser (its first message): "" once
        ready, else why not. A spawned child takes about a second (more under load); a
        worker that waits for it at start keeps that out of its first messages."""
        if self.ready:
            return ""
        try:
            if not self.conn.poll(timeout):
                return f"the converter did not start within {timeout:g} s"
            answer = self.conn.recv()
        except (EOFError, OSError) as exc:
            return f"the converter died while starting ({type(exc).__name__})"
        if answer != READY:
            return f"the converter started with {type(answer).__name__}"
        self.ready = True
        return ""

    def kill(self) -> None:
        pid = self.proc.pid
        if pid is not None:
            office.kill_running(pid)
            # No such group (yet) when the child had not called setpgrp: then the child alone.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            self.proc.kill()  # the child itself in any case (a no-op once it is gone)
        self.proc.join(5)
        self.conn.close()


class Converters:
    """``count`` converter children of one filter worker; ``run`` blocks (call it from a
    thread) and never raises for what the message contains."""

    def __init__(self, policy: SanitisePolicy, time_limit: float, count: int = 1) -> None:
        self.policy = policy
        self.time_limit = time_limit
        # spawn, not fork: the worker has threads (fsync, executor) a fork would copy
        # half-locked; a spawned child imports the sanitiser afresh (once per child).
        self._ctx = multiprocessing.get_context("spawn")
        self._free: list[_Child] = [_Child(self._ctx, policy) for _ in range(count)]
        for child in self._free:  # started together, waited for in turn
            if why := child.wait_ready(START_TIMEOUT):
                log.warning("%s; its first job will wait for it or replace it", why)
        self._cond = threading.Condition()
        self.killed = 0  # children killed over a job (time limit, died converting)
        self.restarted = 0  # children replaced before a job (gone while idle, never started)

    @staticmethod
    def inline(raw: bytes) -> bool:
        """True when the message is sanitised in the caller's process (bounded work)."""
        return len(raw) <= INLINE_BYTES and plain_text_only(raw)

    def run(self, raw: bytes, ident: str) -> SanitiseResult:
        if self.inline(raw):
            return sanitise(raw, self.policy, quarantine_id=ident)
        result, reason = self._convert((raw, ident), SanitiseResult, f"message {ident}")
        if result is not None:
            return result
        return held_result(raw, self.policy, quarantine_id=ident, reason=reason)

    def run_file(self, data: bytes, name: str) -> Outcome:
        """``attachments.process`` on one file (``name``: its file name) in a child under
        the time limit. Past it, or when the child dies, the file is held: one HELD record,
        nothing to deliver (the caller has the original). Never raises for the content."""
        result, reason = self._convert(FileJob(data, name), Outcome, f"file {name!r}")
        if result is not None:
            return result
        # The content was not inspected: its type is not claimed.
        held = ObjectRecord(
            path=name,
            declared_type=None,
            true_type="application/octet-stream",
            size=len(data),
            sha256=sha256(data),
            action=Action.HELD,
            reason=reason,
        )
        return Outcome(records=[held])

    def _convert(self, job: object, expected: type[_T], label: str) -> tuple[_T | None, str]:
        """(answer, "") or (None, why); a child that failed is killed and replaced."""
        with self._cond:
            while not self._free:
                self._cond.wait()
            child = self._free.pop()
        try:
            if not child.proc.is_alive() or child.wait_ready(START_TIMEOUT):
                # An idle child gone (killed from outside, out of memory) or one that never
                # started is no fault of this content: a fresh child takes the job, and if
                # none starts the caller keeps the message or file for later (4xx, inbox).
                log.warning("%s: the converter is gone or never started; starting another", label)
                child.kill()
                child = _Child(self._ctx, self.policy)
                self.restarted += 1
                if why := child.wait_ready(START_TIMEOUT):
                    raise ConverterUnavailableError(f"{label}: no converter: {why}")
            result, reason = self._ask(child, job, expected)
            if result is not None:
                return result, ""
            log.warning("%s: %s; holding it, replacing the converter", label, reason)
            child.kill()
            self.killed += 1
            child = _Child(self._ctx, self.policy)
            return None, reason
        finally:
            with self._cond:
                self._free.append(child)
                self._cond.notify()

    def _ask(self, child: _Child, job: object, expected: type[_T]) -> tuple[_T | None, str]:
        try:
            child.conn.send(job)
            if not child.conn.poll(self.time_limit):
                return None, f"conversion took longer than {self.time_limit:g} s"
            result = child.conn.recv()
        except (EOFError, OSError) as exc:
            return None, f"the converter died ({type(exc).__name__})"
        except Exception as exc:  # noqa: BLE001 - an unreadable answer is a converter failure
            return None, f"the converter failed ({type(exc).__name__})"
        if not isinstance(result, expected):
            return None, f"the converter answered {type(result).__name__}"
        return result, ""

    def close(self) -> None:
        with self._cond:
            for child in self._free:
                child.kill()
            self._free = []
