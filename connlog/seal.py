"""Integrity: the hash chain, the signed daily Merkle roots, inclusion proofs, and verification.

- Chain, in order of arrival (seq): `chain_hash = SHA-256(prev_chain_hash || payload || seq)` where the
  payload is the record's canonical JSON (UTF-8) and seq is 8 bytes big-endian; the first prev is 32
  zero bytes. Each row stores its prev and its chain hash, so a fault is named at the row it touches.
- Daily seal, per stream (records, journal) and UTC day: a Merkle tree as in RFC 6962 (leaf =
  H(0x00 || chain_hash), node = H(0x01 || left || right), empty day = H("")) and, for records, a second
  root over the day's identity rows (so identity stays verifiable after the technical rows are purged).
  The seal message (canonical JSON: day, count, first/last seq, prev/last chain hash, roots, key
  fingerprint) is signed with Ed25519. Seals chain too: a seal's prev hash is the previous seal's last.
- Inclusion proofs (RFC 9162 2.1.3) let anyone holding only the public key check an exported record.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from connlog import keys
from connlog.chain import (
    GENESIS,
    CheckpointMessage,
    MerkleTree,
    SealMessage,
    chain_hash,
    identity_leaf,
    leaf_hash,
)
from connlog.errors import ConnlogError
from connlog.models import CheckpointRow, IdentityRow, PurgeRow, SealRow
from connlog.store import RECORDS, STREAMS, ChainRow, Store, utc_day


@dataclass(frozen=True)
class Problem:
    stream: str
    day: dt.date | None
    seq: int | None
    what: str

    def __str__(self) -> str:
        where = [self.stream]
        if self.day is not None:
            where.append(f"day {self.day.isoformat()}")
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        return f"{' '.join(where)}: {self.what}"

    def to_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "day": self.day.isoformat() if self.day else None, "seq": self.seq,
                "what": self.what}


# -- chain diagnosis ----------------------------------------------------------------------------------
_WINDOW = 4096  # recent links remembered to tell an inserted row from a deleted one
_REORDER_REACH = 64  # seqs tried around a row whose hash fails, to recognise a moved record


@dataclass
class _Walk:
    """Checks links one at a time, naming each fault at the row it touches."""

    stream: str
    day: dt.date
    expected: bytes
    problems: list[Problem] = field(default_factory=list)
    recent: OrderedDict[bytes, int] = field(default_factory=OrderedDict)
    pending: tuple[ChainRow, bytes] | None = None
    last_seq: int | None = None
    leaves: list[bytes] = field(default_factory=list)
    after_move: bool = False  # the previous row was a moved record: its successor's link is explained

    def _say(self, seq: int | None, what: str) -> None:
        self.problems.append(Problem(self.stream, self.day, seq, what))

    def _remember(self, digest: bytes, seq: int) -> None:
        self.recent[digest] = seq
        if len(self.recent) > _WINDOW:
            self.recent.popitem(last=False)

    def feed(self, row: ChainRow) -> None:
        self.leaves.append(leaf_hash(row.chain_hash))
        self_ok = chain_hash(row.prev_hash, row.payload, row.seq) == row.chain_hash
        link_ok = row.prev_hash == self.expected
        if self.pending is not None:
            suspect, before = self.pending
            self.pending = None
            if row.prev_hash == before and self_ok:
                self._say(suspect.seq, "record inserted: it is not part of the chain "
                          f"(seq {row.seq} is chained directly after what precedes it)")
                link_ok = True
            else:
                self._say(suspect.seq, "record modified: its content no longer matches its chain hash")
        after_move, self.after_move = self.after_move, False
        if not self_ok:
            moved = self._original_seq(row)
            if moved is not None:
                self._say(row.seq, f"records reordered: this row holds the record chained as seq {moved}")
                self.after_move = True
            else:
                self.pending = (row, self.expected)
        elif not link_ok and not after_move:
            if row.prev_hash in self.recent:
                skipped = [s for s in self.recent.values() if s > self.recent[row.prev_hash]]
                for seq in skipped:
                    self._say(seq, f"record inserted: seq {row.seq} is chained after seq "
                              f"{self.recent[row.prev_hash]}, not after it")
            else:
                after = f"after seq {self.last_seq}" if self.last_seq is not None else "at the start of the day"
                self._say(row.seq, f"record(s) deleted just before this one ({after}): its predecessor "
                          "is missing from the chain")
        self._remember(row.chain_hash, row.seq)
        self.expected = row.chain_hash
        self.last_seq = row.seq

    def _original_seq(self, row: ChainRow) -> int | None:
        candidates = set(range(max(0, row.seq - _REORDER_REACH), row.seq + _REORDER_REACH + 1))
        candidates.update(self.recent.values())
        candidates.discard(row.seq)
        for seq in sorted(candidates, key=lambda s: abs(s - row.seq)):
            if chain_hash(row.prev_hash, row.payload, seq) == row.chain_hash:
                return seq
        return None

    def finish(self) -> list[Problem]:
        if self.pending is not None:
            self._say(self.pending[0].seq, "record modified: its content no longer matches its chain hash")
            self.pending = None
        return self.problems


@dataclass(frozen=True)
class WalkedDay:
    leaves: list[bytes]
    first_seq: int | None
    last_seq: int | None
    last_hash: bytes
    problems: list[Problem]
    seqs: list[int]


def walk_day(store: Store, conn: Any, stream: str, day: dt.date, prev: bytes, has_rows: bool = True) -> WalkedDay:
    """A day's links checked in seq order from `prev`: its Merkle leaves and what is wrong (seal, checkpoint)."""
    walk = _Walk(stream, day, prev)
    seqs: list[int] = []
    for row in store.chain(conn, stream, day) if has_rows else ():  # quiet days (holidays) cost no query
        seqs.append(row.seq)
        walk.feed(row)
    problems = walk.finish()
    return WalkedDay(walk.leaves, seqs[0] if seqs else None, walk.last_seq, walk.expected, problems, seqs)


