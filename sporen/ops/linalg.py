"""Linear algebra primitives: matmul, bmm, dot, einsum, outer, tensordot, norms."""

__all__ = []
