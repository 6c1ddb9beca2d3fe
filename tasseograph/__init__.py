"""tasseograph: flags hardware degradation in fleets' kernel logs before it becomes an outage.

>>> import tasseograph
>>> verdict = tasseograph.analyze(open("dmesg.txt").read())
>>> verdict.status, [f.summary for f in verdict.findings]
>>> tasseograph.scan_file("dmesg.txt").worst_severity  # whole files, no model call
>>> tasseograph.FleetMonitor(tasseograph.load_inventory(path)).ingest(delta, hits, received=t)  # fleet signals
"""

from tasseograph.baseline import BaselineCheck, BaselineSettings, HostBaseline, TemplateStats
from tasseograph.bulk import BulkSummary, SignalCount, TemplateCount, scan_bytes, scan_file, scan_stream
from tasseograph.errors import (
    ConfigError,
    InputError,
    MissingAPIKeyError,
    ModelAPIError,
    ModelError,
    ModelReplyError,
    StateCorruptError,
    StateError,
    TasseographError,
    UnknownModelError,
    UnknownPromptError,
    UsageError,
)
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
from tasseograph.pipeline import analyze, analyze_async
from tasseograph.schema import (
    CompressionStats,
    Delta,
    Finding,
    KernelLine,
    NovelLine,
    TriageReply,
    Usage,
    Verdict,
    Window,
)

__version__ = "0.1.0"

__all__ = [
    "BaselineCheck",
    "BaselineSettings",
    "BulkSummary",
    "CompressionStats",
    "ConfigError",
    "CorrelatedGroup",
    "CorrelationSettings",
    "Correlator",
    "CounterSettings",
    "Delta",
    "Finding",
    "FleetCounters",
    "FleetMonitor",
    "FleetSettings",
    "FleetTemplates",
    "GroupChange",
    "HostBaseline",
    "HostClock",
    "HostEvent",
    "InputError",
    "Inventory",
    "InventoryError",
    "KernelLine",
    "LineTime",
    "MissingAPIKeyError",
    "Model",
    "ModelAPIError",
    "ModelError",
    "ModelReply",
    "ModelReplyError",
    "ModelRequest",
    "NovelLine",
    "Observation",
    "PatternFound",
    "SignalCount",
    "StateCorruptError",
    "StateError",
    "TasseographError",
    "TemplateCount",
    "TemplateStats",
    "ThresholdCrossed",
    "ThresholdRule",
    "TrendRising",
    "TriageReply",
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
    "correlate",
    "get_model",
    "load_inventory",
    "load_thresholds",
    "register",
    "scan_bytes",
    "scan_file",
    "scan_stream",
]
