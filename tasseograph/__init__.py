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
    InputError,
    LocalServerError,
    MissingAPIKeyError,
    ModelAPIError,
    ModelError,
    ModelReplyError,
    TasseographError,
    UnknownModelError,
    UnknownPromptError,
    UsageError,
)
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
    "HostBaseline",
    "InputError",
    "KernelLine",
    "LocalServerError",
    "MissingAPIKeyError",
    "Model",
    "ModelAPIError",
    "ModelError",
    "ModelReply",
    "ModelReplyError",
    "ModelRequest",
    "SignalCount",
    "TasseographError",
    "TemplateCount",
    "TemplateStats",
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
    "get_model",
    "register",
    "scan_bytes",
    "scan_file",
    "scan_stream",
]
