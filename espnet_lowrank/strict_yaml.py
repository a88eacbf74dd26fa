"""Strict YAML reading for every file the package reads (configs, rank maps, LoRA confs).

PyYAML resolves a duplicated mapping key silently, last one wins: a rank-map file
with two ``groups:`` blocks would drop the first. :func:`load_yaml` reads with
PyYAML's safe loader plus one check, duplicate keys are an error naming the file,
the key and both lines. YAML merge keys (``<<: *anchor``) may still be overridden,
as YAML intends. :func:`require_mapping` turns a falsy or non-mapping value where a
mapping is required (``groups: 0``, ``groups: ''``, an empty file) into an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Union

import yaml

from espnet_lowrank.errors import InputError, require_file

MERGE_TAG = "tag:yaml.org,2002:merge"


class YAMLInputError(InputError):
    """A YAML file that cannot be read, cannot be parsed or has a duplicate key."""


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` whose mappings refuse duplicate keys."""

    def construct_mapping(self, node, deep=False):  # noqa: D102 (PyYAML's API)
        if isinstance(node, yaml.MappingNode):
            seen: Dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # unhashable key: PyYAML's own error follows
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise YAMLInputError(
                        f"{self.name}: duplicate key {key!r} (lines {first} and {line}); "
                        "a YAML mapping takes each key once: merge the two entries"
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def loads_yaml(text: Union[str, bytes], source: str) -> Any:
    """Parse ``text`` strictly; ``source`` (a path or a description) names it in errors."""
    loader = _StrictLoader(text)
    loader.name = source
    try:
        return loader.get_single_data()
    except yaml.YAMLError as e:
        raise YAMLInputError(f"{source}: not valid YAML: {_describe(e)}") from e
    finally:
        loader.dispose()


def _describe(e: yaml.YAMLError) -> str:
    """``line L, column C: problem`` of a PyYAML error, without its quoted snippets."""
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    context = getattr(e, "context", None)
    return f"{where}{problem}" + (f" ({context})" if context else "")


def load_yaml(path: Union[str, Path], what: str = "YAML file") -> Any:
    """Read and parse the YAML file ``path`` strictly; ``what`` names it in errors."""
    p = require_file(path, what, YAMLInputError)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise YAMLInputError(f"{what} {str(path)!r} cannot be read: {e}") from e
    return loads_yaml(text, str(path))


def require_mapping(value: Any, where: str) -> Dict[str, Any]:
    """``value`` as a dict, or an error naming ``where`` if it is not a mapping.

    ``None``, ``0``, ``''``, ``[]`` and ``false`` are errors too: a falsy value where
    a mapping belongs is a mistake, never a silent "empty".
    """
    if not isinstance(value, dict):
        shown = "nothing (empty)" if value is None else f"{value!r}"
        raise InputError(f"{where}: expected a mapping, got {shown}")
    return dict(value)


def load_yaml_mapping(path: Union[str, Path], what: str = "YAML file") -> Dict[str, Any]:
    """:func:`load_yaml` whose top level must be a mapping (an empty file is an error)."""
    return require_mapping(load_yaml(path, what), str(path))
