"""Power-loss crash states from the log of tests/tools/ddpl_shim.c.

The shim records every change the server makes under its data directory
(opens, writes with their bytes, fsync, truncate, rename, link, unlink,
mkdir, rmdir) in order. Replay() walks that log once; at each cut point it asks
build_crash_state() for a directory as a disk could look after losing power
at that moment, in the spirit of SQLite's crash tests and ALICE:

- file contents: what the file held at its last fsync/fdatasync before the
  cut, plus a random subset of the writes and truncates made since (each
  kept or dropped independently; a kept write may be torn to a 512-byte
  prefix; a dropped write past the end may still leave the file longer,
  with zeros);
- names: a directory entry change (create, mkdir, unlink, rmdir, rename) is
  durable once the directory it is in was fsynced after it (for a rename,
  the directory it moved into: a rename is one journal transaction on the
  Linux filesystems). Changes not yet durable are each kept or dropped at
  random, in their original order. A name whose directory's own entry was
  lost is lost with it.
An fsync of a file does NOT make its directory entry durable in this model
(POSIX does not promise it), which is stricter than ext4 in practice.
"""
import os
import random

SECTOR = 512


class Inode:
    __slots__ = ("ino", "is_dir", "data", "durable", "pending")

    def __init__(self, ino, is_dir):
        self.ino = ino
        self.is_dir = is_dir
        self.data = bytearray()     # what the running system sees
        self.durable = b""          # content at the last fsync
        self.pending = []           # ("w", off, bytes) / ("t", len) since then


class NsOp:
    __slots__ = ("kind", "args", "dirs", "durable_at")

    def __init__(self, kind, args, dirs):
        self.kind = kind            # "link", "unlink", "rename"
        self.args = args
        self.dirs = set(dirs)       # directories whose fsync makes it durable
        self.durable_at = None


def parse(path):
    """Yields (index, op, fields, data) for every record of a shim log."""
    with open(path, "rb") as f:
        buf = f.read()
    pos = 0
    idx = 0
    n = len(buf)
    while pos < n:
        nl = buf.index(b"\n", pos)
        line = buf[pos:nl].decode("utf-8", "surrogateescape")
        pos = nl + 1
        op = line[0]
        rest = line[2:]
        data = None
        if op == "W":
            fd, off, ln = rest.split(" ")
            ln = int(ln)
            data = buf[pos:pos + ln]
            pos += ln
            fields = (int(fd), int(off), ln)
        elif op == "O":
            fd, flags, p = rest.split(" ", 2)
            fields = (int(fd), int(flags), p)
        elif op in "SC":
            fields = (int(rest),)
        elif op == "T":
            fd, ln = rest.split(" ")
            fields = (int(fd), int(ln))
        elif op == "t":
            ln, p = rest.split(" ", 1)
            fields = (int(ln), p)
        elif op in "RL":
            fields = tuple(rest.split("\t"))
        else:                       # U M D X K
            fields = (rest,)
        yield idx, op, fields, data
        idx += 1


O_TRUNC = 0o1000
O_CREAT = 0o100


