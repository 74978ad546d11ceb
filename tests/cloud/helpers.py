"""Recording stacks and hand-written programs under the mocks, for the tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi

from ictinfra.cloud.config import SECRET_KEY, StackConfig, StackSettings
from ictinfra.cloud.placement import Placement
from ictinfra.cloud.program import Built, build
from ictinfra.cloud.record import RecordedPlan, record
from ictinfra.inventory import Inventory

SECRET = "s3cret-value-never-in-a-plan"


def run(
    settings: StackSettings,
    inv: Inventory,
    *,
    placement: Placement | None = None,
    extra: Callable[[Built], object] | None = None,
) -> tuple[RecordedPlan, Built]:
    """Build a stack of ``settings`` (plus ``extra`` resources) and record it."""
    built: list[Built] = []

    def program() -> None:
        cfg = StackConfig(settings, pulumi.Config().require_secret(SECRET_KEY), Path.cwd())
        b = build(cfg, inventory=inv, placement=placement)
        built.append(b)
        if extra is not None:
            extra(b)

    project = f"ictinfra-{settings.backend.value}"
    plan = record(project, settings.environment, program, {SECRET_KEY: SECRET}, (SECRET_KEY,))
    return plan, built[0]


_CACHE: dict[tuple[str, int], tuple[RecordedPlan, Built]] = {}


def cached(settings: StackSettings, inv: Inventory) -> tuple[RecordedPlan, Built]:
    """One recording per worker for the plain (unmodified) stacks the tests share."""
    key = (settings.model_dump_json(), id(inv))
    if key not in _CACHE:
        _CACHE[key] = run(settings, inv)
    return _CACHE[key]
