/* conv.c: 2-D convolution (NCHW) and its two gradients, as im2col/col2im in C around BLAS GEMMs.
 *
 * Geometry, shared by the three kernels: x is (N, C, H, W), the weight (O, C/groups, KH, KW), the
 * output y (N, O, OH, OW); stride (sh, sw), leading padding (ph, pw), dilation (dh, dw). Trailing
 * padding needs no argument: a tap is read only when it falls inside the image.
 *
 * The images go through the GEMMs in chunks of `nb`: with nb == 1 each image's GEMM writes straight
 * into its NCHW output (no transpose); with nb > 1 (small feature maps, where one image makes too
 * thin a GEMM) the chunk's pixels are the GEMM's long dimension and one transpose reorders the
 * result. Scratch is the caller's workspace: the columns (C/groups*KH*KW rows, nb*OH*OW columns)
 * then, when nb > 1, one (O, nb*OH*OW) buffer.
 *
 * Threads: OpenBLAS threads its own GEMMs. The im2col/col2im loops between them stay on one thread
 * (SP_CONV_PAR_MIN off by default): on 2 cores, OpenMP's spinning workers and OpenBLAS's fight
 * over the cores after each switch, measured 5-10x slower on some layers than one-threaded copies.
 * The direct kernel for few output channels has no BLAS call, so it uses OpenMP. */

#ifndef SP_CONV_PAR_MIN
#define SP_CONV_PAR_MIN (1L << 62) /* off: see below */
#endif

typedef struct {
    int N, C, H, W, O, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, groups;
} sp_conv_geom;

/* The first output column ow whose input column ow*s - p + k*d lies at or right of 0, and one
 * past the last whose input column lies left of W: [lo, hi) is where a tap reads the image. */
static inline void sp_conv_valid_range(int W, int OW, int s, int p, int off, int *lo, int *hi) {
    int start = p - off;  /* need ow*s >= start */
    int a = start <= 0 ? 0 : (start + s - 1) / s;
    int end = W - 1 + p - off;  /* need ow*s <= end */
    int b = end < 0 ? 0 : end / s + 1;
    if (a > OW) a = OW;
    if (b > OW) b = OW;
    if (b < a) b = a;
    *lo = a;
    *hi = b;
}

/* cols[(c*KH + kh)*KW + kw][i*P + oh*OW + ow] = x[n0 + i, c0 + c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
 * (zero outside the image), for the nb images from n0 and the cg channels from c0. */
static void sp_im2col_f32(const float *SP_RESTRICT x, float *SP_RESTRICT cols, const sp_conv_geom *g,
                          int n0, int nb, int c0, int cg) {
    const int KH = g->KH, KW = g->KW, OH = g->OH, OW = g->OW, H = g->H, W = g->W;
    const int sh = g->sh, sw = g->sw, ph = g->ph, pw = g->pw, dh = g->dh, dw = g->dw;
    const long P = (long)OH * OW;
    const long ld = (long)nb * P;
    const long rows = (long)cg * KH * KW;
    const long items = rows * nb;
#pragma omp parallel for schedule(static) num_threads(sp_threads) if (items * P >= SP_CONV_PAR_MIN)
    for (long it = 0; it < items; it++) {
        const long r = it / nb;
        const int i = (int)(it % nb);
        const int kw = (int)(r % KW);
        const int kh = (int)((r / KW) % KH);
        const int c = (int)(r / ((long)KW * KH));
        const float *src = x + ((long)(n0 + i) * g->C + c0 + c) * H * W;
        float *dst = cols + r * ld + i * P;
        int lo, hi;
        sp_conv_valid_range(W, OW, sw, pw, kw * dw, &lo, &hi);
        for (int oh = 0; oh < OH; oh++) {
            const int ih = oh * sh - ph + kh * dh;
            float *d = dst + (long)oh * OW;
            if (ih < 0 || ih >= H) {
                for (int ow = 0; ow < OW; ow++) d[ow] = 0.0f;
                continue;
            }
            const long base = (long)ih * W - pw + kw * dw;
            for (int ow = 0; ow < lo; ow++) d[ow] = 0.0f;
            if (sw == 1) {
                const float *s = src + base + lo;
                for (int ow = 0; ow < hi - lo; ow++) d[lo + ow] = s[ow];
            } else {
                for (int ow = lo; ow < hi; ow++) d[ow] = src[base + (long)ow * sw];
            }
            for (int ow = hi; ow < OW; ow++) d[ow] = 0.0f;
        }
    }
}

