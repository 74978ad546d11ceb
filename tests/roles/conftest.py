"""Role tests share the lab's session fixture (podman set up, images built)."""

from __future__ import annotations

from tests.lab.conftest import lab_images

__all__ = ["lab_images"]
