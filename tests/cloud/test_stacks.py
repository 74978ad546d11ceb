"""Both backends under Pulumi's mocks: the resources match the inventory, the recorded plan
has parents and dependencies, secrets are masked, and two plans are byte-identical."""

from __future__ import annotations

import json
import os
import runpy
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi_proxmoxve as proxmoxve
import pulumi_vsphere as vsphere_sdk
import pytest

from ictinfra.cloud.backends import proxmox, vsphere
from ictinfra.cloud.backends.base import lean
from ictinfra.cloud.errors import PlanRecordError
from ictinfra.cloud.record import RecordedPlan, mock_id, mock_number, record
from ictinfra.cloud.stacks import discover
from ictinfra.cloud.step import cloud_step
from ictinfra.inventory import Inventory, load_inventory
from tests.cloud.conftest import ROOT, settings
from tests.cloud.helpers import SECRET, cached, run

VM_TYPES = {"vsphere": vsphere.VM_TYPE, "proxmox": proxmox.VM_TYPE}
NIC = {"vsphere": "networkInterfaces", "proxmox": "networkDevices"}


def _by_urn(plan: RecordedPlan) -> dict[str, Mapping[str, Any]]:
    return plan.by_urn()


def _segment_of(plan: RecordedPlan, vm: Mapping[str, Any], backend: str) -> Mapping[str, Any]:
    """Follow the VM's NIC dependency to the network resource and up to its Segment."""
    urns = _by_urn(plan)
    (net_urn,) = vm["propertyDependencies"][NIC[backend]]
    return urns[urns[net_urn]["parent"]]


@pytest.mark.parametrize("backend", ["vsphere", "proxmox"])
@pytest.mark.parametrize("inventory", ["minimal", "example"])
def test_one_vm_per_server_in_its_zone_and_segment(
    backend: str, inventory: str, request: pytest.FixtureRequest
) -> None:
    inv: Inventory = request.getfixturevalue(inventory)
    plan, built = cached(settings(backend, hosts="all"), inv)
    vms = plan.of_type(VM_TYPES[backend])
    servers = {
        s.name: (x, s)
        for x in inv.systems
        if x.consolidation.batch.value != "none"
        for s in x.servers
    }
    assert sorted(v["inputs"]["name"] for v in vms) == sorted(servers)
    urns = _by_urn(plan)
    for vm in vms:
        system, server = servers[vm["inputs"]["name"]]
        seg = _segment_of(plan, vm, backend)
        assert seg["type"] == "ictinfra:cloud:Segment"
        assert seg["inputs"]["segment"] == server.segment
        assert seg["inputs"]["zone"] == inv.zone_of_segment(server.segment).id
        parent = urns[vm["parent"]]
        assert parent["type"] == "ictinfra:cloud:System"
        assert parent["inputs"]["system"] == system.id
        host = built.placement.assignment[server.name]
        if backend == "vsphere":
            assert vm["inputs"]["numCpus"] == server.vcpu
            assert vm["inputs"]["memory"] == server.memory_gb * 1024
            assert vm["inputs"]["hostSystemId"] == f"getHost-{host}"
            assert [d["size"] for d in vm["inputs"]["disks"]] == [d.size_gb for d in server.disks]
            # the system and the anti-affinity group as custom attributes, keyed by the
            # attribute definitions' ids, which the VM depends on
            attrs = {
                mock_id(vsphere.ATTRIBUTE_TYPE, "ictinfra-system"): system.id,
                mock_id(vsphere.ATTRIBUTE_TYPE, "ictinfra-aa"): server.anti_affinity or "",
            }
            assert vm["inputs"]["customAttributes"] == attrs
            defs = [urns[u] for u in vm["propertyDependencies"]["customAttributes"]]
            assert sorted(d["inputs"]["name"] for d in defs) == ["ictinfra-aa", "ictinfra-system"]
            assert {d["type"] for d in defs} == {vsphere.ATTRIBUTE_TYPE}
            assert {d["inputs"]["managedObjectType"] for d in defs} == {"VirtualMachine"}
        else:
            assert vm["inputs"]["cpu"]["cores"] == server.vcpu
            assert vm["inputs"]["memory"]["dedicated"] == server.memory_gb * 1024
            assert vm["inputs"]["nodeName"] == host
            assert f"backup-{server.backup_class}" in vm["inputs"]["tags"]