class Replay:
    """The log applied in order, with what is needed to build a crash state
    at the current position."""

    def __init__(self, root):
        self.root = root.rstrip("/")
        self.inodes = {0: Inode(0, True)}
        self.entries = {}           # (dir ino, name) -> ino: the live namespace
        self.nsops = []
        self.unsynced = {}          # dir ino -> [NsOp] not yet durable through it
        self.fds = {}
        self.next_ino = 1
        self.marks = []             # (index, text)
        self.pos = 0
        self.stats = {"writes": 0, "fsyncs": 0, "renames": 0, "dirsyncs": 0}

    def _split(self, path):
        if path == self.root:
            return None, None
        rel = path[len(self.root) + 1:]
        parts = rel.split("/")
        d = 0
        for p in parts[:-1]:
            d = self.entries.get((d, p))
            if d is None:
                return None, None
        return d, parts[-1]

    def _lookup(self, path):
        if path == self.root:
            return 0
        d, name = self._split(path)
        return None if d is None else self.entries.get((d, name))

    def _ns(self, kind, args, dirs):
        op = NsOp(kind, args, dirs)
        self.nsops.append(op)
        for d in op.dirs:
            self.unsynced.setdefault(d, []).append(op)

    def _new(self, is_dir):
        ino = self.next_ino
        self.next_ino += 1
        self.inodes[ino] = Inode(ino, is_dir)
        return ino

    def apply(self, idx, op, fields, data):
        self.pos = idx + 1
        if op == "O":
            fd, flags, path = fields
            ino = self._lookup(path)
            if ino is None:
                d, name = self._split(path)
                if d is None:
                    raise AssertionError(f"record {idx}: open of {path} in an unknown directory")
                ino = self._new(False)
                self.entries[(d, name)] = ino
                self._ns("link", (d, name, ino), [d])
            elif flags & O_TRUNC:
                self._trunc(self.inodes[ino], 0)
            self.fds[fd] = ino
        elif op == "W":
            fd, off, ln = fields
            node = self.inodes[self.fds[fd]]
            if len(node.data) < off:
                node.data.extend(bytes(off - len(node.data)))
            node.data[off:off + ln] = data
            node.pending.append(("w", off, data))
            self.stats["writes"] += 1
        elif op == "T":
            self._trunc(self.inodes[self.fds[fields[0]]], fields[1])
        elif op == "t":
            ino = self._lookup(fields[1])
            if ino is not None:
                self._trunc(self.inodes[ino], fields[0])
        elif op == "S":
            node = self.inodes[self.fds[fields[0]]]
            if node.is_dir:
                self.stats["dirsyncs"] += 1
                for ns in self.unsynced.pop(node.ino, []):
                    ns.dirs.discard(node.ino)
                    if not ns.dirs and ns.durable_at is None:
                        ns.durable_at = idx
            else:
                self.stats["fsyncs"] += 1
                node.durable = bytes(node.data)
                node.pending = []
        elif op == "C":
            self.fds.pop(fields[0], None)
        elif op == "M":
            d, name = self._split(fields[0])
            ino = self._new(True)
            self.entries[(d, name)] = ino
            self._ns("link", (d, name, ino), [d])
        elif op in "UD":
            d, name = self._split(fields[0])
            ino = self.entries.pop((d, name), None)
            if ino is not None:
                self._ns("unlink", (d, name, ino), [d])
        elif op == "R":
            src, dst = fields
            d1, n1 = self._split(src)
            d2, n2 = self._split(dst)
            ino = self.entries.pop((d1, n1))
            self.entries[(d2, n2)] = ino
            self._ns("rename", (d1, n1, d2, n2, ino), [d2])
            self.stats["renames"] += 1
        elif op == "L":
            src, dst = fields
            d2, n2 = self._split(dst)
            ino = self._lookup(src)
            self.entries[(d2, n2)] = ino
            self._ns("link", (d2, n2, ino), [d2])
        elif op == "K":
            self.marks.append((idx, fields[0]))
        elif op == "X":
            raise AssertionError(f"record {idx}: a file was moved into the tree: {fields[0]}")

    @staticmethod
    def _trunc(node, ln):
        del node.data[ln:]
        node.pending.append(("t", ln))

    def build_crash_state(self, out, rnd, keep=0.5):
        """Writes into the new directory out what a disk may hold after
        power is lost right after the records applied so far: each change
        not yet durable is kept with probability keep (0: the harshest
        state, nothing unsynced survived). Returns the numbers of name
        changes and writes that were dropped."""
        entries = {}
        dropped_ns = dropped_w = 0
        for ns in self.nsops:
            if ns.durable_at is None and rnd.random() >= keep:
                dropped_ns += 1
                continue
            a = ns.args
            if ns.kind == "link":
                entries[(a[0], a[1])] = a[2]
            elif ns.kind == "unlink":
                if entries.get((a[0], a[1])) == a[2]:
                    del entries[(a[0], a[1])]
            else:
                entries[(a[2], a[3])] = a[4]
                if entries.get((a[0], a[1])) == a[4]:
                    del entries[(a[0], a[1])]
        children = {}
        for (d, name), ino in entries.items():
            children.setdefault(d, []).append((name, ino))
        os.makedirs(out)
        stack = [(0, out)]
        while stack:
            d, path = stack.pop()
            for name, ino in children.get(d, []):
                node = self.inodes[ino]
                p = os.path.join(path, name)
                if node.is_dir:
                    os.mkdir(p)
                    stack.append((ino, p))
                    continue
                content, k = self._crash_content(node, rnd, keep)
                dropped_w += k
                with open(p, "wb") as f:
                    f.write(content)
        return dropped_ns, dropped_w

    @staticmethod
    def _crash_content(node, rnd, keep):
        b = bytearray(node.durable)
        dropped = 0
        for p in node.pending:
            if p[0] == "t":
                if rnd.random() < keep:
                    del b[p[1]:]
                continue
            _, off, data = p
            r = rnd.random()
            if r >= keep * 1.2:     # lost (0.4 at keep=0.5)
                dropped += 1
                if off + len(data) > len(b) and rnd.random() < 0.3:
                    b.extend(bytes(off + len(data) - len(b)))   # size kept, data not
                continue
            if r < keep * 0.3 and len(data) > SECTOR:           # torn
                data = data[:SECTOR * rnd.randint(0, (len(data) - 1) // SECTOR)]
            if len(b) < off:
                b.extend(bytes(off - len(b)))
            b[off:off + len(data)] = data
        return bytes(b), dropped


def cut_points(n_records, marks, count, rnd):
    """count cut indices in [1, n_records]: a third right after an
    acknowledgement mark (everything it promised must be durable by then),
    the rest uniform."""
    cuts = set()
    ack = [i + 1 for i, _ in marks]
    for _ in range(count // 3):
        if ack:
            cuts.add(rnd.choice(ack))
    while len(cuts) < min(count, n_records):
        cuts.add(rnd.randint(1, n_records))
    return sorted(cuts)


def replay_cuts(log, root, cuts):
    """Walks log, yielding the Replay at each cut (records [0, cut)
    applied)."""
    rp = Replay(root)
    cuts = list(cuts)
    ci = 0
    for rec in parse(log):
        while ci < len(cuts) and cuts[ci] == rec[0]:
            yield cuts[ci], rp
            ci += 1
        rp.apply(*rec)
    while ci < len(cuts):
        yield cuts[ci], rp
        ci += 1


def count_records(log):
    n = 0
    marks = []
    for idx, op, fields, _ in parse(log):
        n += 1
        if op == "K":
            marks.append((idx, fields[0]))
    return n, marks


def seeded(seed):
    return random.Random(seed)
