"""The recorder's fast path (``record._fast_sdk`` and ``_InlineLoop``): the same plans as
the plain SDK path, only under the SDK version it was checked against, and the SDK and the
event loop are left as they were found."""

from __future__ import annotations

import asyncio
import importlib.metadata
from typing import Any

import pulumi
import pulumi.log as sdk_log
import pulumi.output as sdk_output
import pulumi.resource as sdk_resource_api
import pulumi.runtime.resource as sdk_resource
import pulumi.runtime.resource_cycle_breaker as sdk_cycles
import pulumi.runtime.rpc as sdk_rpc
import pulumi_proxmoxve as proxmoxve
import pytest

from ictinfra.cloud import record as rec
from ictinfra.cloud.backends import proxmox
from ictinfra.cloud.backends.base import lean
from ictinfra.cloud.errors import PlanRecordError
from ictinfra.cloud.stacks import discover, run_offline
from ictinfra.inventory import Inventory


def test_the_fast_path_is_checked_against_the_installed_sdk() -> None:
    """An SDK upgrade fails here first: re-run tests/cloud, then move FAST_SDK_VERSION."""
    assert importlib.metadata.version("pulumi") == rec.FAST_SDK_VERSION
    assert rec.fast_sdk_available()


def test_another_sdk_version_takes_the_plain_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rec, "FAST_SDK_VERSION", "0.0.0")
    assert not rec.fast_sdk_available()
    seen: list[bool] = []
    monkeypatch.setattr(
        rec, "_fast_sdk", lambda: pytest.fail("the fast path ran under another SDK version")
    )

    def program() -> None:
        seen.append(sdk_rpc.transfer_properties is rec._SDK_TRANSFER)
        pulumi.ComponentResource("test:index:Box", "box", {"a": 1})

    plan = rec.record("p", "s", program, {})
    assert seen == [True]
    assert [r["inputs"] for r in plan.resources] == [{"a": 1}]


@pytest.mark.parametrize("stack", ["vsphere-prod", "vsphere-staging", "proxmox-alternative"])
def test_fast_and_plain_paths_record_the_same_bytes(stack: str, example: Inventory) -> None:
    (ref,) = (r for r in discover() if r.id == stack)
    fast = run_offline(ref, example, fast=True)
    plain = run_offline(ref, example, fast=False)
    assert fast.plan.to_json() == plain.plan.to_json()
    assert len(fast.plan.resources) > 100


def test_the_sdk_and_the_event_loop_are_left_as_found() -> None:
    replaced = {
        (sdk_resource, "create_urn"): sdk_resource.create_urn,
        (sdk_resource, "_get_stack_trace"): sdk_resource._get_stack_trace,
        (sdk_rpc, "transfer_properties"): sdk_rpc.transfer_properties,
        (sdk_rpc, "resolve_outputs"): sdk_rpc.resolve_outputs,
        (sdk_log, "debug"): sdk_log.debug,
        (sdk_rpc, "serialize_properties"): sdk_rpc.serialize_properties,
        (sdk_output, "contains_unknowns"): sdk_output.contains_unknowns,
        (sdk_cycles, "_add_dep"): sdk_cycles._add_dep,
        (sdk_resource_api, "register_resource_outputs"): sdk_resource_api.register_resource_outputs,
    }
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    inside: list[object] = []

    def program() -> None:
        inside.append(asyncio.get_event_loop())
        inside.append(sdk_rpc.transfer_properties)
        pulumi.ComponentResource("test:index:Box", "box", {})

    def broken() -> None:
        raise ValueError("x")

    try:
        rec.record("p", "s", program, {}, fast=True)
        with pytest.raises(PlanRecordError, match="p/s failed under the mocks: x"):
            rec.record("p", "s", broken, {}, fast=True)
        assert isinstance(inside[0], rec._InlineLoop)  # the fast path really ran
        assert inside[1] is not replaced[(sdk_rpc, "transfer_properties")]
        for (module, name), original in replaced.items():
            assert getattr(module, name) is original, name
        assert asyncio.get_event_loop() is loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_a_lean_handle_has_only_the_outputs_the_program_reads() -> None:
    """Under the fast path the computed VM id resolves (HA names it); an input the program
    never reads has no output on the handle (the SDK's getter gives None): a program that
    starts reading one makes ``test_fast_and_plain_paths_record_the_same_bytes`` fail."""
    handles: list[pulumi.CustomResource] = []

    def program() -> None:
        provider = proxmoxve.Provider("pve", endpoint="https://pve:8006/", insecure=True)
        vm = lean(
            proxmoxve.VmLegacy,
            proxmox.VM_TYPE,
            "vm",
            proxmoxve.VmLegacyArgs(name="vm-1", node_name="node-1"),
            pulumi.ResourceOptions(provider=provider),
            computed=("vm_id",),
        )
        handles.append(vm)
        pulumi.ComponentResource(
            "test:index:Echo", "echo", {"ha": vm.vm_id.apply(lambda i: f"vm:{i}"), "id": vm.id}
        )

    plan = rec.record("p", "s", program, {}, fast=True)
    (echo,) = plan.of_type("test:index:Echo")
    assert echo["inputs"] == {"ha": f"vm:{rec.mock_number('vm')}", "id": "VmLegacy-vm"}
    (vm,) = plan.of_type(proxmox.VM_TYPE)
    assert vm["inputs"] == {"name": "vm-1", "nodeName": "node-1"}
    assert handles[0].node_name is None  # type: ignore[attr-defined]
    assert isinstance(handles[0].vm_id, pulumi.Output)  # type: ignore[attr-defined]