@pytest.mark.parametrize("backend", ["vsphere", "proxmox"])
def test_plan_has_parents_dependencies_and_providers(backend: str, example: Inventory) -> None:
    plan, _ = cached(settings(backend, hosts="all"), example)
    urns = _by_urn(plan)
    platform = [r for r in plan.resources if r["type"] == "ictinfra:cloud:Platform"]
    assert len(platform) == 1
    for r in plan.resources:
        if r is not platform[0]:
            assert r["parent"] in urns, f"{r['urn']} has no recorded parent"
        for dep in r["dependencies"]:
            assert dep in urns
        if r["custom"] and not r["type"].startswith("pulumi:providers:"):
            assert (
                urns[r["provider"]]["type"]
                == f"pulumi:providers:{'proxmoxve' if backend == 'proxmox' else 'vsphere'}"
            )
    # layers of intent: the isolation and mail gateway layers hold their systems
    layers = {r["type"].rsplit(":", 1)[-1]: r for r in plan.resources if "Layer" in r["type"]}
    assert set(layers) == {"IsolationLayer", "MailGatewayLayer"}
    for layer in layers.values():
        children = [r for r in plan.resources if r["parent"] == layer["urn"]]
        assert {c["inputs"]["system"] for c in children} == set(layer["inputs"]["systems"])
    # anti-affinity rules depend on the VMs they keep apart
    rule_type = vsphere.RULE_TYPE if backend == "vsphere" else proxmox.HA_RULE_TYPE
    rules = plan.of_type(rule_type)
    groups = {s.anti_affinity for x in example.systems for s in x.servers if s.anti_affinity}
    assert len(rules) == len(groups)
    for rule in rules:
        deps = [urns[u] for u in rule["dependencies"]]
        assert len(deps) >= 2
        assert all(d["type"] == VM_TYPES[backend] for d in deps)


@pytest.mark.parametrize("backend", ["vsphere", "proxmox"])
def test_secrets_are_masked_and_plans_are_byte_identical(backend: str, minimal: Inventory) -> None:
    first, _ = run(settings(backend), minimal)
    second, _ = run(settings(backend), minimal)
    text = first.to_json()
    assert text == second.to_json()
    assert SECRET not in text
    provider = next(r for r in first.resources if r["type"].startswith("pulumi:providers:"))
    assert provider["inputs"]["password"] == "[secret]"
    assert first.config["password"] == "[secret]"
    doc = json.loads(text)
    assert doc["summary"]["resources"] == len(doc["resources"])


def test_recorder_masks_secrets_anywhere_in_inputs() -> None:
    def program() -> None:
        class Box(pulumi.ComponentResource):
            def __init__(self) -> None:
                super().__init__(
                    "test:index:Box", "box", {"nested": {"token": pulumi.Output.secret("hidden-1")}}
                )

        Box()

    plan = record("p", "s", program, {})
    (box,) = plan.of_type("test:index:Box")
    assert box["inputs"] == {"nested": {"token": "[secret]"}}
    assert "hidden-1" not in plan.to_json()


def test_a_failing_program_is_an_error_naming_the_stack() -> None:
    def program() -> None:
        raise ValueError("boom")

    with pytest.raises(PlanRecordError, match="p/s failed under the mocks: boom"):
        record("p", "s", program, {})


def test_every_stack_in_the_repo_plans_the_example_cleanly(example: Inventory) -> None:
    """What ``./inv plan`` does with the example: every stack, policies, coverage."""
    refs = discover()
    assert {r.id for r in refs} >= {"vsphere-prod", "proxmox-prod"}
    out = cloud_step(example)
    assert out.problems == ()
    for ref in refs:
        doc = json.loads(out.artifacts[f"stacks/{ref.id}.plan.json"])
        assert doc["stack"] == ref.stack
        assert doc["resources"]


