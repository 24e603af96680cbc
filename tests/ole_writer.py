"""A small writer of OLE2 compound files (MS-CFB version 3), for tests: enough to build
Outlook .msg files (small, or with a stream of tens of MB) and an OLE file that is not a
message. Streams under 4,096 bytes go to the mini stream, as the format requires; storages'
children form a balanced binary tree (all black, which readers accept); past 109 FAT
sectors (about 7 MB) the FAT's list continues in DIFAT sectors."""

from __future__ import annotations

import struct

FREE, END, FATSECT, DIFSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC, 0xFFFFFFFF
HEADER_DIFAT, DIFAT_PER_SECTOR = 109, 127
SECTOR, MINI, CUTOFF = 512, 64, 4096


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b"") -> None:
        self.name, self.kind, self.data = name, kind, data
        self.children: list[_Entry] = []
        self.left = self.right = self.child = NOSTREAM
        self.start, self.size = END, len(data)
        self.id = 0


def _key(entry: _Entry) -> tuple[int, str]:
    return (len(entry.name), entry.name.upper())


def build(streams: dict[str, bytes]) -> bytes:
    """A compound file holding ``streams`` ({"storage/stream": bytes}); storages on the
    way are made as needed."""
    root = _Entry("Root Entry", 5)
    storages = {"": root}
    for path in sorted(streams):
        parts = path.split("/")
        parent = root
        for depth in range(1, len(parts)):
            key = "/".join(parts[:depth])
            if key not in storages:
                storages[key] = _Entry(parts[depth - 1], 1)
                parent.children.append(storages[key])
            parent = storages[key]
        parent.children.append(_Entry(parts[-1], 2, streams[path]))

    entries: list[_Entry] = []

    def number(entry: _Entry) -> None:
        entry.id = len(entries)
        entries.append(entry)
        for child in entry.children:
            number(child)

    number(root)

    def tree(items: list[_Entry]) -> int:
        if not items:
            return NOSTREAM
        items = sorted(items, key=_key)
        middle = len(items) // 2
        node = items[middle]
        node.left, node.right = tree(items[:middle]), tree(items[middle + 1 :])
        return node.id

    for entry in entries:
        entry.child = tree(entry.children) if entry.kind in (1, 5) else NOSTREAM

    # The mini stream and its allocation table.
    mini_stream, mini_fat = bytearray(), []
    large = [e for e in entries if e.kind == 2 and e.size >= CUTOFF]
    for entry in entries:
        if entry.kind == 2 and entry.size < CUTOFF:
            if entry.size == 0:
                entry.start = END
                continue
            first = len(mini_stream) // MINI
            count = -(-entry.size // MINI)
            entry.start = first
            mini_fat += [first + i + 1 for i in range(count - 1)] + [END]
            mini_stream += entry.data + b"\0" * (count * MINI - entry.size)
    root.size = len(mini_stream)

    n_dir = -(-len(entries) // 4)
    n_minifat = -(-len(mini_fat) // 128)
    n_mini = -(-len(mini_stream) // SECTOR)
    n_large = sum(-(-e.size // SECTOR) for e in large)
    n_fat = n_difat = 1
    while True:
        n_difat = -(-max(0, n_fat - HEADER_DIFAT) // DIFAT_PER_SECTOR)
        if n_fat * 128 >= n_fat + n_difat + n_dir + n_minifat + n_mini + n_large:
            break
        n_fat += 1

    # Sectors: the FAT, then the DIFAT sectors, then the directory, then the streams.
    fat: list[int] = [FATSECT] * n_fat + [DIFSECT] * n_difat
    sectors: list[bytes] = [b""] * n_difat

    def chain(data: bytes) -> int:
        count = -(-len(data) // SECTOR)
        first = n_fat + len(sectors)
        fat.extend([first + i + 1 for i in range(count - 1)] + [END])
        for i in range(count):
            sectors.append(data[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\0"))
        return first

    dir_start = n_fat + n_difat  # the directory's content is known last: reserve it
    fat.extend([dir_start + i + 1 for i in range(n_dir - 1)] + [END])
    sectors.extend([b""] * n_dir)
    minifat_start = chain(b"".join(struct.pack("<I", v) for v in mini_fat)) if mini_fat else END
    if mini_stream:
        root.start = chain(bytes(mini_stream))
    for entry in large:
        entry.start = chain(entry.data)

    directory = b"".join(_dir_entry(e) for e in entries)
    directory += _empty_entry() * (n_dir * 4 - len(entries))
    for i in range(n_dir):
        sectors[n_difat + i] = directory[i * SECTOR : (i + 1) * SECTOR]
    rest = list(range(HEADER_DIFAT, n_fat))
    for k in range(n_difat):
        entries = rest[k * DIFAT_PER_SECTOR : (k + 1) * DIFAT_PER_SECTOR]
        entries += [FREE] * (DIFAT_PER_SECTOR - len(entries))
        entries.append(n_fat + k + 1 if k + 1 < n_difat else END)
        sectors[k] = b"".join(struct.pack("<I", v) for v in entries)

    fat += [FREE] * (n_fat * 128 - len(fat))
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    difat = list(range(min(n_fat, HEADER_DIFAT))) + [FREE] * (HEADER_DIFAT - n_fat)
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack(
            "<IIIIIIIII",
            *(0, n_fat, dir_start, 0, CUTOFF, minifat_start, n_minifat),
            *(n_fat if n_difat else END, n_difat),
        )
        + b"".join(struct.pack("<I", v) for v in difat)
    )
    assert len(header) == SECTOR
    return header + fat_bytes + b"".join(sectors)


def _dir_entry(entry: _Entry) -> bytes:
    name = entry.name.encode("utf-16-le") + b"\0\0"
    assert len(name) <= 64
    return (
        name.ljust(64, b"\0")
        + struct.pack("<HBB", len(name), entry.kind, 1)
        + struct.pack("<III", entry.left, entry.right, entry.child)
        + b"\0" * 16
        + b"\0" * 4
        + b"\0" * 16
        + struct.pack("<IQ", entry.start, entry.size)
    )


def _empty_entry() -> bytes:
    return (
        b"\0" * 64
        + struct.pack("<HBB", 0, 0, 0)
        + struct.pack("<III", FREE, FREE, FREE)
        + b"\0" * 48
    )
