"""A border device carries only the paths with an end at its own site; a hub marked
``transit: true`` carries them all. The verifier asks each device for exactly its part."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ictinfra.inventory import load_inventory
from ictinfra.isolation.generate import render_all
from ictinfra.isolation.policy import ALPHA
from ictinfra.isolation.step import check_text
from ictinfra.isolation.verify import Verification, host_paths

EXAMPLE = Path(__file__).resolve().parents[2] / "inventory"
SPOKE = "iga-rt-11"  # NEC IX at a regional office of the minimal inventory
ACL = f"isolation/acl/{SPOKE}.cfg"
Edit = Callable[[Path, str, str], None]
IGA_PC, HO_PC, DC_LGWAN = "10.17.110.50", "10.1.110.50", "10.2.20.11"


def _verified(inventory: Path, name: str, text: str) -> Verification:
    inv = load_inventory(inventory)
    checked = check_text(inv, ALPHA, name, f"isolation/acl/{name}.cfg", text)
    assert checked.problems == ()
    assert checked.verification is not None
    return checked.verification


def test_a_spoke_permits_its_sites_traffic_and_not_two_other_sites(
    minimal_inventory: Path,
) -> None:
    text = render_all(load_inventory(minimal_inventory), ALPHA)[ACL]
    result = _verified(minimal_inventory, SPOKE, text)
    assert host_paths(result, IGA_PC, DC_LGWAN)  # its own office to the data centre
    assert host_paths(result, DC_LGWAN, IGA_PC)
    assert host_paths(result, HO_PC, DC_LGWAN) == []  # head office to data centre: not here
    # The bastion's maintenance reaches this office's LGWAN subnet only.
    assert "src 10.2.99.21/32 sport any dest 10.17.110.0/24 dport eq 22" in text
    assert "dest 10.1.110.0/24 dport eq 22" not in text


def test_a_transit_hub_carries_every_path_and_the_verifier_asks_for_all(
    minimal_inventory: Path, edit: Edit
) -> None:
    spoke_text = render_all(load_inventory(minimal_inventory), ALPHA)[ACL]
    edit(
        minimal_inventory / "network" / "devices.yml",
        f"  - hostname: {SPOKE}\n",
        f"  - hostname: {SPOKE}\n    transit: true\n",
    )
    inv = load_inventory(minimal_inventory)
    hub_text = render_all(inv, ALPHA)[ACL]
    result = _verified(minimal_inventory, SPOKE, hub_text)
    assert host_paths(result, HO_PC, DC_LGWAN)
    # The site-scoped text on a hub loses the paths between other sites, named.
    problems = check_text(inv, ALPHA, SPOKE, ACL, spoke_text).problems
    assert any("intra-zone lgwan is not permitted" in p for p in problems), problems
    assert any("mgmt-to-lgwan-ssh is not permitted" in p for p in problems), problems


def test_a_spoke_missing_its_part_of_a_flow_is_caught(minimal_inventory: Path) -> None:
    text = render_all(load_inventory(minimal_inventory), ALPHA)[ACL]
    line = next(x for x in text.splitlines() if "dest 10.17.110.0/24 dport eq 22" in x)
    problems = check_text(
        load_inventory(minimal_inventory), ALPHA, SPOKE, ACL, text.replace(line + "\n", "")
    ).problems
    assert any("flow mgmt-to-lgwan-ssh is not permitted" in p for p in problems), problems


def test_routing_hellos_only_from_the_sites_own_segments(minimal_inventory: Path) -> None:
    text = render_all(load_inventory(minimal_inventory), ALPHA)[ACL]
    result = _verified(minimal_inventory, SPOKE, text)
    assert "ospf" in str(host_paths(result, "10.255.17.1", "224.0.0.5"))
    assert host_paths(result, "10.1.99.2", "224.0.0.5") == []


def test_every_example_ruleset_is_proved_with_site_scopes() -> None:
    inv = load_inventory(EXAMPLE)
    rendered = render_all(inv, ALPHA)
    for path, text in rendered.items():
        assert check_text(inv, ALPHA, Path(path).stem, path, text).problems == (), path
    # A regional office's router does not list the data centre's system-to-system flows.
    assert "flow mynumber-to-lgwan-stats" in rendered["isolation/acl/dc-fw-12.cfg"]
    assert "flow mynumber-to-lgwan-stats" not in rendered["isolation/acl/iga-rt-11.cfg"]


def test_traffic_to_the_outside_is_carried_where_its_zone_has_a_segment() -> None:
    """An office without an internet-zone segment carries none of that zone's traffic to
    the outside; the data centre, where the zone lives, carries all of it (its way out)."""
    inv = load_inventory(EXAMPLE)
    rendered = render_all(inv, ALPHA)
    internet_host = next(  # a PC on the head office's internet-zone segment
        str(seg.subnet.network_address + 50)
        for seg in inv.segments
        if seg.site == "honcho" and seg.zone == "internet"
    )
    results = {}
    for name in ("dc-fw-11", "iga-rt-11"):
        path = f"isolation/acl/{name}.cfg"
        checked = check_text(inv, ALPHA, name, path, rendered[path])
        assert checked.problems == ()
        assert checked.verification is not None
        results[name] = checked.verification
    assert host_paths(results["dc-fw-11"], internet_host, "198.51.100.7")
    assert host_paths(results["iga-rt-11"], internet_host, "198.51.100.7") == []
    assert "outside from internet" not in rendered["isolation/acl/iga-rt-11.cfg"]
