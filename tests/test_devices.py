"""The device vocabulary: every generic extractor against its examples, and the rules that
decide when two lines are about the same device."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from tasseograph.devices import (
    DeviceKey,
    compatible,
    describe,
    device_key_names,
    extractor,
    identity,
    load_device_keys,
    same_device,
)

KEYS = load_device_keys()


def test_vocabulary_is_the_documented_one() -> None:
    # fleet counters and alert labels key on these names: renaming one is an interface change
    assert set(device_key_names()) >= {
        "dimm", "mc", "csrow", "channel", "slot", "page", "cpu", "bank", "socket", "nvme", "namespace",
        "ata", "scsi", "disk", "pci", "nic", "gpu",
    }
    assert [k.name for k in KEYS if k.detail] == ["page"]


@pytest.mark.parametrize("key", [k for k in KEYS if k.examples], ids=lambda k: k.name)
def test_generic_extractor_finds_each_example_value(key: DeviceKey) -> None:
    pull = extractor((key.name,))
    for line, value in key.examples:
        assert pull.extract(None, line) == {key.name: value}, line


def test_named_groups_win_and_ignored_values_are_dropped() -> None:
    found = re.search(r"on (?P<dimm>[^(]+?) \(", "EDAC MC0: 1 UE on unknown memory (page:0x0 offset:0x0)")
    assert extractor(("mc",)).extract(found, "EDAC MC0: 1 UE on unknown memory (page:0x0 offset:0x0)") == {"mc": "MC0"}
    nvme = re.search(r"(?P<nvme>nvme\d+)", "nvme nvme7: I/O 5 QID 2 timeout, aborting")
    assert extractor(("pci",)).extract(nvme, "nvme nvme7: I/O 5 QID 2 timeout, aborting") == {"nvme": "nvme7"}


def test_an_unknown_field_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no generic extractor.*'dimmm'"):
        extractor(("dimmm",))
    with pytest.raises(ValueError, match="no generic extractor.*'gpu'"):
        extractor(("gpu",))  # named groups only


def test_loader_rejects_a_pattern_without_group_and_a_label_without_value() -> None:
    with pytest.raises(ValidationError, match="capturing group"):
        DeviceKey(name="x", summary="s", pattern=r"nvme\d+")
    with pytest.raises(ValidationError, match="label"):
        DeviceKey(name="x", summary="s", label="DIMM")


def test_identity_leaves_out_the_page_and_same_device_needs_a_shared_key() -> None:
    a = {"mc": "MC0", "dimm": "DIMM_A1", "page": "0x1"}
    b = {"mc": "MC0", "dimm": "DIMM_A1", "page": "0x2"}
    assert identity(a) == identity(b) == (("dimm", "DIMM_A1"), ("mc", "MC0"))
    assert same_device({"pci": "0000:3b:00.0", "nic": "ens1f0"}, {"pci": "0000:3b:00.0"})
    assert not same_device({"pci": "0000:3b:00.0"}, {"pci": "0000:3b:00.1"})
    assert not same_device({"cpu": "2"}, {"nvme": "nvme0"})  # nothing shared: no evidence
    assert compatible({"cpu": "2"}, {"nvme": "nvme0"})  # ...but nothing contradicts either


def test_describe_names_the_first_two_keys_without_repeating_a_name() -> None:
    assert describe({"nvme": "nvme0", "namespace": "nvme0n1"}) == "nvme0n1"
    assert describe({"mc": "MC0", "dimm": "CPU_SrcID#0_Ha#0_Chan#2_DIMM#0", "channel": "2"}) == (
        "MC0 DIMM CPU_SrcID#0_Ha#0_Chan#2_DIMM#0"
    )
    assert describe({"page": "0x12345"}) == ""
    assert describe({}) == ""
