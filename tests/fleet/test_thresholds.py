"""The shipped threshold rules (every entry checked) and the loader's one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasseograph.errors import ConfigError
from tasseograph.fleet.thresholds import ThresholdRule, load_thresholds
from tasseograph.signals import load_signals

RULES = load_thresholds()
SIGNAL_IDS = {s.id for s in load_signals()}
EXPECTED = {  # the defaults the issue and the references name
    "memory.dimm_corrected": ("DIMM", 10, 86_400.0),
    "memory.socket_corrected": ("socket", 100, 86_400.0),
    "memory.page_corrected": ("page", 50, 86_400.0),
    "cpu.corrected": ("CPU", 18, 86_400.0),
}


def test_the_defaults_are_mcelog_s_and_rasdaemon_s() -> None:
    assert {r.id: (r.unit, r.threshold, r.period_s) for r in RULES} == EXPECTED


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_names_catalogue_signals_and_a_source(rule: ThresholdRule) -> None:
    assert rule.source
    for pattern in rule.signals:
        assert any(rule.applies(sid, "warning") for sid in SIGNAL_IDS if sid == pattern or "*" in pattern), pattern
    assert not rule.applies("net.link_down", "warning")


def test_the_dimm_rule_picks_the_first_alternative_that_is_complete() -> None:
    dimm = RULES[0]
    assert dimm.unit_of({"dimm": "CPU1_DIMM_B2", "socket": "1", "page": "0x8a1"}) == {"dimm": "CPU1_DIMM_B2"}
    assert dimm.unit_of({"mc": "MC0", "csrow": "3", "channel": "1"}) == {"mc": "MC0", "csrow": "3", "channel": "1"}
    assert dimm.unit_of({"csrow": "3", "channel": "1"}) == {"csrow": "3", "channel": "1"}
    assert dimm.unit_of({"socket": "1"}) is None
    # A decoded uncorrected record is critical: it alerts on its own, it is not a corrected error.
    assert dimm.applies("edac.ce", "warning") and not dimm.applies("mce.record", "critical")


def test_a_user_file_replaces_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text('[[threshold]]\nid = "nvme.resets"\nunit = "controller"\nwhat = "timeouts"\n'
                    'signals = ["nvme.*"]\ndevice = ["nvme"]\nthreshold = 3\nperiod_s = 3600\n', encoding="utf-8")
    (rule,) = load_thresholds(path)
    assert rule.applies("nvme.timeout", "critical") and rule.unit_of({"nvme": "nvme0"}) == {"nvme": "nvme0"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[threshold]]\nid = "x"\nunit = "u"\nwhat = "w"\nsignals = ["a"]\ndevice = ["dimm"]\nthreshold = 0\nperiod_s = 1\n',
         "threshold.0.threshold"),
        ('[[threshold]]\nid = "x"\nunit = "u"\nwhat = "w"\nsignals = ["a"]\ndevice = ["Dimm-1"]\nthreshold = 1\nperiod_s = 1\n',
         "not device field names"),
        ('[[threshold]]\nid = "x"\nunit = "u"\nwhat = "w"\nsignals = ["a"]\ndevice = ["dimm"]\nthreshold = 1\nperiod_s = 1\nbogus = 2\n',
         "bogus"),
        ('[[threshold]]\nid = "x"\nunit = "u"\nwhat = "w"\nsignals = ["a"]\ndevice = ["dimm"]\nthreshold = 1\nperiod_s = 1\n' * 2,
         "duplicate threshold ids"),
        ("[[threshold]\n", "not valid TOML"),
    ],
)
def test_bad_files_are_one_line_errors_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_thresholds(path)
    assert message in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)
