"""Files the fakes serve for download (a customer's photo, document, voice message,
sticker), shared by fake_telegram.py (getFile + /file/bot<token>/<path>) and fake_vk.py
(attachment URLs under /files/).  Each file has a mode, for the hostile cases:

  ok          the file as the platform would send it
  huge        12 MiB of bytes behind a small advertised size (the bot's limit must stop it)
  wrong_type  an HTML page with a script, sent as text/html, in place of the image
  redirect    302 to another host (must be refused, never followed)
"""

import struct
import zlib

from fakehttp import Response

MODES = ("ok", "huge", "wrong_type", "redirect")
HUGE_BYTES = 12 << 20


def png(width=96, height=64, rgb=(0x2f, 0x6f, 0xd6)):
    """A real, small PNG (a plain colour with a white diagonal), so a browser draws it."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            row += b"\xff\xff\xff" if abs(x * height - y * width) < width * 2 else bytes(rgb)
        rows.append(bytes(row))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


# What each kind of file is, when its mode is "ok".
CONTENT = {
    "photo": ("image/png", png),
    "sticker": ("image/png", lambda: png(64, 64, (0xe0, 0x8a, 0x1e))),
    "document": ("application/pdf", lambda: b"%PDF-1.4\n% deskbot fake document\n%%EOF\n"),
    "voice": ("audio/ogg", lambda: b"OggS" + b"\x00" * 60),
}


class FileStore:
    """file key -> (kind, mode, name); answers the download of one key."""

    def __init__(self):
        self.files = {}
        self.downloads = []   # keys, in the order they were downloaded

    def add(self, key, kind, mode="ok", name=None):
        if mode not in MODES:
            raise ValueError("file_mode must be one of " + ", ".join(MODES))
        self.files[key] = (kind, mode, name)

    def size(self, key):
        kind, mode, _ = self.files[key]
        return 2048 if mode == "huge" else len(CONTENT.get(kind, CONTENT["document"])[1]())

    def response(self, key):
        if key not in self.files:
            return Response(404, b"not found", "text/plain")
        self.downloads.append(key)
        kind, mode, _ = self.files[key]
        if mode == "redirect":
            return Response(302, b"", "text/plain",
                            {"Location": "http://files.elsewhere.invalid/" + key})
        if mode == "wrong_type":
            return Response(200, b"<html><script>window.__pwned=1</script></html>", "text/html")
        if mode == "huge":
            return Response(200, b"\xff" * HUGE_BYTES, "image/jpeg")
        ctype, make = CONTENT.get(kind, CONTENT["document"])
        return Response(200, make(), ctype)
