"""Reading ensemble configs from YAML, and reporting every problem at once.

Every problem is one line ``<where>: <message>``. ``<where>`` is the field
path (``members[2].params.period``), ``<root>`` for the document as a whole,
or the file (``file:line:column`` for YAML errors) when the file itself is
the problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticValidationError

from aitrader_core.errors import ConfigError

from .ensemble import EnsembleConfig


class EnsembleError(ConfigError):
    """An ensemble config cannot be used; ``errors`` lists every problem.

    Examples
    --------
    >>> str(EnsembleError("x.yaml", ["threshold: too big", "name: Field required"]))
    'x.yaml: 2 problems: threshold: too big; name: Field required'
    """

    def __init__(self, source: str, errors: list[str]) -> None:
        self.source = source
        self.errors = errors
        count = "1 problem" if len(errors) == 1 else f"{len(errors)} problems"
        super().__init__(f"{source}: {count}: {'; '.join(errors)}")


def format_location(loc: Sequence[int | str]) -> str:
    """Render a pydantic error location as a path: ``members[2].params.period``.

    Examples
    --------
    >>> format_location(("members", 2, "params", "period"))
    'members[2].params.period'
    >>> format_location(())
    '<root>'
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def validation_messages(exc: PydanticValidationError) -> list[str]:
    """Turn a pydantic ``ValidationError`` into ``<path>: <message>`` lines.

    Examples
    --------
    >>> try:
    ...     EnsembleConfig.model_validate({"name": "x", "members": [], "threshold": 2})
    ... except PydanticValidationError as exc:
    ...     for line in validation_messages(exc):
    ...         print(line)
    members: List should have at least 1 item after validation, not 0
    threshold: Input should be less than or equal to 1
    """
    return [
        f"{format_location(e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    ]


class _Loader(yaml.SafeLoader):
    """A safe YAML loader that records duplicate mapping keys instead of dropping them."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if not isinstance(key, str | int | float | bool):
            continue
        if key in seen:
            mark = key_node.start_mark
            loader.duplicates.append(f"{mark.line + 1}:{mark.column + 1}: duplicate key '{key}'")
        seen.add(key)
    return loader.construct_mapping(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _read(path: Path) -> tuple[Any, list[str]]:
    """Parse the YAML file; return the document and the file-level problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [f"{path}: file not found"]
    except UnicodeDecodeError:
        return None, [f"{path}: not UTF-8 text"]
    except OSError as exc:
        return None, [f"{path}: cannot read: {exc.strerror or exc}"]
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        return None, [f"{where}: YAML syntax error: {exc.problem or exc.context}"]
    except yaml.YAMLError as exc:
        return None, [f"{path}: YAML error: {exc}"]
    finally:
        loader.dispose()
    problems = [f"{path}:{d}" for d in loader.duplicates]
    if data is None:
        problems.append(f"{path}: the file is empty")
    return data, problems


def _check(source: str | Path | Mapping[str, Any]) -> tuple[EnsembleConfig | None, list[str]]:
    if isinstance(source, Mapping):
        data: Any = dict(source)
        problems: list[str] = []
    else:
        data, problems = _read(Path(source))
        if data is None:
            return None, problems
    try:
        config = EnsembleConfig.model_validate(data)
    except PydanticValidationError as exc:
        return None, problems + validation_messages(exc)
    return (None if problems else config), problems


def ensemble_errors(source: str | Path | Mapping[str, Any]) -> list[str]:
    """Return every problem of an ensemble config (a YAML file or a dict); [] when valid.

    Parameters
    ----------
    source
        Path of a YAML file, or the config as a mapping.

    Returns
    -------
    list of str
        One ``<where>: <message>`` line per problem: field errors
        (``members[2].params.period: Input should be ...``), a missing file,
        YAML syntax errors (``file:line:column: YAML syntax error: ...``) and
        duplicate YAML keys.

    Examples
    --------
    >>> ensemble_errors({"name": "x", "members": [{"name": "a", "kind": "ema_cross",
    ...                  "params": {"fast": 1}}]})
    ['members[0].params.fast: Input should be greater than or equal to 2']
    >>> ensemble_errors("no/such.yaml")
    ['no/such.yaml: file not found']
    """
    return _check(source)[1]


def load_ensemble(path: str | Path) -> EnsembleConfig:
    """Load and validate an ensemble config from a YAML file.

    Raises
    ------
    EnsembleError
        The file is missing, not valid YAML or not a valid ensemble; its
        ``errors`` attribute lists every problem (as :func:`ensemble_errors`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "e.yaml"
    >>> _ = p.write_text("name: e\\nmembers:\\n  - {name: a, kind: ema_cross}\\n")
    >>> load_ensemble(p).members[0].params["slow"]
    26
    """
    config, problems = _check(Path(path))
    if config is None:
        raise EnsembleError(str(path), problems)
    return config
