"""Request bodies: read with a size cap, and images decoded with the library's limits."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from fastapi import Query, Request
from PIL import Image
from starlette.concurrency import run_in_threadpool

from nnstudio.data.prepare import IMAGE_KINDS
from nnstudio.data.prepare import decode_image as read_image
from nnstudio.errors import DataError
from nnstudio.studio.given import drawing_of, terms_of

MAX_IMAGE_BYTES = 8 * 1024 * 1024
# A canvas drawing is a few KB and decodes in a fraction of a millisecond, less than a
# hop to a worker thread costs; larger files are decoded in a thread.
INLINE_DECODE_BYTES = 256 * 1024
MAX_ZIP_BYTES = 64 * 1024 * 1024
IMAGE_TYPES = ("image/png", "image/jpeg", "image/bmp", "image/gif", "image/webp", "application/octet-stream")
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")


class TooLarge(DataError):
    """A request body over its cap (HTTP 413)."""


async def read_capped(request: Request, cap: int) -> bytes:
    """Return the request body; TooLarge as soon as it passes cap bytes."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise TooLarge(f"the upload is over {cap // 2**20} MB; help: send a smaller file")
        chunks.append(chunk)
    return b"".join(chunks)


async def image_body(request: Request, filename: str | None = Query(
        None, max_length=200, description="The uploaded file's own name, used in error messages only.")) -> Any:
    """The body as a decoded image (PIL) or, for application/json {"input": [...]}, as a
    numeric array (a 5x5 grid, a vector); DataError, in words a person reads (the file
    by its name when the page gives it), for anything else."""
    kind = content_type(request)
    where = "the upload" if filename is None else f"the file {filename!r}"
    if kind != "application/json" and kind not in IMAGE_TYPES:
        raise DataError(f"{where} is not an image ({IMAGE_KINDS})")
    data = await read_capped(request, MAX_IMAGE_BYTES)
    if kind == "application/json":
        return json_input(data)
    if len(data) <= INLINE_DECODE_BYTES:
        return decode_image(data, where)
    return await run_in_threadpool(decode_image, data, where)  # CPU work that would hold up the event loop


async def zip_body(request: Request) -> bytes:
    """The body as the bytes of a zip file (application/zip), at most MAX_ZIP_BYTES."""
    kind = content_type(request)
    if kind not in ZIP_TYPES:
        raise DataError("the upload is not a zip file; allowed: a model folder packed as a .zip "
                        "(as Download gives it)")
    return await read_capped(request, MAX_ZIP_BYTES)


def content_type(request: Request) -> str:
    """Return the request's media type, lower case, without parameters."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def json_input(data: bytes) -> Any:
    """Return {"input": nested numbers} as a float32 array, {"strokes": [...]} as a Drawing
    and {"sequence": [...]} as Terms."""
    import json

    try:
        body = json.loads(data)
    except ValueError as error:
        raise DataError(f"JSON body: not valid JSON ({error})") from None
    if isinstance(body, dict) and "strokes" in body:
        return drawing_of(body)
    if isinstance(body, dict) and "sequence" in body:
        if set(body) != {"sequence"}:
            raise DataError(f"JSON body: unknown field(s) {sorted(set(body) - {'sequence'})}; allowed: 'sequence'")
        return terms_of(body["sequence"])
    try:
        value = body["input"]
        array = np.asarray(value, dtype=np.float32)
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"JSON body: expected {{\"input\": [numbers...]}}, {{\"strokes\": [[[x, y], ...], ...]}} "
                        f"or {{\"sequence\": [2, 4, 6, 8]}} ({error})") from None
    if array.size == 0 or array.ndim > 3 or not np.isfinite(array).all():
        raise DataError(f"JSON body: 'input' must be a non-empty grid of finite numbers, got shape {list(array.shape)}")
    return array


def decode_image(data: bytes, where: str = "the upload") -> Image.Image:
    """Return the image in a request body, decoded by the library (size checked before
    decoding: a decompression bomb is refused); DataError for an empty or unreadable body."""
    if not data:
        raise DataError(f"{where} is empty; allowed: an image ({IMAGE_KINDS})")
    return read_image(io.BytesIO(data), where, IMAGE_FORMATS)
