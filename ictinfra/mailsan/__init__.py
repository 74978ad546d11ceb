"""Mail sanitisation (メール無害化): the sanitiser core, the quarantine, the filter service."""

from __future__ import annotations

from ictinfra.mailsan.errors import MailsanError
from ictinfra.mailsan.policy import DEFAULT_POLICY, SanitisePolicy
from ictinfra.mailsan.records import Action, ObjectRecord, SanitiseResult, Verdict
from ictinfra.mailsan.sanitise import sanitise

__all__ = [
    "DEFAULT_POLICY",
    "Action",
    "MailsanError",
    "ObjectRecord",
    "SanitisePolicy",
    "SanitiseResult",
    "Verdict",
    "sanitise",
]
