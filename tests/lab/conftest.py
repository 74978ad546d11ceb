"""Fixtures for tests on real podman: set podman up and build the lab images once."""

from __future__ import annotations

import pytest

from tests.conftest import require_tool


@pytest.fixture(scope="session")
def lab_images() -> None:
    """podman configured for this machine and the lab images present (built if missing).

    A fresh machine gets here with podman installed by tools/ensure-system-packages;
    the set-up and the image build are the project's own code, the same as ./inv lab.*.
    """
    for tool in ("podman", "runc", "debootstrap", "ssh-keygen"):
        require_tool(tool)
    from ictinfra.lab import images, podman  # noqa: PLC0415 - only where podman exists

    podman.setup()
    images.build_images()
