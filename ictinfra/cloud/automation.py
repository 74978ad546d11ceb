"""Real previews and deployments through Pulumi's Automation API.

These need what the offline plan does not: the Pulumi CLI, the provider plugins it
downloads, a passphrase for the local secrets provider and the hypervisor manager's
password. ``missing`` names everything absent at once; nothing starts until it is empty.
State goes to a local file backend (``build/pulumi-state``), never to a service.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ictinfra.cloud.config import SECRET_KEY
from ictinfra.cloud.errors import AutomationUnavailableError
from ictinfra.cloud.stacks import STACKS_DIR, StackRef

POLICY_PACK = STACKS_DIR / "policy"


def missing(
    ref: StackRef,
    env: dict[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str]:
    environ = os.environ if env is None else env
    out = []
    if which("pulumi") is None:
        out.append(
            "the Pulumi CLI ('pulumi' on PATH) and its provider plugins "
            f"({ref.settings.backend.value}); the offline plan (./inv cloud.plan) needs neither"
        )
    if not environ.get("PULUMI_CONFIG_PASSPHRASE") and not environ.get(
        "PULUMI_CONFIG_PASSPHRASE_FILE"
    ):
        out.append(
            "PULUMI_CONFIG_PASSPHRASE (or _FILE): the passphrase of the local secrets provider"
        )
    if not environ.get(ref.settings.password_env):
        out.append(
            f"{ref.settings.password_env}: the {ref.settings.backend.value} password "
            "(stored as a Pulumi secret)"
        )
    return out


def run(ref: StackRef, state_dir: Path, *, deploy: bool, policy: bool = True) -> str:
    """Preview (or, with ``deploy``, update) the stack; returns the engine's summary."""
    absent = missing(ref)
    if absent:
        raise AutomationUnavailableError(
            f"cannot {'deploy' if deploy else 'preview'} {ref.id}: missing\n"
            + "\n".join(f"- {m}" for m in absent)
        )
    from pulumi import automation as auto  # noqa: PLC0415  (imported only when it can run)

    state_dir.mkdir(parents=True, exist_ok=True)
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(ref.folder),
        secrets_provider="passphrase",
        env_vars={
            "PULUMI_BACKEND_URL": state_dir.resolve().as_uri(),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        },
    )
    stack = auto.create_or_select_stack(stack_name=ref.stack, work_dir=str(ref.folder), opts=opts)
    stack.set_config(
        SECRET_KEY, auto.ConfigValue(value=os.environ[ref.settings.password_env], secret=True)
    )
    packs = [str(POLICY_PACK)] if policy else None
    if deploy:
        up = stack.up(policy_packs=packs, on_output=print)
        return f"{ref.id}: {up.summary.result} {dict(up.summary.resource_changes or {})}"
    pre = stack.preview(policy_packs=packs, on_output=print)
    return f"{ref.id}: {dict(pre.change_summary)}"
