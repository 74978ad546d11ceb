"""The stacks in ``stacks/<name>/`` and running them offline under the mocks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

from ictinfra.cloud.config import (
    SECRET_KEY,
    StackConfig,
    StackSettings,
    settings_from_mapping,
    stack_file_config,
)
from ictinfra.cloud.placement import Placement
from ictinfra.cloud.program import Built, build
from ictinfra.cloud.record import RecordedPlan, record
from ictinfra.inventory import Inventory

ROOT = Path(__file__).resolve().parents[2]
STACKS_DIR = ROOT / "stacks"
# The offline plan never sees a real password; the placeholder is a Pulumi secret like
# the real one, so the recorder masks it exactly as it would mask the real value.
OFFLINE_PASSWORD = "offline-plan-placeholder"  # noqa: S105


@dataclass(frozen=True)
class StackRef:
    folder: Path
    project: str
    stack: str
    settings: StackSettings

    @property
    def id(self) -> str:
        return f"{self.folder.name}-{self.stack}"


def discover(stacks_dir: Path = STACKS_DIR) -> tuple[StackRef, ...]:
    """Every ``Pulumi.<stack>.yaml`` beside a ``Pulumi.yaml``, sorted by folder and stack."""
    refs = []
    for project_file in sorted(stacks_dir.glob("*/Pulumi.yaml")):
        folder = project_file.parent
        for stack_file in sorted(folder.glob("Pulumi.*.yaml")):
            stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
            project, values, _ = stack_file_config(folder, stack)
            refs.append(
                StackRef(folder, project, stack, settings_from_mapping(values, str(stack_file)))
            )
    return tuple(refs)


@dataclass(frozen=True)
class OfflineRun:
    ref: StackRef
    plan: RecordedPlan
    placement: Placement


def run_offline(
    ref: StackRef,
    inv: Inventory,
    placement: Placement | None = None,
    *,
    teardown: bool = True,
    fast: bool | None = None,
) -> OfflineRun:
    """Run the stack's program under the mocks with its own config and this inventory
    (``teardown``, ``fast``: see ``record``)."""
    _, values, _ = stack_file_config(ref.folder, ref.stack)
    built: list[Built] = []

    def program() -> None:
        cfg = StackConfig(ref.settings, pulumi.Config().require_secret(SECRET_KEY), ref.folder)
        built.append(build(cfg, inventory=inv, placement=placement))

    config = {**values, SECRET_KEY: OFFLINE_PASSWORD}
    plan = record(
        ref.project, ref.stack, program, config, (SECRET_KEY,), teardown=teardown, fast=fast
    )
    return OfflineRun(ref, plan, built[0].placement)
