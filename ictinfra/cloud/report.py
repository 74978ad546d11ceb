"""The cloud section of the plan report: stacks, policies, placement and its picture."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

from ictinfra.cloud.placement import DIMENSIONS, Placement
from ictinfra.cloud.policies import Violation
from ictinfra.report import PALETTE, Section, Table


def load_svg(title: str, placement: Placement) -> Markup:
    """Per host: used share of vCPU, memory and storage (bars) and the worst share while
    another host has failed (ticks), against the 100% line."""
    loads = placement.loads
    bar, gap, left, top, height = 9, 14, 44, 34, 180
    width = max(360, left + len(loads) * (3 * bar + gap) + 20)
    base = top + height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{base + 60}" '
        f'viewBox="0 0 {width} {base + 60}" font-family="sans-serif" font-size="10">',
        f'<text x="{left}" y="16" font-size="13">{escape(title)}</text>',
    ]
    for pct in (0, 50, 100):
        y = base - height * pct / 100
        dash = "" if pct != 100 else ' stroke-dasharray="4 3"'
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#999"{dash}/>'
        )
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{pct}%</text>')
    for i, load in enumerate(loads):
        x0 = left + 8 + i * (3 * bar + gap)
        for d in range(3):
            share = load.ratio(d)
            peak = load.peak_after_failure[d] / load.capacity[d]
            h = height * min(share, 1.2)
            x = x0 + d * bar
            parts.append(
                f'<rect x="{x}" y="{base - h:.1f}" width="{bar - 1}" height="{h:.1f}" '
                f'fill="{PALETTE[d]}"><title>{escape(load.host)} {DIMENSIONS[d]}: '
                f"{load.used[d]:,} of {load.capacity[d]:,} "
                f"({share:.0%}; {peak:.0%} after a failover)</title></rect>"
            )
            py = base - height * min(peak, 1.2)
            parts.append(
                f'<line x1="{x}" x2="{x + bar - 1}" y1="{py:.1f}" y2="{py:.1f}" '
                f'stroke="#000" stroke-width="2"/>'
            )
        parts.append(
            f'<text x="{x0 + 1.5 * bar:.1f}" y="{base + 12}" text-anchor="end" '
            f'transform="rotate(-45 {x0 + 1.5 * bar:.1f} {base + 12})">{escape(load.host)}</text>'
        )
    for d, label in enumerate(DIMENSIONS):
        x = left + d * 120
        parts.append(f'<rect x="{x}" y="{base + 44}" width="10" height="10" fill="{PALETTE[d]}"/>')
        parts.append(f'<text x="{x + 14}" y="{base + 53}">{escape(label)}</text>')
    parts.append(f'<text x="{left + 360}" y="{base + 53}">tick: after one host fails</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def placement_rows(placement: Placement) -> tuple[tuple[object, ...], ...]:
    return tuple(
        (
            load.host,
            load.vms,
            f"{load.used[0]} / {load.capacity[0]}",
            f"{load.used[1]:,} / {load.capacity[1]:,}",
            f"{load.used[2]:,} / {load.capacity[2]:,}",
            f"{max(load.peak_after_failure[d] / load.capacity[d] for d in range(3)):.0%}",
        )
        for load in placement.loads
    )


def cloud_section(
    stacks: Sequence[
        tuple[str, str, int, int, Placement | None, tuple[Violation, ...], tuple[str, ...]]
    ],
) -> Section:
    """One section for all stacks.

    Each row: (id, backend, resources, vms, placement, violations, problems).
    """
    rows = []
    tables: list[tuple[str, Table]] = []
    pictures: list[Markup] = []
    problems: list[str] = []
    for sid, backend, resources, vms, placement, violations, errs in stacks:
        used = "—" if placement is None else f"{len(placement.hosts_used)} of {placement.pool}"
        bound = "—" if placement is None else placement.lower_bound
        rows.append(
            (sid, backend, resources, vms, used, bound, len(violations), f"stacks/{sid}.plan.json")
        )
        problems.extend(f"{sid}: {e}" for e in errs)
        problems.extend(f"{sid}: {v}" for v in violations)
        if placement is not None and placement.loads:
            tables.append(
                (
                    f"Placement of {sid} (vCPU overcommit {placement.vcpu_overcommit:g})",
                    Table(
                        ("host", "VMs", "vCPU", "memory GB", "storage GB", "peak after a failover"),
                        placement_rows(placement),
                    ),
                )
            )
            pictures.append(load_svg(f"{sid}: load per host", placement))
    head = (
        "Stacks",
        Table(
            (
                "stack",
                "backend",
                "resources",
                "VMs",
                "hosts used",
                "lower bound",
                "policy violations",
                "plan",
            ),
            tuple(rows),
        ),
    )
    return Section(
        id="cloud",
        title="Consolidated server cloud (統合サーバ)",
        intro="Every stack run offline under Pulumi's mocks; each registration is recorded in "
        "its plan file for vendors to review. Policies (the CrossGuard pack in stacks/policy) "
        "are evaluated on the recorded plans. Placement keeps N+1 headroom: any one host can "
        "fail and its VMs restart on the others.",
        tables=(head, *tables),
        pictures=tuple(pictures),
        problems=tuple(problems),
    )
