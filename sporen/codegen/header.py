"""The C prelude every translation unit of the cpu backend starts with: includes, the half-precision
storage conversions, and the BLAS entry points the generated code calls through pointers (set once
by ``sporen_set_blas`` when the library is loaded), and ``sporen_set_threads``: the size of the
kernels' OpenMP teams."""

__all__ = ["prelude"]

_PRELUDE = r"""
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define SP_RESTRICT __restrict__
#define SP_ALIGN 64

/* half-precision storage, float32 compute */
typedef uint16_t sp_bf16;
typedef uint16_t sp_f16;

static inline float sp_bf16_to_f32(sp_bf16 h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline sp_bf16 sp_f32_to_bf16(float f) {
    /* round to nearest even, NaN kept quiet (ml_dtypes' rounding) */
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (sp_bf16)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (sp_bf16)(u >> 16);
}

static inline float sp_f16_to_f32(sp_f16 h) {
    _Float16 v;
    memcpy(&v, &h, 2);
    return (float)v;
}

static inline sp_f16 sp_f32_to_f16(float f) {
    _Float16 v = (_Float16)f;
    sp_f16 h;
    memcpy(&h, &v, 2);
    return h;
}

/* an expf gcc vectorises (glibc's vector version needs -ffast-math, which the cpu backend does
   not use), for the fused kernels and rows.c: Cephes' polynomial after a Cody-Waite reduction, 2^n
   built in two factors so that subnormal results are right; within 2 ulp of the exact value
   (numpy's own SIMD expf is within 3) */
static inline float sp_pow2i(int n) {
    uint32_t bits = (uint32_t)(n + 127) << 23;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}
static inline float sp_expf(float x) {
    float xc = x > 88.8f ? 88.8f : (x < -104.0f ? -104.0f : x);
    xc = xc == xc ? xc : 0.0f;
    float n = rintf(xc * 1.44269504088896341f);
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    int ni = (int)n;
    int half = ni / 2;
    y = y * sp_pow2i(half) * sp_pow2i(ni - half);
    if (x > 88.72283935546875f) y = INFINITY;
    if (x < -103.972084f) y = 0.0f;
    return x == x ? y : x;
}

/* BLAS (numpy's OpenBLAS, looked up at load time): CBLAS row-major calls */
typedef SP_BLASINT sp_blasint;
enum { SP_ROW_MAJOR = 101, SP_NO_TRANS = 111, SP_TRANS = 112 };
typedef void (*sp_sgemm_t)(int, int, int, sp_blasint, sp_blasint, sp_blasint, float, const float *,
                           sp_blasint, const float *, sp_blasint, float, float *, sp_blasint);
typedef void (*sp_dgemm_t)(int, int, int, sp_blasint, sp_blasint, sp_blasint, double, const double *,
                           sp_blasint, const double *, sp_blasint, double, double *, sp_blasint);
static sp_sgemm_t sp_sgemm = 0;
static sp_dgemm_t sp_dgemm = 0;
/* numpy's openblas_set/get_num_threads (null when its BLAS has none) */
static void (*sp_blas_set_threads)(int) = 0;
static int (*sp_blas_get_threads)(void) = 0;

void sporen_set_blas(void *sgemm, void *dgemm, void *set_threads, void *get_threads) {
    sp_sgemm = (sp_sgemm_t)sgemm;
    sp_dgemm = (sp_dgemm_t)dgemm;
    sp_blas_set_threads = (void (*)(int))set_threads;
    sp_blas_get_threads = (int (*)(void))get_threads;
}

/* BLAS's thread count, 1 when it cannot be read */
static inline int sp_blas_threads(void) {
    return sp_blas_get_threads != 0 && sp_blas_set_threads != 0 ? sp_blas_get_threads() : 1;
}

/* BLAS on one thread until sp_blas_single_end(the returned count) */
static inline int sp_blas_single_begin(void) {
    int threads = sp_blas_threads();
    if (threads > 1) sp_blas_set_threads(1);
    return threads;
}

static inline void sp_blas_single_end(int threads) {
    if (threads > 1) sp_blas_set_threads(threads);
}

/* the OpenMP team size of the kernels' parallel loops (their num_threads clause) and of the work
   split across the cores by hand (a large product's panels, a convolution's chunks). A graph's
   segment functions run BLAS on one thread (sp_blas_single_begin/end around the whole segment),
   so that the step has one pool of threads: two pools (OpenBLAS's and OpenMP's) each busy-wait
   after their work and fight for the cores of a small machine. Not omp_set_num_threads: that sets
   the calling thread's default for every OpenMP library of the process sharing libgomp (PyTorch's
   own loops included). */
static int sp_threads = 1;

void sporen_set_threads(int n) {
    sp_threads = n > 0 ? n : 1;
}

static inline int sp_thread_num(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static inline int sp_team_size(void) {
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

/* One product C = op(A) op(B) (row-major, beta 0 or 1) with its larger side (rows of C or columns
   of C) cut into sp_threads panels, each a BLAS call on its own thread: BLAS must be on one thread
   (inside a segment, or between sp_blas_single_begin/end). Panels are multiples of 16 rows or
   columns, the width of BLAS's micro-kernels. */
#define SP_GEMM_TEAM(NAME, T, GEMM)                                                                   \
static inline void NAME(int ta, int tb, long m, long n, long k, T alpha, const T *a, long lda,        \
                        const T *b, long ldb, T beta, T *c, long ldc) {                                \
    const int by_rows = m >= n;                                                                       \
    const long side = by_rows ? m : n;                                                                \
    int team = sp_threads;                                                                            \
    if (team > side / 16) team = (int)(side / 16);                                                    \
    if (team < 1) team = 1;                                                                           \
    _Pragma("omp parallel num_threads(team) if (team > 1)")                                           \
    {                                                                                                 \
        const long nt = sp_team_size(), t = sp_thread_num();                                          \
        const long blocks = (side + 15) / 16;                                                         \
        long lo = blocks * t / nt * 16, hi = blocks * (t + 1) / nt * 16;                              \
        if (hi > side) hi = side;                                                                     \
        if (hi > lo) {                                                                                \
            if (by_rows) {                                                                            \
                const T *ap = ta == SP_TRANS ? a + lo : a + lo * lda;                                 \
                GEMM(SP_ROW_MAJOR, ta, tb, hi - lo, n, k, alpha, ap, lda, b, ldb, beta, c + lo * ldc, \
                     ldc);                                                                            \
            } else {                                                                                  \
                const T *bp = tb == SP_TRANS ? b + lo * ldb : b + lo;                                 \
                GEMM(SP_ROW_MAJOR, ta, tb, m, hi - lo, k, alpha, a, lda, bp, ldb, beta, c + lo, ldc); \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
}
SP_GEMM_TEAM(sp_sgemm_team, float, sp_sgemm)
SP_GEMM_TEAM(sp_dgemm_team, double, sp_dgemm)
"""


def prelude(blas_int="int64_t"):
    """The prelude's C text. ``blas_int``: the C type of BLAS's integer arguments (``int64_t`` for
    numpy's ILP64 OpenBLAS, whose symbols end in ``64_``; ``int`` for an LP64 BLAS)."""
    return f"#define SP_BLASINT {blas_int}\n" + _PRELUDE
