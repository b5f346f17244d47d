/* winograd.c: 3x3 convolutions of stride 1, dilation 1 and one group (most of a ResNet's
 * multiplications), their input gradient and their weight gradient, by Winograd's minimal
 * filtering F(m x m, 3 x 3) with m = 2 or 4 (Lavin & Gray, "Fast Algorithms for Convolutional
 * Neural Networks", 2015): an (m+2) x (m+2) input tile d and the 3x3 kernel g give the m x m
 * output tile A^T [(G g G^T) . (B^T d B)] A, so a tile costs (m+2)^2 multiplies per channel pair
 * instead of 9 m^2: 2.25x fewer for m = 2, 4x for m = 4 (whose float32 rounding error is about
 * ten times larger; library.py chooses).
 *
 * Blocked as NNPACK does, so that the transformed tiles stay in cache: the (m+2)^2 transformed
 * weights V[e] (Cout x Cin) are computed once a call into the workspace; then for each block of
 * tiles (whole tile rows of a few images) a thread transforms the input tiles into U[e] (Cin x
 * tiles), runs the (m+2)^2 products M[e] = V[e] U[e] with BLAS on one thread, and transforms M
 * back into the output's rows. The kernels' team (sp_threads) runs blocks side by side, each
 * thread in its own slot of the workspace. Relies on conv.c (sp_conv_team, sp_conv_thread,
 * sp_conv_gemm), included before it.
 *
 * The input gradient of a 3x3 stride-1 convolution with leading padding p is such a convolution
 * of dy with the kernel turned by 180 degrees and its channel axes swapped, leading padding 2 - p
 * (`flip`). The weight gradient is the adjoint (F(3x3, m x m)): dw = G^T [sum over tiles of
 * (A dy A^T) . (B^T d B)] G, the sum over tiles again (m+2)^2 products, accumulated per thread. */

#define SP_WINO_INLINE static inline __attribute__((always_inline))

/* ---- the 1-D transforms, d read with stride ds and o written with stride os: for floats (the
 * weights) and for vectors of 8 tiles (S = _v8) ---- */

typedef float sp_wino_v8 __attribute__((vector_size(32)));

#define SP_WINO_TRANSFORMS(S, T)                                                                              \
/* o = B^T d: (m+2) -> (m+2) */                                                                               \
SP_WINO_INLINE void sp_wino_bt##S(const int m, const T *d, int ds, T *o, int os) {                            \
    if (m == 2) {                                                                                             \
        o[0] = d[0] - d[2 * ds];                                                                              \
        o[os] = d[ds] + d[2 * ds];                                                                            \
        o[2 * os] = d[2 * ds] - d[ds];                                                                        \
        o[3 * os] = d[ds] - d[3 * ds];                                                                        \
    } else {                                                                                                  \
        const T d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];        \
        o[0] = 4.0f * d0 - 5.0f * d2 + d4;                                                                    \
        o[os] = d4 + d3 - 4.0f * (d1 + d2);                                                                   \
        o[2 * os] = d4 - d3 + 4.0f * (d1 - d2);                                                               \
        o[3 * os] = d4 - d2 + 2.0f * (d3 - d1);                                                               \
        o[4 * os] = d4 - d2 - 2.0f * (d3 - d1);                                                               \
        o[5 * os] = 4.0f * d1 - 5.0f * d3 + d5;                                                               \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* o = G g: 3 -> (m+2) */                                                                                     \
