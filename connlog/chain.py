"""The integrity primitives, with no storage: the hash chain, the RFC 6962 Merkle tree and inclusion
proofs, and the canonical messages that seals and interim checkpoints sign.

`connlog.store` chains each row as it writes it, `connlog.seal` and `connlog.checkpoint` sign days
and prefixes of days, `connlog.export` proves records: all of them build on this module, which
imports none of them (docs/connlog-store.md says what is hashed and signed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

GENESIS = bytes(32)
EMPTY_ROOT = hashlib.sha256(b"").digest()
_SEQ_BYTES = 8


def chain_hash(prev: bytes, payload: str, seq: int) -> bytes:
    return hashlib.sha256(prev + payload.encode() + seq.to_bytes(_SEQ_BYTES, "big")).digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def identity_leaf(seq: int, user_name: str) -> bytes:
    return leaf_hash(json.dumps({"seq": seq, "user_name": user_name}, sort_keys=True,
                                separators=(",", ":")).encode())


class MerkleTree:
    """RFC 6962 tree built bottom-up; an unpaired last node moves up unchanged (same root as MTH)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            above = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            if len(below) % 2:
                above.append(below[-1])
            self.levels.append(above)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    @property
    def root(self) -> bytes:
        return self.levels[-1][0] if self.size else EMPTY_ROOT

    def path(self, index: int) -> list[bytes]:
        proof = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            index >>= 1
        return proof


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# -- signed messages ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SealMessage:
    stream: str
    day: dt.date
    count: int
    first_seq: int | None
    last_seq: int | None
    prev_hash: bytes
    last_hash: bytes
    root: bytes
    identity_root: bytes | None
    identity_count: int
    sealed_at: float
    key: str

    def to_json(self) -> str:
        d = {"v": 1, "stream": self.stream, "day": self.day.isoformat(), "count": self.count,
             "first_seq": self.first_seq, "last_seq": self.last_seq, "prev_hash": self.prev_hash.hex(),
             "last_hash": self.last_hash.hex(), "root": self.root.hex(),
             "identity_root": self.identity_root.hex() if self.identity_root is not None else None,
             "identity_count": self.identity_count, "sealed_at": self.sealed_at, "key": self.key}
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> SealMessage:
        d = json.loads(text)
        return cls(stream=d["stream"], day=dt.date.fromisoformat(d["day"]), count=d["count"],
                   first_seq=d["first_seq"], last_seq=d["last_seq"], prev_hash=bytes.fromhex(d["prev_hash"]),
                   last_hash=bytes.fromhex(d["last_hash"]), root=bytes.fromhex(d["root"]),
                   identity_root=bytes.fromhex(d["identity_root"]) if d["identity_root"] else None,
                   identity_count=d["identity_count"], sealed_at=d["sealed_at"], key=d["key"])


@dataclass(frozen=True)
class CheckpointMessage:
    stream: str
    day: dt.date
    count: int  # tree size: the day's first `count` records, in seq order
    first_seq: int | None
    last_seq: int | None
    prev_hash: bytes
    last_hash: bytes
    root: bytes
    made_at: float
    key: str

    def to_json(self) -> str:
        d = {"v": 1, "kind": "checkpoint", "stream": self.stream, "day": self.day.isoformat(), "count": self.count,
             "first_seq": self.first_seq, "last_seq": self.last_seq, "prev_hash": self.prev_hash.hex(),
             "last_hash": self.last_hash.hex(), "root": self.root.hex(), "made_at": self.made_at, "key": self.key}
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CheckpointMessage:
        d = json.loads(text)
        if d.get("kind") != "checkpoint":
            raise ValueError("not a checkpoint message")
        return cls(stream=d["stream"], day=dt.date.fromisoformat(d["day"]), count=d["count"],
                   first_seq=d["first_seq"], last_seq=d["last_seq"], prev_hash=bytes.fromhex(d["prev_hash"]),
                   last_hash=bytes.fromhex(d["last_hash"]), root=bytes.fromhex(d["root"]), made_at=d["made_at"],
                   key=d["key"])
