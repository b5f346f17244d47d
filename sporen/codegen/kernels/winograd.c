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
 * thread in its own slot of the workspace. Relies on conv.c (sp_conv_team,
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
 * tiles = rows * tw; sp_wino_pitch apart; M readable 8 floats past its end), then the padded
 * input rows of one image's tile rows in a block, or the m x m phases of a tile row's output.
 * library.py's _winograd_floats sizes the same. */
static long sp_wino_slot_floats(const sp_wino_geom *g) {
    const long a = g->m + 2, tiles = (long)g->rows * g->tw;
    const long rows = g->rows < g->th ? g->rows : g->th;
    const long pad = (rows * g->m + 2) * g->wp, phases = (long)g->m * g->m * g->qs;
    return a * a * (sp_wino_pitch(g->Cin * tiles) + sp_wino_pitch(g->Cout * tiles)) + 16
        + sp_wino_round(pad > phases ? pad : phases);
}

/* ---- the transforms of one tile row ---- */

/* The tiles of tile rows i0 .. i1-1 of one (image, channel) plane x, transformed: element e of
 * the t-th tile (row-major over those tile rows) goes to u[e * es + t]. The rows they read are
 * copied zero-padded into `pad` ((i1-i0)*m + 2 rows of wp), from which 8 tiles at a time are
 * gathered into vectors, so that a small plane (a few tiles a row) costs no more a tile than a
 * large one. */
SP_WINO_INLINE void sp_wino_pad_rows(const sp_wino_geom *g, const float *SP_RESTRICT x, int r0, int nrows,
                                     float *SP_RESTRICT pad) {
    const int wp = g->wp, W = g->W;
    const int lo = g->pw < wp ? g->pw : wp;
    int hi = g->pw + W;
    if (hi > wp) hi = wp;
    if (hi < lo) hi = lo;
    for (int r = 0; r < nrows; r++) {
        const int ih = r0 - g->ph + r;
        float *SP_RESTRICT p = pad + r * wp;
        if (ih < 0 || ih >= g->H) {
            memset(p, 0, sizeof(float) * (size_t)wp);
            continue;
        }
        const float *src = x + (long)ih * W - g->pw;
        for (int q = 0; q < lo; q++) p[q] = 0.0f;
        for (int q = lo; q < hi; q++) p[q] = src[q];
        for (int q = hi; q < wp; q++) p[q] = 0.0f;
    }
}

/* The (m+2)^2 transformed vectors o: element e of lane l goes to u[e * es + l], for the first n
 * lanes. */
SP_WINO_INLINE void sp_wino_store(const int a, sp_wino_v8 o[6][6], int n, float *SP_RESTRICT u, long es) {
    for (int r = 0; r < a; r++) {
        for (int k = 0; k < a; k++) {
            float *dst = u + (r * a + k) * es;
            if (n == 8) {
                memcpy(dst, &o[r][k], 32);
            } else {
                for (int l = 0; l < n; l++) dst[l] = o[r][k][l];
            }
        }
    }
}

/* The products of 8 tiles (element e of lane l at v[e * es + l], 8 floats readable) transformed
 * back by A^T . A into o (m x m vectors). */
SP_WINO_INLINE void sp_wino_output_vec(const int m, const float *SP_RESTRICT v, long es, sp_wino_v8 o[4][4]) {
    const int a = m + 2;
    sp_wino_v8 s[6][6], t[4][6];
    for (int r = 0; r < a; r++) {
        for (int k = 0; k < a; k++) memcpy(&s[r][k], v + (r * a + k) * es, 32);
    }
    for (int k = 0; k < a; k++) sp_wino_at_v8(m, &s[0][k], 6, &t[0][k], 6);
    for (int r = 0; r < m; r++) sp_wino_at_v8(m, &t[r][0], 1, &o[r][0], 1);
}

/* The 8 gathered tiles d (lanes past n zero), transformed by B^T . B: element e of lane l goes to
 * u[e * es + l], for the first n lanes. */
