"""Frames on a pipe: a 4-byte big-endian length, a JSON header, then the blobs the header lists.

The same framing carries requests from sra (TypeScript) to the executor processes, their replies,
and the records a sandboxed child writes about its own run. A header names its blobs by length in
"blobs"; code, test inputs and encoded values travel as raw bytes, never re-escaped inside JSON.
"""

import json
import os
import struct

_LEN = struct.Struct(">I")
# A header is small (limits, names, per-input metadata); anything larger is a protocol error.
MAX_HEADER = 64 << 20


def read_exact(fd, n):
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd):
    """(header, [blobs]) or None at end of input."""
    raw = read_exact(fd, 4)
    if raw is None:
        return None
    (size,) = _LEN.unpack(raw)
    if size > MAX_HEADER:
        raise ValueError("frame header of %d bytes" % size)
    body = read_exact(fd, size)
    if body is None:
        return None
    header = json.loads(body)
    blobs = []
    for n in header.get("blobs", ()):
        blob = read_exact(fd, int(n))
        if blob is None:
            return None
        blobs.append(blob)
    return header, blobs


def encode_frame(header, blobs=()):
    blobs = [bytes(b) if not isinstance(b, (bytes, bytearray, memoryview)) else b for b in blobs]
    if blobs:
        header = dict(header, blobs=[len(b) for b in blobs])
    body = json.dumps(header, separators=(",", ":"), allow_nan=True).encode("utf-8")
    return b"".join([_LEN.pack(len(body)), body, *blobs])


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def write_frame(fd, header, blobs=()):
    write_all(fd, encode_frame(header, blobs))


# The last frame of every child's report, byte for byte: the zygote watches for it.
DONE = encode_frame({"k": "done"})


class FrameScanner:
    """Splits a growing byte buffer into frames without copying the blobs out (used on child output)."""

    def __init__(self):
        self.buf = bytearray()
        self.pos = 0
        self.frames = []  # (header, [(start, end)])

    def feed(self, data):
        self.buf += data
        while True:
            if len(self.buf) - self.pos < 4:
                return
            (size,) = _LEN.unpack_from(self.buf, self.pos)
            if size > MAX_HEADER:
                raise ValueError("frame header of %d bytes" % size)
            start = self.pos + 4
            if len(self.buf) - start < size:
                return
            header = json.loads(bytes(self.buf[start : start + size]))
            if not isinstance(header, dict):
                raise ValueError("frame header is not an object")
            at = start + size
            spans = []
            for n in header.get("blobs", ()):
                n = int(n)
                if n < 0:
                    raise ValueError("negative blob length")
                spans.append((at, at + n))
                at += n
            if at > len(self.buf):
                return
            self.frames.append((header, spans))
            self.pos = at
