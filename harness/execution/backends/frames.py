"""Length-prefixed messages over OS pipes: how the interpreter pool talks, across an
interpreter boundary (inside its host process) and across a process boundary (to the harness).

A frame is an 8-byte big-endian length and that many bytes. Reads block in ``os.read``,
which releases the GIL of the interpreter that calls it, so a worker waiting for its next
chunk costs no CPU and holds up nobody. Stdlib only: it is imported inside subinterpreters.
"""

from __future__ import annotations

import os
import select
import struct
import time

__all__ = ["FrameTimeout", "read_frame", "write_frame"]

_HEADER = struct.Struct("!Q")
_READ_AT_MOST = 1 << 20


class FrameTimeout(TimeoutError):
    """No whole frame arrived by the deadline."""


def write_frame(fd: int, data: bytes) -> None:
    """Write one frame; os.write may write less than asked, so loop until all of it is out."""
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    parts, got = [], 0
    while got < size:
        if deadline is not None:
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise FrameTimeout(f"no reply by the deadline ({got} of {size} bytes)")
        part = os.read(fd, min(size - got, _READ_AT_MOST))
        if not part:
            return None
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def read_frame(fd: int, deadline: float | None = None) -> bytes | None:
    """The next frame's bytes; None at end of file (the writer closed or died).

    ``deadline`` (a ``perf_counter`` reading): FrameTimeout when the frame is not whole by then.
    """
    header = _read_exact(fd, _HEADER.size, deadline)
    if header is None:
        return None
    data = _read_exact(fd, _HEADER.unpack(header)[0], deadline)
    if data is None:
        return None
    return data
