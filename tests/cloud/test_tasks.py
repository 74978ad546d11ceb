"""The cloud tasks as a user runs them (thin shells over the library)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from invoke.context import Context
from invoke.exceptions import Exit

from ictinfra.cloud import tasks
from tests.cloud.conftest import FIXTURES, ROOT


def test_place_prints_hosts_used_against_the_lower_bound(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tasks.place(Context(), stack="vsphere-prod", inventory=str(ROOT / "inventory"), factor=10)
    out = capsys.readouterr().out
    assert out.startswith("vsphere-prod: 1410 VMs on ")
    assert "(lower bound " in out
    assert "esx-lg01-x0" in out


def test_place_refuses_an_infeasible_estate_with_the_reason() -> None:
    with pytest.raises(Exit) as err:
        tasks.place(
            Context(), stack="vsphere-prod", inventory=str(ROOT / "inventory"), overcommit=1.0
        )
    assert "vCPU: the VMs need" in str(err.value.message)


def test_place_unknown_stack() -> None:
    with pytest.raises(Exit, match="unknown stack"):
        tasks.place(Context(), stack="nope", inventory=str(FIXTURES / "minimal"))


def test_plan_writes_build_stacks(tmp_path: Path) -> None:
    tasks.plan(Context(), inventory=str(FIXTURES / "minimal"), out=str(tmp_path))
    doc = json.loads((tmp_path / "stacks" / "vsphere-prod.plan.json").read_text(encoding="utf-8"))
    assert doc["format"] == "ictinfra.cloud.plan/1"


def test_preview_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    with pytest.raises(Exit) as err:
        tasks.preview(Context(), stack="proxmox-prod")
    text = str(err.value.message)
    assert "cannot preview proxmox-prod: missing" in text
    assert "Pulumi CLI" in text
    assert "ICTINFRA_PROXMOX_PASSWORD" in text
    with pytest.raises(Exit, match="cannot deploy proxmox-prod"):
        tasks.up(Context(), stack="proxmox-prod")
