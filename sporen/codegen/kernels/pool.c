/* pool.c: 2-D max and average pooling (NCHW) and their gradients, one loop nest per window.
 *
 * Geometry: `planes` = N*C independent (H, W) planes pooled to (OH, OW); kernel (KH, KW), stride
 * (sh, sw), leading padding (ph, pw), dilation (dh, dw). A tap outside the plane is padding: -inf
 * for max pooling, 0 for average pooling, as the numpy kernels pad. Each plane belongs to one
 * thread, so the scatters of the gradients never race. Instantiated for float and double by
 * SP_POOL_DEFINE(type, suffix). */

#ifndef SP_POOL_PAR_MIN
#define SP_POOL_PAR_MIN 32768
#endif

#define SP_POOL_ARGS long planes, int H, int W, int OH, int OW, int KH, int KW, int sh, int sw, int ph, \
    int pw, int dh, int dw

/* The average's divisor of window (oh, ow), as ops/pool.py's _divisor computes it: the window's
 * undilated extent clipped to the plane (or to the plane plus the declared padding). */
static inline long sp_avg_count(int o, int s, int p, int k, int length, int p_hi, int include_pad) {
    const int start = o * s - p;
    const int end = start + k;
    if (include_pad) {
        const int stop = end < length + p_hi ? end : length + p_hi;
        return stop - start;
    }
    const int stop = end < length ? end : length;
    const int first = start > 0 ? start : 0;
    return stop - first;
}

/* [lo, hi): the output columns ow whose tap at offset `off` (ow*s - p + off) lies inside 0..W-1. */
static inline void sp_pool_valid_range(int W, int OW, int s, int p, int off, int *lo, int *hi) {
    const int start = p - off;
    int a = start <= 0 ? 0 : (start + s - 1) / s;
    const int end = W - 1 + p - off;
    int b = end < 0 ? 0 : end / s + 1;
    if (a > OW) a = OW;
    if (b > OW) b = OW;
    if (b < a) b = a;
    *lo = a;
    *hi = b;
}

#define SP_POOL_ROW 256 /* output columns an argmax keeps its running maxima for, on the stack */

#define SP_POOL_DEFINE(T, S)                                                                             \
/* y = the maximum of each window; NaN wins, as with np.maximum. Taps are the outer loop and the   \
 * output row the inner one, so the inner loop has no bounds checks and vectorises. */              \
