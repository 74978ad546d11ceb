"""ansible-lint, profile production, offline: the repository is clean, and a bad role is caught."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ictinfra.lab import ansible

ROOT = Path(__file__).resolve().parents[2]


def test_repository_is_lint_clean() -> None:
    result = ansible.lint()
    assert result.ok, result.output[-8000:]
    assert "Profile 'production' was required, and it passed" in result.output


@pytest.mark.parametrize(
    ("task", "rule"),
    [
        ("- name: Short module name\n  command: /bin/true\n  changed_when: false\n", "fqcn"),
        (
            "- name: Probe without changed_when\n  ansible.builtin.command: /bin/true\n",
            "no-changed-when",
        ),
        (
            "- name: Unprefixed variable\n  ansible.builtin.set_fact:\n    listen_port: 22\n",
            "var-naming[no-role-prefix]",
        ),
    ],
)
def test_a_bad_role_is_caught(tmp_path: Path, task: str, rule: str) -> None:
    shutil.copy(ROOT / ".ansible-lint", tmp_path / ".ansible-lint")
    role = tmp_path / "roles" / "demo"
    (role / "tasks").mkdir(parents=True)
    (role / "meta").mkdir()
    (role / "tasks" / "main.yml").write_text("---\n" + task, encoding="utf-8")
    (role / "meta" / "main.yml").write_text(
        (ROOT / "roles" / "baseline" / "meta" / "main.yml")
        .read_text(encoding="utf-8")
        .replace("role_name: baseline", "role_name: demo"),
        encoding="utf-8",
    )
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = subprocess.run(
        [ansible.tool("ansible-lint"), "--nocolor"],
        cwd=tmp_path,
        env=ansible.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert rule in result.stdout + result.stderr
