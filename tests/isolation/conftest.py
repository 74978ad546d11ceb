"""Rendered isolation artifacts of the minimal inventory, shared by the verifier tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ictinfra.inventory import Inventory, load_inventory
from ictinfra.isolation.generate import render_all
from ictinfra.isolation.policy import ALPHA

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def minimal() -> Inventory:
    return load_inventory(FIXTURES / "minimal")


@pytest.fixture(scope="session")
def rendered(minimal: Inventory) -> dict[str, str]:
    return render_all(minimal, ALPHA)
