"""What a hypervisor backend provides to the intent components.

A backend turns intent (a segment, a VM on a host, an anti-affinity group) into its
provider's resources. Everything backend-specific lives in its module; the components
never test which backend they have.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi
from pulumi import _types as sdk_types

from ictinfra.cloud.config import StackConfig
from ictinfra.cloud.estate import HostSpec
from ictinfra.cloud.record import READS_ATTR
from ictinfra.inventory.model import Segment, Server, System, Zone


@dataclass(frozen=True)
class VmIntent:
    """Everything a backend needs to create one VM."""

    system: System
    server: Server
    zone: Zone
    host: str
    network: pulumi.Resource  # the segment's network resource
    network_ref: pulumi.Output[str]  # how the VM's NIC names it


class Backend(ABC):
    """One instance per stack run; it owns the provider resource."""

    vm_type: str  # Pulumi type token of the backend's VM resource

    def __init__(self, cfg: StackConfig, parent: pulumi.Resource) -> None:
        self.cfg = cfg
        self.parent = parent
        self._children: dict[pulumi.Resource, pulumi.ResourceOptions] = {}

    def child(self, parent: pulumi.Resource, **kwargs: object) -> pulumi.ResourceOptions:
        """Options for a provider resource: explicit provider, parent, extra options, and
        the provider package's defaults (plugin version) that its constructors merge in.

        Without extra options they are made once per parent and shared: the SDK copies
        the options it is given and changes only its copy. With the defaults already in,
        ``lean`` has nothing to merge (``ResourceOptions.merge`` copies every list
        attribute: a tenth of a registration's program time).
        """
        if kwargs or parent not in self._children:
            defaults = _opts_defaults(type(self.provider))
            opts = pulumi.ResourceOptions(
                parent=parent,
                provider=self.provider,
                version=defaults.version,
                plugin_download_url=defaults.plugin_download_url,
                **kwargs,  # type: ignore[arg-type]
            )
            if kwargs:
                return opts
            self._children[parent] = opts
        return self._children[parent]

    @property
    @abstractmethod
    def provider(self) -> pulumi.ProviderResource: ...

    @abstractmethod
    def host_refs(self, hosts: Sequence[HostSpec]) -> dict[str, pulumi.Output[str]]:
        """Host name -> the reference a VM uses to name its host."""

    @abstractmethod
    def zone_network(self, zone: Zone, hosts: Sequence[str], parent: pulumi.Resource) -> None:
        """Per-zone network objects (Proxmox SDN zone; nothing for vSphere)."""

    @abstractmethod
    def segment_network(
        self, segment: Segment, zone: Zone, parent: pulumi.Resource
    ) -> tuple[pulumi.Resource, pulumi.Output[str]]:
        """The segment's network resource and the reference a NIC uses."""

    @abstractmethod
    def vm(
        self, intent: VmIntent, host_ref: pulumi.Output[str], parent: pulumi.Resource
    ) -> pulumi.Resource: ...

    @abstractmethod
    def anti_affinity(
        self, group: str, vms: Sequence[pulumi.Resource], parent: pulumi.Resource
    ) -> None: ...

    @abstractmethod
    def finish(
        self, networks: Sequence[pulumi.Resource], vms: Sequence[tuple[Server, pulumi.Resource]]
    ) -> None:
        """Stack-wide resources created after everything else (SDN apply, backup jobs)."""


R = TypeVar("R", bound=pulumi.CustomResource)


_PULUMI_NAMES: dict[type, dict[str, str]] = {}


def pulumi_names(cls: type) -> dict[str, str]:
    """An Args type's Python -> Pulumi property names (the SDK's metadata, once per type)."""
    if cls not in _PULUMI_NAMES:
        _PULUMI_NAMES[cls] = sdk_types.input_type_py_to_pulumi_names(cls)
    return _PULUMI_NAMES[cls]


def wire(value: object) -> Any:
    """A provider input as the engine names it: typed ``...Args`` (nested too) become dicts
    keyed by Pulumi names by the SDK's own metadata, unset (None) properties left out, as
    the SDK's ``input_type_to_dict`` does (tested equal); Outputs and plain values stay."""
    cls = type(value)
    if sdk_types.is_input_type(cls):
        names = pulumi_names(cls)
        raw = sdk_types.input_type_to_untranslated_dict(value)
        return {names[k]: wire(v) for k, v in raw.items() if v is not None and k in names}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    return value


_OPTS_DEFAULTS: dict[str, pulumi.ResourceOptions] = {}


def _opts_defaults(cls: type) -> pulumi.ResourceOptions:
    """The package's default resource options (plugin version), as its generated
    constructors merge them; read once per package (``merge`` changes neither side)."""
    package = cls.__module__.split(".", 1)[0]
    if package not in _OPTS_DEFAULTS:
        utilities = importlib.import_module(package + "._utilities")
        _OPTS_DEFAULTS[package] = utilities.get_resource_opts_defaults()
    return _OPTS_DEFAULTS[package]


def _with_defaults(cls: type, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """``ResourceOptions.merge(defaults, opts)`` as the generated constructor does; options
    that already carry the defaults' values (``Backend.child``) would come out the same."""
    defaults = _opts_defaults(cls)
    if (
        opts.version == defaults.version
        and opts.plugin_download_url == defaults.plugin_download_url
    ):
        return opts
    return pulumi.ResourceOptions.merge(defaults, opts)


def lean(
    cls: type[R],
    token: str,
    name: str,
    args: object,
    opts: pulumi.ResourceOptions,
    computed: tuple[str, ...] = (),
) -> R:
    """Register a provider resource with the SDK's ``CustomResource``, as its generated
    constructor does, but with output placeholders only for what is set (and ``computed``).

    ``args`` is the provider's own typed ``...Args`` (its constructor checks names, types
    and required inputs), ``opts`` get the package's defaults (plugin version) exactly like
    the generated constructor's. The generated constructor also makes an ``Output`` for
    every property the resource type has (92 on a vSphere VM, mostly provider-computed
    values nothing here reads), which tripled a VM's cost under the mocks at 100x. The
    request the engine receives is the same (tested byte for byte against the generated
    constructor); the handle has outputs for its inputs, ``computed``, ``id`` and ``urn``.

    The inputs go to the SDK already in the engine's names (``wire``): the SDK then
    serialises plain dicts instead of walking every nested Args type's annotations for
    each value (a fifth of a VM's registration under the mocks). ``computed`` outputs are
    also reachable by their Python names, as on a generated handle; ``args`` is not changed.

    The handle is also marked with ``computed`` as the only outputs the program reads, so
    that the offline recorder's fast path (``record._fast_sdk``) makes and resolves only
    those (with ``id`` and ``urn``). Reading another one gives None there instead of an
    Output: tests/cloud record every stack both ways and compare the bytes, which catches
    a program that starts reading one.
    """
    names = pulumi_names(type(args))
    props: dict[str, Any] = wire(args)
    for key in computed:
        props.setdefault(names[key], None)  # an output placeholder; None is never sent
    res = cls.__new__(cls)
    res.__dict__[READS_ATTR] = frozenset(names[key] for key in computed)
    pulumi.CustomResource.__init__(
        res,
        token,
        name,
        props,
        _with_defaults(cls, opts),
    )
    for key in computed:
        res.__dict__[key] = res.__dict__[names[key]]
    return res


def tag_value(text: str) -> str:
    """A value that is a valid tag on both backends: lowercase, [a-z0-9_-]."""
    out = "".join(c if c.isalnum() or c in "-_" else "-" for c in text.lower())
    return out.strip("-") or "x"
