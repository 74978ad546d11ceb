"""The isolation lab with real packets: the generated ruleset in a gateway namespace,
TCP probes between zone namespaces; observed == verifier's == policy's, and the corrupted
ruleset is caught by the probes as by the verifier."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ictinfra.inventory import Inventory
from ictinfra.isolation.generate import DEFAULT_GATEWAY
from ictinfra.isolation.netlab import LabHost, NetLab
from ictinfra.isolation.parse_nft import parse_nftables
from ictinfra.isolation.policy import ALPHA, allowed_paths, zone_intervals
from ictinfra.isolation.space import TCP
from ictinfra.isolation.verify import decide, policy_decides, verify
from tests.conftest import IN_CI, require_tool

GW = f"isolation/nftables/{DEFAULT_GATEWAY}.nft"
PORTS = [22, 443, 3389]


def _hosts(inv: Inventory) -> tuple[LabHost, ...]:
    """One host per zone of the minimal inventory, at a server's address where one exists."""
    picks = {
        "lgwan": ("ho-lgwan", "10.1.110.50"),
        "internet": ("dc-internet", "10.2.30.11"),  # the virtual browser
        "mynumber": ("dc-mynumber", "10.2.10.11"),  # the tax system
        "mgmt": ("dc-mgmt", "10.2.99.21"),  # the bastion
    }
    out = []
    for zone, (segment, address) in picks.items():
        seg = inv.segments_by_id[segment]
        assert seg.gateway is not None
        iface = ipaddress.IPv4Interface(f"{address}/{seg.subnet.prefixlen}")
        out.append(LabHost(zone, iface, seg.gateway))
    return tuple(out)


def _matrices(
    lab: NetLab, inv: Inventory, text: str
) -> tuple[dict[tuple[str, str, int], bool], ...]:
    hosts = lab.hosts
    targets = [(s, d, p) for s in hosts for d in hosts if s != d for p in PORTS]
    observed = lab.probe(targets)
    paths = allowed_paths(inv, ALPHA)
    result = verify(parse_nftables(text, "gw.nft"), paths, zone_intervals(inv), "alpha")
    verifier = {
        (s.name, d.name, p): decide(result, str(s.address.ip), str(d.address.ip), TCP, p)
        is not None
        for s, d, p in targets
    }
    policy = {
        (s.name, d.name, p): policy_decides(paths, str(s.address.ip), str(d.address.ip), TCP, p)
        is not None
        for s, d, p in targets
    }
    return observed, verifier, policy


@pytest.fixture
def lab(minimal: Inventory) -> Iterator[NetLab]:
    require_tool("ip")
    require_tool("nft")
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("network namespaces need root (CI runs as root)")
        pytest.skip("network namespaces need root")
    with NetLab(_hosts(minimal), prefix=f"it{os.getpid() % 100000}") as built:
        built.serve(PORTS)
        yield built


def test_observed_equals_verifier_equals_policy(
    lab: NetLab, minimal: Inventory, rendered: dict[str, str], tmp_path: Path
) -> None:
    ruleset = tmp_path / "gw.nft"
    ruleset.write_text(rendered[GW], encoding="utf-8")
    lab.load(ruleset)
    observed, verifier, policy = _matrices(lab, minimal, rendered[GW])
    assert observed == verifier == policy
    opened = sorted(k for k, v in observed.items() if v)
    # The screen transfer and the bastion's SSH, nothing else between zones.
    assert opened == [("lgwan", "internet", 3389), ("mgmt", "lgwan", 22)]


def test_a_corrupted_ruleset_is_caught_by_the_probes(
    lab: NetLab, minimal: Inventory, rendered: dict[str, str], tmp_path: Path
) -> None:
    bad = rendered[GW].replace("ip daddr 10.2.30.11 tcp dport 3389", "tcp dport 3389")
    assert bad != rendered[GW]
    ruleset = tmp_path / "bad.nft"
    ruleset.write_text(bad, encoding="utf-8")
    lab.load(ruleset)
    observed, verifier, policy = _matrices(lab, minimal, bad)
    assert observed == verifier  # the verifier predicts the packets
    assert observed != policy  # and both see the hole
    assert observed[("lgwan", "mynumber", 3389)] is True
    assert policy[("lgwan", "mynumber", 3389)] is False
