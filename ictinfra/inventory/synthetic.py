"""Synthetic inventories for benchmarks: ``scale`` copies of a prefecture-shaped estate.

Each unit has the example's shape (a head office, a data centre, nine regional offices,
about 44 network devices, 70 systems with about 150 servers, flows, hypervisors) with
addresses that never collide, so the whole inventory validates and plans like the real one.

Addresses are planned zone first, as an estate of this size would be: each zone has one
block for the whole estate and each site's segment of a zone is the next /24 of that
block, so a zone's subnets summarise into a few prefixes (and a site's ACL names a zone
in a few lines, not one per office). Flows follow the example's kinds, each permitted by
the alpha model: a unit's systems exchange files through its sanitising file transfer and
mail through its mail gateway, and the LGWAN zone reaches the virtual browsers of the
first unit (one browsing service for the whole estate) by screen transfer.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import yaml

REGIONAL = 9
SYSTEMS_PER_UNIT = 70
# Zone -> (first address of its block, segments per unit). Up to 250 units fit each block.
ZONE_BLOCKS = {
    "lgwan": ("10.64.0.0", 2 + REGIONAL),
    "mgmt": ("10.80.0.0", 2 + REGIONAL),
    "mynumber": ("10.96.0.0", 2),
    "internet": ("10.100.0.0", 2),
    "dmz": ("10.104.0.0", 1),
}
WAN_BLOCK = "100.64.0.0"  # the regional offices' /30 links, one after the other
# Systems of each unit that carry a platform component (their zone fits the component).
FILE_TRANSFER, VIRTUAL_BROWSER, MAIL_GATEWAY = 1, 3, 7
COMPONENTS = {
    FILE_TRANSFER: "file_transfer",
    VIRTUAL_BROWSER: "virtual_browser",
    MAIL_GATEWAY: "mail_gateway",
}
ZONE_SEGMENTS = {
    "honcho": ("lgwan", "mynumber", "internet"),
    "dc": ("mynumber", "lgwan", "internet", "dmz"),
}


def _subnet(zone: str, u: int, k: int) -> str:
    """The ``k``-th /24 of ``zone`` in unit ``u``: the next one of the zone's block."""
    first, per_unit = ZONE_BLOCKS[zone]
    return str(ipaddress.IPv4Address(first) + (u * per_unit + k) * 256) + "/24"


def _wan_subnet(u: int, j: int) -> str:
    return str(ipaddress.IPv4Address(WAN_BLOCK) + (u * REGIONAL + j - 2) * 4) + "/30"


def _site_ids(u: int) -> list[str]:
    return [f"u{u}-honcho", f"u{u}-dc", *(f"u{u}-r{j}" for j in range(REGIONAL))]


