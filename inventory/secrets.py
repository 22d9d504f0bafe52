"""Secret references (`env:NAME`, `file:NAME`) resolved into `pydantic.SecretStr`.

The inventory only ever holds references. `file:NAME` names a key of the secrets file, a YAML mapping
`NAME: value` kept outside the inventory tree, owned by the user and not readable by anyone else
(mode 0600 or 0400). Nothing here puts a secret value in a message, a repr or a log line.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import SecretStr

from inventory.errors import Problem
from inventory.limits import FileRefused, read_regular, shown_path

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Secrets:
    """Resolved references: `ref -> SecretStr`. Its repr shows how many, never which values."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, SecretStr]) -> None:
        self._values = dict(values)

    def __getitem__(self, ref: str) -> SecretStr:
        return self._values[ref]

    def __contains__(self, ref: object) -> bool:
        return ref in self._values

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        # Two loads of an unchanged inventory compare equal; a rotated secret makes them differ.
        if not isinstance(other, Secrets):
            return NotImplemented
        return {k: v.get_secret_value() for k, v in self._values.items()} == \
            {k: v.get_secret_value() for k, v in other._values.items()}

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Secrets({len(self._values)} resolved)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class SecretsFile:
    """The loaded secrets file: names only are public, values stay SecretStr."""

    path: Path | None
    values: Mapping[str, SecretStr]
    usable: bool = True  # False: refused or unreadable, its own problem says why


def load_secrets_file(path: Path | None, inventory_root: Path | None) -> tuple[SecretsFile, list[Problem]]:
    """Load and check the secrets file. Every problem is returned, none raised."""
    if path is None:
        return SecretsFile(None, {}), []
    shown = shown_path(path)
    if not path.exists():
        return SecretsFile(path, {}, False), [Problem(shown, None, "", "secrets file does not exist")]
    if not path.is_file():
        return SecretsFile(path, {}, False), [Problem(shown, None, "", "secrets file is not a regular file")]
    problems: list[Problem] = []
    if inventory_root is not None and _is_within(path, inventory_root):
        problems.append(Problem(shown, None, "", f"secrets file is inside the inventory tree {inventory_root}: "
                                                 "move it out (the inventory is shared, secrets are not)"))
    st = path.stat()
    if st.st_uid != os.getuid():
        problems.append(Problem(shown, None, "", f"secrets file is owned by uid {st.st_uid}, not by you "
                                                 f"(uid {os.getuid()})"))
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        problems.append(Problem(shown, None, "", f"secrets file mode is {mode:04o}, too open: it must be 0600 "
                                                 f"(chmod 600 {path})"))
    if problems:
        # A secret kept where others can read it is refused outright, not used.
        return SecretsFile(path, {}, False), problems
    try:
        data = yaml.load(read_regular(path).decode("utf-8"), Loader=_Loader)  # noqa: S506 (safe loader)
    except FileRefused as exc:
        return SecretsFile(path, {}, False), [Problem(shown, None, "", f"secrets file refused: {exc}")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return SecretsFile(path, {}, False), [Problem(shown, mark.line + 1 if mark else None, "",
                                               f"YAML syntax error: {exc.problem or exc.context}")]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = f"cannot read secrets file: {type(exc).__name__}"
        return SecretsFile(path, {}, False), [Problem(shown, None, "", reason)]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return SecretsFile(path, {}, False), [Problem(shown, 1, "", "secrets file must be a mapping NAME: value")]
    values: dict[str, SecretStr] = {}
    for name, value in data.items():
        if not isinstance(name, str):
            problems.append(Problem(shown, None, "", f"secret names must be strings, found {type(name).__name__}"))
        elif not isinstance(value, str):
            # Unquoted YAML scalars turn into numbers or booleans (0123 is octal!): demand a string.
            problems.append(Problem(shown, None, name, f"value must be a string (quote it), "
                                                       f"found {type(value).__name__}"))
        else:
            values[name] = SecretStr(value)
    return SecretsFile(path, values), problems


def resolve(ref: str, secrets_file: SecretsFile, env: Mapping[str, str]) -> SecretStr | str:
    """The value of `ref` as SecretStr, or a human reason (str) why it cannot be resolved."""
    # The reasons name the scheme, never the NAME: a secret pasted as `file:<secret>` must not be echoed
    # (the problem's file:line and field say which reference it is).
    scheme, _, name = ref.partition(":")
    if scheme == "env":
        if name not in env:
            return "env: the environment variable it names is not set"
        return SecretStr(env[name])
    if scheme == "file":
        if secrets_file.path is None:
            return "file: no secrets file is configured (--secrets, THDMON_SECRETS or secrets_file in thdmon.toml)"
        if not secrets_file.usable:
            return f"file: the secrets file {secrets_file.path} is not usable (see its own error)"
        if name not in secrets_file.values:
            return f"file: the key it names is not in the secrets file {secrets_file.path}"
        return secrets_file.values[name]
    return "unknown scheme (use env:NAME or file:NAME)"


def resolve_all(refs: Iterable[str], secrets_file: SecretsFile,
                env: Mapping[str, str] | None = None) -> tuple[Secrets, dict[str, str]]:
    """Resolve every reference: (the resolved ones, ref -> reason for the others)."""
    env = os.environ if env is None else env
    ok: dict[str, SecretStr] = {}
    failed: dict[str, str] = {}
    for ref in refs:
        result = resolve(ref, secrets_file, env)
        if isinstance(result, SecretStr):
            ok[ref] = result
        else:
            failed[ref] = result
    return Secrets(ok), failed


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve() if root.is_dir() else root.resolve().parent)
    except ValueError:
        return False
    return True
