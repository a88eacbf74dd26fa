"""Strict YAML: duplicate keys and falsy mappings are errors that name file, key and lines."""

from __future__ import annotations

import pytest

from espnet_lowrank.errors import InputError
from espnet_lowrank.rank_map import RankMapError, load_rank_map
from espnet_lowrank.strict_yaml import (
    YAMLInputError,
    load_yaml,
    load_yaml_mapping,
    loads_yaml,
    require_mapping,
)


def test_duplicate_keys_name_file_key_and_both_lines(tmp_path):
    f = tmp_path / "map.yaml"
    f.write_text("groups:\n  feed_forward: 0.5\ninit: svd\ngroups:\n  attention: 0.25\n")
    with pytest.raises(YAMLInputError, match=rf"{f}: duplicate key 'groups' \(lines 1 and 4\)"):
        load_yaml(f)
    nested = "groups: {attention: 0.5,\n  attention: 0.25}\n"
    match = r"x.yaml: duplicate key 'attention' \(lines 1 and 2\)"
    with pytest.raises(YAMLInputError, match=match):
        loads_yaml(nested, "x.yaml")


def test_merge_keys_may_still_override():
    assert loads_yaml("a: &x {b: 1, c: 2}\nd:\n  <<: *x\n  b: 3\n", "s")["d"] == {"b": 3, "c": 2}


def test_unreadable_files_are_input_errors(tmp_path):
    with pytest.raises(YAMLInputError, match="config 'nope.yaml' does not exist"):
        load_yaml("nope.yaml", "config")
    with pytest.raises(YAMLInputError, match="is not a file"):
        load_yaml(tmp_path, "config")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(YAMLInputError, match=rf"{bad}: not valid YAML: line 2, column 1"):
        load_yaml(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    with pytest.raises(InputError, match=rf"{empty}: expected a mapping, got nothing"):
        load_yaml_mapping(empty)


@pytest.mark.parametrize("value", [None, 0, "", [], False])
def test_falsy_is_not_an_empty_mapping(value):
    with pytest.raises(InputError, match="where: expected a mapping"):
        require_mapping(value, "where")


@pytest.mark.parametrize("text", ["groups: 0", "groups: ''", "groups:", "layers: 0", "layers: []"])
def test_rank_map_groups_must_be_a_mapping(tmp_path, text):
    f = tmp_path / "map.yaml"
    f.write_text(f"default: 0.5\n{text}\n")
    key = text.split(":")[0]
    with pytest.raises(RankMapError, match=rf"encoder_conf.rank_map \({f}\)\.{key}: expected a"):
        load_rank_map(str(f), "encoder", where="encoder_conf.rank_map")


def test_rank_map_file_with_two_groups_blocks_is_an_error(tmp_path):
    f = tmp_path / "map.yaml"
    f.write_text("groups:\n  feed_forward: 0.5\ngroups:\n  attention: 0.25\n")
    with pytest.raises(RankMapError, match=r"encoder_conf.rank_map: .*duplicate key 'groups'"):
        load_rank_map(str(f), "encoder", where="encoder_conf.rank_map")


def test_null_rank_map_means_dense():
    """``rank_map: ~`` keeps every layer dense (documented); the key left out gives
    the class default, ``lr_sms``."""
    assert load_rank_map(None, "encoder").default == "dense"
    assert load_rank_map(None, "encoder").groups == {}
