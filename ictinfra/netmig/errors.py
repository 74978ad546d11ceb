"""The netmig layer's exceptions: one root, derived from ictinfra's."""

from __future__ import annotations

from ictinfra.inventory.errors import IctinfraError


class NetmigError(IctinfraError):
    """Root of every error the network-migration layer raises on purpose."""


class CredentialError(NetmigError):
    """A device's credentials cannot be resolved (missing variable, unsupported vault)."""


class TranslateError(NetmigError):
    """A configuration cannot be translated (unsupported lines not waived, bad input)."""


class SimulatorError(NetmigError):
    """The device simulator cannot start or be driven as asked."""
