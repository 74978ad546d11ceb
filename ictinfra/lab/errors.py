"""The lab layer's one exception root."""

from __future__ import annotations

from ictinfra.inventory.errors import IctinfraError


class LabError(IctinfraError):
    """The lab could not be set up, built, started or stopped; the message says why."""
