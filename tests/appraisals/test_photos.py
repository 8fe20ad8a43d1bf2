"""Photos: only real JPEG and PNG images are taken, turned upright, stored without any
metadata (no GPS position above all), in two sizes, named by their SHA-256."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from engage.appraisals import photos
from engage.appraisals.photos import PhotoError, process_photo, store_photo, stored_path

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def jpeg_with_gps(size: tuple[int, int] = (640, 480), *, orientation: int = 1) -> bytes:
    """A phone-like JPEG: EXIF with a GPS position, the camera's make, an orientation, an ICC
    profile and a comment."""
    image = Image.new("RGB", size, (200, 40, 40))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 4))  # a mark in the top-left
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "PhoneMaker"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 33.0, 18.0)
    gps[3] = "W"
    gps[4] = (0.0, 8.0, 31.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, icc_profile=icc, comment=b"taken at home")
    return out.getvalue()


def png_with_text(size: tuple[int, int] = (300, 200)) -> bytes:
    image = Image.new("RGBA", size, (0, 120, 0, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "my address is 1 High Street")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPS 51.5</x:xmpmeta>")
    exif = Image.Exif()
    exif[MAKE] = "Scanner"
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def encoded(fmt: str, size: tuple[int, int] = (50, 40), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt)
    return out.getvalue()


def assert_no_metadata(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif()) == {}
        assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    for marker in (b"Exif", b"GPS", b"PhoneMaker", b"Scanner", b"xmpmeta", b"ICC_PROFILE"):
        assert marker not in data
    for chunk in (b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"iCCP"):
        assert chunk not in data


def test_a_jpeg_loses_its_gps_position_and_every_other_metadata() -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(GPS_IFD)  # the test's photo does carry a position

    photo = process_photo(original)

    assert photo.kind == "jpeg"
    assert photo.content_type == "image/jpeg"
    assert_no_metadata(photo.full)
    assert_no_metadata(photo.display)


def test_a_png_loses_its_text_xmp_and_exif_chunks_and_keeps_transparency() -> None:
    photo = process_photo(png_with_text())

    assert photo.kind == "png"
    assert_no_metadata(photo.full)
    with Image.open(io.BytesIO(photo.full)) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0)) == (0, 120, 0, 128)


def test_a_photo_is_turned_the_way_the_camera_held_it() -> None:
    # Orientation 6: the camera was turned; the stored pixels must be rotated upright.
    photo = process_photo(jpeg_with_gps((640, 480), orientation=6))

    assert (photo.width, photo.height) == (480, 640)
    with Image.open(io.BytesIO(photo.full)) as image:
        assert image.size == (480, 640)
        assert ORIENTATION not in image.getexif()


def test_a_large_photo_is_capped_and_gets_a_smaller_copy_for_pages() -> None:
    photo = process_photo(encoded("JPEG", (5000, 2500)))

    assert (photo.width, photo.height) == (4096, 2048)
    with Image.open(io.BytesIO(photo.display)) as display:
        assert display.size == (1024, 512)


def test_a_small_photo_keeps_its_size() -> None:
    photo = process_photo(encoded("PNG", (120, 90)))

    assert (photo.width, photo.height) == (120, 90)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 not a photo at all", "This file is not a photo. Choose a JPEG or PNG image."),
        (b"", "This file is empty."),
        (encoded("GIF"), "This image is a GIF. Choose a JPEG or PNG image."),
        (encoded("BMP"), "This image is a BMP. Choose a JPEG or PNG image."),
        (encoded("WEBP"), "This image is a WEBP. Choose a JPEG or PNG image."),
        (
            jpeg_with_gps((1200, 900))[:3000],
            "This photo could not be read: the file is damaged or incomplete.",
        ),
        (
            png_with_text()[:-40],
            "This photo could not be read: the file is damaged or incomplete.",
        ),
    ],
    ids=["pdf", "empty", "gif", "bmp", "webp", "truncated-jpeg", "truncated-png"],
)
def test_anything_but_a_whole_jpeg_or_png_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(PhotoError) as refused:
        process_photo(data)

    assert str(refused.value.message) == message


def test_the_file_name_and_type_claimed_do_not_matter_only_the_content() -> None:
    # A GIF, whatever the browser called it, is a GIF: the service receives only the bytes.
    with pytest.raises(PhotoError):
        process_photo(encoded("GIF"))
    assert process_photo(encoded("PNG")).kind == "png"


def test_a_file_over_10_mb_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(PhotoError) as refused:
        process_photo(b"\xff\xd8" + b"\0" * photos.MAX_BYTES)

    assert str(refused.value.message) == "This photo is larger than 10 MB. Choose a smaller one."


def test_a_decompression_bomb_is_refused() -> None:
    # 20,000 by 20,000 pixels of one colour: a few kilobytes that would decode to 400 MB.
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")
    assert len(out.getvalue()) < 100_000

    with pytest.raises(PhotoError) as refused:
        process_photo(out.getvalue())

    assert "too many pixels" in str(refused.value.message)


def test_the_upload_is_read_only_up_to_one_byte_past_the_limit() -> None:
    stream = io.BytesIO(b"x" * (photos.MAX_BYTES + 1000))

    assert len(photos.read_upload(stream)) == photos.MAX_BYTES + 1


def test_stored_files_are_named_by_their_sha256(tmp_path: Path) -> None:
    photo = process_photo(jpeg_with_gps())

    store_photo(photo, tmp_path / "photos")
    store_photo(photo, tmp_path / "photos")  # the same photo again writes nothing new

    full = tmp_path / "photos" / photo.stored_name
    display = tmp_path / "photos" / photo.display_name
    assert full.read_bytes() == photo.full
    assert photo.stored_name == hashlib.sha256(photo.full).hexdigest() + ".jpg"
    assert photo.sha256 == hashlib.sha256(full.read_bytes()).hexdigest()
    assert display.read_bytes() == photo.display
    assert sorted(p.name for p in (tmp_path / "photos").iterdir()) == sorted(
        {photo.stored_name, photo.display_name}
    )
    assert_no_metadata(full.read_bytes())


def test_only_names_this_module_gives_lead_to_a_file(tmp_path: Path) -> None:
    photo = process_photo(encoded("PNG"))
    store_photo(photo, tmp_path)
    (tmp_path.parent / "secret.png").write_bytes(b"x")

    assert stored_path(tmp_path, photo.stored_name) == tmp_path / photo.stored_name
    assert stored_path(tmp_path, "../secret.png") is None
    assert stored_path(tmp_path, "0" * 64 + ".png") is None  # well formed, but not there


def test_a_png_is_held_to_fewer_pixels_than_a_jpeg() -> None:
    # PNGs decode at full size, 4 bytes a pixel: a 10 MB file could otherwise take gigabytes.
    out = io.BytesIO()
    Image.new("1", (5001, 5001)).save(out, "PNG")  # 25 megapixels, a few kilobytes

    with pytest.raises(PhotoError) as refused:
        process_photo(out.getvalue())

    assert refused.value.message.params == {"megapixels": 25}