void sp_max_pool2d_##S(const void *xv, void *yv, SP_POOL_ARGS) {                                        \
    const T *x = (const T *)xv;                                                                          \
    T *y = (T *)yv;                                                                                      \
    const int pairs = KW == 2 && sw == 2 && dw == 1 && pw == 0 && 2 * OW <= W;                          \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (planes * OH * OW * KH * KW >= SP_POOL_PAR_MIN)")      \
    for (long pl = 0; pl < planes; pl++) {                                                               \
        const T *src = x + pl * H * W;                                                                   \
        for (int oh = 0; oh < OH; oh++) {                                                                \
            T *SP_RESTRICT d = y + (pl * OH + oh) * OW;                                                  \
            for (int ow = 0; ow < OW; ow++) d[ow] = -INFINITY;                                           \
            for (int kh = 0; kh < KH; kh++) {                                                            \
                const int ih = oh * sh - ph + kh * dh;                                                   \
                if (ih < 0 || ih >= H) continue;                                                         \
                if (pairs) {                                                                             \
                    /* both taps of a 2-wide, stride-2 window in one loop: an interleaved pair of  \
                     * loads the compiler vectorises, where one stride-2 stream a loop does not */ \
                    const T *SP_RESTRICT r = src + (long)ih * W;                                         \
                    for (int ow = 0; ow < OW; ow++) {                                                    \
                        const T a = r[2L * ow];                                                          \
                        const T b = r[2L * ow + 1];                                                      \
                        const T m = d[ow];                                                               \
                        const T t = (a > m || a != a) ? a : m;                                           \
                        d[ow] = (b > t || b != b) ? b : t;                                               \
                    }                                                                                    \
                    continue;                                                                            \
                }                                                                                        \
                for (int kw = 0; kw < KW; kw++) {                                                        \
                    int lo, hi;                                                                          \
                    sp_pool_valid_range(W, OW, sw, pw, kw * dw, &lo, &hi);                               \
                    const T *SP_RESTRICT r = src + (long)ih * W - pw + kw * dw;                          \
                    for (int ow = lo; ow < hi; ow++) {                                                   \
                        const T v = r[(long)ow * sw];                                                    \
                        const T m = d[ow];                                                               \
                        d[ow] = (v > m || v != v) ? v : m;                                               \
                    }                                                                                    \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    }                                                                                                    \
}                                                                                                        \
                                                                                                         \
/* The argmax of each window as a flat index into its plane: the first maximum (or first NaN) in     \
 * tap order, a padded tap counting as -inf, clipped into the plane as the numpy kernel does. A     \
 * later tap replaces the running maximum only when strictly greater (or the first NaN), so taps as \
 * the outer loop keep the first-in-tap-order rule; a padded tap after the first never wins. */      \
void sp_max_pool2d_indices_##S(const void *xv, void *iv, SP_POOL_ARGS) {                                \
    const T *x = (const T *)xv;                                                                          \
    int64_t *idx = (int64_t *)iv;                                                                        \
    const long last = (long)H * W - 1;                                                                   \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (planes * OH * OW * KH * KW >= SP_POOL_PAR_MIN)")      \
    for (long pl = 0; pl < planes; pl++) {                                                               \
        const T *src = x + pl * H * W;                                                                   \
        T m[SP_POOL_ROW];                                                                                \
        for (int oh = 0; oh < OH; oh++) {                                                                \
            for (int ow0 = 0; ow0 < OW; ow0 += SP_POOL_ROW) {                                            \
                const int n = OW - ow0 < SP_POOL_ROW ? OW - ow0 : SP_POOL_ROW;                           \
                int64_t *SP_RESTRICT best = idx + (pl * OH + oh) * OW + ow0;                             \
                const int ih0 = oh * sh - ph;                                                            \
                for (int j = 0; j < n; j++) {                                                            \
                    const int iw = (ow0 + j) * sw - pw;                                                  \
                    const int in = ih0 >= 0 && ih0 < H && iw >= 0 && iw < W;                             \
                    m[j] = in ? src[(long)ih0 * W + iw] : -INFINITY;                                     \
                    best[j] = (long)ih0 * W + iw;                                                        \
                }                                                                                        \
                for (int kh = 0; kh < KH; kh++) {                                                        \
                    const int ih = ih0 + kh * dh;                                                        \
                    if (ih < 0 || ih >= H) continue;                                                     \
                    for (int kw = kh == 0 ? 1 : 0; kw < KW; kw++) {                                      \
                        int lo, hi;                                                                      \
                        sp_pool_valid_range(W, OW, sw, pw, kw * dw, &lo, &hi);                           \
                        lo = lo > ow0 ? lo - ow0 : 0;                                                    \
                        hi = hi - ow0 < n ? hi - ow0 : n;                                                \
                        const long base = (long)ih * W - pw + kw * dw + (long)ow0 * sw;                  \
                        for (int j = lo; j < hi; j++) {                                                  \
                            const T v = src[base + (long)j * sw];                                        \
                            const T cur = m[j];                                                          \
                            const int take = cur == cur && (v > cur || v != v);                          \
                            m[j] = take ? v : cur;                                                       \
                            best[j] = take ? base + (long)j * sw : best[j];                              \
                        }                                                                                \
                    }                                                                                    \
                }                                                                                        \
                for (int j = 0; j < n; j++) {                                                            \
                    best[j] = best[j] < 0 ? 0 : (best[j] > last ? last : best[j]);                       \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    }                                                                                                    \
}                                                                                                        \
                                                                                                         \
/* dx = each window's gradient added at its argmax (any spatial rank: planes of `plane` values     \
 * pooled to `out` values). */                                                                        \
void sp_max_pool_grad_##S(const void *dyv, const void *iv, void *dxv, long planes, long plane, long out) { \
    const T *dy = (const T *)dyv;                                                                        \
    const int64_t *idx = (const int64_t *)iv;                                                            \
    T *dx = (T *)dxv;                                                                                    \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (planes * (plane + out) >= SP_POOL_PAR_MIN)")         \
    for (long pl = 0; pl < planes; pl++) {                                                               \
        T *d = dx + pl * plane;                                                                          \
        const T *g = dy + pl * out;                                                                      \
        const int64_t *k = idx + pl * out;                                                               \
        memset(d, 0, sizeof(T) * (size_t)plane);                                                         \
        for (long j = 0; j < out; j++) d[k[j]] += g[j];                                                  \
    }                                                                                                    \
}                                                                                                        \
                                                                                                         \
/* y = g picked at each window's argmax: the adjoint of sp_max_pool_grad. */                          \
void sp_max_pool_grad_grad_##S(const void *gv, const void *iv, void *yv, long planes, long plane, long out) { \
    const T *g = (const T *)gv;                                                                          \
    const int64_t *idx = (const int64_t *)iv;                                                            \
    T *y = (T *)yv;                                                                                      \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (planes * out >= SP_POOL_PAR_MIN)")                   \
    for (long pl = 0; pl < planes; pl++) {                                                               \
        const T *s = g + pl * plane;                                                                     \
        const int64_t *k = idx + pl * out;                                                               \
        T *d = y + pl * out;                                                                             \
        for (long j = 0; j < out; j++) d[j] = s[k[j]];                                                   \
    }                                                                                                    \
}                                                                                                        \
                                                                                                         \
