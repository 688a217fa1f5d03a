"""Uploaded files: one content check, one storage naming rule, one way to delete and one way to serve them.

The type of a file is decided by its bytes, never by the name or the content type the client sent: an HTML page or
an SVG (both can carry script) named `manual.pdf` is refused. Accepted files are stored under a random name with the
canonical extension of the detected type (the client's name is kept only as data, for Content-Disposition), and
served only through authenticated API views, as attachments with the detected type and `nosniff`.
"""

import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import BinaryIO

from django.db import transaction
from django.http import FileResponse

from .exceptions import ApplicationError


@dataclass(frozen=True)
class FileType:
    key: str
    label: str
    content_type: str
    extension: str  # canonical, used for the stored name
    extensions: frozenset[str]  # what the client's file name may end in


_TYPES = (
    FileType("pdf", "PDF", "application/pdf", "pdf", frozenset({"pdf"})),
    FileType("png", "PNG image", "image/png", "png", frozenset({"png"})),
    FileType("jpeg", "JPEG image", "image/jpeg", "jpg", frozenset({"jpg", "jpeg"})),
    FileType("docx", "Word document (.docx)",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", frozenset({"docx"})),
    FileType("xlsx", "Excel workbook (.xlsx)",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", frozenset({"xlsx"})),
    FileType("pptx", "PowerPoint presentation (.pptx)",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx",
             frozenset({"pptx"})),
    FileType("odt", "OpenDocument text (.odt)", "application/vnd.oasis.opendocument.text", "odt",
             frozenset({"odt"})),
)
FILE_TYPES: dict[str, FileType] = {t.key: t for t in _TYPES}

# What requirement documents accept (issue #12): documents and scans, nothing a browser would run.
DOCUMENT_TYPES = frozenset({"pdf", "png", "jpeg", "docx", "xlsx", "odt"})

# Office Open XML: the package's main part and the content type [Content_Types].xml must give it. A macro-enabled
# file (.docm, .xlsm, .pptm) declares a different main content type and is refused.
_OOXML_MAIN = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
}
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"

# ZIP bombs: we never unpack an archive (only its directory and two tiny entries are read), but staff open these
# files in Office, so refuse archives whose declared contents are absurd for a document.
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
ZIP_MAX_RATIO = 200  # declared uncompressed size / archive size ...
ZIP_RATIO_FLOOR_BYTES = 16 * 1024 * 1024  # ... once it unpacks to more than this (small files may compress well)
_SMALL_PART_BYTES = 1024 * 1024  # [Content_Types].xml and `mimetype` are read at most this far


def _refuse(message: str, code: str = "unsupported_file_type"):
    raise ApplicationError(code, message, fields={"file": [message]})


def _zip_type(handle: BinaryIO, size: int, allowed: Iterable[str]) -> str | None:
    """The OOXML/ODF type of a ZIP package, None if it is none of them; refuses archives that look like bombs."""
    try:
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            if len(infos) > ZIP_MAX_ENTRIES:
                _refuse(f"The archive has more than {ZIP_MAX_ENTRIES} entries.")
            declared = sum(info.file_size for info in infos)
            if declared > ZIP_MAX_UNCOMPRESSED_BYTES or (declared > ZIP_RATIO_FLOOR_BYTES
                                                         and declared > ZIP_MAX_RATIO * max(size, 1)):
                _refuse("The file unpacks to far more than its size (a ZIP bomb?); it is refused.")
            names = {info.filename for info in infos}
            if "mimetype" in names and "odt" in allowed:
                with archive.open("mimetype") as entry:
                    if entry.read(len(_ODT_MIMETYPE) + 1).strip() == _ODT_MIMETYPE and "content.xml" in names:
                        return "odt"
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as entry:
                    content_types = entry.read(_SMALL_PART_BYTES).decode("utf-8", "replace")
                for key, (part, main_type) in _OOXML_MAIN.items():
                    if key in allowed and part in names and main_type in content_types:
                        return key
    except ApplicationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError, KeyError):
        return None  # damaged, encrypted or using an unsupported compression method: not a document we accept
    return None


