"""sporen.runtime: the backends that run graphs (numpy, the reference) and how they are found."""
from .base import Backend, get_backend, register_backend, backend_names

__all__ = ["Backend", "get_backend", "register_backend", "backend_names"]
