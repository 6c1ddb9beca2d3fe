"""Model backends and their registry."""

from tasseograph.models.base import Model, ModelReply, ModelRequest
from tasseograph.models.registry import get_model, providers, register, unregister

__all__ = ["Model", "ModelReply", "ModelRequest", "get_model", "providers", "register", "unregister"]
