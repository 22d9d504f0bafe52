"""RFC 6962 Merkle trees and RFC 9162 inclusion proofs, against the recursive definition."""

from __future__ import annotations

import hashlib

import pytest

from connlog.chain import (
    EMPTY_ROOT,
    GENESIS,
    MerkleTree,
    SealMessage,
    chain_hash,
    leaf_hash,
    node_hash,
    verify_inclusion,
)


def mth(data: list[bytes]) -> bytes:
    """MTH from RFC 6962 section 2.1, written as the RFC states it."""
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(data[:k]) + mth(data[k:])).digest()


def test_rfc6962_reference_root_of_the_ct_test_vector() -> None:
    # The 8 leaves of certificate-transparency's merkle_tree_test (tree of size 8, published root).
    leaves = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                         "606162636465666768696a6b6c6d6e6f")]
    assert MerkleTree([leaf_hash(d) for d in leaves]).root.hex() == \
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 7, 8, 9, 16, 31, 100])
def test_root_equals_the_recursive_definition(n: int) -> None:
    data = [f"record {i}".encode() for i in range(n)]
    assert MerkleTree([leaf_hash(d) for d in data]).root == mth(data)
    if n == 0:
        assert MerkleTree([]).root == EMPTY_ROOT


@pytest.mark.parametrize("n", [1, 2, 3, 6, 7, 13, 64, 65])
def test_every_inclusion_proof_verifies_and_a_wrong_one_does_not(n: int) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    tree = MerkleTree(leaves)
    for i in range(n):
        path = tree.path(i)
        assert verify_inclusion(leaves[i], i, n, path, tree.root)
        assert not verify_inclusion(leaf_hash(b"forged"), i, n, path, tree.root)
        if n > 1:
            assert not verify_inclusion(leaves[i], (i + 1) % n, n, path, tree.root)
    assert not verify_inclusion(leaves[0], n, n, tree.path(0), tree.root)


def test_chain_hash_is_prev_payload_seq() -> None:
    expected = hashlib.sha256(GENESIS + b'{"a":1}' + (7).to_bytes(8, "big")).digest()
    assert chain_hash(GENESIS, '{"a":1}', 7) == expected
    assert node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()


def test_seal_message_round_trips() -> None:
    import datetime as dt

    m = SealMessage("records", dt.date(2026, 11, 24), 3, 10, 12, GENESIS, b"\x01" * 32, b"\x02" * 32, None, 0,
                    1764000000.5, "sha256:ab")
    assert SealMessage.from_json(m.to_json()) == m


def test_fast_canonical_json_is_record_to_json() -> None:
    from connlog.record import Kind, Record
    from connlog.store import canonical_json, normalise

    records = [
        Record(kind=Kind.radius, source="nas", received_at=1.5, event_time=1, user_name="é", session_id="a\"b",
               input_octets=2**40, ap="AP 1"),
        Record(kind=Kind.nat, source="fw", received_at=1764000000.123456, event_time=1764000000.0, public_ip="::1",
               public_port_start=0, public_port_end=65535, private_port=0),
    ]
    for record in records:
        assert canonical_json(record) == record.to_json()
        assert canonical_json(normalise(record)) == normalise(record).to_json()
    assert '"event_time":1.0' in canonical_json(normalise(records[0]))