def test_a_mock_value_that_would_wait_is_an_error() -> None:
    async def waits() -> None:
        await asyncio.sleep(0)

    with pytest.raises(PlanRecordError, match="had to wait"):
        rec._now(waits())


def test_plain_struct_reads_what_message_to_dict_and_clean_read() -> None:
    from google.protobuf import json_format, struct_pb2  # noqa: PLC0415

    st = struct_pb2.Struct()
    st.update(
        {
            "name": "vm-1",
            "count": 4.0,
            "ratio": 2.5,
            "on": True,
            "off": False,
            "none": None,
            "unknown": rec._UNKNOWN,
            "list": [1.0, "a", None, {"x": [2.0, 0.5]}, []],
            "secret": {rec._SIG_KEY: rec._SECRET_SIG, "value": "hidden"},
            "ref": {rec._SIG_KEY: rec._RESOURCE_SIG, "urn": "urn:pulumi:s::p::t::n", "id": "i"},
            "bare_ref": {rec._SIG_KEY: rec._RESOURCE_SIG},
            "other_sig": {rec._SIG_KEY: "something-else", "value": 3.0},
            "nested": {"deep": {"deeper": {"token": {rec._SIG_KEY: rec._SECRET_SIG}}}},
            "empty": {},
        }
    )
    expected = rec.clean(json_format.MessageToDict(st, preserving_proto_field_name=True))
    assert rec.plain_struct(st) == expected
    assert expected["secret"] == rec.MASK
    assert expected["ref"] == {"$ref": "urn:pulumi:s::p::t::n"}
    assert expected["count"] == 4
    assert type(rec.plain_struct(st)["count"]) is int
    assert rec.plain_struct(st)["unknown"] == "[unknown]"


def test_wire_names_inputs_as_the_sdk_does() -> None:
    """``wire`` reads the Args' own values and names them by the SDK's metadata; the SDK's
    ``input_type_to_dict`` (applied all the way down) must agree, unset values left out."""
    import pulumi_vsphere as vs  # noqa: PLC0415
    from pulumi import _types  # noqa: PLC0415

    from ictinfra.cloud.backends.base import wire  # noqa: PLC0415

    def sdk(value: object) -> object:
        if _types.is_input_type(type(value)):
            return {k: sdk(v) for k, v in _types.input_type_to_dict(value).items()}
        if isinstance(value, list):
            return [sdk(v) for v in value]
        return value

    ref: Any = object()  # stands for an Output: anything not an Args type passes through
    samples: list[object] = [
        vs.VirtualMachineArgs(
            resource_pool_id="rp",
            name="vm-1",
            num_cpus=2,
            wait_for_guest_net_timeout=0,
            disks=[
                vs.VirtualMachineDiskArgs(label="disk0", size=40, thin_provisioned=False),
                vs.VirtualMachineDiskArgs(label="disk1", unit_number=1, size=100),
            ],
            network_interfaces=[vs.VirtualMachineNetworkInterfaceArgs(network_id=ref)],
            custom_attributes={"id-1": "SYS-1"},
        ),
        proxmoxve.VmLegacyArgs(
            node_name="n1",
            cpu=proxmoxve.VmLegacyCpuArgs(cores=2, sockets=1),
            memory=proxmoxve.VmLegacyMemoryArgs(dedicated=4096),
            tags=["a", "b"],
            on_boot=True,
        ),
    ]
    for args in samples:
        wired = wire(args)
        assert wired == sdk(args)
    assert wired["cpu"] == {"cores": 2, "sockets": 1}
    assert "vmId" not in wired  # unset: left out
    vm = wire(samples[0])
    assert vm["networkInterfaces"][0]["networkId"] is ref
    assert vm["disks"][0]["thinProvisioned"] is False  # False is a value, not unset
    assert vm["waitForGuestNetTimeout"] == 0


