"""The plan step: render every isolation ruleset, read each back, prove the policy on it.

A problem (a path the rules open, a path they lose, an interface left unfiltered, a text
the verifier cannot read) fails ``./inv plan``. Flows the model refuses are not opened
(fail closed) and are listed in the report; ``./inv policy.check`` fails on them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from ictinfra.inventory.model import Device, Inventory
from ictinfra.isolation.errors import RulesetParseError
from ictinfra.isolation.filters import PacketFilter
from ictinfra.isolation.generate import (
    Scope,
    SiteFinder,
    SiteNets,
    border_devices,
    by_site,
    device_scope,
    gateways,
    in_order,
    interface_zones,
    render_all,
    site_networks,
)
from ictinfra.isolation.parse_acl import parse_acl
from ictinfra.isolation.parse_nft import parse_nftables
from ictinfra.isolation.policy import (
    ALPHA,
    OUTSIDE,
    ROUTING,
    AllowedPath,
    Profile,
    allowed_paths,
    between_zones,
    check_flows,
    zone_intervals,
)
from ictinfra.isolation.space import Box, Interval, iv_and, merge, net_interval
from ictinfra.isolation.verify import Verification, verify
from ictinfra.report import Section, Table

if TYPE_CHECKING:
    from ictinfra.plan import StepOutput


@dataclass(frozen=True)
class Checked:
    """One enforcement point: its rendered text read back and verified (or why not)."""

    name: str
    kind: str
    path: str
    verification: Verification | None
    problems: tuple[str, ...]


def unfiltered_interfaces(inv: Inventory, dev: Device, flt: PacketFilter) -> list[str]:
    """Routed interfaces of a border device that the filter is not applied to."""
    applied = flt.applied_to or frozenset()
    return [
        f"{flt.source}: interface {name} ({zone}) of {dev.hostname} has no isolation filter "
        "inbound: traffic entering it is not checked"
        for name, zone in sorted(interface_zones(inv, dev).items())
        if name not in applied
    ]


@dataclass(frozen=True)
class PathsBySite:
    """The policy's paths with, per site, those with an end there (see ``by_site``)."""

    paths: list[AllowedPath]
    everywhere: tuple[int, ...]
    at_site: dict[str, tuple[int, ...]]


def paths_by_site(inv: Inventory, paths: list[AllowedPath]) -> PathsBySite:
    everywhere, at_site = by_site(
        SiteFinder(inv),
        (
            (
                [iv for box in p.boxes for side in box[:2] for iv in side],
                between_zones(p.source_zone, p.destination_zone),
            )
            for p in paths
        ),
    )
    return PathsBySite(paths, everywhere, at_site)


@dataclass
class _Context:
    paths: list[AllowedPath]
    zones: dict[str, list[Interval]]
    cache: dict[tuple[object, ...], Any]
    required: dict[Scope, list[AllowedPath]]
    sites: dict[str, SiteNets]
    indexed: PathsBySite


def _context(inv: Inventory, prof: Profile) -> _Context:
    paths = allowed_paths(inv, prof)
    return _Context(
        paths, zone_intervals(inv), {}, {}, site_networks(inv), paths_by_site(inv, paths)
    )


def required_paths(
    paths: list[AllowedPath], scope: Scope, indexed: PathsBySite | None = None
) -> list[AllowedPath]:
    """The policy's paths one device must permit (its ``Scope``); all stay allowed.
    ``indexed``: ``paths`` by site, so that a device looks only at its site's paths."""
    local = {z: tuple(merge(net_interval(n) for n in nets)) for z, nets in scope.local}
    picked = paths
    if indexed is not None and scope.site is not None:
        positions = in_order(indexed.everywhere, indexed.at_site.get(scope.site, ()))
        picked = [indexed.paths[k] for k in positions]
    out = []
    for path in picked:
        if path.source_zone == OUTSIDE and not scope.public:
            continue
        if path.source_zone == ROUTING and not scope.transit:
            # Link-local: hellos come from the site's own segments (as the generator writes).
            attached = tuple(merge(iv for ivs in local.values() for iv in ivs))
            hellos: list[Box] = [
                (here, dst, protos, ports)
                for src, dst, protos, ports in path.boxes
                if (here := iv_and(src, attached))
            ]
            if hellos:
                out.append(replace(path, boxes=tuple(hellos)))
            continue
        if path.destination_zone == OUTSIDE and not scope.transit and path.source_zone not in local:
            continue  # as the generator: no zone of this site, none of its traffic
        if scope.transit or not between_zones(path.source_zone, path.destination_zone):
            out.append(path)
            continue
        src_here, dst_here = local.get(path.source_zone, ()), local.get(path.destination_zone, ())
        bx: list[Box] = []
        for src, dst, protos, ports in path.boxes:
            mine = iv_and(src, src_here) if src_here else ()
            if mine:
                bx.append((mine, dst, protos, ports))
            mine = iv_and(dst, dst_here) if dst_here else ()
            if mine:
                bx.append((src, mine, protos, ports))
        if bx:
            out.append(replace(path, boxes=tuple(bx)))
    return out


