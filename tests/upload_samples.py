"""Small real files of each accepted type, and the disguised ones an attacker would send instead."""

import io
import zipfile

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
HTML = b"<!doctype html><html><body><script>fetch('/api/v1/me/')</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><rect/></svg>'

_OOXML = {
    "docx": ("word/document.xml",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
}


def _zip(entries: dict[str, bytes], *, first_stored: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if first_stored:
            archive.writestr(zipfile.ZipInfo(first_stored), entries.pop(first_stored), zipfile.ZIP_STORED)
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ooxml(kind: str) -> bytes:
    part, main_type = _OOXML[kind]
    types = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>')
    return _zip({"[Content_Types].xml": types.encode(), part: b"<?xml version='1.0'?><document/>"})


def odt() -> bytes:
    return _zip({"mimetype": b"application/vnd.oasis.opendocument.text",
                 "content.xml": b"<?xml version='1.0'?><office:document-content/>"}, first_stored="mimetype")


def zip_bomb(megabytes: int = 64) -> bytes:
    """A .docx-shaped archive whose document part unpacks to `megabytes` of zeros (about 64 KB on the wire)."""
    part, main_type = _OOXML["docx"]
    types = f'<Types><Override PartName="/{part}" ContentType="{main_type}"/></Types>'.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", types)
        with archive.open(part, "w", force_zip64=True) as entry:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(megabytes):
                entry.write(chunk)
    return buffer.getvalue()


ALLOWED_DOCUMENTS = {  # name -> (content, content type served back)
    "manual.pdf": (PDF, "application/pdf"),
    "scan.png": (PNG, "image/png"),
    "scan.jpeg": (JPEG, "image/jpeg"),
    "policy.docx": (ooxml("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "roster.xlsx": (ooxml("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "policy.odt": (odt(), "application/vnd.oasis.opendocument.text"),
}

REFUSED_FILES = {  # case -> (name, content, declared type)
    "html named .pdf": ("manual.pdf", HTML, "application/pdf"),
    "svg named .png": ("scan.png", SVG, "image/png"),
    "html as html": ("page.html", HTML, "text/html"),
    "svg as svg": ("logo.svg", SVG, "image/svg+xml"),
    "a pdf named .html": ("page.html", PDF, "application/pdf"),
    "a pdf sent as image/png": ("manual.pdf", PDF, "image/png"),
    "macro-enabled word named .docx": ("policy.docx", ooxml("docm"), "application/octet-stream"),
    "a plain zip named .docx": ("policy.docx", _zip({"a.txt": b"hello"}), "application/octet-stream"),
    "a zip header and then html": ("policy.docx", b"PK\x03\x04" + HTML, "application/octet-stream"),
    "windows executable": ("tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "application/pdf"),
    "plain text": ("notes.pdf", b"just some notes\n", "text/plain"),
}
