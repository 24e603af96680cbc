"""Images (PNG, JPEG): no OCR, the picture size only, read from the header without decoding
pixels."""

from __future__ import annotations

from .result import ExtractionFailed, TextSink
from .source import Source


def parse_image(source: Source, sink: TextSink) -> None:
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # nothing is decoded: a huge picture is only a size
    try:
        with source.open() as stream, Image.open(stream) as image:
            sink.image_size = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ExtractionFailed("Not a valid image: damaged header") from exc
    width, height = sink.image_size
    sink.note = f"Image: no text extraction ({width} × {height} px)"
