"""Ansible over the lab or a real inventory: apply the playbooks, lint, run Molecule.

Every tool runs from this virtual environment (the inventory plugin imports ictinfra),
from the repository root (so ``ansible.cfg`` and ``collections/`` are found), with an
argument list, never a shell.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ictinfra.lab.errors import LabError

ROOT = Path(__file__).resolve().parents[2]
ROLES_DIR = ROOT / "roles"
PLAYBOOKS_DIR = ROOT / "playbooks"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class ToolRun:
    args: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every Ansible tool gets: this venv first on PATH, the repo's config."""
    env = dict(os.environ)
    env.update(extra or {})
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env.setdefault("PY_COLORS", "0")
    return env


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise LabError(f"{name} is not installed in {BIN}: run ./inv (it installs the dev extra)")
    return str(path)


def _run(
    args: list[str], *, env: dict[str, str], cwd: Path, timeout: float, stream: bool
) -> ToolRun:
    try:
        if stream:
            proc = subprocess.run(args, env=env, cwd=cwd, timeout=timeout, check=False)
            return ToolRun(tuple(args), proc.returncode, "")
        done = subprocess.run(
            args,
            env=env,
            cwd=cwd,
            timeout=timeout,
            check=False,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"`{' '.join(args)}` took longer than {timeout:.0f} s") from exc
    return ToolRun(tuple(args), done.returncode, done.stdout.decode(errors="replace"))


def roles() -> list[str]:
    """Roles that have a Molecule scenario (the ones the test suite runs)."""
    return sorted(
        p.parent.parent.parent.name for p in ROLES_DIR.glob("*/molecule/default/molecule.yml")
    )


def playbook_args(
    inventory: Path, playbook: str = "site.yml", *, limit: str | None = None, check: bool = False
) -> list[str]:
    path = PLAYBOOKS_DIR / playbook
    if not path.is_file():
        known = ", ".join(sorted(p.name for p in PLAYBOOKS_DIR.glob("*.yml")))
        raise LabError(f"no playbook {playbook!r}; known: {known}")
    args = [tool("ansible-playbook"), "-i", str(inventory), str(path)]
    if limit:
        args += ["--limit", limit]
    if check:
        args += ["--check", "--diff"]
    return args


def apply(
    inventory: Path,
    playbook: str = "site.yml",
    *,
    limit: str | None = None,
    check: bool = False,
    extra_env: dict[str, str] | None = None,
    stream: bool = True,
) -> ToolRun:
    return _run(
        playbook_args(inventory, playbook, limit=limit, check=check),
        env=environment(extra_env),
        cwd=ROOT,
        timeout=3600,
        stream=stream,
    )


def lint(*, stream: bool = False) -> ToolRun:
    """ansible-lint with the repository's .ansible-lint (profile production, offline), on
    the roles and the playbooks only (other YAML in the repository is not Ansible)."""
    return _run(
        [tool("ansible-lint"), "roles", "playbooks"],
        env=environment(),
        cwd=ROOT,
        timeout=900,
        stream=stream,
    )


def molecule(role: str, command: str = "test", *, stream: bool = False) -> ToolRun:
    """``molecule <command>`` for one role's default scenario."""
    if role not in roles():
        raise LabError(f"no Molecule scenario for role {role!r}; known: {', '.join(roles())}")
    return _run(
        [tool("molecule"), command],
        env=environment(),
        cwd=ROLES_DIR / role,
        timeout=1800,
        stream=stream,
    )
