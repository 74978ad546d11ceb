"""The isolation lab for real: zone networks on podman, the gateway configured by the
isolation_gateway role with the ruleset generated from the example inventory, real TCP
and UDP probes between the zones' probe hosts.

One test walks the whole path (up, probe, a too-wide ruleset installed and caught, down):
bringing the lab up twice would double its cost for no more coverage.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ictinfra.inventory import load_inventory
from ictinfra.isolation import probe
from ictinfra.isolation.policy import ALPHA
from ictinfra.isolation.step import check_text
from ictinfra.lab import topology

# "lab": with `pytest --dist loadgroup` the lab tests share one worker (each brings a lab
# up and down); this one removes only its own topology's containers and networks.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("lab_images"),
    pytest.mark.xdist_group("lab"),
]

ROOT = Path(__file__).resolve().parents[2]
INV = str(Path(sys.executable).parent / "inv")


def _open(report: probe.ProbeReport, which: str, src: str, dst: str) -> tuple[str, ...]:
    return report.matrix(which).get((src, dst), ())


def test_isolation_lab_observed_equals_verifier_equals_policy(tmp_path: Path) -> None:
    inv = load_inventory(ROOT / "inventory")
    topo = topology.load_topology(probe.TOPOLOGY)
    try:
        topology.up(topo, tmp_path)
        prepared = probe.prepare(topo, tmp_path, inv, ALPHA)
        good = prepared.ruleset.read_text(encoding="utf-8")

        report = probe.probe(topo, inv, ALPHA)
        assert report.ok, probe.report_text(report)
        # Closed means dropped by the gateway, not lost on the way: each closed sample sent
        # at least one packet, and the default deny counted at least that many.
        assert report.dropped_at_gateway is not None
        assert report.dropped_at_gateway >= report.closed > 0
        assert report.matrix("observed") == report.matrix("verifier") == report.matrix("policy")
        # What the lab must show, not only agree on: the sanctioned crossings pass, the
        # My Number zone reaches nothing but its file exchange and the shared services,
        # and nothing at all runs between the My Number zone and the internet zone.
        assert "tcp/3389" in _open(report, "observed", "lgwan", "internet")
        assert "udp/123" in _open(report, "observed", "lgwan", "mgmt")
        assert _open(report, "observed", "mynumber", "internet") == ()
        assert _open(report, "observed", "internet", "mynumber") == ()
        assert _open(report, "observed", "mynumber", "lgwan") == ("tcp/443",)
        assert all(
            not a.observed for a in report.answers if a.sample.service.port in (80, 445, 8080, 161)
        )
        # The role installed the generated ruleset verbatim.
        assert probe.deployed_ruleset(topo, inv) == good

        # An accept rule too wide: the screen transfer to any address, not only the
        # virtual browsers. Installed with the role (nft -c accepts it: it is valid).
        bad = re.sub(
            r"ip saddr @zone_lgwan ip daddr \{[^}]*\} tcp dport 3389",
            "ip saddr @zone_lgwan tcp dport 3389",
            good,
        )
        assert bad != good
        probe.prepare(topo, tmp_path, inv, ALPHA, ruleset=bad)
        caught = probe.probe(topo, inv, ALPHA)
        assert not caught.ok
        holes = {
            (a.sample.source.zone, a.sample.destination.zone, str(a.sample.service))
            for a in caught.differences
        }
        assert ("lgwan", "mynumber", "tcp/3389") in holes
        # Every difference is the same hole, seen by the probes and the verifier alike.
        assert all(a.observed and a.verifier and a.policy is None for a in caught.differences)
        assert caught.verifier_problems

        # And the verifier refuses the same text given as a file (policy.verify).
        checked = check_text(inv, ALPHA, "isogw01", "bad.nft", bad)
        assert any(
            re.match(r"bad\.nft:\d+ \[flow lgwan-to-vb-screen", p)
            and "lgwan → mynumber tcp/3389" in p
            for p in checked.problems
        )
        (tmp_path / "bad.nft").write_text(bad, encoding="utf-8")
        cli = subprocess.run(
            [INV, "policy.verify", "--gateway", "isogw01", "--ruleset", str(tmp_path / "bad.nft")],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            timeout=300,
        )
        assert cli.returncode == 1, cli.stdout + cli.stderr
        assert "lgwan → mynumber tcp/3389" in cli.stdout + cli.stderr
    finally:
        containers, networks = topology.down(topo.name)
    assert {topo.container(h.name) for h in topo.hosts} <= set(containers)
    assert {topo.network(n.name) for n in topo.networks} <= set(networks)
