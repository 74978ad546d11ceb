"""Independent pieces of work in forked processes, results in the order given.

The plan's steps and the cloud step's stacks are pure functions of a large, already
loaded inventory: a forked child sees it without pickling it, and only results travel
back. Results are taken in the given order whatever the finishing order, so outputs
stay byte-identical. Used where ``fork`` exists (``fork_available``); callers fall back
to running the work in their own process.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from ictinfra.inventory.errors import IctinfraError

T = TypeVar("T")


class ForkedWorkError(IctinfraError):
    """One piece of work failed in its process.

    ``error`` is the child's exception when it could be carried back, ``detail`` its
    traceback as text; ``exitcode`` is set when the process died without answering.
    """

    def __init__(
        self, name: str, error: BaseException | None, detail: str, exitcode: int | None
    ) -> None:
        self.name = name
        self.error = error
        self.detail = detail
        self.exitcode = exitcode
        if exitcode is not None:
            message = f"{name} died (exit code {exitcode}) before answering"
        else:
            message = f"{name} failed:\n{detail}"
        super().__init__(message)


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _child(work: Callable[[], Any], conn: Connection, *, skip_teardown: bool) -> None:
    if skip_teardown:
        # A short-lived process: the cyclic collector would only rescan its own garbage.
        gc.disable()
    # The parent's event loop (if work ran there before) comes with a thread pool whose
    # threads did not survive the fork: reusing it hangs at the first run_in_executor.
    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        message: tuple[str, Any] = ("ok", work())
    except BaseException as exc:  # noqa: BLE001 - carried to the parent, which decides
        message = ("error", (exc, traceback.format_exc()))
    try:
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        # An exception that cannot be rebuilt is sent as text instead (our own bytes).
        pickle.loads(payload)  # noqa: S301
    except Exception:  # noqa: BLE001 - whatever fails to pickle, the text still explains it
        text = message[1][1] if message[0] == "error" else traceback.format_exc()
        payload = pickle.dumps(("error", (None, text)))
    conn.send_bytes(payload)
    conn.close()
    if skip_teardown:
        # Tearing down a large object graph (the Pulumi SDK's) costs a fifth of the run.
        os._exit(0)


def run_forked(
    work: Sequence[tuple[str, Callable[[], T]]], jobs: int, *, skip_teardown: bool = False
) -> list[T]:
    """Each ``(name, function)``'s result, in order; up to ``jobs`` processes at once.

    The first failure kills the processes still running and raises ``ForkedWorkError``.
    """
    ctx = multiprocessing.get_context("fork")
    results: dict[int, T] = {}
    running: dict[Connection, tuple[int, BaseProcess]] = {}
    pending = list(range(len(work)))
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                index = pending.pop(0)
                receiver, sender = ctx.Pipe(duplex=False)
                child = ctx.Process(
                    target=_child,
                    args=(work[index][1], sender),
                    kwargs={"skip_teardown": skip_teardown},
                    name=work[index][0],
                )
                child.start()
                sender.close()
                running[receiver] = (index, child)
            ready = set(wait(list(running)))
            for conn in [c for c in running if c in ready]:
                index, proc = running.pop(conn)
                name = work[index][0]
                try:
                    # Bytes from a child this process forked a moment ago.
                    kind, value = pickle.loads(conn.recv_bytes())  # noqa: S301
                except EOFError:
                    proc.join()
                    exitcode = -1 if proc.exitcode is None else proc.exitcode
                    raise ForkedWorkError(name, None, "", exitcode) from None
                finally:
                    conn.close()
                proc.join()
                if kind == "error":
                    error, text = value
                    raise ForkedWorkError(name, error, text, None)
                results[index] = value
    finally:
        for conn, (_, proc) in running.items():
            proc.kill()
            proc.join()
            conn.close()
    return [results[i] for i in range(len(work))]
