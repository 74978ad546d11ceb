"""Placement: every constraint holds (independent checker), near the lower bound, and an
infeasible estate is refused with a message that says what does not fit."""

from __future__ import annotations

import dataclasses
import math

import pytest

from ictinfra.cloud.errors import PlacementError
from ictinfra.cloud.estate import Estate, HostSpec, VmSpec, estate_from_inventory, synthetic
from ictinfra.cloud.placement import place
from ictinfra.inventory import Inventory
from ictinfra.inventory.model import HypervisorPlatform
from tests.cloud import checker

# The example's hosts are sized for this ratio (inventory/platform/hypervisors.yml).
OVERCOMMIT = 2.5


def _checked(estate: Estate, ratio: float = OVERCOMMIT) -> tuple[int, int]:
    p = place(estate, ratio)
    errors = checker.check(estate, ratio, p.assignment, p.failover, p.hosts_used)
    assert errors == []
    bound = checker.lower_bound(estate, ratio)
    assert p.lower_bound >= bound  # ours is at least as strong as the checker's
    return len(p.hosts_used), p.lower_bound


@pytest.mark.parametrize(
    ("platform", "factor"),
    [
        *(
            (p, f)
            for p in (HypervisorPlatform.VSPHERE, HypervisorPlatform.PROXMOX)
            for f in (1, 10, 100)
        ),
        (None, 1),  # every host: the alternative weighed on the same hardware
        (None, 10),
    ],
)
def test_example_and_synthetic_estates_hold_every_constraint(
    example: Inventory, platform: HypervisorPlatform | None, factor: int
) -> None:
    base = estate_from_inventory(example, platform=platform)
    assert base.vms
    assert base.hosts
    used, bound = _checked(synthetic(base, factor))
    assert used <= math.ceil(bound * 1.10), f"{used} hosts for a lower bound of {bound}"


def test_minimal_inventory(minimal: Inventory) -> None:
    estate = estate_from_inventory(minimal)
    assert {v.name for v in estate.vms} == {s.name for x in minimal.systems for s in x.servers}
    _checked(estate, 4.0)


def test_every_inventory_server_is_placed_once_across_platforms(example: Inventory) -> None:
    names = [
        v.name
        for platform in HypervisorPlatform
        for v in estate_from_inventory(example, platform=platform).vms
    ]
    cloud = [
        s.name for x in example.systems if x.consolidation.batch.value != "none" for s in x.servers
    ]
    assert sorted(names) == sorted(cloud)


def test_vms_stay_on_hosts_of_their_zone(example: Inventory) -> None:
    estate = estate_from_inventory(example, platform=HypervisorPlatform.VSPHERE)
    p = place(estate, OVERCOMMIT)
    hosts = {h.name: h for h in estate.hosts}
    for vm in estate.vms:
        assert vm.zone in hosts[p.assignment[vm.name]].zones


def _host(name: str, cores: int = 16, memory: int = 128, storage: int = 2000) -> HostSpec:
    return HostSpec(name, "cl", cores, memory, storage)


def _vm(name: str, vcpu: int = 4, memory: int = 16, group: str | None = None) -> VmSpec:
    return VmSpec(name, "SYS-001", vcpu, memory, 100, group, "lgwan", "seg")


def test_vm_larger_than_any_host_is_named() -> None:
    estate = Estate((_vm("huge", vcpu=4, memory=512), _vm("ok")), (_host("h1"), _host("h2")))
    with pytest.raises(PlacementError) as err:
        place(estate, 4.0)
    assert "fit no host at all: huge" in str(err.value)


def test_more_vcpu_than_cores_is_refused_even_with_overcommit() -> None:
    estate = Estate((_vm("wide", vcpu=32),), (_host("h1"), _host("h2")))
    with pytest.raises(PlacementError, match="wide"):
        place(estate, 4.0)


