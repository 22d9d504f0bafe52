"""YAML with line numbers: every mapping remembers the line of each key, every list of each item.

Parsing uses libyaml (`yaml.CSafeLoader`) when PyYAML was built with it; only construction runs in
Python, as with `yaml.safe_load`, so keeping marks costs little. Duplicate keys in one mapping, which
PyYAML silently resolves as "last one wins", are recorded so the loader can report them.

The inventory is edited by many hands and reloaded by a running service, so a file is refused before
it can cost much (`inventory.limits`): read only if it is a regular file no larger than the limit,
and composed into nodes but constructed only if its aliases do not expand it beyond a bound (an
"alias bomb" of 1 KB expands to billions of items) and its nesting is shallow. A date that does not
exist (`2026-02-30`) stays a string, so that validation reports it with its field and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from inventory.errors import Problem
from inventory.limits import MAX_ALIAS_NODES, MAX_DEPTH, FileRefused, excerpt, read_regular

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_INT = 2**64  # no number of an inventory is larger


class MarkedMap(dict):
    """A mapping from YAML, with the 1-based line of itself and of each key."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class MarkedSeq(list):
    """A list from YAML, with the 1-based line of itself and of each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int = 0, item_lines: list[int] | None = None) -> None:
        super().__init__()
        self.line = line
        self.item_lines = item_lines or []


class _MarkedLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[Any, int, int]] = []  # (key, line, line of the first one)

    def get_single_data(self) -> Any:
        # Composition (libyaml) shares an aliased node; construction and validation would walk each use.
        node = self.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        return self.construct_document(node)


class TooExpanded(yaml.MarkedYAMLError):
    """A document whose aliases or nesting exceed the limits (a problem with a line, never quoted)."""


def check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph nested deeper than MAX_DEPTH, with a recursive alias, or whose aliases add more
    than MAX_ALIAS_NODES nodes once expanded. Linear in the composed nodes (sizes memoised per node)."""
    sizes: dict[int, int] = {}  # id(node) -> expanded size
    composed = 0
    on_path: set[int] = set()
    # Iterative post-order walk: (node, depth, children pushed?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, expanded = stack.pop()
        key = id(node)
        if expanded:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise TooExpanded(None, None, "an alias refers to a node that contains it (recursive alias)",
                              node.start_mark)
        if depth > MAX_DEPTH:
            raise TooExpanded(None, None, f"nested deeper than {MAX_DEPTH} levels", node.start_mark)
        composed += 1
        children = _children(node)
        if not children:
            sizes[key] = 1
            continue
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)
    if sizes[id(root)] - composed > MAX_ALIAS_NODES:
        raise TooExpanded(None, None, f"aliases expand this document by more than {MAX_ALIAS_NODES:,} "
                                      "nodes (an alias bomb?)", root.start_mark)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _lenient(constructor: Any) -> Any:
    """A scalar constructor that keeps the text when PyYAML cannot make the value: PyYAML raises
    ValueError without a line for a date that does not exist (2026-02-30) or an integer of more than
    4,300 digits; as text, validation reports it with its field and line. Integers beyond 2**64 are kept
    as text too."""

    def construct(loader: Any, node: yaml.ScalarNode) -> Any:
        try:
            value = constructor(loader, node)
        except (ValueError, OverflowError):
            return loader.construct_scalar(node)
        # A hexadecimal integer escapes Python's digit limit, but not its decimal repr in an error message.
        return loader.construct_scalar(node) if isinstance(value, int) and abs(value) > _MAX_INT else value

    return construct


def _construct_map(loader: Any, node: yaml.MappingNode) -> Any:
    result = MarkedMap(node.start_mark.line + 1)
    yield result
    own = {id(k) for k, _ in node.value if k.tag != _MERGE_TAG}
    loader.flatten_mapping(node)
    seen_own: set[Any] = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key (a list or mapping used as a key)", key_node.start_mark
            ) from None
        line = key_node.start_mark.line + 1
        # A key merged in with `<<:` may be overridden by the mapping's own key: that is no duplicate.
        is_own = id(key_node) in own
        if is_own and key in seen_own:
            loader.duplicate_keys.append((key, line, result.key_lines[key]))
        result[key] = loader.construct_object(value_node)
        result.key_lines[key] = line
        if is_own:
            seen_own.add(key)


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> Any:
    result = MarkedSeq(node.start_mark.line + 1, [n.start_mark.line + 1 for n in node.value])
    yield result
    result.extend(loader.construct_object(child) for child in node.value)


_MarkedLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_MarkedLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
for _tag, _constructor in (("timestamp", yaml.constructor.SafeConstructor.construct_yaml_timestamp),
                          ("int", yaml.constructor.SafeConstructor.construct_yaml_int),
                          ("float", yaml.constructor.SafeConstructor.construct_yaml_float)):
    _MarkedLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _lenient(_constructor))


def parse(text: str | bytes, file: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document; on a syntax error return (None, [problem at its line])."""
    loader = _MarkedLoader(text)
    try:
        data = loader.get_single_data()
        return data, [Problem(file, line, "", f"duplicate key {excerpt(key)} (first at line {first}): "
                                               "the later value would silently win")
                      for key, line, first in loader.duplicate_keys]
    except TooExpanded as exc:
        return None, [Problem(file, _line(exc.problem_mark), "", f"refused: {exc.problem}")]
    except yaml.MarkedYAMLError as exc:
        return None, [syntax_problem(exc, file)]
    except yaml.reader.ReaderError as exc:
        # A NUL or other control character: libyaml gives the character's position, not its line.
        line = text[: exc.position].count("\n" if isinstance(text, str) else b"\n") + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return None, [Problem(file, line, "", f"YAML error: character #x{char:04x} is not allowed "
                                              f"({exc.reason})")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, None, "", f"YAML error: {type(exc).__name__}")]
    finally:
        loader.dispose()


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    """A YAML error as a Problem. Only PyYAML's own wording is kept: never the snippet of the
    offending text, which could be a secret's line."""
    mark = exc.problem_mark or exc.context_mark
    words = [w for w in (exc.context, exc.problem) if w]
    line = mark.line + 1 if mark is not None else None
    return Problem(file, line, "", "YAML syntax error: " + ", ".join(words))


def parse_file(path: Path, shown_as: str) -> tuple[Any, list[Problem]]:
    try:
        raw = read_regular(path)
    except FileRefused as exc:
        return None, [Problem(shown_as, None, "", f"refused: {exc}")]
    except OSError as exc:
        return None, [Problem(shown_as, None, "", f"cannot read: {exc.strerror}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown_as, line, "", "not valid UTF-8")]
    return parse(text, shown_as)


def line_of(data: Any, path: Sequence[str | int], default: int) -> int:
    """The line of the deepest element of `path` that exists in `data` (a key's line, an item's line)."""
    line = default
    cur = data
    for element in path:
        if isinstance(cur, MarkedMap) and element in cur:
            line = cur.key_lines.get(element, line)
            cur = cur[element]
        elif isinstance(cur, MarkedSeq) and isinstance(element, int) and 0 <= element < len(cur):
            line = cur.item_lines[element]
            cur = cur[element]
        else:
            break
    return line
