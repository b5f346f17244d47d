"""Neural-network primitives: convolutions, pooling, normalisation, softmax, dropout, interpolation, embeddings, losses."""

__all__ = []