def check_text(
    inv: Inventory,
    prof: Profile,
    name: str,
    path: str,
    text: str,
    ctx: _Context | None = None,
) -> Checked:
    """Parse and verify one rendered (or hand-edited) ruleset of a gateway or device."""
    ctx = ctx or _context(inv, prof)
    dev = inv.devices_by_hostname.get(name)
    try:
        if dev is not None:
            flt = parse_acl(dev.platform, text, path, name)
        else:
            flt = parse_nftables(text, path, name)
    except RulesetParseError as exc:
        return Checked(name, "acl" if dev else "nftables", path, None, (str(exc),))
    required = None
    if dev is not None:
        scope = device_scope(inv, dev, ctx.sites)
        required = ctx.required.get(scope)
        if required is None:
            required = ctx.required[scope] = required_paths(ctx.paths, scope, ctx.indexed)
    result = verify(flt, ctx.paths, ctx.zones, prof.name.value, ctx.cache, required)
    extra = unfiltered_interfaces(inv, dev, flt) if dev is not None else []
    return Checked(name, flt.kind, path, result, (*result.problems, *extra))


def check_all(inv: Inventory, prof: Profile, artifacts: dict[str, str]) -> list[Checked]:
    out = []
    ctx = _context(inv, prof)
    for gw in gateways(inv):
        path = f"isolation/nftables/{gw.name}.nft"
        out.append(check_text(inv, prof, gw.name, path, artifacts[path], ctx))
    for dev in border_devices(inv):
        path = f"isolation/acl/{dev.hostname}.cfg"
        out.append(check_text(inv, prof, dev.hostname, path, artifacts[path], ctx))
    return out


CELL_W, CELL_H, LABEL_W, HEAD_H = 118, 34, 92, 58
COLOURS = {"ok": "#cdeccd", "none": "#ffffff", "opened": "#f4a6a6", "lost": "#ffd699"}


