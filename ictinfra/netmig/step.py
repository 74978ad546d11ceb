"""The plan step of the network migration: translate every predecessor's rendered config.

Pure and offline: for each replacement device, the config its predecessor is rendered with
is translated to the new platform, and the line accounting goes into the report. Blocked
translations are shown (a reviewer must waive or extend), not raised: the plan itself
stays about the inventory; ``net.cutover`` refuses blocked devices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ictinfra.inventory import Inventory
from ictinfra.netmig.errors import NetmigError
from ictinfra.netmig.translate import accounting_report, translate_device
from ictinfra.render.devices import render_device
from ictinfra.report import Section, Table

if TYPE_CHECKING:
    from ictinfra.plan import StepOutput


HEADERS = (
    "wave",
    "device",
    "replaces",
    "platform",
    "translated",
    "dropped",
    "waived",
    "unsupported",
    "state",
)


def netmig_step(inv: Inventory) -> StepOutput:
    from ictinfra.plan import StepOutput  # noqa: PLC0415  (ictinfra.plan imports this module)

    artifacts: dict[str, str | bytes] = {}
    rows = []
    blocked = []
    for dev in inv.replacements():
        assert dev.replaces is not None  # noqa: S101 - guaranteed by Device validation
        old = inv.devices_by_hostname[dev.replaces]
        try:
            t = translate_device(inv, dev, render_device(inv, old))
        except NetmigError as exc:
            blocked.append(f"{dev.hostname}: {exc}")
            continue
        counts = t.counts()
        artifacts[f"netmig/translations/{dev.hostname}.txt"] = accounting_report(t)
        if t.config:
            artifacts[f"netmig/intended/{dev.hostname}.cfg"] = t.config
        blocked += [f"{dev.hostname} line {a.number}: {a.text} ({a.reason})" for a in t.blocking]
        rows.append(
            (
                dev.wave if dev.wave is not None else "",
                dev.hostname,
                f"{old.hostname} ({old.platform})",
                str(dev.platform),
                counts["translated"],
                counts["dropped"],
                counts["waived"],
                counts["unsupported"],
                "ready" if t.ok else "blocked",
            )
        )
    section = Section(
        id="netmig",
        title="Network cutover: translations",
        intro=(
            "Each replacement's configuration translated from its predecessor's, every source "
            "line accounted for (translated, dropped with a reason, waived, or unsupported). "
            "A blocked device is not cut over until its lines are waived in the inventory "
            "(waive_unsupported) or the translator learns them."
        ),
        tables=(
            (
                "Replacements",
                Table(HEADERS, tuple(sorted(rows, key=lambda r: (str(r[0]), str(r[1]))))),
            ),
        ),
        problems=tuple(blocked),
    )
    return StepOutput(artifacts=artifacts, sections=(section,))
