"""tasseograph: flags hardware degradation in fleets' kernel logs before it becomes an outage.

>>> import tasseograph
>>> verdict = tasseograph.analyze(open("dmesg.txt").read())
>>> verdict.status, [f.summary for f in verdict.findings]
>>> tasseograph.scan_file("dmesg.txt").worst_severity  # whole files, no model call
>>> tasseograph.FleetMonitor(tasseograph.load_inventory(path)).ingest(delta, hits, received=t)  # fleet signals

The public names below are imported on first use (PEP 562), so ``import tasseograph`` and
``tasseograph --version`` cost almost nothing and a command pays only for the path it runs.
"""

import importlib as _importlib
import typing as _typing

__version__ = "0.1.0"

_EXPORTS: dict[str, tuple[str, ...]] = {
    "tasseograph.baseline": ("BaselineCheck", "BaselineSettings", "HostBaseline", "TemplateStats"),
    "tasseograph.bulk": ("BulkSummary", "SignalCount", "TemplateCount", "scan_bytes", "scan_file", "scan_stream"),
    "tasseograph.errors": (
        "AlertError", "ConfigError", "InputError", "LocalServerError", "MissingAPIKeyError", "ModelAPIError",
        "ModelError", "ModelReplyError", "SourceError", "StateCorruptError", "StateError", "TasseographError",
        "UnknownModelError", "UnknownPromptError", "UsageError", "FindingError", "IllegalMoveError",
        "UnknownFindingError", "LeaseLostError", "ReviewBudgetError",
    ),
    "tasseograph.findings": ("FindingEvent", "FindingKey", "FindingRecord", "Sighting", "Suppression"),
    "tasseograph.fleet": (
        "CorrelatedGroup", "CorrelationSettings", "Correlator", "CounterSettings", "FleetCounters", "FleetMonitor",
        "FleetSettings", "GroupChange", "HostClock", "HostEvent", "Inventory", "InventoryError", "LineTime",
        "Observation", "PatternFound", "ThresholdCrossed", "ThresholdRule", "TrendRising", "anchor_from_pair",
        "correlate", "load_inventory", "load_thresholds",
    ),
    "tasseograph.models.base": ("Model", "ModelReply", "ModelRequest"),
    "tasseograph.models.registry": ("get_model", "register"),
    "tasseograph.novelty": ("FleetTemplates",),
    "tasseograph.parsing": ("parse_delta",),
    "tasseograph.pipeline": ("analyze", "analyze_async"),
    "tasseograph.retrieval": ("ConfirmedIncident", "IncidentLibrary", "PastIncident", "confirmed_incidents",
                              "default_library"),
    "tasseograph.schema": (
        "CompressionStats", "Delta", "Finding", "KernelLine", "ModelFailure", "NovelLine", "Seen", "TriageReply",
        "Usage", "Verdict", "Window",
    ),
}  # fmt: skip
"""Module -> the public names it holds, re-exported here flat. The ``TYPE_CHECKING`` imports
and ``__all__`` below name the same (a test keeps the three in step), so type checkers see
the real objects."""
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

if _typing.TYPE_CHECKING:
    from tasseograph.baseline import BaselineCheck, BaselineSettings, HostBaseline, TemplateStats
    from tasseograph.bulk import BulkSummary, SignalCount, TemplateCount, scan_bytes, scan_file, scan_stream
    from tasseograph.errors import (
        AlertError,
        ConfigError,
        FindingError,
        IllegalMoveError,
        InputError,
        LeaseLostError,
        LocalServerError,
        MissingAPIKeyError,
        ModelAPIError,
        ModelError,
        ModelReplyError,
        ReviewBudgetError,
        SourceError,
        StateCorruptError,
        StateError,
        TasseographError,
        UnknownFindingError,
        UnknownModelError,
        UnknownPromptError,
        UsageError,
    )
    from tasseograph.findings import FindingEvent, FindingKey, FindingRecord, Sighting, Suppression
    from tasseograph.fleet import (
        CorrelatedGroup,
        CorrelationSettings,
        Correlator,
        CounterSettings,
        FleetCounters,
        FleetMonitor,
        FleetSettings,
        GroupChange,
        HostClock,
        HostEvent,
        Inventory,
        InventoryError,
        LineTime,
        Observation,
        PatternFound,
        ThresholdCrossed,
        ThresholdRule,
        TrendRising,
        anchor_from_pair,
        correlate,
        load_inventory,
        load_thresholds,
    )
    from tasseograph.models.base import Model, ModelReply, ModelRequest
    from tasseograph.models.registry import get_model, register
    from tasseograph.novelty import FleetTemplates
    from tasseograph.parsing import parse_delta
    from tasseograph.pipeline import analyze, analyze_async
    from tasseograph.retrieval import (
        ConfirmedIncident,
        IncidentLibrary,
        PastIncident,
        confirmed_incidents,
        default_library,
    )
    from tasseograph.schema import (
        CompressionStats,
        Delta,
        Finding,
        KernelLine,
        ModelFailure,
        NovelLine,
        Seen,
        TriageReply,
        Usage,
        Verdict,
        Window,
    )

__all__ = [
    "AlertError",
    "BaselineCheck",
    "BaselineSettings",
    "BulkSummary",
    "CompressionStats",
    "ConfigError",
    "ConfirmedIncident",
    "CorrelatedGroup",
    "CorrelationSettings",
    "Correlator",
    "CounterSettings",
    "Delta",
    "Finding",
    "FindingError",
    "FindingEvent",
    "FindingKey",
    "FindingRecord",
    "FleetCounters",
    "FleetMonitor",
    "FleetSettings",
    "FleetTemplates",
    "GroupChange",
    "HostBaseline",
    "HostClock",
    "HostEvent",
    "IllegalMoveError",
    "IncidentLibrary",
    "InputError",
    "Inventory",
    "InventoryError",
    "KernelLine",
    "LeaseLostError",
    "LineTime",
    "LocalServerError",
    "MissingAPIKeyError",
    "Model",
    "ModelAPIError",
    "ModelError",
    "ModelFailure",
    "ModelReply",
    "ModelReplyError",
    "ModelRequest",
    "NovelLine",
    "Observation",
    "PastIncident",
    "PatternFound",
    "ReviewBudgetError",
    "Seen",
    "Sighting",
    "SignalCount",
    "SourceError",
    "StateCorruptError",
    "StateError",
    "Suppression",
    "TasseographError",
    "TemplateCount",
    "TemplateStats",
    "ThresholdCrossed",
    "ThresholdRule",
    "TrendRising",
    "TriageReply",
    "UnknownFindingError",
    "UnknownModelError",
    "UnknownPromptError",
    "Usage",
    "UsageError",
    "Verdict",
    "Window",
    "__version__",
    "analyze",
    "analyze_async",
    "anchor_from_pair",
    "confirmed_incidents",
    "correlate",
    "default_library",
    "get_model",
    "load_inventory",
    "load_thresholds",
    "parse_delta",
    "register",
    "scan_bytes",
    "scan_file",
    "scan_stream",
]


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'tasseograph' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
