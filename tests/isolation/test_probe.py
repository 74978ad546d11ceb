"""The isolation lab's plan and report, without containers: which addresses each zone's
probe host takes from the inventory, what is probed, how the three answers are compared.
(The lab itself, with podman: tests/lab/test_isolation_lab.py.)"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml

from ictinfra.inventory import Inventory, load_inventory
from ictinfra.isolation import probe
from ictinfra.isolation.policy import ALPHA
from ictinfra.lab import topology
from ictinfra.lab.errors import LabError
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
A = ipaddress.IPv4Address


@pytest.fixture(scope="module")
def example() -> Inventory:
    return load_inventory(ROOT / "inventory")


@pytest.fixture(scope="module")
def lab() -> topology.Topology:
    return topology.load_topology(probe.TOPOLOGY)


def _variant(tmp_path: Path, edit: dict[str, object]) -> topology.Topology:
    data = yaml.safe_load((topology.TOPOLOGIES_DIR / "isolation.yml").read_text(encoding="utf-8"))
    data.update(edit)
    (tmp_path / "v.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return topology.load_topology("v", tmp_path)


def test_each_zone_probe_holds_the_servers_the_flows_name(
    example: Inventory, lab: topology.Topology
) -> None:
    points = probe.probe_points(example, ALPHA, lab)
    assert set(points) == {"mynumber", "lgwan", "internet", "dmz", "mgmt"}
    by_addr = {p.address: p for ps in points.values() for p in ps}
    # The virtual browser (screen transfer), the sanitising transfer on both sides, the
    # mail gateway and mailboxes, the bastion and the shared services: from the inventory.
    for addr, label in [
        ("10.2.140.11", "SYS-901 vb-cb01"),
        ("10.2.141.31", "SYS-903 xfer-inet01"),
        ("10.2.115.31", "SYS-903 xfer-lgwan01"),
        ("10.2.141.21", "SYS-904 mailgw01"),
        ("10.2.115.21", "SYS-905 mbox01"),
        ("10.2.11.11", "SYS-907 bastion01"),
        ("10.2.11.21", "SYS-908 ntp01"),
        ("10.2.210.11", "SYS-005 tax-ap01"),
    ]:
        assert by_addr[A(addr)].label == label
    # One plain address per zone, in a segment of that zone, owned by no server.
    servers = {s.address for sys in example.systems for s in sys.servers}
    for zone, ps in points.items():
        plain = [p for p in ps if p.label == "zone"]
        assert len(plain) == 1
        assert plain[0].address not in servers
        assert any(plain[0].address in seg.subnet for seg in example.segments if seg.zone == zone)
        # every point's prefix is its segment's
        for p in ps:
            assert p.prefixlen == 24


def test_probed_services_are_the_flows_ports_and_a_denied_sample(example: Inventory) -> None:
    svcs = {str(s) for s in probe.services(example, ALPHA)}
    assert {"tcp/3389", "tcp/443", "tcp/25", "tcp/22", "udp/123", "udp/514", "udp/53"} <= svcs
    assert {"tcp/80", "tcp/445", "tcp/8080", "udp/161"} <= svcs
    assert not any(s.startswith("icmp") for s in svcs)


def test_samples_cross_zones_only(example: Inventory, lab: topology.Topology) -> None:
    points = probe.probe_points(example, ALPHA, lab)
    svcs = probe.services(example, ALPHA)
    todo = probe.samples(points, svcs)
    assert todo
    assert all(s.source.zone != s.destination.zone for s in todo)
    n = sum(len(p) for p in points.values())
    same = sum(len(p) ** 2 for p in points.values())
    assert len(todo) == (n * n - same) * len(svcs)


def test_a_server_outside_the_lab_networks_is_named(tmp_path: Path, example: Inventory) -> None:
    # Without the virtual browsers' segment the screen-transfer flow cannot be probed.
    topo = _variant(
        tmp_path,
        {
            "networks": [
                n if n["name"] != "internet" else {**n, "subnets": []}
                for n in yaml.safe_load(
                    (topology.TOPOLOGIES_DIR / "isolation.yml").read_text(encoding="utf-8")
                )["networks"]
            ]
        },
    )
    with pytest.raises(probe.ProbeError, match=r"SYS-901 vb-cb01 10\.2\.140\.11: subnet"):
        probe.probe_points(example, ALPHA, topo)


def test_a_zone_without_a_lab_network_is_named(tmp_path: Path, example: Inventory) -> None:
    data = yaml.safe_load((topology.TOPOLOGIES_DIR / "isolation.yml").read_text(encoding="utf-8"))
    topo = _variant(
        tmp_path,
        {
            "networks": [n for n in data["networks"] if n["name"] != "dmz"],
            "hosts": [
                {**h, "networks": [x for x in h["networks"] if x != "dmz"]}
                for h in data["hosts"]
                if h["name"] != "probe-dmz"
            ],
        },
    )
    with pytest.raises(probe.ProbeError, match=r"without a lab network.*dmz"):
        probe.probe_points(example, ALPHA, topo)


def test_a_lab_network_on_another_zone_s_subnet_is_refused(
    tmp_path: Path, example: Inventory
) -> None:
    data = yaml.safe_load((topology.TOPOLOGIES_DIR / "isolation.yml").read_text(encoding="utf-8"))
    nets = [
        {**n, "subnet": "10.2.211.0/24"} if n["name"] == "lgwan" else n for n in data["networks"]
    ]  # a My Number segment where the LGWAN zone should be
    topo = _variant(tmp_path, {"networks": nets})
    with pytest.raises(probe.ProbeError, match="in no segment of zone lgwan"):
        probe.probe_points(example, ALPHA, topo)


def test_extra_subnets_overlapping_are_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((topology.TOPOLOGIES_DIR / "isolation.yml").read_text(encoding="utf-8"))
    nets = [
        {**n, "subnets": ["10.2.11.128/25"]} if n["name"] == "dmz" else n for n in data["networks"]
    ]
    with pytest.raises(LabError, match="networks dmz and mgmt overlap"):
        _variant(tmp_path, {"networks": nets})


def test_gateway_must_be_an_inventory_isolation_gateway(tmp_path: Path, example: Inventory) -> None:
    data = yaml.safe_load((topology.TOPOLOGIES_DIR / "isolation.yml").read_text(encoding="utf-8"))
    hosts = [{**h, "name": "gw-x"} if h["name"] == "isogw01" else h for h in data["hosts"]]
    topo = _variant(tmp_path, {"hosts": hosts})
    with pytest.raises(probe.ProbeError, match="'gw-x' is not an isolation gateway"):
        probe.deployed_ruleset(topo, example)


def _answer(
    src: str, dst: str, svc: str, observed: bool, verifier: bool, policy: bool
) -> probe.Answer:
    proto, port = svc.split("/")
    s = probe.Point(src, A("10.0.0.1"), 24, "zone")
    d = probe.Point(dst, A("10.0.1.1"), 24, "zone")
    return probe.Answer(
        probe.Sample(s, d, probe.Service(proto, int(port))),
        observed,
        "gw.nft:7 [flow x]" if verifier else None,
        "flow x" if policy else None,
    )


def test_report_matrices_and_differences() -> None:
    answers = (
        _answer("lgwan", "internet", "tcp/3389", True, True, True),
        _answer("lgwan", "internet", "tcp/22", False, False, False),
        # a hole both the probes and the verifier see, the policy does not allow
        _answer("lgwan", "mynumber", "tcp/3389", True, True, False),
        # a path lost on the wire that the verifier still believes open
        _answer("mgmt", "lgwan", "udp/123", False, True, True),
    )
    report = probe.ProbeReport(("lgwan", "internet", "mynumber", "mgmt"), answers, "gw", (), 0.1)
    assert report.matrix("observed") == {
        ("lgwan", "internet"): ("tcp/3389",),
        ("lgwan", "mynumber"): ("tcp/3389",),
        ("mgmt", "lgwan"): (),
    }
    assert report.matrix("policy")[("lgwan", "mynumber")] == ()
    assert report.matrix("verifier")[("mgmt", "lgwan")] == ("udp/123",)
    assert [d.sample.service.port for d in report.differences] == [3389, 123]
    assert not report.ok
    text = probe.report_text(report)
    assert "2 difference(s)" in text
    assert "observed open; verifier gw.nft:7 [flow x]; policy closed" in text
    assert "observed closed; verifier gw.nft:7 [flow x]; policy flow x" in text
    agreeing = probe.ProbeReport(("lgwan", "internet"), answers[:2], "gw", (), 0.1)
    assert agreeing.ok
    assert "0 difference(s)" in probe.report_text(agreeing)


def test_probing_a_lab_that_is_not_up_says_how_to_bring_it_up(tmp_path: Path) -> None:
    require_tool("podman")
    topo = _variant(tmp_path, {})  # "v": no container of that name runs
    with pytest.raises(probe.ProbeError, match=r"not up .*\./inv lab\.up --topology v"):
        probe.require_up(topo)


def test_report_counts_what_the_gateway_dropped() -> None:
    answers = (
        _answer("lgwan", "internet", "tcp/3389", True, True, True),
        _answer("lgwan", "internet", "tcp/22", False, False, False),
        _answer("lgwan", "mynumber", "udp/161", False, False, False),
    )
    report = probe.ProbeReport(("lgwan", "internet", "mynumber"), answers, "gw", (), 0.1, 3)
    assert report.closed == 2
    assert "2 sample(s) closed; the gateway's default deny dropped 3 packet(s)" in (
        probe.report_text(report)
    )
