"""CrossGuard policies for the cloud stacks, and their offline evaluation.

The same ``POLICIES`` run in two places: in the policy pack (``stacks/policy``) when a
Pulumi CLI previews a stack, and here, offline, on a recorded plan: ``evaluate`` turns
the plan into the ``PolicyResource`` objects CrossGuard would hand over and calls each
policy's ``validate``.

The policies read what the provider resources will carry (networks, tags, host, sizes,
hypervisor rules) and follow dependencies to the intent components (Segment, System,
HostPool), so they judge what would be deployed, not what the inventory meant. A VM's
anti-affinity group is its System's intent; what keeps the group apart is the hypervisor
rule, which the policy requires.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ictinfra.cloud.backends import proxmox, vsphere
from ictinfra.cloud.components import PREFIX
from ictinfra.cloud.record import RecordedPlan

SEGMENT = f"{PREFIX}:Segment"
SYSTEM = f"{PREFIX}:System"
HOST_POOL = f"{PREFIX}:HostPool"
BACKUP_CLASSES = frozenset({"daily", "weekly", "none"})


@dataclass(frozen=True)
class VmFacts:
    resource: PolicyResource
    name: str
    system_zone_kinds: tuple[str, ...]
    segments: tuple[PolicyResource, ...]
    zone_tag: str | None
    backup: str | None
    group: str | None
    host: Mapping[str, Any] | None  # the HostPool entry of its host
    host_ref: str | None
    vcpu: int
    memory_gb: float
    disk_gb: int


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _ancestor(r: PolicyResource, type_: str) -> PolicyResource | None:
    p = r.parent
    while p is not None and p.resource_type != type_:
        p = p.parent
    return p


def _segments(nets: Iterable[PolicyResource]) -> tuple[PolicyResource, ...]:
    out = {}
    for n in nets:
        seg = n if n.resource_type == SEGMENT else _ancestor(n, SEGMENT)
        if seg is not None:
            out[seg.urn] = seg
    return tuple(out[k] for k in sorted(out))


def _vsphere_tags(r: PolicyResource) -> dict[str, str]:
    tags: dict[str, str] = {}
    for tag in r.property_dependencies.get("tags", []):
        cats = tag.property_dependencies.get("categoryId", [])
        if cats:
            tags[str(cats[0].props.get("name"))] = str(tag.props.get("name"))
    return tags


def _proxmox_tags(r: PolicyResource) -> dict[str, str]:
    prefixes = {"zone-": "zone", "backup-": "backup", "aa-": "aa", "system-": "system"}
    tags: dict[str, str] = {}
    for t in r.props.get("tags") or []:
        for prefix, key in prefixes.items():
            if str(t).startswith(prefix):
                tags[key] = str(t)[len(prefix) :]
    return tags


def _group(system: PolicyResource | None, vm: str) -> str | None:
    """The anti-affinity group the VM's System component asks for."""
    for server in (system.props.get("servers") or []) if system is not None else []:
        if server.get("name") == vm:
            group = server.get("antiAffinity")
            return None if group is None else str(group)
    return None


def host_pool(resources: Sequence[PolicyResource]) -> tuple[dict[str, Mapping[str, Any]], float]:
    """Host entries by the reference VMs use, and the vCPU overcommit ratio."""
    for r in resources:
        if r.resource_type == HOST_POOL:
            hosts = {str(h["ref"]): h for h in r.props.get("hosts") or []}
            return hosts, _num(r.props.get("vcpuOvercommit")) or 1.0
    return {}, 1.0


