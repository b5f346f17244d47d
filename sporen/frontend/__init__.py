"""sporen.frontend: Python to IR (tracing with symbolic tensors) and ``jit``."""
# the trace() function stays in sporen.frontend.trace: exported here it would hide the module
from .trace import jit, trace_full, TracedFunction

__all__ = ["jit", "trace_full", "TracedFunction"]