/* The adjoint of sp_im2col_f32: dx[n0 + i, c0 + c] = sum of the columns' entries that read each
 * pixel. Each (image, channel) plane belongs to one thread, so the adds never race; the plane is
 * zeroed first, so dx needs no initialisation. */
static void sp_col2im_f32(const float *SP_RESTRICT cols, float *SP_RESTRICT dx, const sp_conv_geom *g,
                          int n0, int nb, int c0, int cg) {
    const int KH = g->KH, KW = g->KW, OH = g->OH, OW = g->OW, H = g->H, W = g->W;
    const int sh = g->sh, sw = g->sw, ph = g->ph, pw = g->pw, dh = g->dh, dw = g->dw;
    const long P = (long)OH * OW;
    const long ld = (long)nb * P;
    const long planes = (long)nb * cg;
#pragma omp parallel for schedule(static) num_threads(sp_threads) if (planes * P * KH * KW >= SP_CONV_PAR_MIN)
    for (long it = 0; it < planes; it++) {
        const int c = (int)(it % cg);
        const int i = (int)(it / cg);
        float *dst = dx + ((long)(n0 + i) * g->C + c0 + c) * H * W;
        memset(dst, 0, sizeof(float) * (size_t)H * W);
        for (int kh = 0; kh < KH; kh++) {
            for (int kw = 0; kw < KW; kw++) {
                const float *src = cols + (((long)c * KH + kh) * KW + kw) * ld + i * P;
                int lo, hi;
                sp_conv_valid_range(W, OW, sw, pw, kw * dw, &lo, &hi);
                for (int oh = 0; oh < OH; oh++) {
                    const int ih = oh * sh - ph + kh * dh;
                    if (ih < 0 || ih >= H) continue;
                    const long base = (long)ih * W - pw + kw * dw;
                    const float *s = src + (long)oh * OW;
                    if (sw == 1) {
                        float *d = dst + base + lo;
                        for (int ow = 0; ow < hi - lo; ow++) d[ow] += s[lo + ow];
                    } else {
                        for (int ow = lo; ow < hi; ow++) dst[base + (long)ow * sw] += s[ow];
                    }
                }
            }
        }
    }
}

/* (O, nb, P) -> images n0.. of (N, O, P), or back with to_chunk != 0. */
static void sp_conv_reorder_f32(float *SP_RESTRICT chunk, float *SP_RESTRICT nchw, int O, int nb, long P,
                                int n0, int to_chunk) {
    const long items = (long)O * nb;
#pragma omp parallel for schedule(static) num_threads(sp_threads) if (items * P >= SP_CONV_PAR_MIN)
    for (long it = 0; it < items; it++) {
        const int o = (int)(it / nb);
        const int i = (int)(it % nb);
        float *a = chunk + it * P;
        float *b = nchw + ((long)(n0 + i) * O + o) * P;
        if (to_chunk) {
            memcpy(a, b, sizeof(float) * (size_t)P);
        } else {
            memcpy(b, a, sizeof(float) * (size_t)P);
        }
    }
}

/* A 1x1 kernel with stride 1 and no padding reads each image as it is: no columns needed. */
static int sp_conv_is_pointwise(const sp_conv_geom *g) {
    return g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0
        && g->OH == g->H && g->OW == g->W;
}

/* Direct convolution for few output channels (LeNet's 6 and 16), where a GEMM with so few rows
 * runs far below the BLAS peak: a block of PB output pixels times OV*8 channels stays in vector
 * registers while the C*KH*KW taps stream through, the weights pre-transposed to (tap, channel)
 * rows of OV*8 in the workspace. Only for groups == 1 and no padding (every tap inside). */
typedef float sp_conv_v8 __attribute__((vector_size(32)));

