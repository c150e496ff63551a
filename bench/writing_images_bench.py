"""Writing Practice's image preparation: `python -m bench.writing_images_bench [--runs 20]`.

For each test image - canvases (900x300, transparent, as the browser's canvas sends them) with words of the seed
written in a Japanese font, and photos of writing on paper, one of them a 10 MB JPEG - what the learner sends
against what Bedrock is sent (bytes, pixels, and the model's image tokens, which Anthropic's models count as about
width x height / 750), and the time `prepare` takes (median and worst of `--runs`). Hold the shared heavy lock:
times need a quiet machine. Targets (issue 20): at least 4x fewer bytes than the raw canvas PNG; under 50 ms per
canvas and 300 ms for a 10 MB photo.
"""
from __future__ import annotations

import argparse
import io
import random
import statistics
import time

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from projects.writing_practice.frontend.images import MAX_UPLOAD_BYTES, prepare
from toolkit.report import table

FONT = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"
CANVAS_WORDS = ("ねこ", "お父さん", "ありがとう", "日本語", "こんばんは")
TOKENS_PER_PIXEL = 1 / 750


def canvas(word: str) -> bytes:
    image = Image.new("RGBA", (900, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((60, 50), word, font=ImageFont.truetype(FONT, 160), fill=(0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def photo(size: tuple[int, int], target_bytes: int) -> bytes:
    """Writing on paper under uneven light, with sensor noise, as a JPEG near `target_bytes` (noise sets the size)."""
    rng = random.Random(size[0])
    paper = Image.linear_gradient("L").resize(size).point(lambda level: 200 + level // 6).convert("RGB")
    ImageDraw.Draw(paper).text((size[0] // 10, size[1] // 3), "お父さん", font=ImageFont.truetype(FONT, size[1] // 4),
                               fill=(40, 40, 60))
    noise = Image.effect_noise(size, 40 + rng.random()).convert("RGB")
    image = Image.blend(paper, noise, 0.3).filter(ImageFilter.GaussianBlur(0.4))
    quality = 97
    while True:
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality)
        if out.tell() <= target_bytes or quality <= 50:
            return out.getvalue()
        quality -= 5


def measure(name: str, data: bytes, runs: int) -> list[object]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        prepared = prepare(data)
        times.append((time.perf_counter() - start) * 1000)
    sent_pixels = prepared.width * prepared.height
    return [name, f"{prepared.source_bytes:,}", f"{prepared.source_pixels:,}", f"{len(prepared.png):,}",
            f"{prepared.width}x{prepared.height}", round(prepared.source_bytes / len(prepared.png), 1),
            round(prepared.source_pixels * TOKENS_PER_PIXEL), round(sent_pixels * TOKENS_PER_PIXEL),
            round(statistics.median(times), 1), round(max(times), 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    images = [(f"canvas {word}", canvas(word)) for word in CANVAS_WORDS]
    images.append(("photo 12 MP", photo((4000, 3000), 4_000_000)))
    images.append(("photo 24 MP", photo((6000, 4000), MAX_UPLOAD_BYTES)))  # about 9 MB: the limit is 10
    rows = []
    for number, (name, data) in enumerate(images, 1):
        print(f"[{number}/{len(images)}] {name} ({len(data):,} bytes)", flush=True)
        rows.append(measure(name, data, runs))
    print(table(["image", "raw bytes", "raw pixels", "sent bytes", "sent size", "bytes ratio", "raw tokens",
                 "sent tokens", "median ms", "worst ms"], rows))


if __name__ == "__main__":
    main()
