/* copy.c: the copy kernels: concat, stack and split as block copies, embedding's row gather and
 * embedding_dense_grad's row scatter-add.
 *
 * concat/stack/split see every array as (outer, width bytes): the axis and everything after it is
 * one contiguous block per outer index, so a part is `outer` blocks of its own width and the joined
 * array `outer` blocks of the widths' sum. The gather and scatter work on whole rows of `row`
 * elements; an index is wrapped once when negative (numpy's rule) and a row whose index is still
 * outside the table is left out (numpy raises IndexError there; a native kernel cannot raise). */

/* out (outer, sum of widths) <- parts[k] (outer, widths[k]), k = 0..count-1, in order */
void sp_concat(const void *const *parts, const long *widths, long count, long outer, void *outv) {
    char *out = (char *)outv;
    long total = 0;
    for (long k = 0; k < count; k++) total += widths[k];
    long offset = 0;
    for (long k = 0; k < count; k++) {
        const char *src = (const char *)parts[k];
        const long w = widths[k];
        if (w == 0) continue;
        if (outer == 1) {
            memcpy(out + offset, src, (size_t)w);
        } else {
            for (long o = 0; o < outer; o++) memcpy(out + o * total + offset, src + o * w, (size_t)w);
        }
        offset += w;
    }
}

/* parts[k] (outer, widths[k]) <- the k-th column block of x (outer, sum of widths) */
void sp_split(const void *xv, void *const *parts, const long *widths, long count, long outer) {
    const char *x = (const char *)xv;
    long total = 0;
    for (long k = 0; k < count; k++) total += widths[k];
    long offset = 0;
    for (long k = 0; k < count; k++) {
        char *dst = (char *)parts[k];
        const long w = widths[k];
        if (w == 0) continue;
        for (long o = 0; o < outer; o++) memcpy(dst + o * w, x + o * total + offset, (size_t)w);
        offset += w;
    }
}

/* index i of an int32 (wide 0) or int64 (wide 1) array, wrapped once when negative; -1 when it is
 * outside [0, rows) */
static inline long sp_copy_index(const void *indices, int wide, long i, long rows) {
    long k = wide ? (long)((const int64_t *)indices)[i] : (long)((const int32_t *)indices)[i];
    if (k < 0) k += rows;
    return (k < 0 || k >= rows) ? -1 : k;
}

/* embedding: out[i] = table[indices[i]], rows of `row_bytes` (zeros for an index outside) */
void sp_gather_rows(const void *tablev, const void *indices, int wide, long n, long rows, long row_bytes,
                    void *outv) {
    const char *table = (const char *)tablev;
    char *out = (char *)outv;
    if (row_bytes == 0) return;
    for (long i = 0; i < n; i++) {
        const long k = sp_copy_index(indices, wide, i, rows);
        if (k < 0) memset(out + i * row_bytes, 0, (size_t)row_bytes);
        else memcpy(out + i * row_bytes, table + k * row_bytes, (size_t)row_bytes);
    }
}

/* embedding_dense_grad: grad (rows, row) = 0, then grad[indices[i]] += dout[i] for i in order (the
 * order of numpy's np.add.at, so sums round alike); with `by_freq` each row is divided by how many
 * indices hit it (at least 1), counted in `counts` (rows longs of scratch); row `padding` (-1: none,
 * already wrapped) is zero. */
#define SP_COPY_DEFINE(T, S)                                                                         \
void sp_scatter_add_rows_##S(const void *doutv, const void *indices, int wide, long n, long rows,    \
                             long row, int by_freq, long padding, void *countsv, void *gradv) {      \
    const T *dout = (const T *)doutv;                                                                \
    T *grad = (T *)gradv;                                                                            \
    long *counts = (long *)countsv;                                                                  \
    if (rows * row == 0) return; /* an empty gradient: no memory to write */                         \
    memset(grad, 0, sizeof(T) * (size_t)(rows * row));                                               \
    if (by_freq) memset(counts, 0, sizeof(long) * (size_t)rows);                                     \
    for (long i = 0; i < n; i++) {                                                                   \
        const long k = sp_copy_index(indices, wide, i, rows);                                        \
        if (k < 0) continue;                                                                         \
        T *SP_RESTRICT g = grad + k * row;                                                           \
        const T *SP_RESTRICT d = dout + i * row;                                                     \
        for (long j = 0; j < row; j++) g[j] += d[j];                                                 \
        if (by_freq) counts[k] += 1;                                                                 \
    }                                                                                                \
    if (by_freq) {                                                                                   \
        for (long k = 0; k < rows; k++) {                                                            \
            if (counts[k] <= 1) continue;                                                            \
            T *SP_RESTRICT g = grad + k * row;                                                       \
            const T c = (T)counts[k];                                                                \
            for (long j = 0; j < row; j++) g[j] /= c;                                                \
        }                                                                                            \
    }                                                                                                \
    if (padding >= 0 && padding < rows) memset(grad + padding * row, 0, sizeof(T) * (size_t)row);    \
}

SP_COPY_DEFINE(float, f32)
SP_COPY_DEFINE(double, f64)
