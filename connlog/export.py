"""Requisition exports that an auditor can check with the public key alone.

An export directory holds:
- `records.csv`: one row per record (seq, day, every Record field exactly as chained, floats in full
  precision, then the event time in Europe/Paris for people);
- `proofs.json`: each record's previous chain hash, Merkle leaf index and audit path, and the signed
  seal (message + Ed25519 signature) of every day involved;
- `manifest.json`: requisition reference, criteria, operator, time, record count, SHA-256 of the other
  files, public key fingerprint, the attributions found; `manifest.sig`: its signature (base64);
- `seal-public-key.pem`: a copy for convenience; `verify_export` trusts only the key it is given;
- `reponse-requisition.html` (the French answer sheet, printable) and `enregistrements.csv` (`;`, French
  headers) for people (`connlog.answer_sheet`), both covered by the signed manifest.

Records of a day not sealed yet (today) are proven against a signed interim checkpoint of that day
(`connlog.checkpoint`), made by the export; the day's seal later supersedes it and is checked to agree.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import datetime as dt
import hashlib
import json
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from connlog import answer_sheet, checkpoint, files, journal, keys, search
from connlog.chain import CheckpointMessage, MerkleTree, SealMessage, chain_hash, leaf_hash, verify_inclusion
from connlog.errors import ConnlogError
from connlog.journal import default_operator
from connlog.record import Kind, Record
from connlog.store import FIELDS, FLOAT_FIELDS, INT_FIELDS, RECORDS, Store, canonical_json, normalise

PARIS = ZoneInfo("Europe/Paris")
CSV_NAME, PROOFS_NAME, MANIFEST_NAME, SIGNATURE_NAME, KEY_NAME = (
    "records.csv", "proofs.json", "manifest.json", "manifest.sig", "seal-public-key.pem")
CSV_HEADER = ["seq", "day", *FIELDS, "event_time_europe_paris", "event_time_utc"]


def export(store: Store, criteria: search.Criteria, *, requisition: str, out_dir: Path, key: Ed25519PrivateKey,
           operator: str | None = None, now: float | None = None, disputed: bool = False) -> dict[str, Any]:
    """Write a signed export; refuses records that fail their chain check unless `disputed` (then marked)."""
    if not requisition.strip():
        raise ConnlogError("an export needs a requisition reference (--requisition)")
    now = time.time() if now is None else now
    criteria.validate()
    prepare_directory(out_dir, requisition)
    result = search.run(store, criteria)
    refused = bool(result.faults) and not disputed
    # The consultation is journaled either way; a refused export says so.
    journal.write(store, action="export_refused" if refused else "export", criteria=criteria.to_dict(),
                  result_count=result.count, operator=operator, requisition=requisition, now=now)
    if refused:
        named = "; ".join(f"seq {seq}: {what}" for seq, what in sorted(result.faults.items()))
        raise ConnlogError(f"refusing to sign {len(result.faults)} record(s) that fail their chain check ({named}); "
                           "run `thdmon logs verify`, or export them marked as disputed with --disputed")
    proofs, seals, checkpointed = _proofs(store, result.records, key, now)
    try:
        return _write(out_dir, result, criteria, requisition=requisition, key=key, now=now,
                      operator=operator or default_operator(), proofs=proofs, seals=seals, proven_by=checkpointed)
    except OSError as exc:  # disk full, permissions changed under us: said plainly, no traceback
        raise ConnlogError(f"{out_dir}: cannot write the export: {exc.strerror or exc}") from None


def _write(out_dir: Path, result: search.Result, criteria: search.Criteria, *, requisition: str,
           key: Ed25519PrivateKey, now: float, operator: str, proofs: list[dict[str, Any]], seals: dict[str, Any],
           proven_by: dict[str, str]) -> dict[str, Any]:
    """The export's files, the signed manifest last (a directory without it is not an export)."""
    for name in (SIGNATURE_NAME, MANIFEST_NAME):  # a replaced export is never half old under an old signature
        (out_dir / name).unlink(missing_ok=True)
    records = result.records
    with files.open_private(out_dir / CSV_NAME, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for stored in records:
            writer.writerow([stored.seq, stored.day.isoformat(), *(cell(getattr(stored.record, n)) for n in FIELDS),
                             dt.datetime.fromtimestamp(stored.record.event_time, PARIS).isoformat(),
                             dt.datetime.fromtimestamp(stored.record.event_time, dt.UTC).isoformat()])
    files.write_private(out_dir / PROOFS_NAME, json.dumps({"seals": seals, "records": proofs}, indent=1,
                                                          sort_keys=True))
    public = key.public_key()
    files.write_private(out_dir / KEY_NAME, keys.public_pem(public))
    answer_sheet.write_people_csv(out_dir / answer_sheet.PEOPLE_CSV_NAME, records, result.faults, cell)
    answer_sheet.write_sheet(out_dir / answer_sheet.SHEET_NAME, requisition=requisition, operator=operator,
                             created_at=now, criteria=criteria, attributions=result.attributions, records=records,
                             disputed=result.faults, key_fingerprint=keys.fingerprint(public),
                             proven_by=proven_by)
    manifest = {
        "format": "thdmon-connlog-export/1",
        "requisition": requisition,
        "criteria": criteria.to_dict(),
        "operator": operator,
        "created_at": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(),
        "record_count": len(records),
        "files": {name: _sha256(out_dir / name) for name in (CSV_NAME, PROOFS_NAME, answer_sheet.PEOPLE_CSV_NAME,
                                                             answer_sheet.SHEET_NAME)},
        "key_fingerprint": keys.fingerprint(public),
        "unsealed_seqs": [],  # format 1 compatibility: every record now has a proof (seal or checkpoint)
        "proven_by": proven_by,
        "attributions": [dataclasses.asdict(a) for a in result.attributions],
        "purged_identity_rows": [{"seq": s, "day": d.isoformat(), "user_name": u} for s, d, u in result.identities],
        "disputed": {str(seq): what for seq, what in sorted(result.faults.items())},
    }
    body = json.dumps(manifest, indent=1, sort_keys=True).encode()
    files.write_private(out_dir / MANIFEST_NAME, body)
    files.write_private(out_dir / SIGNATURE_NAME, base64.b64encode(key.sign(body)).decode() + "\n")
    return manifest


def _proofs(store: Store, records: list[Any], key: Ed25519PrivateKey, now: float,
            ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, str]]:
    """Inclusion proofs of each record: against its day's seal, or, for a day not sealed yet (today),
    against a signed interim checkpoint made now (see connlog.checkpoint)."""
    proofs: list[dict[str, Any]] = []
    seals: dict[str, Any] = {}
    proven_by: dict[str, str] = {}
    by_day: dict[dt.date, list[Any]] = {}
    for stored in records:
        by_day.setdefault(stored.day, []).append(stored)
    with store.write() as conn:
        sealed = {row.day: row for row in store.seals(conn, RECORDS)}
        for day, wanted in sorted(by_day.items()):
            seal_row = sealed.get(day)
            if seal_row is not None:
                text, signature = seal_row.message, bytes(seal_row.signature)
                index: dict[int, int] = {}
                leaves = []
                for i, link in enumerate(store.chain(conn, RECORDS, day)):
                    index[link.seq] = i
                    leaves.append(leaf_hash(link.chain_hash))
                proven_by[day.isoformat()] = "seal"
            else:
                cp = checkpoint.make(store, conn, key, day, now)
                text, signature, leaves = cp.text, cp.signature, cp.leaves
                index = {seq: i for i, seq in enumerate(cp.seqs)}
                proven_by[day.isoformat()] = "checkpoint"
            seals[day.isoformat()] = {"message": text, "signature": base64.b64encode(signature).decode()}
            tree = MerkleTree(leaves)
            for stored in wanted:
                i = index[stored.seq]
                proofs.append({"seq": stored.seq, "day": day.isoformat(), "prev_hash": stored.prev_hash.hex(),
                               "leaf_index": i, "tree_size": tree.size, "path": [p.hex() for p in tree.path(i)]})
    return proofs, seals, proven_by


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...), +cmd|...).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def cell(value: object) -> str:
    """A CSV cell: floats in full precision, text that a spreadsheet would run prefixed with `'`.

    The prefix is also put before text that starts with `'` itself, so `uncell` strips exactly one and
    gets the chained value back (verify-export recomputes hashes from the CSV)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # round-trips exactly: the chain covers these digits
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return str(value)


def uncell(text: str) -> str:
    return text[1:] if text.startswith("'") else text


OWN_FILES = frozenset({CSV_NAME, PROOFS_NAME, MANIFEST_NAME, SIGNATURE_NAME, KEY_NAME, answer_sheet.SHEET_NAME,
                       answer_sheet.PEOPLE_CSV_NAME})


def prepare_directory(out_dir: Path, requisition: str) -> None:
    """A new or empty directory, or a previous export of the same requisition (whose files are replaced);
    anything else is refused with a clear error, so nothing unrelated is overwritten."""
    if out_dir.is_symlink():
        raise ConnlogError(f"{out_dir}: is a symbolic link; give the export a real directory")
    if out_dir.exists() and not out_dir.is_dir():
        raise ConnlogError(f"{out_dir}: exists and is not a directory")
    try:
        entries = sorted(p.name for p in out_dir.iterdir()) if out_dir.exists() else []
    except OSError as exc:
        raise ConnlogError(f"{out_dir}: {exc.strerror}") from None
    if entries:
        previous = _previous_requisition(out_dir)
        foreign = [n for n in entries if n not in OWN_FILES]
        if previous != requisition or foreign:
            what = (f"an export of requisition {previous!r}" if previous is not None and not foreign
                    else f"other files ({', '.join(foreign or entries)})")
            raise ConnlogError(f"{out_dir}: holds {what}; export requisition {requisition!r} into a new or empty "
                               "directory")

    try:
        files.private_dir(out_dir)
    except OSError as exc:
        raise ConnlogError(f"{out_dir}: cannot create it: {exc.strerror}") from None


def _previous_requisition(out_dir: Path) -> str | None:
    try:
        manifest = json.loads((out_dir / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return None
    value = manifest.get("requisition") if isinstance(manifest, dict) else None
    return value if isinstance(value, str) else None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _parse(row: dict[str, str]) -> Record:
    values: dict[str, Any] = {}
    for name in FIELDS:
        text = row[name]
        if text == "":
            values[name] = None
        elif name in FLOAT_FIELDS:
            values[name] = float(text)
        elif name in INT_FIELDS:
            values[name] = int(text)
        else:
            values[name] = uncell(text)
    values["kind"] = Kind(values["kind"])
    return Record(**values)


def verify_export(path: Path, public_key: Ed25519PublicKey) -> tuple[list[str], dict[str, Any]]:
    """Check an export with the public key only. Returns (problems, manifest); no problem means proven."""
    folder = path.parent if path.is_file() else path
    try:
        body = (folder / MANIFEST_NAME).read_bytes()
        signature = base64.b64decode((folder / SIGNATURE_NAME).read_text().strip(), validate=True)
    except (OSError, ValueError) as exc:
        raise ConnlogError(f"{folder}: not a readable connlog export ({exc})") from None
    problems: list[str] = []
    if not keys.verify(public_key, signature, body):
        problems.append(f"{MANIFEST_NAME}: signature invalid (altered, or signed by another key)")
    manifest = json.loads(body)
    if manifest.get("key_fingerprint") != keys.fingerprint(public_key):
        problems.append(f"{MANIFEST_NAME}: made with key {manifest.get('key_fingerprint')}, "
                        f"not {keys.fingerprint(public_key)}")
    for name, digest in manifest.get("files", {}).items():
        if not (folder / name).is_file() or _sha256(folder / name) != digest:
            problems.append(f"{name}: missing or altered (SHA-256 differs from the signed manifest)")
    # Go on even after a manifest fault: each record is also checked against its signed day root.
    proofs = json.loads((folder / PROOFS_NAME).read_text())
    seals: dict[str, SealMessage | CheckpointMessage] = {}
    for day, s in proofs["seals"].items():
        if not keys.verify(public_key, base64.b64decode(s["signature"]), s["message"].encode()):
            problems.append(f"seal of day {day}: signature invalid")
            continue
        kind = json.loads(s["message"]).get("kind")
        message = CheckpointMessage.from_json(s["message"]) if kind == "checkpoint" else SealMessage.from_json(
            s["message"])
        if message.day.isoformat() != day or message.stream != RECORDS:
            problems.append(f"seal of day {day}: signed for {message.stream} day {message.day.isoformat()}")
            continue
        seals[day] = message
    by_seq = {p["seq"]: p for p in proofs["records"]}
    unsealed = set(manifest.get("unsealed_seqs", []))
    with (folder / CSV_NAME).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if len(rows) != manifest["record_count"]:
        problems.append(f"{CSV_NAME}: {len(rows)} records, the manifest says {manifest['record_count']}")
    for line, row in enumerate(rows, start=2):
        seq = int(row["seq"])
        where = f"{CSV_NAME} line {line} (seq {seq}, day {row['day']})"
        if seq in unsealed:
            problems.append(f"{where}: its day was not sealed at export time, no proof")
            continue
        proof, seal = by_seq.get(seq), seals.get(row["day"])
        if proof is None or seal is None or proof["day"] != row["day"]:
            problems.append(f"{where}: no inclusion proof or no valid signed seal for its day")
            continue
        try:
            payload = canonical_json(normalise(_parse(row)))
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{where}: unreadable field ({exc})")
            continue
        leaf = leaf_hash(chain_hash(bytes.fromhex(proof["prev_hash"]), payload, seq))
        if proof["tree_size"] != seal.count or not verify_inclusion(
                leaf, proof["leaf_index"], proof["tree_size"], [bytes.fromhex(p) for p in proof["path"]], seal.root):
            problems.append(f"{where}: not included in the signed root of its day (record altered)")
    return problems, manifest
