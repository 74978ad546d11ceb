"""``python -m ictinfra.mailsan sanitize < in.eml > out.eml``: the filter's code path, offline.

Exit 0 with the sanitised message on stdout; exit 75 (EX_TEMPFAIL, as a held message is
not delivered) with the recipient's notice on stdout when the message is held back.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ictinfra.mailsan.policy import DEFAULT_POLICY, SanitisePolicy
from ictinfra.mailsan.records import Verdict
from ictinfra.mailsan.sanitise import sanitise

EX_TEMPFAIL = 75


def _policy(inventory: str | None) -> SanitisePolicy:
    if not inventory:
        return DEFAULT_POLICY
    from ictinfra.inventory import load_inventory  # noqa: PLC0415 - only with --inventory

    return SanitisePolicy.from_mail_policy(load_inventory(Path(inventory)).mail_policy)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ictinfra.mailsan")
    sub = parser.add_subparsers(dest="command", required=True)
    san = sub.add_parser("sanitize", help="sanitise one message from stdin to stdout")
    san.add_argument("--inventory", help="inventory folder whose mail policy applies")
    san.add_argument("--report", action="store_true", help="print the JSON record on stderr")
    serve = sub.add_parser("serve", help="run the SMTP content filter for Postfix")
    serve.add_argument("--config", required=True, help="filter configuration (JSON)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        from ictinfra.mailsan.service import serve_forever  # noqa: PLC0415 - server deps

        return serve_forever(Path(args.config))
    raw = sys.stdin.buffer.read()
    result = sanitise(raw, _policy(args.inventory))
    sys.stdout.buffer.write(result.message)
    sys.stdout.buffer.flush()
    if args.report:
        sys.stderr.write(result.model_dump_json(exclude={"message"}, indent=2) + "\n")
    return EX_TEMPFAIL if result.verdict is Verdict.HOLD else 0


if __name__ == "__main__":
    raise SystemExit(main())
