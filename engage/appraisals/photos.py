"""Residents' photos: checked by opening them, turned upright, re-encoded without metadata.

A photo is taken only if Pillow opens it as a JPEG or a PNG (what the file holds decides, never
its name or the type the browser claims) and decodes it whole. What is stored is a new image
drawn from the pixels alone: no EXIF (so no GPS position, camera or time), no XMP, no ICC
profile (colours are first converted to sRGB), no text chunks. Two copies are kept, the full
image (at most 4096 px on its long side) and a copy for pages (1024 px), each named by the
SHA-256 of its bytes, so storing the same photo twice writes nothing new.

No framework: the caller reads the upload (at most MAX_BYTES + 1 bytes) and names the folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from engage.i18n import N_, Message

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 60_000_000  # a 60-megapixel photo; beyond that it is a decompression bomb
# PNGs are not decoded at a reduced size as JPEGs are, and take 4 bytes a pixel: 100 MB here.
MAX_PNG_PIXELS = 25_000_000
FULL_SIDE = 4096
DISPLAY_SIDE = 1024
JPEG_QUALITY = 85

# Pillow's names for what it found in the file. MPO is how some cameras and phones write a
# JPEG (with a second, smaller picture after the first); we keep the first picture.
_FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png"}
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {"jpeg": "jpg", "png": "png"}
STORED_NAME = re.compile(r"[0-9a-f]{64}\.(?:jpg|png)")


class PhotoError(ValueError):
    """Why a file cannot be taken as a photo, for the person who sent it."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class ProcessedPhoto:
    kind: str  # "jpeg" or "png"
    full: bytes  # the image without metadata, at most FULL_SIDE px on its long side
    display: bytes  # the same, at most DISPLAY_SIDE px
    width: int  # of the full image
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.full).hexdigest()

    @property
    def stored_name(self) -> str:
        return f"{self.sha256}.{EXTENSIONS[self.kind]}"

    @property
    def display_name(self) -> str:
        return f"{hashlib.sha256(self.display).hexdigest()}.{EXTENSIONS[self.kind]}"


def read_upload(stream: BinaryIO) -> bytes:
    """At most one byte more than MAX_BYTES: enough to tell a file is too large without
    reading all of it."""
    return stream.read(MAX_BYTES + 1)


NOT_AN_IMAGE = N_("This file is not a photo. Choose a JPEG or PNG image.")
WRONG_TYPE = N_("This image is a %(kind)s. Choose a JPEG or PNG image.")
TOO_LARGE = N_("This photo is larger than 10 MB. Choose a smaller one.")
TOO_MANY_PIXELS = N_("This photo has too many pixels (at most %(megapixels)s megapixels).")
BROKEN = N_("This photo could not be read: the file is damaged or incomplete.")
EMPTY = N_("This file is empty.")


def process_photo(data: bytes) -> ProcessedPhoto:
    """The photo ready to store, or PhotoError saying what is wrong with the file."""
    if not data:
        raise PhotoError(Message(EMPTY))
    if len(data) > MAX_BYTES:
        raise PhotoError(Message(TOO_LARGE))
    with warnings.catch_warnings():
        # Pillow warns (rather than refuses) between MAX_IMAGE_PIXELS and twice that.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        kind = "jpeg"  # until the file says otherwise: the limit a refusal names
        try:
            kind = _check(data)
            return _re_encode(data, kind)
        except PhotoError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError(_too_many_pixels(kind)) from None
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError):
            # Everything a damaged file makes Pillow's decoders raise.
            raise PhotoError(Message(BROKEN)) from None
        except MemoryError:
            raise PhotoError(_too_many_pixels(kind)) from None


def _check(data: bytes) -> str:
    """What the file holds ("jpeg" or "png"), after Pillow has verified its structure."""
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise PhotoError(Message(NOT_AN_IMAGE)) from None
    with image:
        found = image.format or ""
        if found not in _FORMATS:
            raise PhotoError(Message(WRONG_TYPE, {"kind": found or "?"}))
        _check_pixels(image, _FORMATS[found])
        image.verify()
    return _FORMATS[found]