SP_WINO_INLINE void sp_wino_input_vec(const int m, float d[6][6][8], int n, float *SP_RESTRICT u, long es) {
    const int a = m + 2;
    sp_wino_v8 v[6][6], t[6][6], o[6][6];
    memcpy(v, d, sizeof(v));
    for (int k = 0; k < a; k++) sp_wino_bt_v8(m, &v[0][k], 6, &t[0][k], 6);
    for (int r = 0; r < a; r++) sp_wino_bt_v8(m, &t[r][0], 1, &o[r][0], 1);
    sp_wino_store(a, o, n, u, es);
}

/* The tiles of tile rows i0 .. i1-1 of one (image, channel) plane x, transformed: element e of
 * the t-th tile (row-major over those tile rows) goes to u[e * es + t]. The rows they read are
 * copied zero-padded into `pad` ((i1-i0)*m + 2 rows of wp), from which 8 tiles at a time are
 * gathered into vectors, so that a small plane (a few tiles a row) costs no more a tile than a
 * large one. */
SP_WINO_INLINE void sp_wino_input_tiles(const int m, const sp_wino_geom *g, const float *SP_RESTRICT x, int i0,
                                        int i1, float *SP_RESTRICT pad, float *SP_RESTRICT u, long es) {
    const int a = m + 2, wp = g->wp, tw = g->tw;
    sp_wino_pad_rows(g, x, i0 * m, (i1 - i0) * m + 2, pad);
    const int tiles = (i1 - i0) * tw;
    int ti = 0, tj = 0;  /* the tile row and column of tile t0 */
    for (int t0 = 0; t0 < tiles; t0 += 8) {
        const int n = tiles - t0 < 8 ? tiles - t0 : 8;
        float d[6][6][8];
        for (int l = 0; l < 8; l++) {
            const float *src = pad + (ti * wp + tj) * m;
            if (l < n) {
                for (int r = 0; r < a; r++) {
                    for (int k = 0; k < a; k++) d[r][k][l] = src[r * wp + k];
                }
                if (++tj == tw) {
                    tj = 0;
                    ti++;
                }
            } else {
                for (int r = 0; r < a; r++) {
                    for (int k = 0; k < a; k++) d[r][k][l] = 0.0f;
                }
            }
        }
        sp_wino_input_vec(m, d, n, u + t0, es);
    }
}

/* The tiles of units (tile rows of the batch, image * th + tile row) b0 .. b0+nu-1 of input
 * channel c, transformed into U (element e at u[e * es], tiles in order): one sp_wino_input_tiles
 * per image. */
SP_WINO_INLINE void sp_wino_input_units(const int m, const sp_wino_geom *g, const float *x, int c, long b0, int nu,
                                        float *pad, float *u, long es) {
    const int th = g->th;
    const long HW = (long)g->H * g->W;
    for (int k = 0; k < nu;) {
        const long n = (b0 + k) / th;
        const int i0 = (int)((b0 + k) % th);
        int i1 = i0 + (nu - k);
        if (i1 > th) i1 = th;
        sp_wino_input_tiles(m, g, x + (n * g->Cin + c) * HW, i0, i1, pad, u + (long)k * g->tw, es);
        k += i1 - i0;
    }
}

/* The tw products of tile row i of one output plane (element e of tile j at v[e * es + j]; v
 * readable 8 floats past the last), transformed back into the plane's rows i*m .. i*m+m-1 (those
 * inside it): 8 tiles at a time into m x m phases of qs entries, then interleaved into the rows. */
