/* rows.c: the row kernels: softmax and log_softmax over one axis, layer_norm's forward (y, mean,
 * rstd), and sparse_softmax_cross_entropy with its gradient.
 *
 * Each computes what the op's numpy kernel computes (sporen/ops/nn_ops.py, loss_ops.py), step by
 * step in the same dtype, so results agree to the dtype's rounding: the sums are kept in double
 * (numpy sums pairwise in the dtype; both stay within a few ulp of the exact sum). A row is read
 * from memory once and walked again while it is in cache. Rows are split over sp_threads threads
 * only when the work is large. Instantiated for float and double by SP_ROWS_DEFINE(T, suffix, exp),
 * the cross entropy also per label type (int32_t, int64_t) by SP_SCE_DEFINE. */

#ifndef SP_ROWS_PAR_MIN
#define SP_ROWS_PAR_MIN 262144 /* elements below which a kernel stays on one thread */
#endif
#define SP_ROWS_BLOCK 256 /* columns of the (outer, n, inner) form kept on the stack at once */

#define SP_ROWS_DEFINE(T, S, EXP, LOG)                                                               \
/* The largest entry of a row (-inf for an empty one). A NaN may be skipped here: it still turns     \
 * its row to NaN through the exponentials' sum, as numpy's NaN maximum does. */                     \
static inline T sp_row_max_##S(const T *SP_RESTRICT x, long n) {                                     \
    T m = -INFINITY;                                                                                 \
    _Pragma("omp simd reduction(max:m)") \
    for (long j = 0; j < n; j++) m = x[j] > m ? x[j] : m;                                            \
    return m;                                                                                        \
}                                                                                                    \
                                                                                                     \
/* y = exp(x - m) and their sum (y may be NULL: the sum alone). */                                   \
static inline double sp_row_exp_sum_##S(const T *SP_RESTRICT x, T *SP_RESTRICT y, long n, T m) {     \
    double s = 0.0;                                                                                  \
    if (y) {                                                                                         \
        _Pragma("omp simd reduction(+:s)") \
        for (long j = 0; j < n; j++) {                                                               \
            const T e = EXP(x[j] - m);                                                               \
            y[j] = e;                                                                                \
            s += e;                                                                                  \
        }                                                                                            \
    } else {                                                                                         \
        _Pragma("omp simd reduction(+:s)") \
        for (long j = 0; j < n; j++) s += EXP(x[j] - m);                                             \
    }                                                                                                \
    return s;                                                                                        \
}                                                                                                    \
                                                                                                     \
