"""Stage 6: C code for the cpu backend: the prelude, the kernel record, renderers of fused groups
and the library kernels (convolution, pooling, BLAS calls)."""
