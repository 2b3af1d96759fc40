"""Renders resources/voicepanel.svg to the PNG sizes the installers need.

Writes resources/icons/voicepanel-<N>.png (16..512), resources/voicepanel.ico (Windows) and
copies the SVG and a 256 px PNG into voicepanel/resources/ so the running app can set its
window icon. Uses Qt's own SVG renderer offscreen, so it needs no display and no ImageMagick.
The macOS .icns is made on macOS by packaging/macos/build-macos.sh, which asks this script
for an iconset folder (`--iconset DIR`: icon_16x16.png ... icon_512x512@2x.png) and turns it
into an .icns with iconutil.

    python packaging/make_icons.py
    python packaging/make_icons.py --iconset packaging/build/voicepanel.iconset
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "voicepanel.svg"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def write_ico(path: Path, images: dict[int, bytes]) -> None:
    """An .ico with PNG-compressed entries (valid since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, blob in sorted(images.items()):
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    path.write_bytes(header + entries + blobs)


def write_iconset(renderer: QSvgRenderer, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for size in (16, 32, 128, 256, 512):
        (folder / f"icon_{size}x{size}.png").write_bytes(png_bytes(render(renderer, size)))
        (folder / f"icon_{size}x{size}@2x.png").write_bytes(png_bytes(render(renderer, 2 * size)))


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    if len(sys.argv) == 3 and sys.argv[1] == "--iconset":
        write_iconset(renderer, Path(sys.argv[2]))
        print(f"wrote the iconset {sys.argv[2]}")
        return 0
    out = ROOT / "resources" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    ico: dict[int, bytes] = {}
    for size in SIZES:
        blob = png_bytes(render(renderer, size))
        (out / f"voicepanel-{size}.png").write_bytes(blob)
        if size in ICO_SIZES:
            ico[size] = blob
    write_ico(ROOT / "resources" / "voicepanel.ico", ico)
    package_resources = ROOT / "voicepanel" / "resources"
    package_resources.mkdir(exist_ok=True)
    shutil.copyfile(SVG, package_resources / "voicepanel.svg")
    shutil.copyfile(out / "voicepanel-256.png", package_resources / "voicepanel.png")
    print(f"wrote {len(SIZES)} PNGs to {out}, voicepanel.ico, and voicepanel/resources/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
