"""Every role's Molecule scenario: create, converge, idempotence, check, verify, destroy.

New roles join by having ``molecule/default/molecule.yml`` (see roles/_skeleton).
"""

from __future__ import annotations

import re

import pytest

from ictinfra.lab import ansible

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("lab_images")]


def test_every_role_has_a_scenario() -> None:
    with_tasks = sorted(
        p.parent.parent.name
        for p in ansible.ROLES_DIR.glob("*/tasks/main.yml")
        if not p.parent.parent.name.startswith("_")
    )
    assert with_tasks
    assert ansible.roles() == with_tasks


@pytest.mark.parametrize("role", ansible.roles())
def test_molecule(role: str) -> None:
    result = ansible.molecule(role)
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    assert result.ok, output[-12000:]
    for step in ("create", "converge", "idempotence", "check", "verify", "destroy"):
        # "default ➜ step" on a terminal, "default > step" otherwise.
        assert re.search(rf"^default (➜|>) {step}: Executed: Successful$", output, re.M), step
