"""The fast MIME parse against the email package's parser, and sanitise() with and without
it, in the same process (A/B rounds interleaved, so machine load hits both alike).

    .venv/bin/python bench/mime_parse.py [--count N] [--rounds R]

Prints, per kind of benchmark mail (bench/mail_throughput.py's generators) and per
corpus (CPython's email test data, mail-parser's test mails): milliseconds per message
for ``BytesParser(policy=compat32).parsebytes`` and for ``ictinfra.mailsan.mime.parse``,
the ratio fast/stdlib, and how many messages took the fast path. Then sanitise() per
message as it is now and with the previous parse and base64 writer (the fast parse
disabled, ``base64.encodebytes``), and their ratio.
"""

from __future__ import annotations

import argparse
import base64
import email.policy
import importlib
import re
import sys
import time
from collections.abc import Callable
from email.parser import BytesParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mail_throughput  # noqa: E402 - bench/ is the script's folder

from ictinfra.mailsan import DEFAULT_POLICY, mime, sanitise  # noqa: E402
from tests.mailsan.corpora import cpython_messages  # noqa: E402
from tests.mailsan.test_corpora_extra import mail_parser_mails  # noqa: E402

STDLIB = BytesParser(policy=email.policy.compat32)
sanitise_module = importlib.import_module("ictinfra.mailsan.sanitise")


def _per_message(work: Callable[[bytes], object], messages: list[bytes], rounds: int) -> float:
    """Best of ``rounds`` passes over ``messages``: milliseconds per message. The regular
    expression cache is emptied first: real mail never repeats its boundaries, and the
    email package compiles a pattern for each."""
    best = float("inf")
    for _ in range(rounds):
        re.purge()
        start = time.perf_counter()
        for raw in messages:
            work(raw)
        best = min(best, time.perf_counter() - start)
    return best / len(messages) * 1000


def parse_table(sets: dict[str, list[bytes]], rounds: int) -> None:
    print(f"{'mail':<16}{'msgs':>6}{'fast path':>11}{'stdlib ms':>11}{'fast ms':>9}{'ratio':>8}")
    for name, messages in sets.items():
        taken = sum(mime.fallback_reason(raw) is None for raw in messages)
        slow = fast = 0.0
        for _ in range(rounds):  # interleaved A/B
            slow += _per_message(STDLIB.parsebytes, messages, 1)
            fast += _per_message(mime.parse, messages, 1)
        print(
            f"{name:<16}{len(messages):>6}{taken:>11}{slow / rounds:>11.3f}"
            f"{fast / rounds:>9.3f}{fast / slow:>8.2f}"
        )


def _legacy_b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def sanitise_table(sets: dict[str, list[bytes]], rounds: int) -> None:
    def now(raw: bytes) -> object:
        return sanitise(raw, DEFAULT_POLICY)

    current = (mime.fast_parse, sanitise_module._b64)

    def before(raw: bytes) -> object:
        mime.fast_parse = lambda _raw: None
        sanitise_module._b64 = _legacy_b64
        try:
            return sanitise(raw, DEFAULT_POLICY)
        finally:
            mime.fast_parse, sanitise_module._b64 = current

    print(f"\n{'sanitise()':<16}{'msgs':>6}{'before ms':>11}{'now ms':>9}{'ratio':>8}")
    for name, messages in sets.items():
        old = new = 0.0
        for _ in range(rounds):
            old += _per_message(before, messages, 1)
            new += _per_message(now, messages, 1)
        old, new = old / rounds, new / rounds
        print(f"{name:<16}{len(messages):>6}{old:>11.2f}{new:>9.2f}{new / old:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="messages per bench kind")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    kinds = {
        kind: [make(i) for i in range(args.count)] for kind, make in mail_throughput.KINDS.items()
    }
    corpora = {
        "cpython": [p.read_bytes() for p in cpython_messages()],
        "mail-parser": list(mail_parser_mails().values()),
    }
    parse_table({**kinds, **corpora}, args.rounds)
    sanitise_table({k: kinds[k] for k in ("small", "html+pdf")}, max(1, args.rounds // 2))


if __name__ == "__main__":
    main()
