"""Each policy on a plan recorded under the mocks: a passing case and a failing case."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_proxmoxve as proxmoxve
import pulumi_vsphere as vs
import pytest

from ictinfra.cloud.backends import proxmox, vsphere
from ictinfra.cloud.policies import POLICIES, Violation, evaluate
from ictinfra.cloud.program import Built
from ictinfra.inventory import Inventory, load_inventory
from tests.cloud.conftest import ROOT, settings
from tests.cloud.helpers import cached, run

BACKENDS = ["vsphere", "proxmox"]


def _violations(backend: str, inv: Inventory, **kwargs: object) -> tuple[Violation, ...]:
    if not kwargs:
        return evaluate(cached(settings(backend, hosts="all"), inv)[0])
    plan, _ = run(settings(backend, hosts="all"), inv, **kwargs)  # type: ignore[arg-type]
    return evaluate(plan)


def _of(policy: str, found: tuple[Violation, ...]) -> list[str]:
    return [v.message for v in found if v.policy == policy]


def test_the_pack_has_the_five_policies() -> None:
    assert [p.name for p in POLICIES] == [
        "vm-single-zone",
        "mynumber-not-routed-to-internet",
        "vm-backup-class",
        "anti-affinity-separate-hosts",
        "vm-within-host-capacity",
    ]
    main = (ROOT / "stacks" / "policy" / "__main__.py").read_text(encoding="utf-8")
    assert "PolicyPack(" in main
    assert "policies=list(POLICIES)" in main
    assert (ROOT / "stacks" / "policy" / "PulumiPolicy.yaml").is_file()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("inventory", ["minimal", "example"])
def test_clean_plans_pass_every_policy(
    backend: str, inventory: str, request: pytest.FixtureRequest
) -> None:
    assert _violations(backend, request.getfixturevalue(inventory)) == ()


def _rogue(backend: str, segments: list[str], tags: bool = False) -> Callable[[Built], object]:
    """A VM added by hand next to the built stack, on the given segments."""

    def add(b: Built) -> None:
        refs = [b.networks[s][1] for s in segments]
        parent = pulumi.ResourceOptions(parent=next(iter(b.systems.values())))
        if backend == "vsphere":
            vs.VirtualMachine(
                "rogue",
                name="rogue",
                resource_pool_id="rp",
                num_cpus=2,
                memory=2048,
                network_interfaces=[
                    vs.VirtualMachineNetworkInterfaceArgs(network_id=r) for r in refs
                ],
                opts=parent,
            )
        else:
            proxmoxve.VmLegacy(
                "rogue",
                name="rogue",
                node_name="esx-01",
                network_devices=[proxmoxve.VmLegacyNetworkDeviceArgs(bridge=r) for r in refs],
                tags=["backup-daily"] if tags else [],
                opts=parent,
            )

    return add


@pytest.mark.parametrize("backend", BACKENDS)
def test_vm_on_two_zones_fails(backend: str, minimal: Inventory) -> None:
    found = _violations(backend, minimal, extra=_rogue(backend, ["dc-lgwan", "dc-internet"]))
    assert _of("vm-single-zone", found) == ["VM rogue is attached to 2 zones: internet, lgwan"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_vm_without_backup_class_fails(backend: str, minimal: Inventory) -> None:
    found = _violations(backend, minimal, extra=_rogue(backend, ["dc-lgwan"]))
    assert _of("vm-backup-class", found) == ["VM rogue has no backup class tag"]
    assert _of("vm-single-zone", found) == []  # one zone: that policy stays quiet


@pytest.mark.parametrize("backend", BACKENDS)
def test_mynumber_vm_on_a_segment_routed_to_the_internet_fails(
    backend: str, minimal_inventory: Path, edit: Callable[[Path, str, str], None]
) -> None:
    edit(
        minimal_inventory / "flows.yml",
        "flows:\n",
        "flows:\n  - {id: mn-out, source_zone: mynumber, destination_zone: internet, "
        "services: [{protocol: tcp, port: 443}], via: direct, reason: a mistake}\n",
    )
    found = _violations(backend, load_inventory(minimal_inventory))
    assert sorted(_of("mynumber-not-routed-to-internet", found)) == [
        f"My Number VM {vm} is on segment 'dc-mynumber', which routes to the internet zone"
        for vm in ("tax-ap01", "tax-ap02")
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_sanitised_paths_do_not_count_as_routes(
    backend: str, minimal_inventory: Path, edit: Callable[[Path, str, str], None]
) -> None:
    edit(
        minimal_inventory / "flows.yml",
        "flows:\n",
        "flows:\n  - {id: mn-files, source_zone: mynumber, destination_zone: internet, "
        "services: [{protocol: tcp, port: 443}], via: file_sanitiser, reason: sanitised files}\n",
    )
    assert _violations(backend, load_inventory(minimal_inventory)) == ()


@pytest.mark.parametrize("backend", BACKENDS)
def test_redundant_vms_on_one_host_fail(backend: str, minimal: Inventory) -> None:
    _, built = run(settings(backend, hosts="all"), minimal)
    good = built.placement
    bad = dataclasses.replace(
        good, assignment={**good.assignment, "tax-ap02": good.assignment["tax-ap01"]}
    )
    found = _violations(backend, minimal, placement=bad)
    host = good.assignment["tax-ap01"]
    assert _of("anti-affinity-separate-hosts", found) == [
        f"anti-affinity group 'tax-ap': tax-ap01, tax-ap02 share host {host}"
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_vm_larger_than_its_host_and_overloaded_host_fail(
    backend: str, minimal_inventory: Path, edit: Callable[[Path, str, str], None]
) -> None:
    edit(minimal_inventory / "systems.yml", "vcpu: 16, memory_gb: 64", "vcpu: 40, memory_gb: 500")
    inv = load_inventory(minimal_inventory)
    _, built = run(
        settings("vsphere", hosts="all"), load_inventory(ROOT / "tests/fixtures/minimal")
    )
    # the placement of the unedited estate: vb-01 now has 40 vCPU on a 32-core host, and
    # its host carries 500 GB plus whatever else is there
    crowded = dataclasses.replace(
        built.placement, assignment=dict.fromkeys(built.placement.assignment, "esx-01")
    )
    found = _of("vm-within-host-capacity", _violations(backend, inv, placement=crowded))
    assert "VM vb-01 needs 40 vCPU; host esx-01 has 32" in found
    assert any(m.startswith("host esx-01 carries 584 memory GB, more than its 512") for m in found)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_group_without_a_rule_holding_all_its_vms_fails(backend: str, minimal: Inventory) -> None:
    plan, _ = cached(settings(backend, hosts="all"), minimal)
    rule_type = vsphere.RULE_TYPE if backend == "vsphere" else proxmox.HA_RULE_TYPE
    (rule,) = plan.of_type(rule_type)
    members_key = "virtualMachineIds" if backend == "vsphere" else "resources"
    expected = ["anti-affinity group 'tax-ap' has no hypervisor rule keeping its VMs apart"]
    # no rule at all
    without = dataclasses.replace(
        plan, resources=tuple(r for r in plan.resources if r["type"] != rule_type)
    )
    assert _of("anti-affinity-separate-hosts", evaluate(without)) == expected
    # a rule holding only one of the two VMs
    members = rule["propertyDependencies"][members_key]
    assert len(members) == 2
    partial = {**rule, "propertyDependencies": {members_key: members[:1]}}
    halved = dataclasses.replace(
        plan, resources=tuple(partial if r is rule else r for r in plan.resources)
    )
    assert _of("anti-affinity-separate-hosts", evaluate(halved)) == expected
    # the rule as built holds both
    assert _of("anti-affinity-separate-hosts", evaluate(plan)) == []
