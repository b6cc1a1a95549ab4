"""Issue 4 item 5: "Screenshots and other images have their metadata stripped (Pillow)".

caredesk.attachments_adapters.images re-encodes an image from its pixels only.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from caredesk.attachments_adapters.images import strip_image_metadata
from caredesk.domain.errors import UploadRefused


def _exif() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = "Jane Doe"  # Artist
    exif[0x010F] = "Acme Phones"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to display
    return exif.tobytes()


def _image() -> Image.Image:
    image = Image.new("RGB", (40, 20), (200, 10, 10))
    image.putpixel((0, 0), (0, 255, 0))
    return image


def test_jpeg_loses_exif_and_comments_but_keeps_its_orientation() -> None:
    buf = io.BytesIO()
    _image().save(buf, "JPEG", exif=_exif(), comment=b"call 4155550123")
    out = strip_image_metadata(buf.getvalue())
    stripped = Image.open(io.BytesIO(out))
    assert stripped.format == "JPEG" and stripped.size == (20, 40)  # rotated into place
    assert dict(stripped.getexif()) == {}
    assert b"Jane Doe" not in out and b"4155550123" not in out and b"Acme" not in out


def test_png_loses_text_chunks_and_keeps_its_pixels() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "jane@example.com")
    info.add_itxt("Comment", "ANI 4155550123")
    buf = io.BytesIO()
    _image().save(buf, "PNG", pnginfo=info)
    out = strip_image_metadata(buf.getvalue())
    stripped = Image.open(io.BytesIO(out))
    assert stripped.format == "PNG" and stripped.info == {}
    assert stripped.tobytes() == _image().tobytes()
    assert b"jane@example.com" not in out and b"4155550123" not in out


def test_animated_gif_keeps_its_frames_and_timing_only() -> None:
    frames = [Image.new("RGB", (10, 10), (i * 80, 0, 0)) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=[50, 60, 70], loop=0, comment=b"jane")
    out = strip_image_metadata(buf.getvalue())
    stripped = Image.open(io.BytesIO(out))
    assert stripped.n_frames == 3 and b"jane" not in out


def test_webp_loses_exif_and_xmp() -> None:
    buf = io.BytesIO()
    _image().save(buf, "WEBP", exif=_exif(), xmp=b"<x:xmpmeta>jane</x:xmpmeta>")
    out = strip_image_metadata(buf.getvalue())
    assert Image.open(io.BytesIO(out)).format == "WEBP"
    assert b"jane" not in out and b"Jane Doe" not in out


def test_unreadable_oversized_and_other_formats_are_refused() -> None:
    with pytest.raises(UploadRefused) as caught:
        strip_image_metadata(b"\x89PNG\r\n\x1a\nnot really")
    assert caught.value.reason == "image_unreadable"
    buf = io.BytesIO()
    _image().save(buf, "PNG")
    with pytest.raises(UploadRefused) as caught:
        strip_image_metadata(buf.getvalue(), max_pixels=100)
    assert caught.value.reason == "image_too_large"
    bmp = io.BytesIO()
    _image().save(bmp, "BMP")
    with pytest.raises(UploadRefused) as caught:
        strip_image_metadata(bmp.getvalue())
    assert caught.value.reason == "image_format"
