"""What an uploaded report really is, judged by its content (magic bytes), never by its name or the
Content-Type the browser claims. A file that is not a PDF, PNG or JPEG, is larger than
RECORDS_REPORT_MAX_BYTES, or claims to be something else than it is, is refused."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from records.errors import UploadRefused

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# Signatures: PDF 1.7 (ISO 32000-1 §7.5.2), PNG (RFC 2083 §3.1, then the IHDR chunk), JPEG/JFIF (SOI + marker).
_SIGNATURES = (
    ("application/pdf", "pdf", lambda head: head.startswith(b"%PDF-")),
    ("image/png", "png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR"),
    ("image/jpeg", "jpg", lambda head: head.startswith(b"\xff\xd8\xff")),
)
REPORT_CONTENT_TYPES = tuple(content_type for content_type, _extension, _matches in _SIGNATURES)
_EXTENSIONS = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    extension: str

    @property
    def size(self) -> int:
        return len(self.content)


def max_report_bytes() -> int:
    return int(getattr(settings, "RECORDS_REPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff_content_type(head: bytes) -> str:
    for content_type, _extension, matches in _SIGNATURES:
        if matches(head):
            return content_type
    return ""


def report_file_check(*, content: bytes, filename: str = "", claimed_type: str = "") -> CheckedUpload:
    """Accept `content` only if it is a PDF, PNG or JPEG within the size limit, and is what its name and
    claimed type say (a JPEG named report.pdf is refused: someone is confused, or hiding something)."""
    limit = max_report_bytes()
    if not content:
        raise UploadRefused(_("The file is empty. Choose the report document again."))
    if len(content) > limit:
        raise UploadRefused(_("The file is %(size)d MB; the limit is %(limit)d MB. Upload a smaller scan or PDF.")
                            % {"size": -(-len(content) // (1024 * 1024)), "limit": limit // (1024 * 1024)},
                            http_status=413, code="upload_too_large")
    detected = sniff_content_type(content[:32])
    if not detected:
        raise UploadRefused()
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    by_name = _EXTENSIONS.get(extension)
    claimed = (claimed_type or "").split(";")[0].strip().lower()
    if (extension and by_name != detected) or (claimed and claimed not in ("application/octet-stream", detected)):
        raise UploadRefused(_("This file is not what its name or type says: its content is %(detected)s. "
                              "Upload the original document.") % {"detected": detected})
    return CheckedUpload(content=content, content_type=detected,
                         extension=next(ext for ct, ext, _m in _SIGNATURES if ct == detected))
