"""Photos answered to a checklist item: checked (size, JPEG/PNG/WebP by their magic bytes) and
stored on disk under a folder the caller passes (the settings' ``photos_dir``, by default
``var/photos``), one file per visit and item: ``<visit id>/<item id>-<stamp>.<ext>``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from scheduler_core.kernel.errors import ValidationFailed

#: Kept under the app's request size limit (4 MB, app/server.py).
MAX_PHOTO_BYTES = 3 * 1024 * 1024
_TYPES = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))


def photo_type(data: bytes) -> str:
    """The file extension of an accepted photo, else a pt-BR ``ValidationFailed``."""
    if not data:
        raise ValidationFailed("A foto enviada está vazia.")
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationFailed(
            f"A foto tem {len(data) / 1024 / 1024:.1f} MB; o limite é "
            f"{MAX_PHOTO_BYTES // 1024 // 1024} MB.".replace(".", ",", 1)
        )
    for magic, ext in _TYPES:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise ValidationFailed("Envie a foto em JPEG, PNG ou WebP.")


def store_photo(folder: Path, appointment_id: int, item_id: int, data: bytes,
                now: datetime) -> str:
    """Write a checked photo; returns its path relative to ``folder``."""
    ext = photo_type(data)
    relative = Path(str(appointment_id)) / f"{item_id}-{now:%Y%m%d%H%M%S%f}.{ext}"
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative.as_posix()


def photo_file(folder: Path, relative: str) -> Path | None:
    """The stored file of an answer, or None when missing or outside ``folder``."""
    root = folder.resolve()
    target = (folder / relative).resolve()
    if root not in target.parents or not target.is_file():
        return None
    return target


CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
