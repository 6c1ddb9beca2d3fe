"""tasseograph: flags hardware degradation in fleets' kernel logs before it becomes an outage.

>>> import tasseograph
>>> verdict = tasseograph.analyze(open("dmesg.txt").read())
>>> verdict.status, [f.summary for f in verdict.findings]
>>> tasseograph.scan_file("dmesg.txt").worst_severity  # whole files, no model call
"""

from tasseograph.baseline import BaselineCheck, BaselineSettings, HostBaseline, TemplateStats
from tasseograph.bulk import BulkSummary, SignalCount, TemplateCount, scan_bytes, scan_file, scan_stream
from tasseograph.errors import (
    ConfigError,
    FindingError,
    IllegalMoveError,
    InputError,
    MissingAPIKeyError,
    ModelAPIError,
    ModelError,
    ModelReplyError,
    StateCorruptError,
    StateError,
    TasseographError,
    UnknownFindingError,
    UnknownModelError,
    UnknownPromptError,
    UsageError,
)
from tasseograph.findings import FindingEvent, FindingKey, FindingRecord, Sighting, Suppression
from tasseograph.models.base import Model, ModelReply, ModelRequest
from tasseograph.models.registry import get_model, register
from tasseograph.pipeline import analyze, analyze_async
from tasseograph.schema import (
    CompressionStats,
    Delta,
    Finding,
    KernelLine,
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
    "Delta",
    "Finding",
    "FindingError",
    "FindingEvent",
    "FindingKey",
    "FindingRecord",
    "HostBaseline",
    "IllegalMoveError",
    "InputError",
    "KernelLine",
    "MissingAPIKeyError",
    "Model",
    "ModelAPIError",
    "ModelError",
    "ModelReply",
    "ModelReplyError",
    "ModelRequest",
    "Sighting",
    "SignalCount",
    "StateCorruptError",
    "StateError",
    "Suppression",
    "TasseographError",
    "TemplateCount",
    "TemplateStats",
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
    "get_model",
    "register",
    "scan_bytes",
    "scan_file",
    "scan_stream",
]
