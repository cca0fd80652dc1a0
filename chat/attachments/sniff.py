"""What a file is, by its content: never by its name or the type the client declared.

Binary formats are recognised by their signatures (the ``filetype`` library); Office
documents are told from plain zips by the entries of the zip's central directory; text
has no signature, so it is whatever is valid text with no markup in it. Anything else,
or anything not in ``CHAT_ATTACHMENT_TYPES``, is refused.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import IO, Literal

import filetype  # type: ignore[import-untyped]
from django.conf import settings

from chat.services.checks import ChatError

Family = Literal["image", "text", "binary"]

IMAGE_KINDS = frozenset({"png", "jpg", "gif", "webp"})
TEXT_MIME = {"txt": "text/plain", "csv": "text/csv"}
OFFICE_MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OFFICE_PARTS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
ZIP_KINDS = frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"})
ALIASES = {"jpeg": "jpg", "apng": "png", "text": "txt"}
# Refused whatever the setting says: a browser could render or run them.
NEVER = frozenset(
    {"html", "htm", "xhtml", "svg", "xml", "js", "mjs", "exe", "elf", "dll", "msi", "swf",
     "crx", "wasm", "sh", "bat", "cmd", "ps1", "jar", "apk", "deb", "rpm"}
)  # fmt: skip

HEAD_BYTES = 8192
# Control characters other than tab, line feed, form feed, carriage return and escape.
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
# What a browser's sniffer, or an XML parser, would take for a document.
MARKUP = re.compile(
    rb"<\s*(?:!doctype|\?xml|html|head|body|script|svg|iframe|frame|object|embed|meta|link"
    rb"|style|base|form|img|a\s|xsl)|javascript:",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Detected:
    kind: str  # "png", "pdf", "docx", "txt", ...
    content_type: str
    family: Family


def allowed_kinds() -> frozenset[str]:
    kinds = {
        ALIASES.get(k.strip().lower(), k.strip().lower()) for k in settings.CHAT_ATTACHMENT_TYPES
    }
    return frozenset(kinds - NEVER)


def refused(kind: str) -> ChatError:
    label = kind.upper() if kind else "this"
    return ChatError("type_refused", f"Files of {label} type are not accepted here.")


def detect(file: IO[bytes], *, client_name: str) -> Detected:
    """The file's type, or ChatError("type_refused"). ``client_name`` only chooses between
    txt and csv, which have the same content; the file is left at its start."""
    allowed = allowed_kinds()
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    guess = filetype.guess(head)
    if guess is None:
        return _detect_text(file, allowed=allowed, client_name=client_name)
    kind = ALIASES.get(guess.extension, guess.extension)
    if kind in ZIP_KINDS:
        kind = _zip_kind(file)
    if kind not in allowed:
        raise refused(kind)
    if kind in IMAGE_KINDS:
        return Detected(kind=kind, content_type=f"image/{'jpeg' if kind == 'jpg' else kind}",
                        family="image")  # fmt: skip
    content_type = OFFICE_MIME.get(kind) or str(guess.mime)
    return Detected(kind=kind, content_type=content_type, family="binary")


def _zip_kind(file: IO[bytes]) -> str:
    """zip, or the Office format whose parts it holds. A zip whose directory cannot be
    read is not one."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ChatError("type_refused", "This file is not a readable zip archive.") from exc
    finally:
        file.seek(0)
    if "[Content_Types].xml" in names:
        for prefix, kind in OFFICE_PARTS.items():
            if any(name.startswith(prefix) for name in names):
                return kind
    return "zip"


def _detect_text(file: IO[bytes], *, allowed: frozenset[str], client_name: str) -> Detected:
    data = file.read()  # at most CHAT_ATTACHMENT_MAX_BYTES: the size was checked first
    file.seek(0)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if BINARY_BYTES.search(data):
        raise ChatError("type_refused", "This kind of file is not accepted here.")
    if data.lstrip().startswith(b"#!"):
        raise ChatError("type_refused", "Scripts are not accepted here.")
    if MARKUP.search(data):
        raise ChatError("type_refused", "HTML, SVG and XML documents are not accepted here.")
    kind = "csv" if client_name.lower().endswith(".csv") and "csv" in allowed else "txt"
    if kind not in allowed:
        raise refused("text")
    try:
        data.decode("utf-8")
        charset = "; charset=utf-8"
    except UnicodeDecodeError:
        charset = ""  # some 8-bit encoding: the reader's program guesses which
    return Detected(kind=kind, content_type=TEXT_MIME[kind] + charset, family="text")
