"""Reading one uploaded file from a multipart request, with the name the client sent.

Django's parser silently cuts directories out of upload names (``../../x.png`` arrives as
``x.png``); we refuse such names instead, so the parser is asked to remember what it was
given. It must run before anything reads ``request.POST``, so views using it are exempt
from the CSRF middleware and check CSRF themselves afterwards (:func:`csrf_refused`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware

from chat.services.checks import ChatError

# Multipart boundaries and the other form fields around the file.
ENVELOPE_BYTES = 64 * 1024


class NameKeepingParser(MultiPartParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_names: list[str] = []

    def sanitize_file_name(self, file_name: str) -> str | None:
        self.client_names.append(file_name)
        return super().sanitize_file_name(file_name)


@dataclass(frozen=True)
class Upload:
    file: UploadedFile[bytes]
    client_name: str
    fields: QueryDict


def install_parser(request: HttpRequest) -> list[str]:
    """Make the request parse its body with :class:`NameKeepingParser`; the returned list
    fills with the file names as sent once ``request.POST`` or ``FILES`` is read."""
    names: list[str] = []

    def parse(meta: Any, data: Any) -> tuple[Any, Any]:
        parser = NameKeepingParser(meta, data, request.upload_handlers, request.encoding)
        try:
            return parser.parse()
        finally:
            names.extend(parser.client_names)

    # The request's own hook for multipart bodies (HttpRequest.parse_file_upload).
    setattr(request, "parse_file_upload", parse)  # noqa: B010
    return names


def read_upload(request: HttpRequest, names: list[str]) -> Upload:
    """The one file in the field ``file``, after :func:`install_parser`. Raises
    ChatError: too_large (by Content-Length, before reading), invalid."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.CHAT_ATTACHMENT_MAX_BYTES + ENVELOPE_BYTES:
        limit = settings.CHAT_ATTACHMENT_MAX_BYTES // (1024 * 1024)
        raise ChatError("too_large", f"Files may be at most {limit} MB.")
    if request.content_type != "multipart/form-data":
        raise ChatError("invalid", "Send the file as multipart/form-data, in a field named file.")
    try:
        fields, files = request.POST, request.FILES
    except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
        raise ChatError("invalid", "The upload could not be read.") from exc
    if len(names) != 1 or len(files) > 1 or len(files.getlist("file")) > 1:
        raise ChatError("invalid", "Send exactly one file, in a field named file.")
    upload = files.get("file")
    if upload is None:
        if files:
            raise ChatError("invalid", "Send exactly one file, in a field named file.")
        # Django dropped a part whose whole name was a path ("../"): say so.
        return Upload(file=UploadedFile(), client_name=names[0], fields=fields)
    return Upload(file=upload, client_name=names[0], fields=fields)


def csrf_refused(request: HttpRequest) -> bool:
    """The CSRF middleware's own check, for a view it skipped (see the module docstring)."""

    def never_called(request: HttpRequest) -> HttpResponse:
        raise AssertionError  # pragma: no cover

    return CsrfViewMiddleware(never_called).process_view(request, never_called, (), {}) is not None
