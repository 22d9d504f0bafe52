"""Signed interim checkpoints: today's records can be handed over with proofs, today.

A day is sealed once it is over; a requisition is answered "dans les meilleurs délais". A checkpoint
signs the Merkle root of the first `count` records of a day not sealed yet (RFC 6962 tree over the same
leaves as the seal, in seq order), so an export proves each of those records against it at once. The
day's seal later supersedes it: `seal` refuses to sign a day whose records no longer give each of its
checkpoints' roots as the root of their prefix, and `verify` checks the same, so a checkpoint-proven
export stays consistent with the seal that follows.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, insert, select

from connlog import keys
from connlog.chain import CheckpointMessage, MerkleTree
from connlog.errors import ConnlogError
from connlog.models import CheckpointRow
from connlog.seal import walk_day
from connlog.store import RECORDS, Store


@dataclass(frozen=True)
class Checkpoint:
    message: CheckpointMessage
    text: str  # exactly what was signed
    signature: bytes
    leaves: list[bytes]  # the day's leaves it covers (for inclusion proofs)
    seqs: list[int]  # their seqs, same order


def make(store: Store, conn: Connection, key: Ed25519PrivateKey, day: dt.date, now: float | None = None) -> Checkpoint:
    """Checkpoint the records of `day` (not sealed) present now; reuses the last one if nothing was added.

    Takes the stream head's lock: no record joins the day while its prefix is being signed."""
    st = store.state(conn, RECORDS, lock=True)
    if st.sealed_through is not None and day <= st.sealed_through:
        raise ConnlogError(f"day {day.isoformat()} is sealed: its seal proves its records, not a checkpoint")
    prev = store.link_before(conn, RECORDS, day)
    walked = walk_day(store, conn, RECORDS, day, prev)
    if walked.problems:
        raise ConnlogError(f"refusing to checkpoint records day {day.isoformat()}: the chain is broken:\n  "
                           + "\n  ".join(str(p) for p in walked.problems))
    tree = MerkleTree(walked.leaves)
    existing = conn.execute(select(CheckpointRow.message, CheckpointRow.signature).where(
        CheckpointRow.stream == RECORDS, CheckpointRow.day == day, CheckpointRow.count == tree.size)).first()
    if existing is not None:
        return Checkpoint(CheckpointMessage.from_json(existing.message), existing.message, bytes(existing.signature),
                          walked.leaves, walked.seqs)
    message = CheckpointMessage(stream=RECORDS, day=day, count=tree.size, first_seq=walked.first_seq,
                                last_seq=walked.last_seq, prev_hash=prev, last_hash=walked.last_hash, root=tree.root,
                                made_at=time.time() if now is None else now, key=keys.fingerprint(key.public_key()))
    text = message.to_json()
    signature = key.sign(text.encode())
    conn.execute(insert(CheckpointRow).values(stream=RECORDS, day=day, count=tree.size, made_at=message.made_at,
                                              message=text, signature=signature))
    return Checkpoint(message, text, signature, walked.leaves, walked.seqs)
