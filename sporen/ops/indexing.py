"""Tensor indexing: getitem and setitem with ints, slices, ellipsis, None, bool masks and integer arrays."""

__all__ = []
