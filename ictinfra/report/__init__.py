"""The plan report: sections from every layer, one HTML page with inline pictures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from ictinfra.inventory.model import Batch, Inventory
from ictinfra.render.environment import environment


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class Section:
    """One part of the report. ``pictures`` are SVG documents shown inline."""

    id: str
    title: str
    intro: str = ""
    facts: tuple[tuple[str, object], ...] = ()
    tables: tuple[tuple[str, Table], ...] = ()
    pictures: tuple[Markup, ...] = field(default_factory=tuple)
    problems: tuple[str, ...] = ()


PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def stacked_bars(
    title: str, categories: Sequence[str], series: Mapping[str, Sequence[float]]
) -> Markup:
    """A stacked bar chart as SVG: one bar per category, one colour per series."""
    width, height, left, bottom, top = 640, 260, 40, 40, 30
    totals = [sum(vals[i] for vals in series.values()) for i in range(len(categories))]
    peak = max(totals, default=0) or 1
    band = (width - left - 10) / max(len(categories), 1)
    bars = []
    for i, cat in enumerate(categories):
        y: float = height - bottom
        for k, (_name, vals) in enumerate(series.items()):
            h = (height - bottom - top) * vals[i] / peak
            y -= h
            bars.append(
                {
                    "x": left + i * band + band * 0.15,
                    "y": y,
                    "w": band * 0.7,
                    "h": h,
                    "colour": PALETTE[k % len(PALETTE)],
                }
            )
        bars.append(
            {
                "label": cat,
                "x": left + i * band + band / 2,
                "y": height - bottom + 16,
                "total": totals[i],
                "ty": y - 4,
            }
        )
    legend = [
        {"name": name, "colour": PALETTE[k % len(PALETTE)], "x": left + k * 150}
        for k, name in enumerate(series)
    ]
    svg = (
        environment()
        .get_template("report/bars.svg.j2")
        .render(
            title=title,
            width=width,
            height=height,
            bars=bars,
            legend=legend,
            baseline=height - bottom,
            left=left,
        )
    )
    return Markup(svg)  # noqa: S704  (rendered by an autoescaping template)


def summary_section(inv: Inventory) -> Section:
    """Systems, servers, devices per wave, zones: the facts every later section builds on."""
    consolidated = [s for s in inv.systems if s.consolidation.batch in {Batch.EXISTING, Batch.NEXT}]
    by_batch = Counter(s.consolidation.batch for s in inv.systems)
    servers_by_batch = Counter()  # type: Counter[Batch]
    for s in inv.systems:
        servers_by_batch[s.consolidation.batch] += len(s.servers)
    zone_rows = []
    for z in inv.zones:
        systems = [s for s in inv.systems if z.id in s.zones]
        servers = [
            v for s in inv.systems for v in s.servers if inv.segments_by_id[v.segment].zone == z.id
        ]
        zone_rows.append(
            (
                z.id,
                z.name_ja,
                str(z.kind),
                len([g for g in inv.segments if g.zone == z.id]),
                len(systems),
                len(servers),
            )
        )
    waves = inv.waves()
    platforms = sorted({str(d.platform) for ds in waves.values() for d in ds})
    wave_labels = [f"wave {w}" for w in waves]
    series = {
        p: [sum(1 for d in ds if str(d.platform) == p) for ds in waves.values()] for p in platforms
    }
    wave_rows = tuple(
        (
            w,
            len(ds),
            ", ".join(sorted({inv.sites_by_id[d.site].name for d in ds})),
            ", ".join(f"{d.replaces} → {d.hostname}" for d in ds),
        )
        for w, ds in waves.items()
    )
    cost = sum(s.annual_cost_jpy for s in inv.systems)
    evaluated = sum(1 for s in inv.systems if s.evaluation.status == "evaluated")
    total_servers = sum(len(s.servers) for s in inv.systems)
    return Section(
        id="summary",
        title="Summary",
        intro=f"{inv.organisation.name} ({inv.organisation.name_ja}), {inv.organisation.division}: "
        f"network cutover in FY{inv.organisation.fiscal_year_cutover}.",
        facts=(
            ("sites", len(inv.sites)),
            ("zones", len(inv.zones)),
            ("segments", len(inv.segments)),
            ("systems", len(inv.systems)),
            ("systems on the consolidated platform", len(consolidated)),
            (
                "  of which existing / joining",
                f"{by_batch[Batch.EXISTING]} / {by_batch[Batch.NEXT]}",
            ),
            ("servers (VMs)", total_servers),
            ("  of existing consolidated systems", servers_by_batch[Batch.EXISTING]),
            (
                "vCPU / memory (GB)",
                f"{sum(v.vcpu for s in inv.systems for v in s.servers)} / "
                f"{sum(v.memory_gb for s in inv.systems for v in s.servers)}",
            ),
            ("hypervisor hosts", len(inv.hypervisors)),
            (
                "network devices current / replacement",
                f"{len(inv.current_devices())} / {len(inv.replacements())}",
            ),
            ("cutover waves", len(waves)),
            ("systems evaluated", evaluated),
            ("annual cost of systems (JPY)", f"{cost:,}"),
            ("allowed inter-zone flows", len(inv.flows)),
        ),
        tables=(
            (
                "Zones",
                Table(("zone", "name", "kind", "segments", "systems", "servers"), tuple(zone_rows)),
            ),
            ("Cutover waves", Table(("wave", "devices", "sites", "replacements"), wave_rows)),
        ),
        pictures=(stacked_bars("Replacement devices per wave and platform", wave_labels, series),),
    )


def systems_section(inv: Inventory) -> Section:
    """Systems by department: consolidation, cost and evaluation (全体最適化, CIO補佐 reviews)."""
    rows: dict[str, list[int]] = {}
    for s in inv.systems:
        row = rows.setdefault(s.department, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += s.consolidation.batch in {Batch.EXISTING, Batch.NEXT}
        row[2] += len(s.servers)
        row[3] += s.annual_cost_jpy
        row[4] += s.evaluation.status == "evaluated"
    table = tuple(
        (dept, n, cons, servers, f"{cost:,}", evaluated)
        for dept, (n, cons, servers, cost, evaluated) in sorted(rows.items())
    )
    zones = [z.id for z in inv.zones if any(z.id in s.zones for s in inv.systems)]
    batches = [b for b in Batch if any(s.consolidation.batch is b for s in inv.systems)]
    series = {
        str(b): [
            sum(1 for s in inv.systems if s.consolidation.batch is b and z in s.zones)
            for z in zones
        ]
        for b in batches
    }
    return Section(
        id="systems",
        title="Systems",
        intro="Every system with its department, consolidation batch, servers, annual cost and "
        "evaluation status.",
        tables=(
            (
                "By department",
                Table(
                    (
                        "department",
                        "systems",
                        "consolidated",
                        "servers",
                        "annual cost (JPY)",
                        "evaluated",
                    ),
                    table,
                ),
            ),
        ),
        pictures=(stacked_bars("Systems per zone and consolidation batch", zones, series),),
    )


def render_report(title: str, sections: Sequence[Section], generated_from: str) -> str:
    return (
        environment()
        .get_template("report/index.html.j2")
        .render(title=title, sections=sections, generated_from=generated_from)
    )