def _too_many_pixels(kind: str) -> Message:
    limit = MAX_PIXELS if kind == "jpeg" else MAX_PNG_PIXELS
    return Message(TOO_MANY_PIXELS, {"megapixels": limit // 1_000_000})


def _check_pixels(image: Image.Image, kind: str) -> None:
    width, height = image.size
    if width < 1 or height < 1:
        raise PhotoError(Message(BROKEN))
    if width * height > (MAX_PIXELS if kind == "jpeg" else MAX_PNG_PIXELS):
        raise PhotoError(_too_many_pixels(kind))


def _re_encode(data: bytes, kind: str) -> ProcessedPhoto:
    # verify() leaves the image unusable: open it again to decode it. Everything happens before
    # the file is closed (closing frees the pixels), turning and shrinking in place so that at
    # most two full-size copies are alive at once.
    with Image.open(io.BytesIO(data)) as opened:
        _check_pixels(opened, kind)
        if kind == "jpeg":
            # Let the JPEG decoder scale down while decoding (1/2, 1/4, 1/8): far less memory.
            opened.draft("RGB", (FULL_SIDE, FULL_SIDE))
        opened.load()
        icc = opened.info.get("icc_profile")
        ImageOps.exif_transpose(opened, in_place=True)
        image = _plain_mode(_in_srgb(opened, icc if isinstance(icc, bytes) else None), kind)
        image.thumbnail((FULL_SIDE, FULL_SIDE), Image.Resampling.LANCZOS)
        # A new image from the pixels alone: nothing of the original's metadata comes along.
        clean = Image.frombytes(image.mode, image.size, image.tobytes())
    display = clean.copy()
    display.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        kind=kind,
        full=_encode(clean, kind),
        display=_encode(display, kind),
        width=clean.width,
        height=clean.height,
    )


def _in_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Colours converted to sRGB when the photo carries another colour profile (wide-gamut
    phone cameras do), since the profile itself is not kept."""
    if not icc:
        return image
    if image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.createProfile("sRGB")
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, srgb, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: keep the pixels as they are
    return converted if converted is not None else image


def _plain_mode(image: Image.Image, kind: str) -> Image.Image:
    """RGB or greyscale for JPEG; for PNG also with transparency."""
    allowed = ("RGB", "L") if kind == "jpeg" else ("RGB", "RGBA", "L", "LA")
    if image.mode in allowed:
        return image
    transparent = image.has_transparency_data
    if kind == "png" and transparent:
        return image.convert("RGBA")
    if transparent:  # a JPEG has no transparency: lay the image on white
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "jpeg":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


# --- Storage ----------------------------------------------------------------------------------


def folder(instance_path: str | os.PathLike[str]) -> Path:
    """Where photos are stored: in the instance folder beside the database, never under the
    static files."""
    return Path(instance_path) / "appraisal-photos"


def store_photo(photo: ProcessedPhoto, directory: str | os.PathLike[str]) -> None:
    """Write both copies into ``directory`` under their names (a file already there has the
    same bytes, by its name, and is left alone)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    _write_once(folder / photo.stored_name, photo.full)
    _write_once(folder / photo.display_name, photo.display)


def _write_once(path: Path, data: bytes) -> None:
    if path.exists():
        return
    # Write beside it and rename: a reader never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def stored_path(directory: str | os.PathLike[str], name: str) -> Path | None:
    """Where a stored copy lives, or None for a name this module never gives (so a name from
    the database can never lead outside the folder) or a file that is missing."""
    if not STORED_NAME.fullmatch(name):
        return None
    path = Path(directory) / name
    return path if path.is_file() else None


def remove_files(directory: str | os.PathLike[str], *names: str) -> None:
    """Delete stored copies by their names (a name this module never gives is left alone)."""
    for name in names:
        path = stored_path(directory, name)
        if path is not None:
            path.unlink(missing_ok=True)