class PlanResources(list[PolicyResource]):
    """The plan's resources, with the VM facts every policy reads computed once."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        super().__init__(resources)
        self.vm_facts = _vm_facts(self)


def vm_facts(resources: Sequence[PolicyResource]) -> list[VmFacts]:
    """The facts of every VM; computed once per plan when ``evaluate`` hands the policies
    a ``PlanResources`` (the CrossGuard engine hands a plain list: computed per policy)."""
    if isinstance(resources, PlanResources):
        return resources.vm_facts
    return _vm_facts(resources)


def _vm_facts(resources: Sequence[PolicyResource]) -> list[VmFacts]:
    hosts, _ = host_pool(resources)
    out: list[VmFacts] = []
    for r in resources:
        p = r.props
        if r.resource_type == vsphere.VM_TYPE:
            nets = r.property_dependencies.get("networkInterfaces", [])
            tags = _vsphere_tags(r)
            tags = {k.removeprefix("ictinfra-"): v for k, v in tags.items()}
            ref = p.get("hostSystemId")
            vcpu = int(_num(p.get("numCpus")))
            memory = _num(p.get("memory")) / 1024
        elif r.resource_type == proxmox.VM_TYPE:
            nets = r.property_dependencies.get("networkDevices", [])
            tags = _proxmox_tags(r)
            ref = p.get("nodeName")
            cpu = p.get("cpu") or {}
            vcpu = int(_num(cpu.get("cores")) * max(_num(cpu.get("sockets")), 1.0))
            memory = _num((p.get("memory") or {}).get("dedicated")) / 1024
        else:
            continue
        system = _ancestor(r, SYSTEM)
        name = str(p.get("name") or r.name)
        out.append(
            VmFacts(
                resource=r,
                name=name,
                system_zone_kinds=tuple(system.props.get("zoneKinds") or ()) if system else (),
                segments=_segments(nets),
                zone_tag=tags.get("zone"),
                backup=tags.get("backup"),
                group=_group(system, name),
                host=hosts.get(str(ref)) if ref is not None else None,
                host_ref=None if ref is None else str(ref),
                vcpu=vcpu,
                memory_gb=memory,
                disk_gb=int(sum(_num(d.get("size")) for d in p.get("disks") or [])),
            )
        )
    return out


# --- the policies ---------------------------------------------------------------------


def _single_zone(args: StackValidationArgs, report: ReportViolation) -> None:
    for vm in vm_facts(args.resources):
        zones = sorted({str(s.props.get("zone")) for s in vm.segments})
        if not vm.segments:
            report(f"VM {vm.name} is attached to no inventory segment", vm.resource.urn)
        elif len(zones) > 1:
            report(
                f"VM {vm.name} is attached to {len(zones)} zones: {', '.join(zones)}",
                vm.resource.urn,
            )
        elif vm.zone_tag is not None and vm.zone_tag != zones[0]:
            report(
                f"VM {vm.name} is tagged zone '{vm.zone_tag}' but sits in zone '{zones[0]}'",
                vm.resource.urn,
            )


def _mynumber_not_routed(args: StackValidationArgs, report: ReportViolation) -> None:
    for vm in vm_facts(args.resources):
        mynumber = "mynumber" in vm.system_zone_kinds or any(
            s.props.get("zoneKind") == "mynumber" for s in vm.segments
        )
        if not mynumber:
            continue
        for seg in vm.segments:
            if seg.props.get("routesToInternet"):
                report(
                    f"My Number VM {vm.name} is on segment '{seg.props.get('segment')}', "
                    "which routes to the internet zone",
                    vm.resource.urn,
                )


def _backup_class(args: StackValidationArgs, report: ReportViolation) -> None:
    for vm in vm_facts(args.resources):
        if vm.backup is None:
            report(f"VM {vm.name} has no backup class tag", vm.resource.urn)
        elif vm.backup not in BACKUP_CLASSES:
            report(f"VM {vm.name} has an unknown backup class '{vm.backup}'", vm.resource.urn)


def _rule_members(resources: Sequence[PolicyResource]) -> list[set[str]]:
    rules = []
    for r in resources:
        if r.resource_type == vsphere.RULE_TYPE and r.props.get("mandatory"):
            rules.append({d.urn for d in r.property_dependencies.get("virtualMachineIds", [])})
        elif r.resource_type == proxmox.HA_RULE_TYPE and r.props.get("affinity") == "negative":
            rules.append({d.urn for d in r.property_dependencies.get("resources", [])})
    return rules


def _anti_affinity(args: StackValidationArgs, report: ReportViolation) -> None:
    groups: dict[str, list[VmFacts]] = defaultdict(list)
    for vm in vm_facts(args.resources):
        if vm.group is not None:
            groups[vm.group].append(vm)
    rules = _rule_members(args.resources)
    # Rules by member: a group's rule must contain its first VM, so only those are tried
    # (trying every rule for every group grew with the square of the estate).
    rules_of: dict[str, list[set[str]]] = defaultdict(list)
    for rule in rules:
        for urn in rule:
            rules_of[urn].append(rule)
    for group, members in sorted(groups.items()):
        by_host: dict[str, list[str]] = defaultdict(list)
        for vm in members:
            host = str(vm.host["name"]) if vm.host is not None else (vm.host_ref or "?")
            by_host[host].append(vm.name)
        for host, names in sorted(by_host.items()):
            if len(names) > 1:
                report(
                    f"anti-affinity group '{group}': {', '.join(sorted(names))} share host {host}",
                    members[0].resource.urn,
                )
        urns = {vm.resource.urn for vm in members}
        first = members[0].resource.urn
        if len(members) > 1 and not any(urns <= rule for rule in rules_of[first]):
            report(
                f"anti-affinity group '{group}' has no hypervisor rule keeping its VMs apart",
                members[0].resource.urn,
            )


def _host_capacity(args: StackValidationArgs, report: ReportViolation) -> None:
    _, ratio = host_pool(args.resources)
    load: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    hosts: dict[str, Mapping[str, Any]] = {}
    for vm in vm_facts(args.resources):
        h = vm.host
        if h is None:
            report(
                f"VM {vm.name} is on host '{vm.host_ref}', which is not in the host pool",
                vm.resource.urn,
            )
            continue
        name = str(h["name"])
        hosts[name] = h
        for label, need, have in (
            ("vCPU", vm.vcpu, _num(h.get("cores"))),
            ("memory GB", vm.memory_gb, _num(h.get("memoryGb"))),
            ("storage GB", vm.disk_gb, _num(h.get("storageGb"))),
        ):
            if need > have:
                report(
                    f"VM {vm.name} needs {need:g} {label}; host {name} has {have:g}",
                    vm.resource.urn,
                )
        for d, v in enumerate((vm.vcpu, vm.memory_gb, vm.disk_gb)):
            load[name][d] += v
    for name, (v, m, s) in sorted(load.items()):
        h = hosts[name]
        caps = (
            math.floor(_num(h.get("cores")) * ratio),
            _num(h.get("memoryGb")),
            _num(h.get("storageGb")),
        )
        for label, used, cap in (
            ("vCPU", v, caps[0]),
            ("memory GB", m, caps[1]),
            ("storage GB", s, caps[2]),
        ):
            if used > cap:
                report(f"host {name} carries {used:g} {label}, more than its {cap:g}", None)


POLICIES: tuple[StackValidationPolicy, ...] = (
    StackValidationPolicy(
        name="vm-single-zone",
        description="No VM is attached to two zones.",
        validate=_single_zone,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="mynumber-not-routed-to-internet",
        description="No My Number VM is on a segment that routes to the internet zone.",
        validate=_mynumber_not_routed,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="vm-backup-class",
        description="Every VM has a backup class.",
        validate=_backup_class,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="anti-affinity-separate-hosts",
        description=(
            "Redundant VMs of one system never share a host; a hypervisor rule keeps them apart."
        ),
        validate=_anti_affinity,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="vm-within-host-capacity",
        description="Every VM fits its host, and no host carries more than its capacity.",
        validate=_host_capacity,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
)


# --- offline evaluation ---------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Violation:
    policy: str
    message: str
    urn: str

    def __str__(self) -> str:
        return f"[{self.policy}] {self.message}"


def policy_resources(plan: RecordedPlan) -> list[PolicyResource]:
    """The recorded plan as CrossGuard's ``PolicyResource`` graph (parents, dependencies)."""
    none = PolicyCustomTimeouts(0, 0, 0)
    made: dict[str, PolicyResource] = {}
    for r in plan.resources:
        opts = r["options"]
        made[r["urn"]] = PolicyResource(
            resource_type=r["type"],
            props=r["inputs"],
            urn=r["urn"],
            name=r["name"],
            opts=PolicyResourceOptions(
                protect=bool(opts.get("protect", False)),
                ignore_changes=list(opts.get("ignoreChanges", [])),
                delete_before_replace=opts.get("deleteBeforeReplace"),
                aliases=list(opts.get("aliases", [])),
                custom_timeouts=none,
                additional_secret_outputs=list(opts.get("additionalSecretOutputs", [])),
                parent=r["parent"] or None,
            ),
            provider=None,
            parent=None,
            dependencies=[],
            property_dependencies={},
        )
    for r in plan.resources:
        res = made[r["urn"]]
        res.parent = made.get(r["parent"])
        res.dependencies = [made[u] for u in r["dependencies"] if u in made]
        res.property_dependencies = {
            k: [made[u] for u in urns if u in made] for k, urns in r["propertyDependencies"].items()
        }
        prov = made.get(r["provider"])
        if prov is not None:
            res.provider = PolicyProviderResource(
                prov.resource_type, prov.props, prov.urn, prov.name
            )
    return list(made.values())


def evaluate(
    plan: RecordedPlan, policies: Sequence[StackValidationPolicy] = POLICIES
) -> tuple[Violation, ...]:
    """Run every policy's ``validate`` on the plan; all violations, sorted."""
    resources = PlanResources(policy_resources(plan))
    found: list[Violation] = []
    for policy in policies:

        def report(message: str, urn: str | None = None, _name: str = policy.name) -> None:
            found.append(Violation(_name, message, urn or ""))

        result = policy.validate(StackValidationArgs(resources), report)
        if result is not None:  # our policies are synchronous; a coroutine would be a bug
            raise TypeError(f"policy {policy.name} returned an awaitable")
    return tuple(sorted(set(found)))
