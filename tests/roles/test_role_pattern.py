"""The role pattern, checked statically for every role (and for new ones from the skeleton):
every variable role-prefixed and documented in meta/argument_specs.yml, templates of
config files validated, restarts through handlers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ictinfra.lab import ansible

ROOT = Path(__file__).resolve().parents[2]
ROLES = ansible.roles()


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _spec_options(role: Path) -> set[str]:
    specs = _yaml(role / "meta" / "argument_specs.yml")["argument_specs"]
    return {name for entry in specs.values() for name in (entry.get("options") or {})}


def _tasks(role: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted((role / "tasks").glob("*.yml")) + sorted((role / "handlers").glob("*.yml")):
        out.extend(_yaml(path) or [])
    return out


@pytest.mark.parametrize("name", ROLES)
def test_every_variable_is_prefixed_and_documented(name: str) -> None:
    role = ansible.ROLES_DIR / name
    options = _spec_options(role)
    defaults = set(_yaml(role / "defaults" / "main.yml") or {})
    assert all(o.startswith(f"{name}_") for o in options), sorted(options)
    assert defaults <= options, f"undocumented defaults: {sorted(defaults - options)}"
    # Every role variable the role reads is either an input (documented) or one the role
    # sets itself (register, set_fact, loop_var, task vars).
    text = "\n".join(
        p.read_text(encoding="utf-8")
        for sub in ("tasks", "handlers", "templates")
        for p in sorted((role / sub).glob("*"))
    )
    used = set(re.findall(rf"\b{name}_[a-z0-9_]+", text))
    own = set(re.findall(rf"(?:register|loop_var):\s*({name}_\w+)", text))
    own |= set(re.findall(rf"^\s+({name}_\w+):", text, flags=re.M))
    assert used - options - own == set()


@pytest.mark.parametrize("name", ROLES)
def test_config_templates_are_validated_and_restarts_go_through_handlers(name: str) -> None:
    role = ansible.ROLES_DIR / name
    for task in _tasks(role):
        tpl = task.get("ansible.builtin.template")
        if tpl and str(tpl["dest"]).startswith(
            ("/etc/ssh", "/etc/chrony", "/etc/rsyslog", "/etc/sudoers", "/etc/apt")
        ):
            assert "validate" in tpl, task["name"]
        service = task.get("ansible.builtin.systemd_service") or {}
        if service.get("state") in {"restarted", "reloaded"}:
            assert task in (_yaml(role / "handlers" / "main.yml") or []), task["name"]


def test_skeleton_makes_a_role_that_follows_the_pattern(tmp_path: Path) -> None:
    subprocess.run(
        [
            ansible.tool("ansible-galaxy"),
            "role",
            "init",
            "--role-skeleton",
            str(ROOT / ".config" / "role-skeleton"),
            "--init-path",
            str(tmp_path),
            "demo_role",
        ],
        check=True,
        capture_output=True,
        env=ansible.environment(),
    )
    role = tmp_path / "demo_role"
    assert (role / "molecule" / "default" / "molecule.yml").is_file()
    defaults = set(_yaml(role / "defaults" / "main.yml"))
    assert defaults
    assert defaults <= _spec_options(role)
    platforms = _yaml(role / "molecule" / "default" / "molecule.yml")["platforms"]
    assert platforms[0]["pre_build_image"] is True
    assert platforms[0]["image"].startswith("localhost/ictinfra-")