def test_plain_serialiser_sends_what_the_sdk_sends() -> None:
    """Inputs of every kind the plain serialiser takes (secrets, unknowns, Outputs inside
    lists and dicts, dependencies through Outputs) and kinds it leaves to the SDK (an
    enum, a resource reference): both paths record the same registrations."""
    import enum  # noqa: PLC0415

    class Colour(str, enum.Enum):
        RED = "red"

    class Marked(pulumi.ComponentResource):
        def __init__(self, name: str, props: dict[str, Any]) -> None:
            self.__dict__[rec.READS_ATTR] = frozenset()
            super().__init__("test:index:Marked", name, props)

    def program() -> None:
        dep = pulumi.CustomResource("test:index:Dep", "dep", {"x": 1})
        loop = asyncio.get_event_loop()
        value, known = loop.create_future(), loop.create_future()
        value.set_result("later")
        known.set_result(False)
        unknown: pulumi.Output[str] = pulumi.Output(set(), value, known)
        Marked(
            "plain",
            {
                "s": "text",
                "n": 3,
                "f": 2.5,
                "b": False,
                "none": None,
                "secret": pulumi.Output.secret("hidden-2"),
                "unknown": unknown,
                "nested": [{"id": dep.id, "deeper": [pulumi.Output.from_input({"k": dep.urn})]}],
                "empty": {},
            },
        )
        Marked("enum", {"colour": Colour.RED, "s": "x"})
        Marked("ref", {"dep": dep, "s": "x"})

    fast = rec.record("p", "s", program, {}, fast=True)
    plain = rec.record("p", "s", program, {}, fast=False)
    assert fast.to_json() == plain.to_json()
    marked = {r["name"]: r for r in fast.of_type("test:index:Marked")}
    assert marked["plain"]["inputs"]["secret"] == rec.MASK
    assert marked["plain"]["inputs"]["unknown"] == "[unknown]"
    assert marked["plain"]["propertyDependencies"]["nested"] == [
        "urn:pulumi:s::p::test:index:Dep::dep"
    ]
    assert marked["enum"]["inputs"]["colour"] == "red"
    assert marked["ref"]["inputs"]["dep"] == {"$ref": "urn:pulumi:s::p::test:index:Dep::dep"}


def test_as_recorded_reads_what_plain_struct_reads_of_the_same_inputs() -> None:
    from google.protobuf import struct_pb2  # noqa: PLC0415

    value = {
        "name": "vm-1",
        "count": 4,
        "big": 2**60 + 1,  # a double on the wire: recorded as the wire has it
        "ratio": 2.5,
        "whole": 3.0,
        "on": True,
        "none": None,
        "unknown": rec._UNKNOWN,
        "list": [1, "a", None, {"x": [2.0, 0.5]}, []],
        "secret": {rec._SIG_KEY: rec._SECRET_SIG, "value": "hidden"},
        "other_sig": {rec._SIG_KEY: "something-else", "value": 3},
        "empty": {},
    }
    st = struct_pb2.Struct()
    st.update(value)
    assert rec.as_recorded(value) == rec.plain_struct(st)
    assert rec.as_recorded(value)["big"] == int(float(2**60 + 1))
    with pytest.raises(TypeError, match="not a serialised input"):
        rec.as_recorded({"x": object()})


def test_inputs_offered_twice_under_one_name_are_read_from_the_wire() -> None:
    monitor = rec.RecordingMonitor(rec.OfflineMocks(), inline=True)
    monitor.offer_inputs("t:i:T", "n", {"a": 1})
    assert monitor._offered[("t:i:T", "n")] == {"a": 1}
    monitor.offer_inputs("t:i:T", "n", {"a": 2})
    assert monitor._offered[("t:i:T", "n")] is None  # which is which: unknown


def test_scalar_values_are_known_and_unknowns_are_still_found() -> None:
    unknown = sdk_output.UNKNOWN
    for value in ("s", 0, 2.5, True, None):
        assert rec._scalar_known(value) is False
    assert rec._scalar_known({"a": [1, unknown]}) is True
    assert rec._scalar_known(unknown) is True
    assert rec._scalar_known({"a": [1, "x"]}) is False