def checkpoint_problems(store: Store, conn: Any, stream: str, day: dt.date, leaves: list[bytes],
                        public_key: Ed25519PublicKey | None = None) -> list[Problem]:
    """The day's interim checkpoints must be prefixes of its tree: each signed root equals the root of the
    day's first `count` leaves (with `public_key`, each signature is checked too)."""
    from sqlalchemy import select


    problems: list[Problem] = []
    rows = conn.execute(select(CheckpointRow.__table__).where(CheckpointRow.stream == stream,
                                                              CheckpointRow.day == day).order_by(CheckpointRow.count))
    for row in rows:
        if public_key is not None and not keys.verify(public_key, row.signature, row.message.encode()):
            problems.append(Problem(stream, day, None, f"checkpoint of {row.count} record(s): signature invalid"))
            continue
        message = CheckpointMessage.from_json(row.message)
        if message.count > len(leaves) or MerkleTree(leaves[:message.count]).root != message.root:
            problems.append(Problem(stream, day, None, f"the records do not match the signed checkpoint of "
                                    f"{message.count} record(s) made at {message.made_at:.0f} (altered since)"))
    return problems


# -- sealing --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SealResult:
    stream: str
    day: dt.date
    count: int
    root: str


def seal(store: Store, key: Ed25519PrivateKey, *, through: dt.date | None = None,
         now: float | None = None) -> list[SealResult]:
    """Seal every closed, unsealed day up to `through` (default yesterday, UTC), both streams. Idempotent."""

    now = time.time() if now is None else now
    yesterday = utc_day(now) - dt.timedelta(days=1)
    if through is not None and through > yesterday:
        raise ConnlogError(f"day {through.isoformat()} is not over yet (UTC): only days up to "
                           f"{yesterday.isoformat()} can be sealed")
    through = through or yesterday
    done: list[SealResult] = []
    for stream in STREAMS:
        with store.write() as conn:
            st = store.state(conn, stream, lock=True)
            seals = store.seals(conn, stream)
            days = store.days(conn, stream)
            row_days = set(days)
            if st.sealed_through is not None:
                first = st.sealed_through + dt.timedelta(days=1)
            elif days:
                first = days[0]
            else:
                continue
            prev = SealMessage.from_json(seals[-1].message).last_hash if seals else GENESIS
            day = first
            while day <= through:
                message = _seal_one(store, conn, key, stream, day, prev, now, day in row_days)
                done.append(SealResult(stream, day, message.count, message.root.hex()))
                prev = message.last_hash
                st.sealed_through = day
                day += dt.timedelta(days=1)
            store.save_state(conn, stream, st)
    return done


