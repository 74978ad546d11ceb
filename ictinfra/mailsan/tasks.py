"""``mail.*`` tasks: thin commands over ictinfra.mailsan (quarantine, release, filter)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ictinfra.inventory.model import MailPolicy
    from ictinfra.mailsan.quarantine import Quarantine

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INVENTORY = ROOT / "inventory"
DEFAULT_QUARANTINE = Path(os.environ.get("ICTINFRA_QUARANTINE_DIR", "/var/lib/ictinfra/quarantine"))


def _policy(inventory: str | None) -> MailPolicy:
    from ictinfra.inventory import InventoryError, load_inventory

    try:
        inv = load_inventory(Path(inventory).resolve() if inventory else DEFAULT_INVENTORY)
    except InventoryError as exc:
        raise Exit(str(exc), code=1) from exc
    return inv.mail_policy


def _open(policy: MailPolicy, folder: str | None) -> Quarantine:
    from ictinfra.mailsan.errors import MailsanError
    from ictinfra.mailsan.quarantine import Quarantine, load_key

    try:
        return Quarantine(
            Path(folder) if folder else DEFAULT_QUARANTINE, load_key(policy.quarantine_key)
        )
    except (MailsanError, OSError) as exc:
        raise Exit(f"quarantine: {exc}", code=1) from exc


@task(
    name="quarantine",
    help={
        "search": "text to find in sender, recipients, subject, id or attachment names",
        "status": "stored, sanitised or delivered",
        "verdict": "deliver or hold",
        "since": "ISO date/time: only messages received since then",
        "folder": "quarantine folder (default: $ICTINFRA_QUARANTINE_DIR)",
        "inventory": "inventory folder whose mail policy names the key (default: inventory/)",
    },
)
def quarantine_list(
    c: Context,
    search: str | None = None,
    status: str | None = None,
    verdict: str | None = None,
    since: str | None = None,
    folder: str | None = None,
    inventory: str | None = None,
) -> None:
    """List and search the quarantined messages (metadata only, never content)."""
    q = _open(_policy(inventory), folder)
    found = q.search(search, status=status, verdict=verdict, since=since)
    for rec in found:
        removed = sum(1 for o in rec.objects if o.action.value in ("removed", "held"))
        print(
            f"{rec.id}  {rec.received_at}  {rec.verdict or '-':7}  {rec.status:9}  "
            f"{rec.envelope_from} → {','.join(rec.envelope_to)}  "
            f"{rec.subject or ''!s:.60}  removed/held={removed}  releases={len(rec.releases)}"
        )
    print(f"{len(found)} message(s)")


@task(
    help={
        "approver": "your approver name (must be in the inventory's mail_policy.approvers)",
        "reason": "why the original is released (kept in the audit)",
        "to": "recipient in the internet zone (repeatable; default: the original recipients)",
        "relay": "host:port of the internet-zone mail server (default: $ICTINFRA_RELEASE_RELAY)",
        "folder": "quarantine folder (default: $ICTINFRA_QUARANTINE_DIR)",
        "inventory": "inventory folder (default: inventory/)",
    },
    iterable=["to"],
    positional=["ident"],
)
def release(
    c: Context,
    ident: str,
    approver: str = "",
    reason: str = "",
    to: Sequence[str] = (),
    relay: str | None = None,
    folder: str | None = None,
    inventory: str | None = None,
) -> None:
    """Re-deliver an original to an internet-zone mailbox; authorised approvers only, audited."""
    from ictinfra.mailsan.errors import MailsanError
    from ictinfra.mailsan.service import reinject

    if not approver:
        raise Exit("release: --approver is required", code=2)
    target = relay or os.environ.get("ICTINFRA_RELEASE_RELAY")
    if not target or ":" not in target:
        raise Exit("release: give --relay host:port of the internet-zone mail server", code=2)
    host, _, port = target.rpartition(":")
    policy = _policy(inventory)
    q = _open(policy, folder)

    def deliver(data: bytes, sender: str, rcpts: Sequence[str]) -> None:
        reinject(host, int(port), data, sender, rcpts, timeout=60)

    try:
        rec = q.release(
            ident,
            approver=approver,
            approvers=policy.approvers,
            reason=reason,
            deliver=deliver,
            recipients=list(to) or None,
        )
    except MailsanError as exc:
        raise Exit(f"release refused or failed: {exc}", code=1) from exc
    print(f"released {rec.id} to {', '.join(rec.releases[-1].recipients)} by {approver}")


@task(help={"config": "filter configuration (JSON, see ictinfra.mailsan.service.FilterConfig)"})
def serve(c: Context, config: str) -> None:
    """Run the filter service for Postfix (several workers; stops on SIGTERM)."""
    from ictinfra.mailsan.errors import MailsanError
    from ictinfra.mailsan.service import serve_forever

    try:
        code = serve_forever(Path(config))
    except MailsanError as exc:
        raise Exit(str(exc), code=1) from exc
    if code:
        raise Exit("filter stopped with an error", code=code)


@task(
    help={
        "out": "folder to write into (default: build/mail)",
        "quarantine": "quarantine folder on the gateway (default: $ICTINFRA_QUARANTINE_DIR)",
        "workers": "filter worker processes",
        "inventory": "inventory folder (default: inventory/)",
        "mode": "milter (default: before-queue) or content_filter (after-queue)",
    }
)
def render(
    c: Context,
    out: str | None = None,
    quarantine: str | None = None,
    workers: int = 2,
    inventory: str | None = None,
    mode: str = "milter",
) -> None:
    """Write the Postfix fragments and the filter configuration the mail policy implies."""
    from ictinfra.mailsan.lab import render_gateway
    from ictinfra.mailsan.policy import SanitisePolicy
    from ictinfra.render.output import write_atomic

    policy = SanitisePolicy.from_mail_policy(_policy(inventory))
    target = Path(out) if out else ROOT / "build" / "mail"
    from ictinfra.mailsan.errors import MailsanError

    try:
        files = render_gateway(
            policy,
            quarantine_dir=Path(quarantine) if quarantine else DEFAULT_QUARANTINE,
            workers=workers,
            mode=mode,
        )
    except MailsanError as exc:
        raise Exit(str(exc), code=2) from exc
    for name, text in files.items():
        write_atomic(target / name, text)
        print(target / name)


@task(
    help={
        "folder": "quarantine folder (default: $ICTINFRA_QUARANTINE_DIR)",
        "inventory": "inventory folder whose mail_policy.quarantine_days applies",
    }
)
def purge(c: Context, folder: str | None = None, inventory: str | None = None) -> None:
    """Delete originals older than the policy's retention; the audit records stay."""
    policy = _policy(inventory)
    gone = _open(policy, folder).purge(policy.quarantine_days)
    print(f"purged {len(gone)} original(s) older than {policy.quarantine_days} days")


ns = Collection("mail")
ns.add_task(quarantine_list)
ns.add_task(release)
ns.add_task(serve)
ns.add_task(render)
ns.add_task(purge)
