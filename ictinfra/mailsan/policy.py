"""The sanitiser's policy: a frozen view of the inventory's mail policy plus engine limits."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ictinfra.inventory.model import MailPolicy, SecretRef

MB = 1024 * 1024

# Types that are never delivered whatever the allow-list says: they run code when opened.
ALWAYS_REMOVED = (
    "application/vnd.microsoft.portable-executable",
    "application/x-dosexec",
    "application/x-msdownload",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-pie-executable",
    "application/x-mach-binary",
    "application/x-elf",
    "application/java-archive",
    "application/x-java-applet",
    "application/javascript",
    "text/javascript",
    "application/x-shellscript",
    "text/x-shellscript",
    "text/x-python",
    "text/x-perl",
    "text/x-msdos-batch",
    "application/x-ms-shortcut",
    "application/vnd.ms-htmlhelp",
    "application/x-msi",
    "application/vnd.ms-cab-compressed",
    "application/hta",
)


class SanitisePolicy(BaseModel):
    """What the sanitiser may deliver and the limits it enforces (all sizes in bytes)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_types: tuple[str, ...] = Field(min_length=1)
    convert_documents_to: Literal["image_pdf", "text"] = "image_pdf"
    hold_encrypted: bool = True
    archive_max_depth: Annotated[int, Field(ge=0, le=10)] = 3
    archive_max_members: Annotated[int, Field(ge=1)] = 200
    archive_max_expanded_bytes: Annotated[int, Field(ge=1)] = 100 * MB
    max_message_bytes: Annotated[int, Field(ge=1)] = 50 * MB
    max_pdf_pages: Annotated[int, Field(ge=1)] = 50
    max_image_pixels: Annotated[int, Field(ge=1)] = 40_000_000
    max_mime_depth: Annotated[int, Field(ge=1)] = 20
    max_parts: Annotated[int, Field(ge=1)] = 500
    pdf_render_scale: Annotated[float, Field(gt=0, le=4)] = 1.5
    # Office documents on the allow-list (and free of macros/embedded objects) are printed
    # to PDF by LibreOffice, then rendered like any PDF; off, or without LibreOffice
    # installed, they are removed (fail closed).
    convert_office: bool = True
    office_timeout: Annotated[float, Field(gt=0, le=600)] = 60.0
    quarantine_key: SecretRef = SecretRef(env="ICTINFRA_QUARANTINE_KEY")
    approvers: tuple[str, ...] = ()
    contact: str = "情報政策課 (ICT policy division)"
    notice_sender: str = "postmaster@localhost"

    @classmethod
    def from_mail_policy(cls, mail: MailPolicy, **overrides: object) -> SanitisePolicy:
        """The policy the inventory defines; engine limits may be overridden by keyword."""
        values: dict[str, object] = {
            "allowed_types": mail.allowed_attachment_types,
            "convert_documents_to": mail.convert_documents_to,
            "hold_encrypted": mail.hold_encrypted,
            "archive_max_depth": mail.archive_max_depth,
            "archive_max_members": mail.archive_max_members,
            "archive_max_expanded_bytes": mail.archive_max_expanded_mb * MB,
            "max_message_bytes": mail.max_message_mb * MB,
            "quarantine_key": mail.quarantine_key,
            "approvers": mail.approvers,
            "notice_sender": f"postmaster@{mail.internal_domains[0]}",
        }
        values.update(overrides)
        return cls.model_validate(values)

    def allows(self, mime: str) -> bool:
        """True when the true type matches the allow-list (``image/*`` patterns work)."""
        mime = mime.lower()
        if mime in ALWAYS_REMOVED:
            return False
        return any(fnmatchcase(mime, pattern.lower()) for pattern in self.allowed_types)


# Used by the offline command when no inventory is given: documents and pictures only.
DEFAULT_POLICY = SanitisePolicy(
    allowed_types=(
        "text/plain",
        "text/csv",
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "application/zip",
    ),
    approvers=(),
)