#define SP_CONV_DIRECT(OV, PB)                                                                         \
static void sp_conv2d_direct##OV##_f32(const float *x, const float *w, float *y, float *wt,            \
                                      const sp_conv_geom *g) {                                        \
    const int C = g->C, H = g->H, W = g->W, O = g->O, KH = g->KH, KW = g->KW, OH = g->OH, OW = g->OW; \
    const int sh = g->sh, sw = g->sw, dh = g->dh, dw = g->dw;                                         \
    const long ck = (long)C * KH * KW;                                                                \
    const long P = (long)OH * OW;                                                                     \
    for (long k = 0; k < ck; k++) {                                                                   \
        for (int o = 0; o < OV * 8; o++) wt[k * OV * 8 + o] = o < O ? w[(long)o * ck + k] : 0.0f;     \
    }                                                                                                 \
    const long rows = (long)g->N * OH;                                                                \
    _Pragma("omp parallel for schedule(static) num_threads(sp_threads) if (rows * OW * ck * O >= 64 * SP_DIRECT_PAR_MIN)")     \
    for (long r = 0; r < rows; r++) {                                                                 \
        const int n = (int)(r / OH);                                                                  \
        const int oh = (int)(r % OH);                                                                 \
        const float *xn = x + (long)n * C * H * W;                                                    \
        for (int ow0 = 0; ow0 < OW; ow0 += PB) {                                                      \
            const int m = OW - ow0 < PB ? OW - ow0 : PB;                                              \
            long off[PB];                                                                             \
            for (int j = 0; j < PB; j++) off[j] = (long)(ow0 + (j < m ? j : m - 1)) * sw;             \
            sp_conv_v8 acc[PB][OV];                                                                   \
            for (int j = 0; j < PB; j++) {                                                            \
                for (int v = 0; v < OV; v++) acc[j][v] = (sp_conv_v8){0};                             \
            }                                                                                         \
            const float *wk = wt;                                                                     \
            for (int c = 0; c < C; c++) {                                                             \
                for (int kh = 0; kh < KH; kh++) {                                                     \
                    const float *row = xn + ((long)c * H + (long)oh * sh + (long)kh * dh) * W;        \
                    for (int kw = 0; kw < KW; kw++) {                                                 \
                        const float *px = row + (long)kw * dw;                                        \
                        sp_conv_v8 wv[OV];                                                            \
                        for (int v = 0; v < OV; v++) memcpy(&wv[v], wk + v * 8, 32);                  \
                        wk += OV * 8;                                                                 \
                        for (int j = 0; j < PB; j++) {                                                \
                            const float xv = px[off[j]];                                              \
                            for (int v = 0; v < OV; v++) acc[j][v] += xv * wv[v];                     \
                        }                                                                             \
                    }                                                                                 \
                }                                                                                     \
            }                                                                                         \
            float *yo = y + (long)n * O * P + (long)oh * OW + ow0;                                    \
            for (int o = 0; o < O; o++) {                                                             \
                for (int j = 0; j < m; j++) yo[(long)o * P + j] = acc[j][o / 8][o % 8];               \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
}

#ifndef SP_DIRECT_PAR_MIN
#define SP_DIRECT_PAR_MIN 32768
#endif
SP_CONV_DIRECT(1, 12)
SP_CONV_DIRECT(2, 6)

/* Direct convolution vectorised across output pixels, for stride-1 rows of at least 16 pixels and
 * at most 6 output channels (LeNet's first layer: with 25 taps a pixel, the register block of the
 * kernel above would spend as long storing its transposed results as computing them). A block is
 * 16 pixels of a row times 6 channels; a row's last block overlaps the one before it instead of
 * running short (recomputing a few pixels to identical values). Workspace: the weights as rows
 * of 6 per tap. */
static void sp_conv2d_rows6_f32(const float *x, const float *w, float *y, float *wt, const sp_conv_geom *g) {
    const int C = g->C, H = g->H, W = g->W, O = g->O, KH = g->KH, KW = g->KW, OH = g->OH, OW = g->OW;
    const int sh = g->sh, dh = g->dh, dw = g->dw;
    const long ck = (long)C * KH * KW;
    const long P = (long)OH * OW;
    for (long k = 0; k < ck; k++) {
        for (int o = 0; o < 6; o++) wt[k * 6 + o] = o < O ? w[(long)o * ck + k] : 0.0f;
    }
    const long rows = (long)g->N * OH;
#pragma omp parallel for schedule(static) num_threads(sp_threads) if (rows * OW * ck * O >= 64 * SP_DIRECT_PAR_MIN)
    for (long r = 0; r < rows; r++) {
        const int n = (int)(r / OH);
        const int oh = (int)(r % OH);
        const float *xn = x + (long)n * C * H * W;
        for (int ow0 = 0; ow0 < OW; ow0 += 16) {
            const int start = ow0 + 16 <= OW ? ow0 : OW - 16;
            sp_conv_v8 acc[6][2];
            for (int o = 0; o < 6; o++) {
                acc[o][0] = (sp_conv_v8){0};
                acc[o][1] = (sp_conv_v8){0};
            }
            const float *wk = wt;
            for (int c = 0; c < C; c++) {
                for (int kh = 0; kh < KH; kh++) {
                    const float *row = xn + ((long)c * H + (long)oh * sh + (long)kh * dh) * W + start;
                    for (int kw = 0; kw < KW; kw++) {
                        const float *px = row + (long)kw * dw;
                        sp_conv_v8 a0, a1;
                        memcpy(&a0, px, 32);
                        memcpy(&a1, px + 8, 32);
                        for (int o = 0; o < 6; o++) {
                            acc[o][0] += wk[o] * a0;
                            acc[o][1] += wk[o] * a1;
                        }
                        wk += 6;
                    }
                }
            }
            float *yo = y + (long)n * O * P + (long)oh * OW + start;
            for (int o = 0; o < O; o++) {
                memcpy(yo + (long)o * P, &acc[o][0], 32);
                memcpy(yo + (long)o * P + 8, &acc[o][1], 32);
            }
        }
    }
}

/* The direct kernel serves this convolution: few output channels, one group, no padding. */
static int sp_conv_direct_channels(const sp_conv_geom *g) {
    if (g->groups != 1 || g->ph != 0 || g->pw != 0 || g->O > 16) return 0;
    if ((long)(g->OH - 1) * g->sh + (long)(g->KH - 1) * g->dh >= g->H) return 0;
    if ((long)(g->OW - 1) * g->sw + (long)(g->KW - 1) * g->dw >= g->W) return 0;
    return g->O <= 8 ? 1 : 2;
}

/* ---- the team: chunks of images side by side, each thread's GEMMs on one BLAS thread ----
 *
 * With one chunk at a time, each GEMM is split across the cores but the im2col/col2im copies
 * between them run on one core, and the small-map GEMMs are too thin to keep two cores busy.
 * Instead the kernels' team (sp_threads) runs whole chunks side by side, each in its own slot of
 * the workspace, with BLAS on one thread: every copy and every GEMM is then split across the
 * cores, and no two thread pools spin against each other. BLAS's thread count is read and set
 * through the prelude's sp_blas_* (numpy's OpenBLAS functions, given with sgemm); with no such
 * functions the team is one thread and the GEMMs keep BLAS's threads. */
/* How many threads run the chunks: the kernels' team (sp_threads; 1 where BLAS's threads cannot be
 * set), at most `slots` (the workspace has room for that many) and `chunks`. */
static int sp_conv_team(int slots, int chunks) {
    if (slots <= 1 || chunks <= 1) return 1;
    int team = sp_threads;
    if (team > slots) team = slots;
    if (team > chunks) team = chunks;
    return team < 1 ? 1 : team;
}

/* The floats of one team slot: the columns (none for a pointwise kernel one image at a time),
 * then for nb > 1 the chunk's (O, nb*P) GEMM result. library.py's _lower_conv sizes the same. */
static long sp_conv_slot_floats(const sp_conv_geom *g, int nb) {
    const long P = (long)g->OH * g->OW;
    const long ck = (long)(g->C / g->groups) * g->KH * g->KW;
    long floats = nb == 1 && sp_conv_is_pointwise(g) ? 0 : ck * nb * P;
    if (nb > 1) floats += (long)g->O * nb * P;
    return floats;
}

/* A chunk's product: on the calling thread within the team's parallel region, else (a team of
 * one: a single chunk) in panels over the kernels' team. */
static inline void sp_conv_gemm(int ta, int tb, long m, long n, long k, float alpha, const float *a, long lda,
                                const float *b, long ldb, float beta, float *c, long ldc) {
#ifdef _OPENMP
    if (!omp_in_parallel()) {
        sp_sgemm_team(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#endif
    sp_sgemm(SP_ROW_MAJOR, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* One chunk of the forward: images n0 .. n0+m-1 of y = conv(x, w). */
static void sp_conv2d_fwd_chunk_f32(const float *x, const float *w, float *y, float *cols, const sp_conv_geom *g,
                                    int nb, int n0, int m) {
    const int cg = g->C / g->groups;
    const int og = g->O / g->groups;
    const long P = (long)g->OH * g->OW;
    const long ck = (long)cg * g->KH * g->KW;
    const int direct = nb == 1 && sp_conv_is_pointwise(g);
    float *tmp = cols + ck * nb * P;
    for (int grp = 0; grp < g->groups; grp++) {
        const float *wg = w + (long)grp * og * ck;
        const float *b = cols;
        if (direct) {
            b = x + ((long)n0 * g->C + (long)grp * cg) * P;
        } else {
            sp_im2col_f32(x, cols, g, n0, m, grp * cg, cg);
        }
        if (nb == 1) {
            float *yg = y + ((long)n0 * g->O + (long)grp * og) * P;
            sp_conv_gemm(SP_NO_TRANS, SP_NO_TRANS, og, P, ck, 1.0f, wg, ck, b, P, 0.0f, yg, P);
        } else {
            float *tg = tmp + (long)grp * og * m * P;
            sp_conv_gemm(SP_NO_TRANS, SP_NO_TRANS, og, m * P, ck, 1.0f, wg, ck, b, m * P, 0.0f, tg, m * P);
        }
    }
    if (nb > 1) sp_conv_reorder_f32(tmp, y, g->O, m, P, n0, 0);
}

/* One chunk of the input gradient: images n0 .. n0+m-1 of dx = conv_transpose(dy, w), the
 * columns W^T dy scattered back by col2im. */
static void sp_conv2d_bwd_data_chunk_f32(const float *dy, const float *w, float *dx, float *cols,
                                         const sp_conv_geom *g, int nb, int n0, int m) {
    const int cg = g->C / g->groups;
    const int og = g->O / g->groups;
    const long P = (long)g->OH * g->OW;
    const long ck = (long)cg * g->KH * g->KW;
    const int direct = nb == 1 && sp_conv_is_pointwise(g);
    float *tmp = cols + ck * nb * P;
    if (nb > 1) sp_conv_reorder_f32(tmp, (float *)dy, g->O, m, P, n0, 1);
    for (int grp = 0; grp < g->groups; grp++) {
        const float *wg = w + (long)grp * og * ck;
        const float *a;
        long lda;
        if (nb == 1) {
            a = dy + ((long)n0 * g->O + (long)grp * og) * P;
            lda = P;
        } else {
            a = tmp + (long)grp * og * m * P;
            lda = m * P;
        }
        if (direct) {
            float *d = dx + ((long)n0 * g->C + (long)grp * cg) * P;
            sp_conv_gemm(SP_TRANS, SP_NO_TRANS, ck, P, og, 1.0f, wg, ck, a, lda, 0.0f, d, P);
            continue;
        }
        sp_conv_gemm(SP_TRANS, SP_NO_TRANS, ck, m * P, og, 1.0f, wg, ck, a, lda, 0.0f, cols, m * P);
        sp_col2im_f32(cols, dx, g, n0, m, grp * cg, cg);
    }
}

/* One chunk of the weight gradient, added to `acc` (written when beta is 0): the chunk's pixels
 * are the GEMM's inner dimension. */
static void sp_conv2d_bwd_filter_chunk_f32(const float *x, const float *dy, float *acc, float *cols,
                                           const sp_conv_geom *g, int nb, int n0, int m, float beta) {
    const int cg = g->C / g->groups;
    const int og = g->O / g->groups;
    const long P = (long)g->OH * g->OW;
    const long ck = (long)cg * g->KH * g->KW;
    const int direct = nb == 1 && sp_conv_is_pointwise(g);
    float *tmp = cols + ck * nb * P;
    if (nb > 1) sp_conv_reorder_f32(tmp, (float *)dy, g->O, m, P, n0, 1);
    for (int grp = 0; grp < g->groups; grp++) {
        const float *a;
        const float *b = cols;
        if (nb == 1) {
            a = dy + ((long)n0 * g->O + (long)grp * og) * P;
        } else {
            a = tmp + (long)grp * og * m * P;
        }
        if (direct) {
            b = x + ((long)n0 * g->C + (long)grp * cg) * P;
        } else {
            sp_im2col_f32(x, cols, g, n0, m, grp * cg, cg);
        }
        float *ag = acc + (long)grp * og * ck;
        sp_conv_gemm(SP_NO_TRANS, SP_TRANS, og, ck, m * P, 1.0f, a, m * P, b, m * P, beta, ag, ck);
    }
}

enum { SP_CONV_FWD, SP_CONV_BWD_DATA, SP_CONV_BWD_FILTER };

/* Runs one of the three convolutions over all chunks of `nb` images (nb >= 1), on a team of up
 * to `slots` threads. Thread t takes a contiguous run of chunks; for the weight gradient it sums
 * into its own accumulator (thread 0's is dw itself, the others' follow the slots in the
 * workspace), and the team adds them into dw at the end. */
static void sp_conv2d_run_f32(int kind, const float *a, const float *b, float *out, float *ws, const sp_conv_geom *g,
                              int nb, int slots) {
    const int chunks = (g->N + nb - 1) / nb;
    const long slot = sp_conv_slot_floats(g, nb);
    const long wsize = (long)g->O * (g->C / g->groups) * g->KH * g->KW;
    const int team = sp_conv_team(slots, chunks);
    int blas_threads = 1;
    if (kind == SP_CONV_BWD_FILTER && g->N == 0) {
        memset(out, 0, sizeof(float) * (size_t)wsize);
        return;
    }
    if (team > 1) blas_threads = sp_blas_single_begin();
#pragma omp parallel num_threads(team) if (team > 1)
    {
        const int t = team > 1 ? sp_thread_num() : 0;
        const int first = (int)((long)chunks * t / team);
        const int last = (int)((long)chunks * (t + 1) / team);
        float *cols = ws + t * slot;
        float *acc = t == 0 ? out : ws + team * slot + (t - 1) * wsize;
        for (int c = first; c < last; c++) {
            const int n0 = c * nb;
            const int m = g->N - n0 < nb ? g->N - n0 : nb;
            if (kind == SP_CONV_FWD) {
                sp_conv2d_fwd_chunk_f32(a, b, out, cols, g, nb, n0, m);
            } else if (kind == SP_CONV_BWD_DATA) {
                sp_conv2d_bwd_data_chunk_f32(a, b, out, cols, g, nb, n0, m);
            } else {
                sp_conv2d_bwd_filter_chunk_f32(a, b, acc, cols, g, nb, n0, m, c == first ? 0.0f : 1.0f);
            }
        }
        if (kind == SP_CONV_BWD_FILTER && team > 1) {
            const float *partial = ws + team * slot;
#pragma omp barrier
#pragma omp for schedule(static)
            for (long i = 0; i < wsize; i++) {
                float sum = out[i];
                for (int k = 1; k < team; k++) sum += partial[(k - 1) * wsize + i];
                out[i] = sum;
            }
        }
    }
    sp_blas_single_end(blas_threads);
}

/* y = conv(x, w). */
static void sp_conv2d_fwd_f32(const float *x, const float *w, float *y, float *ws, const sp_conv_geom *g,
                              int nb, int slots) {
    if (nb < 0) {
        sp_conv2d_rows6_f32(x, w, y, ws, g);  /* library.py's _direct_rows chose it */
        return;
    }
    if (nb == 0) {
        /* library.py's _direct_vectors chose this with the same rule as sp_conv_direct_channels */
        if (sp_conv_direct_channels(g) == 1) sp_conv2d_direct1_f32(x, w, y, ws, g);
        if (sp_conv_direct_channels(g) == 2) sp_conv2d_direct2_f32(x, w, y, ws, g);
        return;
    }
    sp_conv2d_run_f32(SP_CONV_FWD, x, w, y, ws, g, nb, slots);
}

/* The entry points the generated code calls: pointers, then the geometry as plain ints. */
#define SP_CONV_GEOM_ARGS int N, int C, int H, int W, int O, int KH, int KW, int OH, int OW, int sh, int sw, \
    int ph, int pw, int dh, int dw, int groups, int nb, int slots
#define SP_CONV_GEOM_INIT {N, C, H, W, O, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, groups}

void sp_conv2d_f32(const void *x, const void *w, void *y, void *ws, SP_CONV_GEOM_ARGS) {
    sp_conv_geom g = SP_CONV_GEOM_INIT;
    sp_conv2d_fwd_f32((const float *)x, (const float *)w, (float *)y, (float *)ws, &g, nb, slots);
}

void sp_conv2d_input_grad_f32(const void *dy, const void *w, void *dx, void *ws, SP_CONV_GEOM_ARGS) {
    sp_conv_geom g = SP_CONV_GEOM_INIT;
    sp_conv2d_run_f32(SP_CONV_BWD_DATA, (const float *)dy, (const float *)w, (float *)dx, (float *)ws, &g, nb, slots);
}

void sp_conv2d_weight_grad_f32(const void *x, const void *dy, void *dweight, void *ws, SP_CONV_GEOM_ARGS) {
    sp_conv_geom g = SP_CONV_GEOM_INIT;
    sp_conv2d_run_f32(SP_CONV_BWD_FILTER, (const float *)x, (const float *)dy, (float *)dweight, (float *)ws, &g, nb,
                      slots);
}
