"""Reverse-mode automatic differentiation: one tape for eager and graph mode."""