/* y = each window's sum over its taps in tap order, divided by `divisor` when it is positive, else \
 * by the window's count (sp_avg_count; hh, wh: the declared trailing padding). */                    \
void sp_avg_pool2d_##S(const void *xv, void *yv, SP_POOL_ARGS, int hh, int wh, int include_pad,        \
                       long divisor) {                                                                   \
    const T *x = (const T *)xv;                                                                          \
    T *y = (T *)yv;                                                                                      \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (planes * OH * OW * KH * KW >= SP_POOL_PAR_MIN)")      \
    for (long pl = 0; pl < planes; pl++) {                                                               \
        const T *src = x + pl * H * W;                                                                   \
        for (int oh = 0; oh < OH; oh++) {                                                                \
            T *SP_RESTRICT d = y + (pl * OH + oh) * OW;                                                  \
            for (int ow = 0; ow < OW; ow++) d[ow] = 0;                                                   \
            for (int kh = 0; kh < KH; kh++) {                                                            \
                const int ih = oh * sh - ph + kh * dh;                                                   \
                if (ih < 0 || ih >= H) continue;                                                         \
                for (int kw = 0; kw < KW; kw++) {                                                        \
                    int lo, hi;                                                                          \
                    sp_pool_valid_range(W, OW, sw, pw, kw * dw, &lo, &hi);                               \
                    const T *SP_RESTRICT r = src + (long)ih * W - pw + kw * dw;                          \
                    for (int ow = lo; ow < hi; ow++) d[ow] += r[(long)ow * sw];                          \
                }                                                                                        \
            }                                                                                            \
            const long ch = sp_avg_count(oh, sh, ph, KH, H, hh, include_pad);                            \
            for (int ow = 0; ow < OW; ow++) {                                                            \
                const long cnt = divisor > 0 ? divisor                                                   \
                                             : ch * sp_avg_count(ow, sw, pw, KW, W, wh, include_pad);   \
                d[ow] = d[ow] / (T)cnt;                                                                  \
            }                                                                                            \
        }                                                                                                \
    }                                                                                                    \
}                                                                                                        \
                                                                                                         \
/* dx = the adjoint of sp_avg_pool2d: each window's gradient over its divisor, added to every tap   \
 * it read, taps in order (the numpy kernel's order of additions). */                                 \
void sp_avg_pool2d_grad_##S(const void *dyv, void *dxv, SP_POOL_ARGS, int hh, int wh, int include_pad, \
                            long divisor) {                                                              \
    const T *dy = (const T *)dyv;                                                                        \
    T *dx = (T *)dxv;                                                                                    \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (planes * OH * OW * KH * KW >= SP_POOL_PAR_MIN)")      \
    for (long pl = 0; pl < planes; pl++) {                                                               \
        const T *g = dy + pl * OH * OW;                                                                  \
        T *d = dx + pl * H * W;                                                                          \
        memset(d, 0, sizeof(T) * (size_t)H * W);                                                         \
        for (int kh = 0; kh < KH; kh++) {                                                                \
            for (int kw = 0; kw < KW; kw++) {                                                            \
                for (int oh = 0; oh < OH; oh++) {                                                        \
                    const int ih = oh * sh - ph + kh * dh;                                               \
                    if (ih < 0 || ih >= H) continue;                                                     \
                    const long ch = sp_avg_count(oh, sh, ph, KH, H, hh, include_pad);                    \
                    for (int ow = 0; ow < OW; ow++) {                                                    \
                        const int iw = ow * sw - pw + kw * dw;                                           \
                        if (iw < 0 || iw >= W) continue;                                                 \
                        const long cnt = divisor > 0 ? divisor                                           \
                                                     : ch * sp_avg_count(ow, sw, pw, KW, W, wh, include_pad); \
                        d[(long)ih * W + iw] += g[(long)oh * OW + ow] / (T)cnt;                          \
                    }                                                                                    \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    }                                                                                                    \
}

SP_POOL_DEFINE(float, f32)
SP_POOL_DEFINE(double, f64)
