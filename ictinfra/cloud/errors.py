"""The cloud layer's one exception root and its children."""

from __future__ import annotations

from ictinfra.inventory.errors import IctinfraError


class CloudError(IctinfraError):
    """Root of every error the cloud layer raises on purpose."""


class StackConfigError(CloudError):
    """A stack's configuration is missing a key or holds a wrong value."""


class PlacementError(CloudError):
    """No placement honours every constraint; ``problems`` says what does not fit."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        super().__init__("placement is infeasible:\n" + "\n".join(f"- {p}" for p in problems))


class PlanRecordError(CloudError):
    """Running a stack under Pulumi's mocks failed."""


class AutomationUnavailableError(CloudError):
    """What a real preview or deployment needs is not on this machine (the message names it)."""