def detect_file_type(handle: BinaryIO, *, size: int, allowed: Iterable[str]) -> FileType | None:
    """The type of the file by its first bytes (and, for ZIP-based formats, its package structure), or None."""
    allowed = frozenset(allowed)
    handle.seek(0)
    head = handle.read(16)
    handle.seek(0)
    found = None
    if head.startswith(b"%PDF-"):
        found = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        found = "jpeg"
    elif head.startswith(b"PK\x03\x04"):
        found = _zip_type(handle, size, allowed)
        handle.seek(0)
    return FILE_TYPES[found] if found in allowed else None


def _allowed_labels(allowed: Iterable[str]) -> str:
    return ", ".join(FILE_TYPES[key].label for key in sorted(allowed))


def file_type_check(handle: BinaryIO, *, name: str, size: int, max_bytes: int, allowed: Iterable[str],
                    declared_type: str = "") -> FileType:
    """The one check every upload goes through: size (413), not empty, type by content from the allow-list, and a
    client file name and declared type that do not contradict the content (400, code unsupported_file_type)."""
    if size > max_bytes:
        raise ApplicationError("file_too_large", f"The file exceeds {max_bytes} bytes.", status_code=413,
                               fields={"file": [f"File too large ({size} bytes; the limit is {max_bytes})."]})
    if size == 0:
        _refuse("The file is empty.", code="empty_file")
    file_type = detect_file_type(handle, size=size, allowed=allowed)
    if file_type is None:
        _refuse(f"The file's content is not an accepted type ({_allowed_labels(allowed)}).")
    extension = PurePath(name or "").suffix.lower().lstrip(".")
    if extension and extension not in file_type.extensions:
        # A PDF named page.html would be saved by the browser as an HTML file: the name must fit the content.
        _refuse(f"The file is a {file_type.label} but its name ends in .{extension}.")
    declared = (declared_type or "").split(";")[0].strip().lower()
    known = {t.content_type for t in _TYPES}
    if declared in known and declared != file_type.content_type:
        _refuse(f"The file is a {file_type.label} but was sent as {declared}.")
    return file_type


def display_name(name: str, file_type: FileType, max_length: int = 200) -> str:
    """The client's file name as data (for Content-Disposition): no folders, ending in the detected type."""
    base = PurePath((name or "").replace("\\", "/")).name.strip() or "document"
    stem, extension = (base.rsplit(".", 1) + [""])[:2] if "." in base else (base, "")
    if extension.lower() not in file_type.extensions:
        stem, extension = base, file_type.extension
    return f"{stem[:max_length - len(extension) - 1]}.{extension}"


def storage_name(file_type: FileType) -> str:
    """A random stored name with the detected type's canonical extension; never anything the client chose."""
    return f"{uuid.uuid4().hex}.{file_type.extension}"


def delete_stored_file_on_commit(storage, name: str) -> None:
    """Remove a replaced or deleted file once the transaction that stopped referencing it commits (a rollback
    keeps it, since the row still points at it)."""
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def file_download_response(field_file, *, filename: str, content_type: str) -> FileResponse:
    """A stored file as an attachment with its detected type; browsers must not sniff or render it."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise ApplicationError("not_found", "The file is missing from storage.", status_code=404) from exc
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type=content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    # Should anything still render it inline, it gets no script, no plugins and no same-origin access.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


class DownloadNegotiationMixin:
    # For views that answer a file: any Accept header gets the file (Swagger UI sends `Accept: application/pdf`,
    # curl `*/*`); DRF would otherwise answer 406 because its only renderer is JSON. Errors still render as JSON.
    # (A comment, not a docstring: drf-spectacular would publish a mixin's docstring as each view's description.)

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


def download_schema_responses(allowed: Iterable[str]) -> dict:
    """@extend_schema responses for a download view: the file, binary, in each content type it can have (plus
    application/octet-stream for files stored before types were detected)."""
    from drf_spectacular.types import OpenApiTypes

    types = sorted({FILE_TYPES[key].content_type for key in allowed} | {"application/octet-stream"})
    return {(200, content_type): OpenApiTypes.BINARY for content_type in types}