SP_WINO_INLINE void sp_wino_output_row(const int m, const sp_wino_geom *g, const float *SP_RESTRICT v, long es,
                                       int i, float *SP_RESTRICT buf, float *SP_RESTRICT y) {
    const int tw = g->tw, OW = g->OW, qs = g->qs;
    for (int j0 = 0; j0 < tw; j0 += 8) {
        sp_wino_v8 o[4][4];
        sp_wino_output_vec(m, v + j0, es, o);
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
    const long Cin = g->Cin, Cout = g->Cout, vs = sp_wino_pitch(Cout * Cin);
    const long groups = (Cin + 7) / 8;
#pragma omp for schedule(static)
    for (long it = 0; it < Cout * groups; it++) {
        const long co = it / groups, ci0 = it % groups * 8, p0 = co * Cin + ci0;
        const int n = Cin - ci0 < 8 ? (int)(Cin - ci0) : 8;
        sp_wino_v8 k[3][3], t[6][3], o[6][6];
        for (int r = 0; r < 3; r++) {
            for (int s = 0; s < 3; s++) k[r][s] = (sp_wino_v8){0};
        }
        for (int l = 0; l < n; l++) {
            /* the kernel of (co, ci0 + l): w[co][ci], or w[ci][co] turned by 180 degrees */
            const float *src = flip ? w + ((ci0 + l) * Cout + co) * 9 : w + (p0 + l) * 9;
            for (int r = 0; r < 3; r++) {
                for (int s = 0; s < 3; s++) k[r][s][l] = flip ? src[8 - r * 3 - s] : src[r * 3 + s];
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

/* One block: the tile rows (units) b0 .. b0+nu-1 of the whole batch (unit = image * th + tile
 * row), on the calling thread with its slot. */
SP_WINO_INLINE void sp_wino_fwd_block(const int m, const sp_wino_geom *g, const float *x, const float *V, float *y,
                                      float *slot, long b0, int nu) {
    const int a = m + 2, E = a * a, Cin = g->Cin, Cout = g->Cout, tw = g->tw, th = g->th;
    const long maxtiles = (long)g->rows * tw;
    float *U = slot;
    float *M = slot + E * sp_wino_pitch(Cin * maxtiles);
    float *buf = M + E * sp_wino_pitch(Cout * maxtiles) + 16;
    const long vs = sp_wino_pitch((long)Cout * Cin);
    const long OP = (long)g->OH * g->OW;
    const long tiles = (long)nu * tw, us = sp_wino_pitch(Cin * tiles), ms = sp_wino_pitch(Cout * tiles);
    for (int c = 0; c < Cin; c++) sp_wino_input_units(m, g, x, c, b0, nu, buf, U + c * tiles, us);
    for (int e = 0; e < E; e++) {
        sp_conv_gemm(SP_NO_TRANS, SP_NO_TRANS, Cout, tiles, Cin, 1.0f, V + e * vs, Cin, U + e * us, tiles, 0.0f,
                     M + e * ms, tiles);
    }
    for (int o = 0; o < Cout; o++) {
        for (int k = 0; k < nu; k++) {
            const long n = (b0 + k) / th;
            sp_wino_output_row(m, g, M + o * tiles + k * tw, ms, (int)((b0 + k) % th), buf, y + (n * Cout + o) * OP);
        }
    }
}

/* How many threads run the blocks: the kernels' team, at most `slots` (the workspace has room
 * for that many), `blocks` and SP_WINO_TEAM_MAX. */
#define SP_WINO_TEAM_MAX 16
static int sp_wino_team(int slots, long blocks) {
    const int team = sp_conv_team(slots, (int)(blocks < SP_WINO_TEAM_MAX ? blocks : SP_WINO_TEAM_MAX));
    return team < SP_WINO_TEAM_MAX ? team : SP_WINO_TEAM_MAX;
}

static void sp_wino_fwd(const sp_wino_geom *g, const float *x, const float *w, float *y, float *ws, int slots,
                        int flip) {
    const int a = g->m + 2;
    const long units = (long)g->N * g->th;
    float *V = ws;
    float *slot0 = ws + a * a * sp_wino_pitch((long)g->Cout * g->Cin);
    const long slot = sp_wino_slot_floats(g);
    const long blocks = (units + g->rows - 1) / g->rows;
    const int team = sp_wino_team(slots, blocks);
    const int blas_threads = team > 1 ? sp_blas_single_begin() : 1;
#pragma omp parallel num_threads(team) if (team > 1)
    {
        float *own = slot0 + (team > 1 ? sp_thread_num() : 0) * slot;
        if (g->m == 2) {
            sp_wino_weights(2, g, w, V, flip);
        } else {
            sp_wino_weights(4, g, w, V, flip);
        }
        /* blocks handed out one at a time: a thread the machine's other work delays takes fewer */
#pragma omp for schedule(dynamic, 1)
        for (long b = 0; b < blocks; b++) {
            const long b0 = b * g->rows;
            const int nu = (int)(units - b0 < g->rows ? units - b0 : g->rows);
            if (g->m == 2) {
                sp_wino_fwd_block(2, g, x, V, y, own, b0, nu);
            } else {
                sp_wino_fwd_block(4, g, x, V, y, own, b0, nu);
            }
        }
    }
    sp_blas_single_end(blas_threads);
}

/* ---- the weight gradient ---- */

/* 8 m x m output-gradient tiles v (lanes past n zero), transformed to (m+2) x (m+2) by A . A^T:
 * element e of lane l goes to d[e * es + l], for the first n lanes. */
SP_WINO_INLINE void sp_wino_dy_vec(const int m, sp_wino_v8 v[4][4], int n, float *SP_RESTRICT d, long es) {
    const int a = m + 2;
    sp_wino_v8 t[6][4], o[6][6];
    for (int k = 0; k < m; k++) sp_wino_a_v8(m, &v[0][k], 4, &t[0][k], 4);
    for (int r = 0; r < a; r++) sp_wino_a_v8(m, &t[r][0], 1, &o[r][0], 1);
    sp_wino_store(a, o, n, d, es);
}

/* The tw tiles of tile row i of one output-gradient plane dy (m x m each, zero past the plane),
 * transformed to (m+2) x (m+2) by A . A^T: element e of tile j goes to d[e * es + j]. buf: the
 * m x m phases of the tile row (phase (r, k), entry j: dy[i*m + r][j*m + k]). */
SP_WINO_INLINE void sp_wino_dy_row(const int m, const sp_wino_geom *g, const float *SP_RESTRICT dy, int i,
                                   float *SP_RESTRICT buf, float *SP_RESTRICT d, long es) {
    const int tw = g->tw, OW = g->OW, qs = g->qs;
    const int full = OW / m;
    for (int r = 0; r < m; r++) {
        const int oh = i * m + r;
        float *SP_RESTRICT p = buf + r * m * qs;
        if (oh >= g->OH) {
            memset(p, 0, sizeof(float) * (size_t)(m * qs));
            continue;
        }
        const float *SP_RESTRICT row = dy + (long)oh * OW;
        for (int j = 0; j < full; j++) {
            for (int k = 0; k < m; k++) p[k * qs + j] = row[j * m + k];
        }
        for (int k = 0; k < m; k++) p[k * qs + full] = full * m + k < OW ? row[full * m + k] : 0.0f;
        for (int k = 0; k < m; k++) p[k * qs + full + 1] = 0.0f;
    }
    for (int j0 = 0; j0 < tw; j0 += 8) {
        sp_wino_v8 v[4][4];
        for (int r = 0; r < m; r++) {
            for (int k = 0; k < m; k++) memcpy(&v[r][k], buf + (r * m + k) * qs + j0, 32);
        }
        sp_wino_dy_vec(m, v, tw - j0 < 8 ? tw - j0 : 8, d + j0, es);
    }
}

/* One block, tile rows b0 .. b0+nu-1 of the batch, added into acc[e] (Cout x Cin, sp_wino_pitch
 * apart; written when beta is 0): acc[e] += D[e] U[e]^T, D the transformed dy tiles, U the
 * transformed x tiles. */
SP_WINO_INLINE void sp_wino_wgrad_block(const int m, const sp_wino_geom *g, const float *x, const float *dy,
                                        float *acc, float *slot, long b0, int nu, float beta) {
    const int a = m + 2, E = a * a, Cin = g->Cin, Cout = g->Cout, tw = g->tw, th = g->th;
    const long maxtiles = (long)g->rows * tw;
    float *U = slot;
    float *D = slot + E * sp_wino_pitch(Cin * maxtiles);
    float *buf = D + E * sp_wino_pitch(Cout * maxtiles) + 16;
    const long as = sp_wino_pitch((long)Cout * Cin);
    const long OP = (long)g->OH * g->OW;
    const long tiles = (long)nu * tw, us = sp_wino_pitch(Cin * tiles), ds = sp_wino_pitch(Cout * tiles);
    for (int c = 0; c < Cin; c++) sp_wino_input_units(m, g, x, c, b0, nu, buf, U + c * tiles, us);
    for (int o = 0; o < Cout; o++) {
        for (int k = 0; k < nu; k++) {
            const long n = (b0 + k) / th;
            sp_wino_dy_row(m, g, dy + (n * Cout + o) * OP, (int)((b0 + k) % th), buf, D + o * tiles + k * tw, ds);
        }
    }
    for (int e = 0; e < E; e++) {
        sp_conv_gemm(SP_NO_TRANS, SP_TRANS, Cout, Cin, tiles, 1.0f, D + e * ds, tiles, U + e * us, tiles, beta,
                     acc + e * as, Cin);
    }
}

/* dw[co][ci] = G^T (sum of the accumulators of the team's threads that took blocks: used[k]) G,
 * for 8 channel pairs at a time; shared out over the calling team. */
SP_WINO_INLINE void sp_wino_filter(const int m, const sp_wino_geom *g, const float *SP_RESTRICT acc, int team,
                                   const int *used, float *SP_RESTRICT dw) {
    const int a = m + 2, E = a * a;
    const long pairs = (long)g->Cout * g->Cin, as = sp_wino_pitch(pairs), ts = E * as;
#pragma omp for schedule(static)
    for (long p0 = 0; p0 < pairs; p0 += 8) {
        const int n = pairs - p0 < 8 ? (int)(pairs - p0) : 8;
        sp_wino_v8 x[6][6], t[3][6], o[3][3];
        for (int e = 0; e < E; e++) {
            sp_wino_v8 sum = {0};
            for (int k = 0; k < team; k++) {
                if (!used[k]) continue;
                sp_wino_v8 v = {0};
                if (n == 8) {
                    memcpy(&v, acc + k * ts + e * as + p0, 32);
                } else {
                    for (int l = 0; l < n; l++) v[l] = acc[k * ts + e * as + p0 + l];
                }
                sum += v;
            }
            x[e / a][e % a] = sum;
        }
        for (int k = 0; k < a; k++) sp_wino_gt_v8(m, &x[0][k], 6, &t[0][k], 6);
        for (int r = 0; r < 3; r++) sp_wino_gt_v8(m, &t[r][0], 1, &o[r][0], 1);
        for (int l = 0; l < n; l++) {
            for (int r = 0; r < 3; r++) {
                for (int s = 0; s < 3; s++) dw[(p0 + l) * 9 + r * 3 + s] = o[r][s][l];
            }
        }
    }
}

static void sp_wino_wgrad(const sp_wino_geom *g, const float *x, const float *dy, float *dw, float *ws, int slots) {
    const int a = g->m + 2;
    const long units = (long)g->N * g->th;  /* N > 0: some thread takes a block */
    const long accs = a * a * sp_wino_pitch((long)g->Cout * g->Cin);
    const long slot = sp_wino_slot_floats(g);
    const long blocks = (units + g->rows - 1) / g->rows;
    const int team = sp_wino_team(slots, blocks);
    float *slot0 = ws + slots * accs;
    int used[SP_WINO_TEAM_MAX] = {0};
    const int blas_threads = team > 1 ? sp_blas_single_begin() : 1;
#pragma omp parallel num_threads(team) if (team > 1)
    {
        const int t = team > 1 ? sp_thread_num() : 0;
        /* blocks handed out one at a time (as in sp_wino_fwd), each thread summing into its own
         * accumulator; the loop's closing barrier ends the sums before the team reads them */
#pragma omp for schedule(dynamic, 1)
        for (long b = 0; b < blocks; b++) {
            const long b0 = b * g->rows;
            const int nu = (int)(units - b0 < g->rows ? units - b0 : g->rows);
            const float beta = used[t] ? 1.0f : 0.0f;
            if (g->m == 2) {
                sp_wino_wgrad_block(2, g, x, dy, ws + t * accs, slot0 + t * slot, b0, nu, beta);
            } else {
                sp_wino_wgrad_block(4, g, x, dy, ws + t * accs, slot0 + t * slot, b0, nu, beta);
            }
            used[t] = 1;
        }
        if (g->m == 2) {
            sp_wino_filter(2, g, ws, team, used, dw);
        } else {
            sp_wino_filter(4, g, ws, team, used, dw);
        }
    }
    sp_blas_single_end(blas_threads);
}

/* ---- whole-batch mode, for wide layers ---- */

/* When Cout x Cin is large against a block's tiles (ResNet's 256- and 512-channel layers, whose
 * transformed weights are 9-16 MB), the blocked path above streams V once a block and runs thin
 * products. A call whose one block is the whole batch (rows >= N * th) runs in phases instead,
 * each shared out over the team: transform every input tile into U (E x Cin x T, T the batch's
 * tiles), then the E products (one thread each, whole: Cout x T x Cin), then transform them back;
 * V is read once. Workspace: V (or the weight gradient's one accumulator), U, M (D), then one
 * transform buffer a thread (sp_wino_whole_buf); library.py's _winograd_floats sizes the same. */
/* Images a whole-batch transform takes at once: enough for a vector of 8 tiles where an image has
 * fewer (a 4x4 or 8x8 map has 4 tiles), so that its lanes are not mostly empty. */
static inline int sp_wino_group(const sp_wino_geom *g) {
    const int per = g->th * g->tw;
    return per >= 8 ? 1 : (8 + per - 1) / per;
}

static long sp_wino_whole_buf(const sp_wino_geom *g) {
    return sp_wino_round((long)sp_wino_group(g) * (g->th * g->m + 2) * g->wp);
}

/* The tiles of planes x, x + xs, ... (nimg images of one channel), transformed: element e of the
 * t-th tile (image-major) goes to u[e * es + t]. */
SP_WINO_INLINE void sp_wino_input_group(const int m, const sp_wino_geom *g, const float *x, long xs, int nimg,
                                        float *SP_RESTRICT pad, float *SP_RESTRICT u, long es) {
    const int a = m + 2, wp = g->wp, tw = g->tw, per = g->th * g->tw, rows = g->th * m + 2;
    const long ps = (long)rows * wp;
    for (int k = 0; k < nimg; k++) sp_wino_pad_rows(g, x + k * xs, 0, rows, pad + k * ps);
    const int tiles = nimg * per;
    for (int t0 = 0; t0 < tiles; t0 += 8) {
        const int n = tiles - t0 < 8 ? tiles - t0 : 8;
        float d[6][6][8];
        for (int l = 0; l < 8; l++) {
            if (l < n) {
                const int t = t0 + l, img = t / per, ti = t % per / tw, tj = t % tw;
                const float *src = pad + img * ps + (ti * wp + tj) * m;
                for (int r = 0; r < a; r++) {
                    for (int k = 0; k < a; k++) d[r][k][l] = src[r * wp + k];
                }
            } else {
                for (int r = 0; r < a; r++) {
                    for (int k = 0; k < a; k++) d[r][k][l] = 0.0f;
                }
            }
        }
        sp_wino_input_vec(m, d, n, u + t0, es);
    }
}

/* U[e][c][t] for every input channel c and tile t of the batch; shared out over the calling team
 * by (channel, group of images). */
SP_WINO_INLINE void sp_wino_whole_input(const int m, const sp_wino_geom *g, const float *x, float *U, long us,
                                        float *buf) {
    const long N = g->N, Cin = g->Cin, T = N * g->th * g->tw, HW = (long)g->H * g->W;
    const long per = (long)g->th * g->tw, G = sp_wino_group(g), groups = (N + G - 1) / G;
#pragma omp for schedule(static)
    for (long it = 0; it < Cin * groups; it++) {
        const long c = it / groups, n0 = it % groups * G;
        const int nimg = (int)(N - n0 < G ? N - n0 : G);
        sp_wino_input_group(m, g, x + (n0 * Cin + c) * HW, Cin * HW, nimg, buf, U + c * T + n0 * per, us);
    }
}

/* The products of nimg images' tiles of one output channel (element e of tile t at v[e * es + t],
 * v readable 8 floats past the last), transformed back into planes y, y + ys, ... */
SP_WINO_INLINE void sp_wino_output_group(const int m, const sp_wino_geom *g, const float *SP_RESTRICT v, long es,
                                         int nimg, float *SP_RESTRICT y, long ys) {
    const int tw = g->tw, per = g->th * g->tw, OH = g->OH, OW = g->OW;
    const int tiles = nimg * per;
    for (int t0 = 0; t0 < tiles; t0 += 8) {
        sp_wino_v8 o[4][4];
        sp_wino_output_vec(m, v + t0, es, o);
        const int n = tiles - t0 < 8 ? tiles - t0 : 8;
        for (int l = 0; l < n; l++) {
            const int tt = t0 + l, img = tt / per, ti = tt % per / tw, tj = tt % tw;
            float *SP_RESTRICT p = y + img * ys + (long)ti * m * OW + tj * m;
            for (int r = 0; r < m && ti * m + r < OH; r++) {
                for (int k = 0; k < m && tj * m + k < OW; k++) p[r * OW + k] = o[r][k][l];
            }
        }
    }
}

/* The m x m tiles of nimg images' planes dy, dy + ds_, ... of one channel (zero past the plane),
 * transformed to (m+2) x (m+2) by A . A^T: element e of the t-th tile goes to d[e * es + t]. */
SP_WINO_INLINE void sp_wino_dy_group(const int m, const sp_wino_geom *g, const float *SP_RESTRICT dy, long dys,
                                     int nimg, float *SP_RESTRICT d, long es) {
    const int tw = g->tw, per = g->th * g->tw, OH = g->OH, OW = g->OW;
    const int tiles = nimg * per;
    for (int t0 = 0; t0 < tiles; t0 += 8) {
        const int n = tiles - t0 < 8 ? tiles - t0 : 8;
        float q[4][4][8];
        for (int l = 0; l < 8; l++) {
            const int tt = t0 + l, img = tt / per, ti = tt % per / tw, tj = tt % tw;
            const float *SP_RESTRICT p = dy + img * dys + (long)ti * m * OW + tj * m;
            for (int r = 0; r < m; r++) {
                for (int k = 0; k < m; k++) {
                    q[r][k][l] = l < n && ti * m + r < OH && tj * m + k < OW ? p[r * OW + k] : 0.0f;
                }
            }
        }
        sp_wino_v8 v[4][4];
        memcpy(v, q, sizeof(v));
        sp_wino_dy_vec(m, v, n, d + t0, es);
    }
}

SP_WINO_INLINE void sp_wino_fwd_whole_team(const int m, const sp_wino_geom *g, const float *x, const float *w,
                                           float *y, float *ws, int team, int flip) {
    const int E = (m + 2) * (m + 2);
    const long N = g->N, Cin = g->Cin, Cout = g->Cout, th = g->th, tw = g->tw, T = N * th * tw;
    const long vs = sp_wino_pitch(Cout * Cin), us = sp_wino_pitch(Cin * T), ms = sp_wino_pitch(Cout * T);
    const long OP = (long)g->OH * g->OW;
    float *V = ws, *U = V + E * vs, *M = U + E * us, *bufs = M + E * ms + 16;
    float *buf = bufs + (team > 1 ? sp_thread_num() : 0) * sp_wino_whole_buf(g);
    sp_wino_weights(m, g, w, V, flip);
    sp_wino_whole_input(m, g, x, U, us, buf);
#pragma omp for schedule(dynamic, 1)
    for (int e = 0; e < E; e++) {
        sp_conv_gemm(SP_NO_TRANS, SP_NO_TRANS, Cout, T, Cin, 1.0f, V + e * vs, Cin, U + e * us, T, 0.0f, M + e * ms, T);
    }
    const long G = sp_wino_group(g), groups = (N + G - 1) / G;
#pragma omp for schedule(static)
    for (long it = 0; it < Cout * groups; it++) {
        const long o = it / groups, n0 = it % groups * G;
        const int nimg = (int)(N - n0 < G ? N - n0 : G);
        sp_wino_output_group(m, g, M + o * T + n0 * th * tw, ms, nimg, y + (n0 * Cout + o) * OP, Cout * OP);
    }
}

static void sp_wino_fwd_whole(const sp_wino_geom *g, const float *x, const float *w, float *y, float *ws, int slots,
                              int flip) {
    const int team = sp_wino_team(slots, (long)(g->m + 2) * (g->m + 2));
    const int blas_threads = team > 1 ? sp_blas_single_begin() : 1;
#pragma omp parallel num_threads(team) if (team > 1)
    {
        if (g->m == 2) {
            sp_wino_fwd_whole_team(2, g, x, w, y, ws, team, flip);
        } else {
            sp_wino_fwd_whole_team(4, g, x, w, y, ws, team, flip);
        }
    }
    sp_blas_single_end(blas_threads);
}

SP_WINO_INLINE void sp_wino_wgrad_whole_team(const int m, const sp_wino_geom *g, const float *x, const float *dy,
                                             float *dw, float *ws, int team) {
    const int E = (m + 2) * (m + 2);
    const long N = g->N, Cin = g->Cin, Cout = g->Cout, th = g->th, tw = g->tw, T = N * th * tw;
    const long as = sp_wino_pitch(Cout * Cin), us = sp_wino_pitch(Cin * T), ds = sp_wino_pitch(Cout * T);
    const long OP = (long)g->OH * g->OW;
    float *acc = ws, *U = acc + E * as, *D = U + E * us, *bufs = D + E * ds + 16;
    float *buf = bufs + (team > 1 ? sp_thread_num() : 0) * sp_wino_whole_buf(g);
    sp_wino_whole_input(m, g, x, U, us, buf);
    const long G = sp_wino_group(g), groups = (N + G - 1) / G;
#pragma omp for schedule(static)
    for (long it = 0; it < Cout * groups; it++) {
        const long o = it / groups, n0 = it % groups * G;
        const int nimg = (int)(N - n0 < G ? N - n0 : G);
        sp_wino_dy_group(m, g, dy + (n0 * Cout + o) * OP, Cout * OP, nimg, D + o * T + n0 * th * tw, ds);
    }
#pragma omp for schedule(dynamic, 1)
    for (int e = 0; e < E; e++) {
        sp_conv_gemm(SP_NO_TRANS, SP_TRANS, Cout, Cin, T, 1.0f, D + e * ds, T, U + e * us, T, 0.0f, acc + e * as, Cin);
    }
    const int used[1] = {1};
    sp_wino_filter(m, g, acc, 1, used, dw);
}

static void sp_wino_wgrad_whole(const sp_wino_geom *g, const float *x, const float *dy, float *dw, float *ws,
                                int slots) {
    const int team = sp_wino_team(slots, (long)(g->m + 2) * (g->m + 2));
    const int blas_threads = team > 1 ? sp_blas_single_begin() : 1;
#pragma omp parallel num_threads(team) if (team > 1)
    {
        if (g->m == 2) {
            sp_wino_wgrad_whole_team(2, g, x, dy, dw, ws, team);
        } else {
            sp_wino_wgrad_whole_team(4, g, x, dy, dw, ws, team);
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
    if ((long)rows >= (long)N * g.th) {
        sp_wino_fwd_whole(&g, (const float *)x, (const float *)w, (float *)y, (float *)ws, slots, 0);
    } else {
        sp_wino_fwd(&g, (const float *)x, (const float *)w, (float *)y, (float *)ws, slots, 0);
    }
}

/* dx (N, Cout, OH, OW) = conv_transpose(dy (N, Cin, H, W), w (Cin, Cout, 3, 3)): the forward's
 * channels are (Cout -> Cin); (ph, pw) here are 2 minus the forward's leading padding. */
void sp_conv2d_winograd_input_grad_f32(const void *dy, const void *w, void *dx, void *ws, SP_WINO_ARGS) {
    sp_wino_geom g;
    sp_wino_init(&g, N, Cin, H, W, Cout, OH, OW, ph, pw, m, rows);
    if ((long)rows >= (long)N * g.th) {
        sp_wino_fwd_whole(&g, (const float *)dy, (const float *)w, (float *)dx, (float *)ws, slots, 1);
    } else {
        sp_wino_fwd(&g, (const float *)dy, (const float *)w, (float *)dx, (float *)ws, slots, 1);
    }
}

/* dw (Cout, Cin, 3, 3) = conv_weight_grad(x (N, Cin, H, W), dy (N, Cout, OH, OW)), the forward's
 * leading padding (ph, pw); N > 0. Workspace: one accumulator ((m+2)^2 matrices Cout x Cin) per
 * slot, then the slots. */
void sp_conv2d_winograd_weight_grad_f32(const void *x, const void *dy, void *dw, void *ws, SP_WINO_ARGS) {
    sp_wino_geom g;
    sp_wino_init(&g, N, Cin, H, W, Cout, OH, OW, ph, pw, m, rows);
    if ((long)rows >= (long)N * g.th) {
        sp_wino_wgrad_whole(&g, (const float *)x, (const float *)dy, (float *)dw, (float *)ws, slots);
    } else {
        sp_wino_wgrad(&g, (const float *)x, (const float *)dy, (float *)dw, (float *)ws, slots);
    }
}