SP_WINO_INLINE void sp_wino_g##S(const int m, const T *g, int gs, T *o, int os) {                             \
    const T g0 = g[0], g1 = g[gs], g2 = g[2 * gs];                                                            \
    if (m == 2) {                                                                                             \
        o[0] = g0;                                                                                            \
        o[os] = 0.5f * (g0 + g1 + g2);                                                                        \
        o[2 * os] = 0.5f * (g0 - g1 + g2);                                                                    \
        o[3 * os] = g2;                                                                                       \
    } else {                                                                                                  \
        o[0] = 0.25f * g0;                                                                                    \
        o[os] = (-1.0f / 6.0f) * (g0 + g1 + g2);                                                              \
        o[2 * os] = (-1.0f / 6.0f) * (g0 - g1 + g2);                                                          \
        o[3 * os] = (1.0f / 24.0f) * g0 + (1.0f / 12.0f) * g1 + (1.0f / 6.0f) * g2;                           \
        o[4 * os] = (1.0f / 24.0f) * g0 - (1.0f / 12.0f) * g1 + (1.0f / 6.0f) * g2;                           \
        o[5 * os] = g2;                                                                                       \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* o = A^T v: (m+2) -> m */                                                                                   \
SP_WINO_INLINE void sp_wino_at##S(const int m, const T *v, int vs, T *o, int os) {                            \
    if (m == 2) {                                                                                             \
        o[0] = v[0] + v[vs] + v[2 * vs];                                                                      \
        o[os] = v[vs] - v[2 * vs] - v[3 * vs];                                                                \
    } else {                                                                                                  \
        const T v0 = v[0], v1 = v[vs], v2 = v[2 * vs], v3 = v[3 * vs], v4 = v[4 * vs], v5 = v[5 * vs];        \
        const T s12 = v1 + v2, d12 = v1 - v2, s34 = v3 + v4, d34 = v3 - v4;                                   \
        o[0] = v0 + s12 + s34;                                                                                \
        o[os] = d12 + 2.0f * d34;                                                                             \
        o[2 * os] = s12 + 4.0f * s34;                                                                         \
        o[3 * os] = d12 + 8.0f * d34 + v5;                                                                    \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* o = A v (the adjoint of sp_wino_at): m -> (m+2) */                                                         \
SP_WINO_INLINE void sp_wino_a##S(const int m, const T *v, int vs, T *o, int os) {                             \
    if (m == 2) {                                                                                             \
        o[0] = v[0];                                                                                          \
        o[os] = v[0] + v[vs];                                                                                 \
        o[2 * os] = v[0] - v[vs];                                                                             \
        o[3 * os] = -v[vs];                                                                                   \
    } else {                                                                                                  \
        const T v0 = v[0], v1 = v[vs], v2 = v[2 * vs], v3 = v[3 * vs];                                        \
        o[0] = v0;                                                                                            \
        o[os] = v0 + v1 + v2 + v3;                                                                            \
        o[2 * os] = v0 - v1 + v2 - v3;                                                                        \
        o[3 * os] = v0 + 2.0f * v1 + 4.0f * v2 + 8.0f * v3;                                                   \
        o[4 * os] = v0 - 2.0f * v1 + 4.0f * v2 - 8.0f * v3;                                                   \
        o[5 * os] = v3;                                                                                       \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* o = G^T v (the adjoint of sp_wino_g): (m+2) -> 3 */                                                        \
SP_WINO_INLINE void sp_wino_gt##S(const int m, const T *v, int vs, T *o, int os) {                            \
    if (m == 2) {                                                                                             \
        o[0] = v[0] + 0.5f * (v[vs] + v[2 * vs]);                                                             \
        o[os] = 0.5f * (v[vs] - v[2 * vs]);                                                                   \
        o[2 * os] = 0.5f * (v[vs] + v[2 * vs]) + v[3 * vs];                                                   \
    } else {                                                                                                  \
        const T v0 = v[0], v1 = v[vs], v2 = v[2 * vs], v3 = v[3 * vs], v4 = v[4 * vs], v5 = v[5 * vs];        \
        o[0] = 0.25f * v0 - (1.0f / 6.0f) * (v1 + v2) + (1.0f / 24.0f) * (v3 + v4);                           \
        o[os] = (1.0f / 6.0f) * (v2 - v1) + (1.0f / 12.0f) * (v3 - v4);                                       \
        o[2 * os] = (1.0f / 6.0f) * (v3 + v4 - v1 - v2) + v5;                                                 \
    }                                                                                                         \
}                                                                                                             \

SP_WINO_TRANSFORMS(, float)
SP_WINO_TRANSFORMS(_v8, sp_wino_v8)

/* ---- geometry and workspace ---- */

typedef struct {
    int N, Cin, H, W, Cout, OH, OW, ph, pw; /* input (N, Cin, H, W) -> output (N, Cout, OH, OW) */
    int m, rows;                             /* tile size; tile rows (units) per block */
    int th, tw, wp, qs;                      /* tile rows and columns an image, padded row length,
                                                entries of a row's phase (tw + 1 and 8 to spare) */
} sp_wino_geom;

static void sp_wino_init(sp_wino_geom *g, int N, int Cin, int H, int W, int Cout, int OH, int OW, int ph, int pw,
                         int m, int rows) {
    g->N = N; g->Cin = Cin; g->H = H; g->W = W; g->Cout = Cout; g->OH = OH; g->OW = OW; g->ph = ph; g->pw = pw;
    g->m = m;
    g->rows = rows;
    g->th = (OH + m - 1) / m;
    g->tw = (OW + m - 1) / m;
    g->wp = g->tw * m + 2;
    g->qs = (g->tw + 8) / 8 * 8 + 8;
}

static inline long sp_wino_round(long floats) {
    return (floats + 15) / 16 * 16;
}

/* The distance between consecutive matrices of U, M or V (e and e+1): a cache line more than their
 * size, so that the (m+2)^2 streams a transform reads or writes do not all fall into the same
 * cache sets (their sizes are often multiples of 4 KB). */
static inline long sp_wino_pitch(long floats) {
    return sp_wino_round(floats) + 16;
}

/* The floats of one thread's slot: U (E x Cin x tiles), M (E x Cout x tiles) (E = (m+2)^2,
 * tiles = rows * tw; sp_wino_pitch apart; M readable 8 floats past its end), then one padded input row and the m
 * phases of a tile row's m+2 input rows (room enough for the m x m phases of its output tiles).
 * library.py's _winograd_floats sizes the same. */
static long sp_wino_slot_floats(const sp_wino_geom *g) {
    const long a = g->m + 2, tiles = (long)g->rows * g->tw;
    return a * a * (sp_wino_pitch(g->Cin * tiles) + sp_wino_pitch(g->Cout * tiles)) + 16
        + sp_wino_round((long)g->qs * g->m) + (long)a * g->m * g->qs;
}

/* ---- the transforms of one tile row ---- */

/* The tw input tiles of tile row i of one (image, channel) plane x, transformed: element e of
 * tile j goes to u[e * es + j]. Each of the tile row's m+2 input rows is zero-padded into `pad`
 * and split into its m phases (phase k, entry q: the padded row's column q*m + k; qs entries a
 * phase), so that the transform of 8 tiles at a time reads whole vectors. */
SP_WINO_INLINE void sp_wino_input_row(const int m, const sp_wino_geom *g, const float *SP_RESTRICT x, int i,
                                      float *SP_RESTRICT buf, float *SP_RESTRICT u, long es) {
    const int a = m + 2, wp = g->wp, W = g->W, tw = g->tw, qs = g->qs;
    float *SP_RESTRICT pad = buf;
    float *SP_RESTRICT ph = buf + sp_wino_round((long)qs * m);
    const int lo = g->pw < wp ? g->pw : wp;
    int hi = g->pw + W;
    if (hi > wp) hi = wp;
    if (hi < lo) hi = lo;
    for (int r = 0; r < a; r++) {
        const int ih = i * m - g->ph + r;
        float *SP_RESTRICT p = ph + r * m * qs;
        if (ih < 0 || ih >= g->H) {
            memset(p, 0, sizeof(float) * (size_t)(m * qs));
            continue;
        }
        const float *src = x + (long)ih * W - g->pw;
        for (int q = 0; q < lo; q++) pad[q] = 0.0f;
        for (int q = lo; q < hi; q++) pad[q] = src[q];
        for (int q = hi; q < qs * m; q++) pad[q] = 0.0f;
        for (int q = 0; q < qs; q++) {
            for (int k = 0; k < m; k++) p[k * qs + q] = pad[q * m + k];
        }
    }
    for (int j0 = 0; j0 < tw; j0 += 8) {
        sp_wino_v8 d[6][6], t[6][6], o[6][6];
        for (int r = 0; r < a; r++) {
            for (int k = 0; k < a; k++) memcpy(&d[r][k], ph + (r * m + k % m) * qs + j0 + k / m, 32);
        }
        for (int k = 0; k < a; k++) sp_wino_bt_v8(m, &d[0][k], 6, &t[0][k], 6);
        for (int r = 0; r < a; r++) sp_wino_bt_v8(m, &t[r][0], 1, &o[r][0], 1);
        const int n = tw - j0 < 8 ? tw - j0 : 8;
        for (int r = 0; r < a; r++) {
            for (int k = 0; k < a; k++) {
                float *dst = u + (r * a + k) * es + j0;
                if (n == 8) {
                    memcpy(dst, &o[r][k], 32);
                } else {
                    for (int l = 0; l < n; l++) dst[l] = o[r][k][l];
                }
            }
        }
    }
}

/* The tw products of tile row i of one output plane (element e of tile j at v[e * es + j]; v
 * readable 8 floats past the last), transformed back into the plane's rows i*m .. i*m+m-1 (those
 * inside it): 8 tiles at a time into m x m phases of qs entries, then interleaved into the rows. */
SP_WINO_INLINE void sp_wino_output_row(const int m, const sp_wino_geom *g, const float *SP_RESTRICT v, long es,
                                       int i, float *SP_RESTRICT buf, float *SP_RESTRICT y) {
    const int a = m + 2, tw = g->tw, OW = g->OW, qs = g->qs;
    for (int j0 = 0; j0 < tw; j0 += 8) {
        sp_wino_v8 s[6][6], t[4][6], o[4][4];
        for (int r = 0; r < a; r++) {
            for (int k = 0; k < a; k++) memcpy(&s[r][k], v + (r * a + k) * es + j0, 32);
        }
        for (int k = 0; k < a; k++) sp_wino_at_v8(m, &s[0][k], 6, &t[0][k], 6);
        for (int r = 0; r < m; r++) sp_wino_at_v8(m, &t[r][0], 1, &o[r][0], 1);
        for (int r = 0; r < m; r++) {
            for (int k = 0; k < m; k++) memcpy(buf + (r * m + k) * qs + j0, &o[r][k], 32);
        }
    }
    const int full = OW / m;
    for (int r = 0; r < m; r++) {
        const int oh = i * m + r;
        if (oh >= g->OH) break;
        float *SP_RESTRICT row = y + (long)oh * OW;
        const float *SP_RESTRICT b = buf + r * m * qs;
        for (int j = 0; j < full; j++) {
            for (int k = 0; k < m; k++) row[j * m + k] = b[k * qs + j];
        }
        for (int q = full * m; q < OW; q++) row[q] = b[(q % m) * qs + full];
    }
}

/* The weights transformed: V[e][co][ci] = (G g G^T)[e] for the kernel g of output channel co and
 * input channel ci: w[co][ci], or with flip (the input gradient) w[ci][co] turned by 180 degrees.
 * Shared out over the calling team. */
SP_WINO_INLINE void sp_wino_weights(const int m, const sp_wino_geom *g, const float *SP_RESTRICT w,
                                    float *SP_RESTRICT V, int flip) {
    const int a = m + 2;
    const long pairs = (long)g->Cout * g->Cin, Cin = g->Cin, Cout = g->Cout, vs = sp_wino_pitch(pairs);
#pragma omp for schedule(static)
    for (long p0 = 0; p0 < pairs; p0 += 8) {
        const int n = pairs - p0 < 8 ? (int)(pairs - p0) : 8;
        sp_wino_v8 k[3][3], t[6][3], o[6][6];
        for (int r = 0; r < 3; r++) {
            for (int s = 0; s < 3; s++) {
                k[r][s] = (sp_wino_v8){0};
                for (int l = 0; l < n; l++) {
                    const long p = p0 + l, co = p / Cin, ci = p % Cin;
                    k[r][s][l] = flip ? w[(ci * Cout + co) * 9 + (2 - r) * 3 + (2 - s)] : w[p * 9 + r * 3 + s];
                }
            }
        }
        for (int s = 0; s < 3; s++) sp_wino_g_v8(m, &k[0][s], 3, &t[0][s], 3);
        for (int r = 0; r < a; r++) sp_wino_g_v8(m, &t[r][0], 1, &o[r][0], 1);
        for (int e = 0; e < a * a; e++) {
            if (n == 8) {
                memcpy(V + e * vs + p0, &o[e / a][e % a], 32);
            } else {
                for (int l = 0; l < n; l++) V[e * vs + p0 + l] = o[e / a][e % a][l];
            }
        }
    }
}

/* ---- the forward (and input gradient) ---- */

/* Tile rows (units) u0 .. u1-1 of the whole batch (unit = image * th + tile row), in blocks of
 * g->rows units, on the calling thread with its slot. */
SP_WINO_INLINE void sp_wino_fwd_units(const int m, const sp_wino_geom *g, const float *x, const float *V, float *y,
                                      float *slot, long u0, long u1) {
    const int a = m + 2, E = a * a, Cin = g->Cin, Cout = g->Cout, tw = g->tw, th = g->th;
    const long maxtiles = (long)g->rows * tw;
    float *U = slot;
    float *M = slot + E * sp_wino_pitch(Cin * maxtiles);
    float *buf = M + E * sp_wino_pitch(Cout * maxtiles) + 16;
    const long vs = sp_wino_pitch((long)Cout * Cin);
    const long HW = (long)g->H * g->W, OP = (long)g->OH * g->OW;
    for (long b0 = u0; b0 < u1; b0 += g->rows) {
        const int nu = (int)(u1 - b0 < g->rows ? u1 - b0 : g->rows);
        const long tiles = (long)nu * tw, us = sp_wino_pitch(Cin * tiles), ms = sp_wino_pitch(Cout * tiles);
        for (int k = 0; k < nu; k++) {
            const long n = (b0 + k) / th;
            const int i = (int)((b0 + k) % th);
            for (int c = 0; c < Cin; c++) {
                sp_wino_input_row(m, g, x + (n * Cin + c) * HW, i, buf, U + c * tiles + k * tw, us);
            }
        }
        for (int e = 0; e < E; e++) {
            sp_conv_gemm(SP_NO_TRANS, SP_NO_TRANS, Cout, tiles, Cin, 1.0f, V + e * vs, Cin, U + e * us, tiles, 0.0f,
                         M + e * ms, tiles);
        }
        for (int k = 0; k < nu; k++) {
            const long n = (b0 + k) / th;
            const int i = (int)((b0 + k) % th);
            for (int o = 0; o < Cout; o++) {
                sp_wino_output_row(m, g, M + o * tiles + k * tw, ms, i, buf, y + (n * Cout + o) * OP);
            }
        }
    }
}

static void sp_wino_fwd(const sp_wino_geom *g, const float *x, const float *w, float *y, float *ws, int slots,
                        int flip) {
    const int a = g->m + 2;
    const long units = (long)g->N * g->th;
    float *V = ws;
    float *slot0 = ws + a * a * sp_wino_pitch((long)g->Cout * g->Cin);
    const long slot = sp_wino_slot_floats(g);
    const int team = sp_conv_team(slots, (int)(units < 1 << 30 ? units : 1 << 30));
    const int blas_threads = team > 1 ? sp_blas_single_begin() : 1;
#pragma omp parallel num_threads(team) if (team > 1)
    {
        const int t = team > 1 ? sp_conv_thread() : 0;
        const long u0 = units * t / team, u1 = units * (t + 1) / team;
        if (g->m == 2) {
            sp_wino_weights(2, g, w, V, flip);
            sp_wino_fwd_units(2, g, x, V, y, slot0 + t * slot, u0, u1);
        } else {
            sp_wino_weights(4, g, w, V, flip);
            sp_wino_fwd_units(4, g, x, V, y, slot0 + t * slot, u0, u1);
        }
    }
    sp_blas_single_end(blas_threads);
}

/* The entry points the generated code calls (library.py's _lower_winograd chooses them). */
#define SP_WINO_ARGS int N, int Cin, int H, int W, int Cout, int OH, int OW, int ph, int pw, int m, int rows, \
    int slots

/* y (N, Cout, OH, OW) = conv(x (N, Cin, H, W), w (Cout, Cin, 3, 3)), leading padding (ph, pw). */
void sp_conv2d_winograd_f32(const void *x, const void *w, void *y, void *ws, SP_WINO_ARGS) {
    sp_wino_geom g;
    sp_wino_init(&g, N, Cin, H, W, Cout, OH, OW, ph, pw, m, rows);
    sp_wino_fwd(&g, (const float *)x, (const float *)w, (float *)y, (float *)ws, slots, 0);
}

/* dx (N, Cout, OH, OW) = conv_transpose(dy (N, Cin, H, W), w (Cin, Cout, 3, 3)): the forward's
 * channels are (Cout -> Cin); (ph, pw) here are 2 minus the forward's leading padding. */
void sp_conv2d_winograd_input_grad_f32(const void *dy, const void *w, void *dx, void *ws, SP_WINO_ARGS) {
    sp_wino_geom g;
    sp_wino_init(&g, N, Cin, H, W, Cout, OH, OW, ph, pw, m, rows);
    sp_wino_fwd(&g, (const float *)dy, (const float *)w, (float *)dx, (float *)ws, slots, 1);
}
