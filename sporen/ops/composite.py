"""Composite ops (softmax, layer_norm, gelu, ...): fast eager kernels that graph mode expands into primitives."""

__all__ = []