def matrix_svg(title: str, zones: list[str], result: Verification) -> Markup:
    """Zone-to-zone reachability as read from the rules: rows from, columns to."""
    width = LABEL_W + CELL_W * len(zones) + 10
    height = HEAD_H + CELL_H * len(zones) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="10" role="img">',
        f"<title>{escape(title)}</title>",
        f'<text x="4" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
        f'<text x="4" y="{HEAD_H - 6}" fill="#555">from \\ to</text>',
    ]
    for j, zone in enumerate(zones):
        x = LABEL_W + j * CELL_W + CELL_W / 2
        parts.append(
            f'<text x="{x}" y="{HEAD_H - 6}" text-anchor="middle" '
            f'font-weight="bold">{escape(zone)}</text>'
        )
    for i, src in enumerate(zones):
        y = HEAD_H + i * CELL_H
        parts.append(
            f'<text x="4" y="{y + CELL_H / 2 + 4}" font-weight="bold">{escape(src)}</text>'
        )
        for j, dst in enumerate(zones):
            got = result.matrix.get((src, dst), "")
            want = result.expected.get((src, dst), "")
            state = (
                "none"
                if not got and not want
                else "ok"
                if got == want
                else ("lost" if not got else "opened")
            )
            x = LABEL_W + j * CELL_W
            text = got or ("(lost: " + want + ")" if want else "")
            parts.append(
                f'<rect x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" '
                f'fill="{COLOURS[state]}" stroke="#999"><title>{escape(src)} → '
                f"{escape(dst)}: {escape(text or 'nothing')}</title></rect>"
            )
            short = text if len(text) <= 22 else text[:21] + "…"  # cell width
            parts.append(f'<text x="{x + 4}" y="{y + CELL_H / 2 + 4}">{escape(short)}</text>')
    legend_y = HEAD_H + CELL_H * len(zones) + 20
    for k, (state, label) in enumerate(
        (
            ("ok", "permitted, as the policy"),
            ("opened", "permitted beyond the policy"),
            ("lost", "allowed but not permitted"),
        )
    ):
        x = 4 + k * 200
        parts.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" '
            f'fill="{COLOURS[state]}" stroke="#999"/>'
        )
        parts.append(f'<text x="{x + 16}" y="{legend_y}">{label}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every inserted text is escaped above


def build(inv: Inventory, prof: Profile = ALPHA) -> tuple[dict[str, str], Section, list[str]]:
    """Artifacts, the report section and the problems of the isolation layer."""
    artifacts = render_all(inv, prof)
    checked = check_all(inv, prof, artifacts)
    problems = [p for c in checked for p in c.problems]
    refused = check_flows(inv, prof)
    refused_ids = {v.flow: v for v in refused}
    flow_rows = tuple(
        (
            f.id,
            f"{f.source_zone} → {f.destination_zone}",
            str(f.via),
            ", ".join(str(s) for s in f.services),
            "refused: " + refused_ids[f.id].rule if f.id in refused_ids else "permitted",
        )
        for f in inv.flows
    )
    zones = [z.id for z in inv.zones] + [OUTSIDE]
    pictures = []
    proofs: tuple[tuple[object, ...], ...] = ()
    first = next((c for c in checked if c.verification is not None), None)
    if first is not None and first.verification is not None:
        pictures.append(
            matrix_svg(f"Reachability read from {first.path}", zones, first.verification)
        )
        proofs = tuple(
            (
                p.label,
                f"{p.source_zone} → {p.destination_zone}",
                p.services,
                "; ".join(p.rules) or "NOT PERMITTED",
            )
            for p in first.verification.proofs
        )
    point_rows = tuple(
        (
            c.name,
            c.kind,
            c.path,
            c.verification.rules if c.verification else "",
            "proved" if not c.problems else f"{len(c.problems)} problem(s)",
        )
        for c in checked
    )
    section = Section(
        id="isolation",
        title="Internet isolation (三層の対策)",
        intro=f"{prof.title}. Every ruleset below was rendered from the policy, then read "
        "back from its text and proved: nothing permitted beyond the policy, every path of "
        "the policy permitted, and each path traced to the rule that permits it.",
        facts=(
            ("model", prof.name.value),
            ("isolation gateways (nftables)", len(gateways(inv))),
            ("border devices (ACLs)", len(border_devices(inv))),
            (
                "of them transit hubs (every path; the others: paths with an end at their site)",
                sum(d.transit for d in border_devices(inv)),
            ),
            ("rules verified", sum(c.verification.rules for c in checked if c.verification)),
            ("flows refused by the model", len(refused)),
        ),
        tables=(
            (
                "Flows and the model",
                Table(("flow", "zones", "via", "services", "verdict"), flow_rows),
            ),
            (
                "Enforcement points",
                Table(("name", "kind", "artifact", "rules", "verdict"), point_rows),
            ),
            (
                "Paths and the rules permitting them",
                Table(("path", "zones", "services", "permitted by"), proofs),
            ),
        ),
        pictures=tuple(pictures),
        problems=tuple(
            f"flow '{v.flow}' breaks rule {v.rule} of the {prof.name.value} model and is "
            f"not opened: {v.message}"
            for v in refused
        )
        + tuple(problems),
    )
    return artifacts, section, problems


def isolation_step(inv: Inventory) -> StepOutput:
    """The plan step: artifacts under isolation/, the report section, the problems."""
    from ictinfra.plan import StepOutput  # noqa: PLC0415  (ictinfra.plan imports this module)

    artifacts, section, problems = build(inv)
    return StepOutput(artifacts=dict(artifacts), sections=(section,), problems=tuple(problems))