def _unit(u: int) -> dict[str, list[dict[str, Any]]]:
    sites: list[dict[str, Any]] = []
    segments: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    systems: list[dict[str, Any]] = []
    flows: list[dict[str, Any]] = []
    hypervisors: list[dict[str, Any]] = []
    seg_of: dict[tuple[str, str], dict[str, Any]] = {}
    for j, site in enumerate(_site_ids(u)):
        kind = "head_office" if j == 0 else "data_centre" if j == 1 else "regional_office"
        sites.append(
            {
                "id": site,
                "name": f"Site {site}",
                "name_ja": f"拠点{site}",
                "kind": kind,
                "region": f"地域{j % 5}",
            }
        )
        zones = ZONE_SEGMENTS.get(site.split("-", 1)[1], ("lgwan",))
        for k, zone in enumerate((*zones, "mgmt")):
            third = j * 16 + (15 if zone == "mgmt" else k)
            # Offices of a zone are numbered in the zone's block: the head office and the
            # data centre first, then the regional offices.
            slot = j if zone in {"lgwan", "mgmt"} else (0 if j == 0 else 1) if zone != "dmz" else 0
            subnet = _subnet(zone, u, slot)
            seg = {
                "id": f"{site}-{zone}",
                "site": site,
                "zone": zone,
                # The data centres share one platform (one cluster may carry every unit's
                # segments), so their VLANs are unique across units; offices reuse theirs.
                "vlan": 1000 + u * 8 + min(k, 7) if kind == "data_centre" else 100 + third,
                "subnet": subnet,
                "gateway": subnet.rsplit(".", 1)[0] + ".1",
            }
            segments.append(seg)
            seg_of[(site, zone)] = seg
        if j >= 2:
            wan = {
                "id": f"{site}-wan",
                "site": site,
                "zone": "wan",
                "vlan": 4000,
                "subnet": _wan_subnet(u, j),
            }
            segments.append(wan)
            devices.extend(_regional_routers(j, site, seg_of, wan))
    devices.extend(_cores(u, seg_of))
    systems.extend(_systems(u, seg_of))
    dc_mgmt = seg_of[(f"u{u}-dc", "mgmt")]["subnet"].rsplit(".", 1)[0]
    for h in range(14):
        hypervisors.append(  # noqa: PERF401
            {
                "name": f"u{u}-esx{h:02d}",
                "site": f"u{u}-dc",
                "platform": "vsphere",
                "cluster": f"u{u}-cl{h // 7}",
                "cores": 48,
                "memory_gb": 768,
                "storage_gb": 40000,
                "mgmt_address": f"{dc_mgmt}.{100 + h}",
            }
        )
    flows.extend(_flows(u))
    return {
        "sites": sites,
        "segments": segments,
        "devices": devices,
        "systems": systems,
        "hypervisors": hypervisors,
        "flows": flows,
    }


def _regional_routers(
    j: int, site: str, seg_of: dict[tuple[str, str], dict[str, Any]], wan: dict[str, Any]
) -> list[dict[str, Any]]:
    lgwan, mgmt = seg_of[(site, "lgwan")], seg_of[(site, "mgmt")]
    wan_ip = wan["subnet"].split("/")[0].rsplit(".", 1)
    wan_addr = f"{wan_ip[0]}.{int(wan_ip[1]) + 2}/30"
    wan_gw = f"{wan_ip[0]}.{int(wan_ip[1]) + 1}"
    lg = lgwan["gateway"] + "/24"
    mg = mgmt["subnet"].rsplit(".", 1)[0]
    old: dict[str, Any] = {
        "hostname": f"{site}-rt-01",
        "platform": "yamaha",
        "model": "RTX1200",
        "site": site,
        "role": "wan_router",
        "lifecycle": "current",
        "mgmt_address": f"{mg}.1",
        "end_of_support": "2020-09-30",
        "interfaces": [
            {"name": "lan1", "segment": lgwan["id"], "address": lg},
            {"name": "lan2", "segment": wan["id"], "address": wan_addr},
            {"name": "lan3", "segment": mgmt["id"], "address": f"{mg}.1/24"},
        ],
        "static_routes": [{"prefix": "0.0.0.0/0", "next_hop": wan_gw}],
    }
    new: dict[str, Any] = {
        "hostname": f"{site}-rt-11",
        "platform": "nec_ix",
        "model": "UNIVERGE IX2310",
        "site": site,
        "role": "wan_router",
        "lifecycle": "replacement",
        "replaces": old["hostname"],
        "wave": j % 4,
        "mgmt_address": f"{mg}.11",
        "interfaces": [
            {"name": "GigaEthernet0.0", "segment": lgwan["id"], "address": lg},
            {"name": "GigaEthernet1.0", "segment": wan["id"], "address": wan_addr},
            {"name": "GigaEthernet2.0", "segment": mgmt["id"], "address": f"{mg}.11/24"},
        ],
        "interface_map": {
            "lan1": "GigaEthernet0.0",
            "lan2": "GigaEthernet1.0",
            "lan3": "GigaEthernet2.0",
        },
        "static_routes": [{"prefix": "0.0.0.0/0", "next_hop": wan_gw}],
    }
    return [old, new]