def _seal_one(store: Store, conn: Any, key: Ed25519PrivateKey, stream: str, day: dt.date, prev: bytes,
              now: float, has_rows: bool) -> SealMessage:

    walked = walk_day(store, conn, stream, day, prev, has_rows)
    problems = walked.problems or checkpoint_problems(store, conn, stream, day, walked.leaves)
    if problems:
        raise ConnlogError(f"refusing to seal {stream} day {day.isoformat()}: the chain is broken:\n  "
                           + "\n  ".join(str(p) for p in problems))
    identity_root, identity_count = None, 0
    if stream == RECORDS:
        identity = identity_leaves(store, conn, day) if has_rows else []
        identity_root, identity_count = MerkleTree(identity).root, len(identity)
    message = SealMessage(stream=stream, day=day, count=len(walked.leaves), first_seq=walked.first_seq,
                          last_seq=walked.last_seq, prev_hash=prev, last_hash=walked.last_hash,
                          root=MerkleTree(walked.leaves).root, identity_root=identity_root,
                          identity_count=identity_count, sealed_at=now, key=keys.fingerprint(key.public_key()))
    text = message.to_json()
    conn.execute(SealRow.__table__.insert().values(stream=stream, day=day, sealed_at=now, message=text,
                                                   signature=key.sign(text.encode())))
    return message


def identity_leaves(store: Store, conn: Any, day: dt.date) -> list[bytes]:
    from sqlalchemy import select


    rows = conn.execute(select(IdentityRow.seq, IdentityRow.user_name).where(IdentityRow.day == day)
                        .order_by(IdentityRow.seq))
    return [identity_leaf(seq, user) for seq, user in rows]


# -- verification ---------------------------------------------------------------------------------------
@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    days_checked: int = 0
    rows_checked: int = 0
    seals_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: Store, public_key: Ed25519PublicKey, *, day: dt.date | None = None,
           streams: Iterable[str] | None = None) -> Report:
    """Check signatures, the seal chain, and every row's chain and day root; name what is wrong."""
    from sqlalchemy import func, select


    report = Report()
    fingerprint = keys.fingerprint(public_key)
    with store.read() as conn:
        purged = dict(conn.execute(select(PurgeRow.category, func.max(PurgeRow.before_day))
                                   .group_by(PurgeRow.category)).all())
        for stream in streams or STREAMS:
            seals = _check_seals(store.seals(conn, stream), public_key, fingerprint, stream, report)
            row_days = set(store.days(conn, stream))
            identity_days = set(conn.execute(select(IdentityRow.day).distinct()).scalars()) if stream == RECORDS \
                else set()
            days = sorted(set(seals) | row_days)
            purged_before = purged.get("technical") if stream == RECORDS else None
            identity_purged_before = purged.get("identity") if stream == RECORDS else None
            if day is not None:
                days = [day]
            expected = store.link_before(conn, stream, days[0]) if days else GENESIS
            for d in days:
                message = seals.get(d)
                if message is not None:
                    expected = message.prev_hash
                report.days_checked += 1
                expected = _check_day(store, conn, stream, d, message, expected, purged_before,
                                      identity_purged_before if d not in identity_days else None, report,
                                      d in row_days, d in identity_days, public_key)
    return report