def test_stack_main_reads_config_and_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stack's own ``__main__.py``, as the CLI would run it: config from Pulumi
    settings, the inventory from the configured path, the password as a secret."""
    stack_dir = tmp_path / "stacks" / "vsphere"
    shutil.copytree(ROOT / "stacks" / "vsphere", stack_dir)
    shutil.copytree(ROOT / "tests" / "fixtures" / "minimal", tmp_path / "inventory")
    ref = next(r for r in discover(tmp_path / "stacks") if r.id == "vsphere-prod")
    from ictinfra.cloud.config import stack_file_config  # noqa: PLC0415

    _, values, _ = stack_file_config(stack_dir, "prod")
    monkeypatch.chdir(stack_dir)
    plan = record(
        ref.project,
        "prod",
        lambda: runpy.run_path(str(stack_dir / "__main__.py")),
        {**values, "password": SECRET},
        ("password",),
    )
    vms = plan.of_type(vsphere.VM_TYPE)
    assert len(vms) == 5  # the minimal inventory's servers
    assert SECRET not in plan.to_json()
    assert os.environ.get("ICTINFRA_VSPHERE_PASSWORD") is None  # never read from the env


def test_an_os_without_a_guest_type_fails_closed(
    minimal_inventory: Path, edit: Callable[[Path, str, str], None]
) -> None:
    edit(minimal_inventory / "systems.yml", "os: Debian 12", "os: Plan 9")
    with pytest.raises(PlanRecordError, match="no guest type for OS 'Plan 9'"):
        run(settings("vsphere"), load_inventory(minimal_inventory))


def test_proxmox_refuses_two_segments_on_one_vlan(
    minimal_inventory: Path, edit: Callable[[Path, str, str], None]
) -> None:
    edit(
        minimal_inventory / "systems.yml",
        "segment: dc-mgmt, address: 10.2.99.21}",
        "segment: dc-mgmt, address: 10.2.99.21}\n"
        "      - {name: bastion-02, role: bastion, vcpu: 2, memory_gb: 4, disks: [{size_gb: 100}], "
        "os: Debian 12, segment: ho-mgmt, address: 10.1.99.21}",
    )
    inv = load_inventory(minimal_inventory)
    with pytest.raises(PlanRecordError, match="share VLAN 900"):
        run(settings("proxmox", hosts="all"), inv)
    # vSphere port groups are per segment: the same inventory plans there
    plan, _ = run(settings("vsphere"), inv)
    assert len(plan.of_type(vsphere.PORT_GROUP_TYPE)) == 5


def test_outputs_resolve_to_inputs_and_the_sdk_is_left_as_found() -> None:
    """The mocks return only computed outputs: every other output must still resolve to
    the input passed in (as outside a preview), and the stack-trace hook comes back."""
    import pulumi.runtime.resource as sdk_resource  # noqa: PLC0415

    hook = sdk_resource._get_stack_trace

    def program() -> None:
        tag = vsphere_sdk.Tag("t", name="zone-lgwan", category_id="cat-1")
        pulumi.ComponentResource(
            "test:index:Echo",
            "echo",
            {"name": tag.name, "category": tag.category_id, "id": tag.id},
        )

    plan = record("p", "s", program, {})
    (echo,) = plan.of_type("test:index:Echo")
    assert echo["inputs"] == {"name": "zone-lgwan", "category": "cat-1", "id": "Tag-t"}
    assert sdk_resource._get_stack_trace is hook

    def broken() -> None:
        raise ValueError("x")

    with pytest.raises(PlanRecordError):
        record("p", "s", broken, {})
    assert sdk_resource._get_stack_trace is hook


def test_lean_registration_sends_what_the_generated_constructors_send() -> None:
    """``lean`` skips the generated constructors' placeholders for provider-computed
    outputs; the engine must receive the very same registrations (type, inputs, options
    with the plugin version, dependencies), and the computed VM id must still resolve."""

    def program(use_lean: bool) -> None:
        vs_provider = vsphere_sdk.Provider("vs", user="u", password="p", vsphere_server="s")
        pve_provider = proxmoxve.Provider("pve", endpoint="https://pve:8006/", insecure=True)
        vs_opts = pulumi.ResourceOptions(provider=vs_provider)
        pve_opts = pulumi.ResourceOptions(provider=pve_provider)
        tag_kw: dict[str, Any] = {"name": "zone-a", "category_id": "cat", "description": "d"}
        vm_kw: dict[str, Any] = {
            "name": "vm-1",
            "resource_pool_id": "rp",
            "num_cpus": 2,
            "memory": 4096,
            "disks": [vsphere_sdk.VirtualMachineDiskArgs(label="disk0", size=40)],
            "network_interfaces": [vsphere_sdk.VirtualMachineNetworkInterfaceArgs(network_id="n")],
        }
        pve_kw: dict[str, Any] = {
            "name": "pve-1",
            "node_name": "node-1",
            "cpu": proxmoxve.VmLegacyCpuArgs(cores=2),
            "tags": ["backup-daily"],
        }
        if use_lean:
            tag = lean(
                vsphere_sdk.Tag, vsphere.TAG_TYPE, "t", vsphere_sdk.TagArgs(**tag_kw), vs_opts
            )
            vm = lean(
                vsphere_sdk.VirtualMachine,
                vsphere.VM_TYPE,
                "vm",
                vsphere_sdk.VirtualMachineArgs(**vm_kw, tags=[tag.id]),
                vs_opts,
            )
            rule_args = vsphere_sdk.ComputeClusterVmAntiAffinityRuleArgs(
                compute_cluster_id="cl", virtual_machine_ids=[vm.id], mandatory=True
            )
            lean(
                vsphere_sdk.ComputeClusterVmAntiAffinityRule,
                vsphere.RULE_TYPE,
                "r",
                rule_args,
                vs_opts,
            )
            pve = lean(
                proxmoxve.VmLegacy,
                proxmox.VM_TYPE,
                "pve",
                proxmoxve.VmLegacyArgs(**pve_kw),
                pve_opts,
                computed=("vm_id",),
            )
            ha = pve.vm_id.apply(lambda i: f"vm:{i}")
            lean(
                proxmoxve.Haresource,
                proxmox.HA_RESOURCE_TYPE,
                "ha",
                proxmoxve.HaresourceArgs(resource_id=ha, state="started"),
                pve_opts,
            )
            lean(
                proxmoxve.Harule,
                proxmox.HA_RULE_TYPE,
                "aa",
                proxmoxve.HaruleArgs(rule="aa", type="resource-affinity", resources=[ha]),
                pve_opts,
            )
        else:
            tag = vsphere_sdk.Tag("t", **tag_kw, opts=vs_opts)
            vm = vsphere_sdk.VirtualMachine("vm", **vm_kw, tags=[tag.id], opts=vs_opts)
            vsphere_sdk.ComputeClusterVmAntiAffinityRule(
                "r",
                compute_cluster_id="cl",
                virtual_machine_ids=[vm.id],
                mandatory=True,
                opts=vs_opts,
            )
            pve = proxmoxve.VmLegacy("pve", **pve_kw, opts=pve_opts)
            ha = pve.vm_id.apply(lambda i: f"vm:{i}")
            proxmoxve.Haresource("ha", resource_id=ha, state="started", opts=pve_opts)
            proxmoxve.Harule(
                "aa", rule="aa", type="resource-affinity", resources=[ha], opts=pve_opts
            )

    generated = record("p", "s", lambda: program(use_lean=False), {}).to_json()
    leaned = record("p", "s", lambda: program(use_lean=True), {}).to_json()
    assert leaned == generated
    doc = json.loads(leaned)
    assert len(doc["resources"]) == 8
    versions = {r["options"].get("version") for r in doc["resources"] if r["custom"]}
    assert None not in versions  # every provider resource names its plugin version
    (ha,) = (r for r in doc["resources"] if r["type"] == proxmox.HA_RESOURCE_TYPE)
    assert ha["inputs"]["resourceId"] == f"vm:{mock_number('pve')}"


def test_plan_text_is_json_with_one_line_per_resource(minimal: Inventory) -> None:
    plan, _ = cached(settings("vsphere"), minimal)
    text = plan.to_json()
    doc = json.loads(text)
    assert doc["resources"] == json.loads(json.dumps(list(plan.resources)))
    assert doc["summary"]["resources"] == len(plan.resources) > 10
    lines = [line.rstrip(",") for line in text.splitlines()]
    for r in plan.resources:
        assert "  " + json.dumps(r, sort_keys=True, ensure_ascii=False) in lines
    assert list(doc) == sorted(doc)
    assert text.endswith("}\n")
