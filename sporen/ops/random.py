"""Random primitives, reproducible under set_seed: uniform, normal, randint, bernoulli, multinomial, shuffle."""

__all__ = []