def test_anti_affinity_group_larger_than_hosts_minus_one() -> None:
    vms = tuple(_vm(f"ap{i}", group="ap") for i in range(3))
    estate = Estate(vms, (_host("h1"), _host("h2"), _host("h3")))
    with pytest.raises(PlacementError) as err:
        place(estate, 4.0)
    assert "anti-affinity group 'ap' has 3 VMs" in str(err.value)
    assert "needs 4 hosts" in str(err.value)
    # one more host makes it feasible, and the checker agrees
    bigger = dataclasses.replace(estate, hosts=(*estate.hosts, _host("h4")))
    _checked(bigger, 4.0)


def test_capacity_short_with_one_host_failed_says_by_how_much() -> None:
    vms = tuple(_vm(f"vm{i}", vcpu=2, memory=60) for i in range(5))  # 300 GB
    estate = Estate(vms, (_host("h1"), _host("h2"), _host("h3")))  # 256 GB after a failure
    with pytest.raises(PlacementError) as err:
        place(estate, 4.0)
    text = str(err.value)
    assert "memory (GB): the VMs need 300" in text
    assert "short by 44" in text


def test_zone_without_any_host() -> None:
    vm = dataclasses.replace(_vm("mn"), zone="mynumber")
    host = dataclasses.replace(_host("h1"), zones=("lgwan",))
    estate = Estate((vm,), (host, dataclasses.replace(host, name="h2")))
    with pytest.raises(PlacementError, match="no host may run zone"):
        place(estate, 4.0)


def test_single_host_has_no_failover() -> None:
    with pytest.raises(PlacementError, match="N\\+1 needs at least 2 hosts"):
        place(Estate((_vm("a"),), (_host("h1"),)), 4.0)


def test_overcommit_below_one_is_refused() -> None:
    with pytest.raises(PlacementError, match=r"at least 1\.0"):
        place(Estate((_vm("a"),), (_host("h1"), _host("h2"))), 0.5)


def test_placement_is_deterministic(example: Inventory) -> None:
    estate = synthetic(estate_from_inventory(example, platform=HypervisorPlatform.VSPHERE), 3)
    a, b = place(estate, OVERCOMMIT), place(estate, OVERCOMMIT)
    assert a == b


def test_checker_catches_broken_placements(example: Inventory) -> None:
    """The checker is only worth something if it fails on bad input."""
    estate = estate_from_inventory(example, platform=HypervisorPlatform.VSPHERE)
    p = place(estate, OVERCOMMIT)
    ok = dict(p.assignment)

    def errors(assignment: dict[str, str], failover: object = None) -> list[str]:
        fo = p.failover if failover is None else failover
        return checker.check(estate, OVERCOMMIT, assignment, fo, p.hosts_used)  # type: ignore[arg-type]

    # two members of one group on one host
    group = next(v.group for v in estate.vms if v.group)
    a, b = [v.name for v in estate.vms if v.group == group][:2]
    moved = {**ok, b: ok[a]}
    assert any(f"group {group} twice" in e for e in errors(moved))
    # a VM on a host of another zone
    vm = next(v for v in estate.vms if v.zone == "lgwan")
    other = next(h.name for h in estate.hosts if "lgwan" not in h.zones)
    assert any("may not run that zone" in e for e in errors({**ok, vm.name: other}))
    # every VM on one host: capacity
    first = p.hosts_used[0]
    assert any("dimension" in e for e in errors(dict.fromkeys(ok, first)))
    # a failover plan that restarts a VM on the failed host itself
    host = next(h for h in p.hosts_used if p.failover[h])
    victim = next(iter(p.failover[host]))
    bad = {**p.failover, host: {**p.failover[host], victim: host}}
    assert any("not a surviving host" in e for e in errors(ok, bad))
    # a failover plan that forgets a VM
    short = {**p.failover, host: dict(list(p.failover[host].items())[1:])}
    assert any("does not cover exactly" in e for e in errors(ok, short))