/* softmax (log_softmax when `take_log`) over the middle axis of x viewed as (outer, n, inner) */    \
void sp_softmax_##S(const void *xv, void *yv, long outer, long n, long inner, int take_log) {        \
    const T *x = (const T *)xv;                                                                      \
    T *y = (T *)yv;                                                                                  \
    if (inner == 1) {                                                                                \
        _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (outer * n >= SP_ROWS_PAR_MIN)") \
        for (long r = 0; r < outer; r++) {                                                           \
            const T *SP_RESTRICT xr = x + r * n;                                                     \
            T *SP_RESTRICT yr = y + r * n;                                                           \
            const T m = sp_row_max_##S(xr, n);                                                       \
            if (take_log) {                                                                          \
                const T l = (T)LOG((T)sp_row_exp_sum_##S(xr, NULL, n, m));                           \
                for (long j = 0; j < n; j++) yr[j] = (xr[j] - m) - l;                                \
            } else {                                                                                 \
                const T s = (T)sp_row_exp_sum_##S(xr, yr, n, m);                                     \
                for (long j = 0; j < n; j++) yr[j] = yr[j] / s;                                      \
            }                                                                                        \
        }                                                                                            \
        return;                                                                                      \
    }                                                                                                \
    /* a leading axis: blocks of columns, each column's max and sum on the stack, the loops          \
     * running along the contiguous columns */                                                       \
    const long blocks = (inner + SP_ROWS_BLOCK - 1) / SP_ROWS_BLOCK;                                 \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (outer * n * inner >= SP_ROWS_PAR_MIN)") \
    for (long t = 0; t < outer * blocks; t++) {                                                      \
        const long o = t / blocks;                                                                   \
        const long c0 = (t % blocks) * SP_ROWS_BLOCK;                                                \
        const long w = inner - c0 < SP_ROWS_BLOCK ? inner - c0 : SP_ROWS_BLOCK;                      \
        const T *xo = x + o * n * inner + c0;                                                        \
        T *yo = y + o * n * inner + c0;                                                              \
        T m[SP_ROWS_BLOCK];                                                                          \
        double s[SP_ROWS_BLOCK];                                                                     \
        for (long c = 0; c < w; c++) {                                                               \
            m[c] = -INFINITY;                                                                        \
            s[c] = 0.0;                                                                              \
        }                                                                                            \
        for (long k = 0; k < n; k++) {                                                               \
            const T *SP_RESTRICT xk = xo + k * inner;                                                \
            for (long c = 0; c < w; c++) m[c] = (xk[c] > m[c] || xk[c] != xk[c]) ? xk[c] : m[c];     \
        }                                                                                            \
        for (long k = 0; k < n; k++) {                                                               \
            const T *SP_RESTRICT xk = xo + k * inner;                                                \
            T *SP_RESTRICT yk = yo + k * inner;                                                      \
            for (long c = 0; c < w; c++) {                                                           \
                const T e = EXP(xk[c] - m[c]);                                                       \
                if (!take_log) yk[c] = e;                                                            \
                s[c] += e;                                                                           \
            }                                                                                        \
        }                                                                                            \
        for (long k = 0; k < n; k++) {                                                               \
            const T *SP_RESTRICT xk = xo + k * inner;                                                \
            T *SP_RESTRICT yk = yo + k * inner;                                                      \
            for (long c = 0; c < w; c++) {                                                           \
                if (take_log) yk[c] = (xk[c] - m[c]) - (T)LOG((T)s[c]);                              \
                else yk[c] = yk[c] / (T)s[c];                                                        \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
}                                                                                                    \
                                                                                                     \
/* layer_norm over rows of n: mean = sum(x) * (1/n); d = x - mean; rstd = 1 / sqrt(sum(d^2) * (1/n)  \
 * + eps); y = d * rstd * gamma + beta. gamma, beta: one value (`g_n`/`b_n` 1) or one per column     \
 * (n). */                                                                                           \
void sp_layer_norm_##S(const void *xv, const void *gv, const void *bv, void *yv, void *meanv,        \
                       void *rstdv, long rows, long n, long g_n, long b_n, double eps) {             \
    const T *x = (const T *)xv;                                                                      \
    const T *gamma = (const T *)gv;                                                                  \
    const T *beta = (const T *)bv;                                                                   \
    T *y = (T *)yv;                                                                                  \
    T *mean = (T *)meanv;                                                                            \
    T *rstd = (T *)rstdv;                                                                            \
    const T inv_n = (T)(1.0 / (double)(n > 1 ? n : 1));                                              \
    const T epsilon = (T)eps;                                                                        \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (rows * n >= SP_ROWS_PAR_MIN)") \
    for (long r = 0; r < rows; r++) {                                                                \
        const T *SP_RESTRICT xr = x + r * n;                                                         \
        T *SP_RESTRICT yr = y + r * n;                                                               \
        double s = 0.0;                                                                              \
        _Pragma("omp simd reduction(+:s)") \
        for (long j = 0; j < n; j++) s += xr[j];                                                     \
        const T mu = (T)s * inv_n;                                                                   \
        double q = 0.0;                                                                              \
        _Pragma("omp simd reduction(+:q)") \
        for (long j = 0; j < n; j++) {                                                               \
            const T d = xr[j] - mu;                                                                  \
            q += d * d;                                                                              \
        }                                                                                            \
        const T var = (T)q * inv_n;                                                                  \
        const T rs = (T)1 / (T)sqrt((double)(var + epsilon));                                        \
        mean[r] = mu;                                                                                \
        rstd[r] = rs;                                                                                \
        if (g_n == n && b_n == n) {                                                                  \
            for (long j = 0; j < n; j++) yr[j] = (xr[j] - mu) * rs * gamma[j] + beta[j];             \
        } else {                                                                                     \
            const long gs = g_n == n;                                                                \
            const long bs = b_n == n;                                                                \
            for (long j = 0; j < n; j++) yr[j] = (xr[j] - mu) * rs * gamma[j * gs] + beta[j * bs];   \
        }                                                                                            \
    }                                                                                                \
}

#define SP_SCE_DEFINE(T, S, L, LS, LOG)                                                              \
/* Whether a label counts, and the class whose logit is picked (0 where it does not count). */       \
static inline int sp_sce_label_##S##_##LS(L label, long c, long ignore, long *pick) {                \
    const int valid = label >= 0 && (long)label < c && (long)label != ignore;                        \
    *pick = valid ? (long)label : 0;                                                                 \
    return valid;                                                                                    \
}                                                                                                    \
                                                                                                     \
/* sparse_softmax_cross_entropy over (rows, c) logits: loss = (log(sum(exp(x - m))) - (x[label] -    \
 * m)) * valid. reduction 0: one loss per row; 1: their sum; 2: the sum over the count of valid      \
 * labels (NaN when none counts, as numpy's 0/0). */                                                 \
void sp_sce_##S##_##LS(const void *xv, const void *lv, void *outv, long rows, long c, long ignore,   \
                       int reduction) {                                                              \
    const T *x = (const T *)xv;                                                                      \
    const L *labels = (const L *)lv;                                                                 \
    T *out = (T *)outv;                                                                              \
    double total = 0.0;                                                                              \
    long count = 0;                                                                                  \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) reduction(+:total, count) if (rows * c >= SP_ROWS_PAR_MIN)") \
    for (long r = 0; r < rows; r++) {                                                                \
        const T *SP_RESTRICT xr = x + r * c;                                                         \
        long pick;                                                                                   \
        const int valid = sp_sce_label_##S##_##LS(labels[r], c, ignore, &pick);                      \
        const T m = sp_row_max_##S(xr, c);                                                           \
        const T sum = (T)sp_row_exp_sum_##S(xr, NULL, c, m);                                         \
        const T loss = ((T)LOG(sum) - (xr[pick] - m)) * (T)valid;                                    \
        if (reduction == 0) out[r] = loss;                                                           \
        total += loss;                                                                               \
        count += valid;                                                                              \
    }                                                                                                \
    if (reduction == 1) out[0] = (T)total;                                                           \
    if (reduction == 2) out[0] = (T)total / (T)count;                                                \
}                                                                                                    \
                                                                                                     \
/* its gradient: g = (softmax(x) - one_hot(label)) * scale, scale per row: dout[r] where the label   \
 * counts, else 0 (reduction 0); valid * dout (1); valid * dout / count (2) */                       \
void sp_sce_grad_##S##_##LS(const void *xv, const void *lv, const void *dv, void *gv, long rows,     \
                            long c, long ignore, int reduction) {                                    \
    const T *x = (const T *)xv;                                                                      \
    const L *labels = (const L *)lv;                                                                 \
    const T *dout = (const T *)dv;                                                                   \
    T *g = (T *)gv;                                                                                  \
    long count = 0;                                                                                  \
    if (reduction == 2) {                                                                            \
        for (long r = 0; r < rows; r++) {                                                            \
            long pick;                                                                               \
            count += sp_sce_label_##S##_##LS(labels[r], c, ignore, &pick);                           \
        }                                                                                            \
    }                                                                                                \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (rows * c >= SP_ROWS_PAR_MIN)") \
    for (long r = 0; r < rows; r++) {                                                                \
        const T *SP_RESTRICT xr = x + r * c;                                                         \
        T *SP_RESTRICT gr = g + r * c;                                                               \
        long pick;                                                                                   \
        const int valid = sp_sce_label_##S##_##LS(labels[r], c, ignore, &pick);                      \
        T scale;                                                                                     \
        if (reduction == 0) scale = valid ? dout[r] : (T)0;                                          \
        else if (reduction == 1) scale = (T)valid * dout[0];                                         \
        else scale = ((T)valid * dout[0]) / (T)count;                                                \
        const T m = sp_row_max_##S(xr, c);                                                           \
        const T sum = (T)sp_row_exp_sum_##S(xr, gr, c, m);                                           \
        const T picked = gr[pick] / sum - (T)1;                                                      \
        for (long j = 0; j < c; j++) gr[j] = (gr[j] / sum) * scale;                                  \
        gr[pick] = picked * scale;                                                                   \
    }                                                                                                \
}

SP_ROWS_DEFINE(float, f32, sp_expf, logf)
SP_ROWS_DEFINE(double, f64, exp, log)
SP_SCE_DEFINE(float, f32, int32_t, i32, logf)
SP_SCE_DEFINE(float, f32, int64_t, i64, logf)
SP_SCE_DEFINE(double, f64, int32_t, i32, log)
SP_SCE_DEFINE(double, f64, int64_t, i64, log)
