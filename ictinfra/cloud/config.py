"""A stack's configuration: what ``Pulumi.<stack>.yaml`` holds, validated whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import pulumi
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ictinfra.cloud.errors import StackConfigError
from ictinfra.inventory.model import Batch, HypervisorPlatform

SECRET_KEY = "password"  # noqa: S105  (the key's name, not a value); the hypervisor manager's password, always a Pulumi secret


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class VsphereSettings(_Frozen):
    server: str  # vCenter
    user: str
    datacenter: str
    compute_cluster: str = Field(alias="computeCluster")
    switch: str  # distributed virtual switch
    datastore: str = "{host}-local"  # one local datastore per host; {host} is the host name
    folder: str = "ictinfra"


class ProxmoxSettings(_Frozen):
    endpoint: str
    username: str
    datastore: str = "local-lvm"
    bridge: str = "vmbr0"  # the node bridge the SDN VLAN zones tag on
    backup_storage: str = Field("pbs", alias="backupStorage")
    insecure: bool = False


class StackSettings(_Frozen):
    """Plain (non-secret) settings of one stack."""

    backend: HypervisorPlatform
    environment: str
    inventory: str  # folder, relative to the stack folder
    password_env: str = Field(alias="passwordEnv", pattern=r"^[A-Z_][A-Z0-9_]*$")
    vcpu_overcommit: Annotated[float, Field(ge=1.0, le=16.0)] = Field(alias="vcpuOvercommit")
    # Hosts: those of the backend's own platform, or every host ("all": the alternative
    # weighed on the same hardware); ``clusters`` narrows either to named clusters.
    hosts: Literal["platform", "all"] = "platform"
    clusters: tuple[str, ...] | None = None
    batches: tuple[Batch, ...] = (Batch.EXISTING, Batch.NEXT, Batch.PLATFORM)
    vsphere: VsphereSettings | None = None
    proxmox: ProxmoxSettings | None = None

    def host_platform(self) -> HypervisorPlatform | None:
        """The platform whose hosts the stack uses; None: every host."""
        return self.backend if self.hosts == "platform" else None

    def inventory_path(self, stack_dir: Path) -> Path:
        return (stack_dir / self.inventory).resolve()


KEYS = (
    "backend",
    "environment",
    "inventory",
    "passwordEnv",
    "vcpuOvercommit",
    "hosts",
    "clusters",
    "batches",
    "vsphere",
    "proxmox",
)


def settings_from_mapping(values: dict[str, Any], source: str) -> StackSettings:
    try:
        settings = StackSettings.model_validate(values)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise StackConfigError(
            f"{source}: invalid stack configuration:\n" + "\n".join(lines)
        ) from exc
    wanted = settings.backend.value
    if getattr(settings, wanted) is None:
        raise StackConfigError(f"{source}: backend '{wanted}' needs a '{wanted}' section")
    return settings


class StackConfig:
    """Settings plus the secret credentials, as Pulumi hands them to the program."""

    def __init__(
        self, settings: StackSettings, password: pulumi.Input[str], stack_dir: Path
    ) -> None:
        self.settings = settings
        self.password = password
        self.stack_dir = stack_dir


def read_config() -> StackConfig:
    """What a stack's ``__main__.py`` calls: the project's config, the password as a secret."""
    config = pulumi.Config()
    values: dict[str, Any] = {}
    for key in KEYS:
        raw = config.get(key)
        if raw is None:
            continue
        try:  # structured values (objects, lists, numbers) arrive as JSON text
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            values[key] = raw
    settings = settings_from_mapping(values, f"stack {pulumi.get_stack()}")
    return StackConfig(settings, config.require_secret(SECRET_KEY), Path.cwd())


def stack_file_config(stack_dir: Path, stack: str) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """Project name, plain values and secret key names of ``Pulumi.<stack>.yaml``."""
    project_file = stack_dir / "Pulumi.yaml"
    stack_file = stack_dir / f"Pulumi.{stack}.yaml"
    try:
        project = yaml.safe_load(project_file.read_text(encoding="utf-8"))["name"]
        raw = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise StackConfigError(f"{stack_dir}: cannot read the stack {stack}: {exc}") from exc
    values: dict[str, Any] = {}
    secrets: list[str] = []
    for full_key, value in (raw.get("config") or {}).items():
        ns, _, key = str(full_key).partition(":")
        if ns != project:
            continue  # provider settings (vsphere:..., proxmoxve:...) are not ours
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets.append(key)
        else:
            values[key] = value
    return str(project), values, tuple(sorted(secrets))
