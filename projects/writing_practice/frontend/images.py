"""The learner's handwriting, checked and prepared for the model.

`checked_image(data)` refuses, with a message saying which, an image that is too large (over MAX_UPLOAD_BYTES),
not a PNG or JPEG by its content (the file's name is not consulted: a PNG named .jpg is fine, a text file named
.png is not), of too many pixels (a decompression bomb: the header's size is checked before anything is
decoded), unreadable (corrupt or truncated) or blank (no ink).

`prepared_for_model(image)` is what the model is sent: the ink cropped out with a margin, scaled so the
writing is MODEL_HEIGHT pixels tall at most (and within MODEL_MAX_WIDTH), black on white, as a 1-bit PNG.
Handwriting needs shape, not colour or resolution: bench/writing_images_bench.py measures what this saves
against the raw canvas and a photo.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter, ImageOps

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # apps.md: a JPG/PNG of at most 10 MB
MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo passes; anything larger is refused before it is decoded
FORMATS = {"PNG": "png", "JPEG": "jpeg"}  # what PIL's sniffing may find: all else is refused
MODEL_HEIGHT = 160  # px of writing height the model gets: a kanji of 18 strokes keeps them apart
MODEL_MAX_WIDTH = 1024  # a long word is scaled to fit this width
GRAY_LEVELS = 2  # black on white, a 1-bit PNG: 5.9-11x smaller than the canvas (four greys: 3.4-6.5x)
MARGIN = 0.08  # of the ink's larger side, kept around it
INK_CONTRAST = 48  # grey levels darker than the paper for a pixel to count as ink
MIN_INK_PIXELS = 20  # fewer dark pixels than this is a blank page (sensor noise, a dot)
BACKGROUND_SIDE = 256  # the paper's brightness is estimated on a copy about this large ...
BACKGROUND_STROKE_FILTER = 15  # ... where a maximum filter this wide removes the strokes (odd: a centred window)
DRAFT_SIDE = 2048  # large JPEGs are decoded at a reduced scale (1/2 .. 1/8) no smaller than this


class ImageRefused(ValueError):
    """The image cannot be graded; `str()` says why, for the learner."""


@dataclass(frozen=True)
class PreparedImage:
    png: bytes  # what the model is sent
    width: int
    height: int
    source_bytes: int  # the learner's image as received
    source_pixels: int


def checked_image(data: bytes) -> tuple[Image.Image, int]:
    """The decoded image (grayscale, the paper flattened to white; a large JPEG at a reduced scale) and its pixel
    count as sent, or ImageRefused naming the problem."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRefused(f"the image is {len(data) / 1_048_576:.1f} MB; the limit is "
                           f"{MAX_UPLOAD_BYTES // 1_048_576} MB")
    if not data:
        raise ImageRefused("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(f"the image has more than {MAX_PIXELS // 1_000_000} million pixels") from None
    except Image.UnidentifiedImageError:
        raise ImageRefused("the file is not a PNG or JPEG image (its content was checked, not its name)") from None
    except (OSError, ValueError, SyntaxError):
        raise ImageRefused("the image is unreadable: the file is damaged or cut short") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRefused(f"the image has {width * height / 1_000_000:.0f} million pixels; the limit is "
                           f"{MAX_PIXELS // 1_000_000} million")
    if image.format == "JPEG" and max(width, height) > DRAFT_SIDE:
        # Decoded at 1/2..1/8 scale, the larger side still DRAFT_SIDE or more: far faster, ample for handwriting.
        scale = DRAFT_SIDE / max(width, height)
        image.draft("L", (round(width * scale), round(height * scale)))
    try:
        image.load()
        gray = _flattened(_on_white(image))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ImageRefused("the image is unreadable: the file is damaged or cut short") from None
    if _ink_box(gray) is None:
        raise ImageRefused("the image is blank: no writing was found on it")
    return gray, width * height


def prepared_for_model(gray: Image.Image, source_bytes: int, source_pixels: int) -> PreparedImage:
    """The ink cropped out of `gray` (from `checked_image`), scaled and encoded as the module docstring says."""
    box = _ink_box(gray)
    if box is None:
        raise ImageRefused("the image is blank: no writing was found on it")
    left, top, right, bottom = box
    margin = max(4, round(MARGIN * max(right - left, bottom - top)))
    crop = ImageOps.expand(gray.crop(box), border=margin, fill=255)
    scale = min(MODEL_HEIGHT / crop.height, MODEL_MAX_WIDTH / crop.width, 1.0)
    if scale < 1.0:
        crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
                           Image.Resampling.LANCZOS, reducing_gap=2.0)
    crop = ImageOps.autocontrast(crop, cutoff=1)  # paper white, ink black: a photo's grey becomes clean strokes
    step = 255 / (GRAY_LEVELS - 1)
    levels = crop.point(lambda level: round(round(level / step) * step))
    out = io.BytesIO()
    levels.convert("P", palette=Image.Palette.ADAPTIVE, colors=GRAY_LEVELS).save(
        out, format="PNG", optimize=True, bits=GRAY_LEVELS.bit_length() - 1)
    return PreparedImage(out.getvalue(), crop.width, crop.height, source_bytes, source_pixels)


def prepare(data: bytes) -> PreparedImage:
    """Check then prepare the learner's file."""
    gray, source_pixels = checked_image(data)
    return prepared_for_model(gray, len(data), source_pixels)


def _on_white(image: Image.Image) -> Image.Image:
    """Grayscale with any transparency flattened onto white (the canvas leaves the page transparent)."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image.convert("L")


def _flattened(gray: Image.Image) -> Image.Image:
    """The ink against its own surroundings: each pixel's darkness below the paper around it (estimated on a
    small copy, strokes removed by a maximum filter, then smoothed), shown dark on white. A photo under uneven
    light or with a shadow becomes white paper with dark writing; a canvas stays as it was."""
    factor = max(1, max(gray.size) // BACKGROUND_SIDE)
    small = gray.reduce(factor) if factor > 1 else gray
    paper = small.filter(ImageFilter.MaxFilter(BACKGROUND_STROKE_FILTER)).filter(ImageFilter.GaussianBlur(4))
    if factor > 1:
        paper = paper.resize(gray.size, Image.Resampling.BILINEAR)
    return ImageOps.invert(ImageChops.subtract(paper, gray))


def _ink_box(gray: Image.Image) -> tuple[int, int, int, int] | None:
    """The bounding box of the pixels clearly darker than the paper (its level: the 90th percentile), or None."""
    histogram = gray.histogram()
    total = sum(histogram)
    seen, paper = 0, 255
    for level in range(256):
        seen += histogram[level]
        if seen >= 0.9 * total:
            paper = level
            break
    threshold = paper - INK_CONTRAST
    if threshold <= 0 or sum(histogram[:threshold]) < MIN_INK_PIXELS:
        return None
    ink = gray.point(lambda level: 255 if level < threshold else 0)
    return ink.getbbox()