def _cores(u: int, seg_of: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for site_key in ("honcho", "dc"):
        site = f"u{u}-{site_key}"
        segs = [s for (st, _), s in seg_of.items() if st == site]
        mg = seg_of[(site, "mgmt")]["subnet"].rsplit(".", 1)[0]
        for n in range(4):
            svis = [
                {
                    "name": f"Vlan{s['vlan']}",
                    "segment": s["id"],
                    "address": f"{s['subnet'].rsplit('.', 1)[0]}.{2 + n}/24",
                }
                for s in segs
            ]
            ports_old = [
                {
                    "name": f"GigabitEthernet1/0/{p}",
                    "mode": "trunk",
                    "vlans": [s["vlan"] for s in segs],
                }
                for p in range(1, 5)
            ]
            ports_new = [
                {
                    "name": f"TwentyFiveGigE1/0/{p}",
                    "mode": "trunk",
                    "vlans": [s["vlan"] for s in segs],
                }
                for p in range(1, 5)
            ]
            old_name, new_name = f"{site}-sw-{n:02d}", f"{site}-sw-{n + 10:02d}"
            mgmt_old = {**svis[-1], "address": f"{mg}.{20 + n}/24"}
            mgmt_new = {**svis[-1], "address": f"{mg}.{40 + n}/24"}
            out.append(
                {
                    "hostname": old_name,
                    "platform": "cisco_ios",
                    "model": "Catalyst 3750-X",
                    "site": site,
                    "role": "core" if n < 2 else "distribution",
                    "lifecycle": "current",
                    "mgmt_address": f"{mg}.{20 + n}",
                    "interfaces": [*svis[:-1], mgmt_old, *ports_old],
                }
            )
            out.append(
                {
                    "hostname": new_name,
                    "platform": "cisco_xe",
                    "model": "Catalyst 9300",
                    "site": site,
                    "role": "core" if n < 2 else "distribution",
                    "lifecycle": "replacement",
                    "replaces": old_name,
                    "wave": 4 + (site_key == "honcho"),
                    "mgmt_address": f"{mg}.{40 + n}",
                    "interfaces": [*svis[:-1], mgmt_new, *ports_new],
                    "interface_map": {
                        f"GigabitEthernet1/0/{p}": f"TwentyFiveGigE1/0/{p}" for p in range(1, 5)
                    },
                }
            )
    return out


def _systems(u: int, seg_of: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    dc = f"u{u}-dc"
    next_host = dict.fromkeys(("mynumber", "lgwan", "internet", "dmz", "mgmt"), 20)
    out = []
    for n in range(SYSTEMS_PER_UNIT):
        sid = u * SYSTEMS_PER_UNIT + n + 1
        zone = ("mynumber", "lgwan", "lgwan", "internet")[n % 4]
        batch = "existing" if n < 40 else "next" if n < 54 else "none"
        servers = []
        for k in range(1 + (n % 3 != 0) + (n % 5 == 0)):
            seg = seg_of[(dc, zone)]
            host = next_host[zone]
            next_host[zone] += 1
            servers.append(
                {
                    "name": f"s{sid:05d}-{k}",
                    "role": "ap" if k == 0 else "db",
                    "vcpu": 2 + 2 * (n % 4),
                    "memory_gb": 8 * (1 + n % 4),
                    "disks": [{"size_gb": 100 + 50 * (n % 3)}],
                    "os": "Red Hat Enterprise Linux 8",
                    "segment": seg["id"],
                    "address": f"{seg['subnet'].rsplit('.', 1)[0]}.{host}",
                    "anti_affinity": f"s{sid:05d}" if k < 2 else None,
                }
            )
        out.append(
            {
                "id": f"SYS-{sid:05d}",
                "name": f"業務システム{sid}",
                "name_en": f"Business system {sid}",
                "department": f"部局{n % 12}",
                "zones": [zone],
                "criticality": ("high", "medium", "low")[n % 3],
                "annual_cost_jpy": 5_000_000 + 1_000_000 * (n % 50),
                "evaluation": {"status": "evaluated", "fiscal_year": 2013 + n % 5},
                "consolidation": {
                    "batch": batch,
                    **({"since_fiscal_year": 2010} if batch != "none" else {}),
                },
                "servers": [{k: v for k, v in s.items() if v is not None} for s in servers],
                **({"component": COMPONENTS[n]} if n in COMPONENTS else {}),
            }
        )
    return out


def _flow(
    fid: str, src: tuple[str, int | None], dst: tuple[str, int | None], via: str, port: int
) -> dict[str, Any]:
    """A flow between two zones; an end with a system number is that system's servers."""
    out: dict[str, Any] = {"id": fid, "source_zone": src[0], "destination_zone": dst[0]}
    if src[1] is not None:
        out["source_system"] = f"SYS-{src[1]:05d}"
    if dst[1] is not None:
        out["destination_system"] = f"SYS-{dst[1]:05d}"
    return out | {
        "services": [{"protocol": "tcp", "port": port}],
        "via": via,
        "reason": via.replace("_", " "),
    }


def _flows(u: int) -> list[dict[str, Any]]:
    """The unit's flows (systems numbered from 0 within the unit, ids from 1)."""

    def sys(n: int) -> int:
        return u * SYSTEMS_PER_UNIT + n + 1

    flows = [  # statistics out of the My Number zone through the file transfer
        _flow(
            f"u{u}-mynumber-files-{n}",
            ("mynumber", sys(n)),
            ("lgwan", sys(FILE_TRANSFER)),
            "file_sanitiser",
            443,
        )
        for n in (4, 8, 12, 16, 20, 24)
    ]
    flows.extend(  # files to internet-zone systems, sanitised
        _flow(
            f"u{u}-lgwan-files-{n}",
            ("lgwan", sys(FILE_TRANSFER)),
            ("internet", sys(n)),
            "file_sanitiser",
            443,
        )
        for n in (11, 15, 19, 23)
    )
    mail = ("internet", sys(MAIL_GATEWAY)), ("lgwan", sys(5))
    flows += [
        _flow(f"u{u}-mail-in", mail[0], mail[1], "mail_sanitiser", 25),
        _flow(f"u{u}-mail-out", mail[1], mail[0], "mail_sanitiser", 25),
    ]
    if u == 0:  # the estate's one browsing service, and its public web servers
        flows += [
            _flow(
                "lgwan-screen",
                ("lgwan", None),
                ("internet", sys(VIRTUAL_BROWSER)),
                "screen_transfer",
                3389,
            ),
            _flow("internet-dmz", ("internet", None), ("dmz", None), "direct", 443),
        ]
    return flows


HEADER: dict[str, Any] = {
    "organisation": {
        "name": "Synthetic Prefecture",
        "name_ja": "合成県",
        "division": "情報システム課",
        "fiscal_year_cutover": 2020,
        "domain": "pref.synthetic.example",
        "ntp_servers": ["10.80.1.11"],
        "syslog_servers": ["10.80.1.12"],
        "dns_servers": ["10.80.1.13"],
        "device_credentials": {"vault": "network/devices"},
    },
    "mail_policy": {
        "internal_domains": ["pref.synthetic.example"],
        "allowed_attachment_types": ["application/pdf"],
        "quarantine_key": {"env": "ICTINFRA_QUARANTINE_KEY"},
        "approvers": ["admin"],
    },
    "zones": [
        {"id": z, "name": z, "name_ja": z, "kind": k}
        for z, k in (
            ("mynumber", "mynumber"),
            ("lgwan", "lgwan"),
            ("internet", "internet"),
            ("dmz", "dmz"),
            ("mgmt", "management"),
            ("wan", "wan"),
        )
    ],
}


def write_synthetic(dest: Path, scale: int) -> Path:
    """Write a valid inventory of ``scale`` units into ``dest`` (one file per unit)."""
    if not 1 <= scale <= 250:
        raise ValueError("scale must be between 1 and 250")
    dest.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    (dest / "organisation.yml").write_text(
        yaml.dump(HEADER, Dumper=dumper, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    for u in range(scale):
        (dest / f"unit-{u:03d}.yml").write_text(
            yaml.dump(_unit(u), Dumper=dumper, allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
    return dest
