"""The mail sanitisation layer's exceptions: one root, derived from the project's root."""

from __future__ import annotations

from ictinfra.inventory.errors import IctinfraError


class MailsanError(IctinfraError):
    """Root of every error the mail sanitisation layer raises on purpose."""


class QuarantineError(MailsanError):
    """The quarantine cannot store, find or decrypt a message."""


class KeyUnavailableError(QuarantineError):
    """The quarantine key named by the mail policy's secret reference is missing or invalid."""


class ReleaseRefusedError(MailsanError):
    """A release request was refused (unknown approver, unknown message); it is audited."""


class ReinjectionError(MailsanError):
    """The sanitised message could not be handed back to Postfix."""


class ConverterUnavailableError(MailsanError):
    """No converter child could be started: a failure of the service, not of the content
    (the milter answers 4xx, the transfer leaves the file in its inbox)."""
