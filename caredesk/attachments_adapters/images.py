"""Strip metadata from uploaded screenshots and photos (Pillow), keeping what they show.

``caredesk.domain.sanitize`` classifies PNG/JPEG/GIF/WebP uploads as ``kind="image"`` because it
cannot read pixels for customer data; the upload service passes such bytes through
``strip_image_metadata`` and asks the DC to confirm the image shows no customer data.

Invariants:
- The output is the same format as the input, re-encoded from pixels only: no EXIF (GPS position,
  device, owner, timestamps), XMP, IPTC, ICC profile, comments or PNG text chunks survive. JPEG
  orientation is applied to the pixels first, so dropping EXIF does not turn a photo sideways.
- Animated GIF/WebP keep their frames and timing, nothing else.
- Images larger than ``max_pixels`` (per frame) or with more than ``max_frames`` frames, and data
  Pillow cannot decode, are refused with ``UploadRefused`` before the pixels are decoded.
"""

from __future__ import annotations

import io
import warnings
from typing import Final

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from caredesk.domain.errors import UploadRefused

_FORMATS: Final = frozenset({"PNG", "JPEG", "GIF", "WEBP"})
# Information needed to render the pixels correctly; everything else in ``Image.info`` is dropped.
_RENDERING_KEYS: Final = frozenset({"transparency", "duration", "loop", "background", "disposal"})


def _refuse(message: str, reason: str) -> UploadRefused:
    return UploadRefused(message, reason=reason)


def _bare(frame: Image.Image, keep: dict[str, object]) -> Image.Image:
    copy = frame.copy()
    copy.info = {key: value for key, value in keep.items()}
    return copy


def strip_image_metadata(data: bytes, *, max_pixels: int = 40_000_000, max_frames: int = 500) -> bytes:
    """The image re-encoded without any metadata, in its own format."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format
                if fmt not in _FORMATS:
                    raise _refuse(
                        f"{fmt or 'this'} images are not accepted; use PNG, JPEG, GIF or WebP", "image_format"
                    )
                width, height = image.size
                if width * height > max_pixels:
                    raise _refuse(f"image larger than {max_pixels} pixels", "image_too_large")
                frames = getattr(image, "n_frames", 1)
                if frames > max_frames:
                    raise _refuse(f"image with more than {max_frames} frames", "image_too_large")
                keep: dict[str, object] = {
                    k: v for k, v in image.info.items() if isinstance(k, str) and k in _RENDERING_KEYS
                }
                out = io.BytesIO()
                if frames > 1:
                    sequence = [_bare(frame, keep) for frame in ImageSequence.Iterator(image)]
                    durations = [frame.info.get("duration", keep.get("duration", 100)) for frame in sequence]
                    sequence[0].save(
                        out,
                        format=fmt,
                        save_all=True,
                        append_images=sequence[1:],
                        duration=durations,
                        loop=keep.get("loop", 0),
                    )
                else:
                    upright = ImageOps.exif_transpose(image)
                    bare = _bare(upright, keep)
                    options: dict[str, object] = {"quality": 95} if fmt in {"JPEG", "WEBP"} else {}
                    bare.save(out, format=fmt, **options)
                return out.getvalue()
    except UploadRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse(f"unreadable or oversized image: {exc}", "image_unreadable") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise _refuse(f"unreadable image: {exc}", "image_unreadable") from None
