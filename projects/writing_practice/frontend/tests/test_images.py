"""The learner's image: refused with a message saying which problem, or prepared for the model (crop, grey, size)."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageChops

from projects.writing_practice.frontend.images import (MAX_UPLOAD_BYTES, MODEL_HEIGHT, ImageRefused, checked_image,
                                                       prepare)
from projects.writing_practice.frontend.tests.conftest import handwriting


def refusal(data: bytes) -> str:
    with pytest.raises(ImageRefused) as refused:
        prepare(data)
    return str(refused.value)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` (a decompression bomb's shape): signature, IHDR, a tiny IDAT."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_too_big_wrong_type_corrupted_and_empty_files_are_refused_saying_which():
    assert refusal(b"\x89PNG" + b"\x00" * MAX_UPLOAD_BYTES) == "the image is 10.0 MB; the limit is 10 MB"
    assert refusal("こんにちは, not an image".encode()) == \
        "the file is not a PNG or JPEG image (its content was checked, not its name)"
    gif = io.BytesIO()
    Image.new("L", (10, 10)).save(gif, format="GIF")
    assert "not a PNG or JPEG" in refusal(gif.getvalue())
    canvas = handwriting("ねこ")
    assert refusal(canvas[: len(canvas) // 2]) == "the image is unreadable: the file is damaged or cut short"
    assert refusal(b"") == "the file is empty"


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    assert refusal(png_header_only(20_000, 20_000)) == "the image has more than 50 million pixels"  # PIL's own guard
    assert refusal(png_header_only(10_000, 6_000)) == "the image has 60 million pixels; the limit is 50 million"


def test_blank_canvases_and_pages_are_refused():
    assert refusal(handwriting("")) == "the image is blank: no writing was found on it"  # transparent canvas
    white_photo = handwriting("", (1600, 1200), page=(236, 232, 225, 255), mode="RGB", fmt="JPEG")
    assert refusal(white_photo) == "the image is blank: no writing was found on it"


def test_a_canvas_is_cropped_to_the_ink_in_black_and_white_and_sent_smaller():
    raw = handwriting("お父さん")
    prepared = prepare(raw)
    image = Image.open(io.BytesIO(prepared.png))
    assert image.format == "PNG" and image.mode == "P" and sum(1 for count in image.convert("L").histogram() if count) == 2
    assert prepared.height == MODEL_HEIGHT and prepared.width < 900  # cropped to the word, not the canvas
    assert (prepared.source_bytes, prepared.source_pixels) == (len(raw), 900 * 300)
    assert len(prepared.png) * 4 <= len(raw)  # the target: at least 4x fewer bytes than the raw canvas


def test_a_large_photo_is_decoded_reduced_and_sent_as_small_as_a_canvas():
    photo = handwriting("ねこ", (6000, 4000), page=(230, 226, 218, 255), mode="RGB", fmt="JPEG", font_size=2400)
    gray, pixels = checked_image(photo)
    assert pixels == 24_000_000 and max(gray.size) <= 3000  # JPEG draft mode: decoded at a reduced scale
    prepared = prepare(photo)
    assert prepared.height <= MODEL_HEIGHT and len(prepared.png) < 10_000


def test_a_photo_under_uneven_light_is_cropped_to_its_writing_not_to_the_shadow():
    page = Image.linear_gradient("L").resize((1600, 1200)).point(lambda level: 110 + level // 2)  # dark at the top
    with_writing = Image.open(io.BytesIO(handwriting("お父さん", (1600, 1200), ink=(30, 30, 30, 255),
                                                     page=(255, 255, 255, 255), mode="RGB", font_size=300)))
    photo = ImageChops.multiply(page.convert("RGB"), with_writing)  # the writing in the same shadow
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=90)
    prepared, on_a_canvas = prepare(out.getvalue()), prepare(handwriting("お父さん"))
    assert prepared.height == MODEL_HEIGHT
    assert abs(prepared.width - on_a_canvas.width) <= on_a_canvas.width * 0.1  # the word's own shape, no paper
