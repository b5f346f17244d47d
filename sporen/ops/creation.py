"""Tensor creation: zeros, ones, full, arange, linspace, eye, *_like."""

__all__ = []