def _check_seals(rows: list[Any], public_key: Ed25519PublicKey, fingerprint: str, stream: str,
                 report: Report) -> dict[dt.date, SealMessage]:
    seals: dict[dt.date, SealMessage] = {}
    previous: SealMessage | None = None
    for row in rows:
        report.seals_checked += 1
        if not keys.verify(public_key, row.signature, row.message.encode()):
            report.problems.append(Problem(stream, row.day, None, "seal signature invalid: the seal was "
                                           "altered or signed by another key"))
            continue
        message = SealMessage.from_json(row.message)
        if message.day != row.day or message.stream != stream:
            report.problems.append(Problem(stream, row.day, None, f"seal moved: it was signed for "
                                           f"{message.stream} day {message.day.isoformat()}"))
            continue
        if message.key != fingerprint:
            report.problems.append(Problem(stream, row.day, None, f"sealed with key {message.key}, "
                                           f"not {fingerprint}"))
        if previous is not None:
            gap = (message.day - previous.day).days
            if gap > 1:
                report.problems.append(Problem(stream, message.day, None, f"seal(s) missing for the {gap - 1} "
                                               f"day(s) after {previous.day.isoformat()}"))
            elif message.prev_hash != previous.last_hash:
                report.problems.append(Problem(stream, message.day, None, "seal does not follow the previous "
                                               "day's seal (chain broken between days)"))
        previous = message
        seals[message.day] = message
    return seals


def _check_day(store: Store, conn: Any, stream: str, d: dt.date, message: SealMessage | None,
               expected: bytes, purged_before: dt.date | None, identity_purged_before: dt.date | None,
               report: Report, has_rows: bool, has_identity: bool, public_key: Ed25519PublicKey) -> bytes:
    walk = _Walk(stream, d, expected)
    outside: list[int] = []
    for row in store.chain(conn, stream, d) if has_rows else ():
        report.rows_checked += 1
        if message is not None and (message.first_seq is None or not message.first_seq <= row.seq
                                    <= (message.last_seq or 0)):
            outside.append(row.seq)
        walk.feed(row)
    problems = walk.finish()
    for seq in outside:
        if not any(p.seq == seq for p in problems):
            problems.append(Problem(stream, d, seq, "record inserted after sealing: outside the sealed range"))
    count = len(walk.leaves)
    if message is not None:
        if count == 0 and message.count > 0 and purged_before is not None and d < purged_before:
            if has_identity or message.identity_count:
                _check_identity(store, conn, d, message, identity_purged_before, problems)
            report.problems.extend(problems)
            return message.last_hash  # purged by retention: the signed seal remains the anchor
        if count != message.count:
            problems.append(Problem(stream, d, None, f"{count} records present, the seal signed {message.count}"))
        if MerkleTree(walk.leaves).root != message.root and not problems:
            problems.append(Problem(stream, d, None, "the records do not match the signed Merkle root "
                                    "(chain recomputed after sealing)"))
        if message.identity_root is not None and (has_identity or message.identity_count):
            _check_identity(store, conn, d, message, identity_purged_before, problems)
    if has_rows and not problems:
        problems.extend(checkpoint_problems(store, conn, stream, d, walk.leaves, public_key))
    report.problems.extend(problems)
    return message.last_hash if message is not None else walk.expected


def _check_identity(store: Store, conn: Any, d: dt.date, message: SealMessage,
                    identity_purged_before: dt.date | None, problems: list[Problem]) -> None:
    leaves = identity_leaves(store, conn, d)
    if not leaves and identity_purged_before is not None and d < identity_purged_before:
        return
    if MerkleTree(leaves).root != message.identity_root:
        problems.append(Problem(message.stream, d, None, f"identity data altered: {len(leaves)} identity rows "
                                f"do not match the signed identity root ({message.identity_count} signed)"))
