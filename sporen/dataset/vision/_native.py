"""Native C kernels of the hot image transforms (bilinear resize, horizontal flip, Normalize and
Normalize + HWC2CHW, a decoded Pillow image's pixels to numpy), compiled once with the project's C
compiler cache and called through ctypes.

Each kernel computes exactly what its numpy twin in _image computes: the same float32 operations
in the same order (the C is compiled with -ffp-contract=off, so no fused multiply-add changes a
rounding), so results do not depend on whether a compiler is present. ctypes releases the GIL
for the call, so the map workers' threads really run these kernels in parallel. `library()` is
None when there is no C compiler (or the build failed, logged once): the callers then use numpy.
"""
import ctypes
import logging
import threading

import numpy as np

logger = logging.getLogger("sporen.dataset")

# -O3 without -fopenmp (one image is small; the pipeline's workers give the parallelism);
# -ffp-contract=off keeps a*b + c*d two roundings, as numpy computes it
FLAGS = ("-O3", "-march=native", "-fPIC", "-shared", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math",
         "-ffp-contract=off")

SOURCE = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* OpenCV's bilinear taps along one axis: source position (d + 0.5) * in / out - 0.5; left of
   the first pixel or right of the last one, the edge pixel alone (weight 0 on the other tap). */
static void taps(int64_t in, int64_t out, int32_t *i0, int32_t *i1, float *w0, float *w1) {
    double scale = (double)in / (double)out;
    for (int64_t d = 0; d < out; d++) {
        double src = ((double)d + 0.5) * scale - 0.5;
        double base = floor(src);
        double frac = src - base;
        int64_t b = (int64_t)base;
        if (src < 0) { b = 0; frac = 0.0; }
        if (b >= in - 1) { b = in - 1; frac = 0.0; }
        i0[d] = (int32_t)b;
        i1[d] = (int32_t)(b + 1 < in ? b + 1 : in - 1);
        w0[d] = (float)(1.0 - frac);
        w1[d] = (float)frac;
    }
}

/* Resize an <H, W> image of ch channels whose pixels are pix elements apart (pix >= ch: Pillow's
   RGBX pixels are 4 bytes for 3 channels) and whose rows are row_stride elements apart to
   <out_h, out_w, ch>: for each output row, its two source rows mixed along y (a contiguous,
   vectorised loop), then that row sampled along x; uint8 results rounded half up
   (floor(v + 0.5)) and saturated. Returns 0, or -1 if out of memory. */
#define RESIZE(NAME, T, STORE)                                                                   \
int NAME(const T *src, int64_t row_stride, int64_t in_h, int64_t in_w, int64_t pix, int64_t ch, \
         T *out, int64_t out_h, int64_t out_w) {                                                 \
    int64_t in_len = in_w * pix, out_len = out_w * ch;                                           \
    void *memory = malloc(sizeof(int32_t) * 2 * (out_h + out_w + out_len)                        \
                          + sizeof(float) * 2 * (out_h + out_w + out_len) + sizeof(float) * (size_t)in_len); \
    if (!memory) return -1;                                                                      \
    int32_t *y0 = (int32_t *)memory, *y1 = y0 + out_h, *x0 = y1 + out_h, *x1 = x0 + out_w;       \
    int32_t *e0 = x1 + out_w, *e1 = e0 + out_len;                                                \
    float *wy0 = (float *)(e1 + out_len), *wy1 = wy0 + out_h, *wx0 = wy1 + out_h, *wx1 = wx0 + out_w; \
    float *f0 = wx1 + out_w, *f1 = f0 + out_len, *mixed = f1 + out_len;                          \
    taps(in_h, out_h, y0, y1, wy0, wy1);                                                         \
    taps(in_w, out_w, x0, x1, wx0, wx1);                                                         \
    /* the x taps per output element (pixel and channel): one flat loop the compiler vectorises */ \
    for (int64_t x = 0; x < out_w; x++)                                                          \
        for (int64_t c = 0; c < ch; c++) {                                                       \
            e0[x * ch + c] = (int32_t)(x0[x] * pix + c);                                         \
            e1[x * ch + c] = (int32_t)(x1[x] * pix + c);                                         \
            f0[x * ch + c] = wx0[x];                                                             \
            f1[x * ch + c] = wx1[x];                                                             \
        }                                                                                        \
    for (int64_t y = 0; y < out_h; y++) {                                                        \
        const T *a = src + y0[y] * row_stride;                                                   \
        const T *b = src + y1[y] * row_stride;                                                   \
        float u = wy0[y], v = wy1[y];                                                            \
        for (int64_t i = 0; i < in_len; i++)                                                     \
            mixed[i] = (float)a[i] * u + (float)b[i] * v;                                        \
        T *dst = out + y * out_len;                                                              \
        for (int64_t i = 0; i < out_len; i++) {                                                  \
            float value = mixed[e0[i]] * f0[i] + mixed[e1[i]] * f1[i];                           \
            STORE(dst[i]);                                                                       \
        }                                                                                        \
    }                                                                                            \
    free(memory);                                                                                \
    return 0;                                                                                    \
}
#define STORE_U8(place) { int r = (int)(value + 0.5f); place = (uint8_t)(r > 255 ? 255 : r); }
#define STORE_F32(place) place = value
RESIZE(sp_resize_pixels_u8, uint8_t, STORE_U8)
RESIZE(sp_resize_pixels_f32, float, STORE_F32)
int sp_resize_linear_u8(const uint8_t *src, int64_t row_stride, int64_t in_h, int64_t in_w, int64_t ch,
                        uint8_t *out, int64_t out_h, int64_t out_w) {
    return sp_resize_pixels_u8(src, row_stride, in_h, in_w, ch, ch, out, out_h, out_w);
}
int sp_resize_linear_f32(const float *src, int64_t row_stride, int64_t in_h, int64_t in_w, int64_t ch,
                         float *out, int64_t out_h, int64_t out_w) {
    return sp_resize_pixels_f32(src, row_stride, in_h, in_w, ch, ch, out, out_h, out_w);
}

/* Mirror an image left to right: h rows of w pixels of pixel_bytes bytes, rows src_stride bytes
   apart in the source, the output contiguous. */
void sp_flip_horizontal(const uint8_t *src, int64_t src_stride, int64_t h, int64_t w, int64_t pixel_bytes,
                        uint8_t *out) {
    for (int64_t y = 0; y < h; y++) {
        const uint8_t *row = src + y * src_stride;
        uint8_t *dst = out + y * w * pixel_bytes;
        if (pixel_bytes == 3) {
            for (int64_t x = 0; x < w; x++) {
                const uint8_t *p = row + (w - 1 - x) * 3;
                dst[3 * x] = p[0];
                dst[3 * x + 1] = p[1];
                dst[3 * x + 2] = p[2];
            }
        } else if (pixel_bytes == 1) {
            for (int64_t x = 0; x < w; x++)
                dst[x] = row[w - 1 - x];
        } else {
            for (int64_t x = 0; x < w; x++)
                memcpy(dst + x * pixel_bytes, row + (w - 1 - x) * pixel_bytes, (size_t)pixel_bytes);
        }
    }
}

/* (x - mean[c]) * scale[c] per channel of a contiguous <H, W, C> image, as float32: the
   constants tiled along a row, so the inner loop runs over whole rows (vectorised). Returns 0, or
   -1 if out of memory. */
#define NORMALIZE(NAME, T)                                                                       \
int NAME(const T *src, int64_t h, int64_t w, int64_t ch, const float *mean, const float *scale, \
         float *out) {                                                                           \
    int64_t len = w * ch;                                                                        \
    float *tiles = malloc(sizeof(float) * 2 * (size_t)len);                                      \
    if (!tiles) return -1;                                                                       \
    for (int64_t i = 0; i < len; i++) {                                                          \
        tiles[i] = mean[i % ch];                                                                 \
        tiles[len + i] = scale[i % ch];                                                          \
    }                                                                                            \
    const float *m = tiles, *s = tiles + len;                                                    \
    for (int64_t y = 0; y < h; y++) {                                                            \
        const T *row = src + y * len;                                                            \
        float *dst = out + y * len;                                                              \
        for (int64_t i = 0; i < len; i++)                                                        \
            dst[i] = ((float)row[i] - m[i]) * s[i];                                              \
    }                                                                                            \
    free(tiles);                                                                                 \
    return 0;                                                                                    \
}
NORMALIZE(sp_normalize_u8, uint8_t)
NORMALIZE(sp_normalize_f32, float)

/* Normalize, then <H, W, C> to <C, H, W>, in one pass: the same (x - mean[c]) * scale[c] as
   NORMALIZE, written straight to the channel planes. */
#define NORMALIZE_CHW(NAME, T)                                                                   \
void NAME(const T *src, int64_t h, int64_t w, int64_t ch, const float *mean, const float *scale, \
          float *out) {                                                                          \
    int64_t plane = h * w;                                                                       \
    if (ch == 3) {                                                                               \
        const float m0 = mean[0], m1 = mean[1], m2 = mean[2];                                    \
        const float s0 = scale[0], s1 = scale[1], s2 = scale[2];                                 \
        float *o0 = out, *o1 = out + plane, *o2 = out + 2 * plane;                               \
        for (int64_t i = 0; i < plane; i++) {                                                    \
            o0[i] = ((float)src[3 * i] - m0) * s0;                                               \
            o1[i] = ((float)src[3 * i + 1] - m1) * s1;                                           \
            o2[i] = ((float)src[3 * i + 2] - m2) * s2;                                           \
        }                                                                                        \
        return;                                                                                  \
    }                                                                                            \
    for (int64_t i = 0; i < plane; i++)                                                          \
        for (int64_t c = 0; c < ch; c++)                                                         \
            out[c * plane + i] = ((float)src[i * ch + c] - mean[c]) * scale[c];                  \
}
NORMALIZE_CHW(sp_normalize_chw_u8, uint8_t)
NORMALIZE_CHW(sp_normalize_chw_f32, float)

/* Arrow's C data interface (https://arrow.apache.org/docs/format/CDataInterface.html), a stable
   ABI through which Pillow (11.2 and later) exports a decoded image without a copy. */
struct sp_arrow_schema {
    const char *format, *name, *metadata;
    int64_t flags, n_children;
    struct sp_arrow_schema **children, *dictionary;
    void (*release)(struct sp_arrow_schema *);
    void *private_data;
};
struct sp_arrow_array {
    int64_t length, null_count, offset, n_buffers, n_children;
    const void **buffers;
    struct sp_arrow_array **children, *dictionary;
    void (*release)(struct sp_arrow_array *);
    void *private_data;
};

/* Pillow's own 4-byte pixels (R, G, B, pad) of an exported RGB image of `pixels` pixels, or NULL
   for any other layout (the checks of sp_arrow_rgb). */
const uint8_t *sp_arrow_pixels(const struct sp_arrow_schema *schema, const struct sp_arrow_array *array,
                               int64_t pixels) {
    if (strcmp(schema->format, "+w:4") != 0 || schema->n_children != 1 || strcmp(schema->children[0]->format, "C") != 0)
        return NULL;
    if (array->n_children != 1 || array->offset != 0 || array->length != pixels)
        return NULL;
    const struct sp_arrow_array *values = array->children[0];
    if (values->offset != 0 || values->n_buffers != 2 || values->length != 4 * pixels || !values->buffers[1])
        return NULL;
    return (const uint8_t *)values->buffers[1];
}

/* The RGB bytes of an exported RGB image of `pixels` pixels (Pillow stores R, G, B, pad: a
   fixed-size list of 4 uint8 per pixel) into dst; -1, writing nothing, for any other layout. */
int sp_arrow_rgb(const struct sp_arrow_schema *schema, const struct sp_arrow_array *array, int64_t pixels,
                 uint8_t *dst) {
    if (strcmp(schema->format, "+w:4") != 0 || schema->n_children != 1 || strcmp(schema->children[0]->format, "C") != 0)
        return -1;
    if (array->n_children != 1 || array->offset != 0 || array->length != pixels)
        return -1;
    const struct sp_arrow_array *values = array->children[0];
    if (values->offset != 0 || values->n_buffers != 2 || values->length != 4 * pixels || !values->buffers[1])
        return -1;
    const uint8_t *src = (const uint8_t *)values->buffers[1];
    for (int64_t i = 0; i < pixels; i++) {
        dst[3 * i] = src[4 * i];
        dst[3 * i + 1] = src[4 * i + 1];
        dst[3 * i + 2] = src[4 * i + 2];
    }
    return 0;
}
"""

_lock = threading.Lock()
_state = {}  # "library": the loaded ctypes library, or None when it cannot be built
enabled = True  # tests switch the kernels off to check the numpy twins


def library():
    """The kernels' ctypes library, built on first use; None without a C compiler."""
    if not enabled:
        return None
    if "library" in _state:
        return _state["library"]
    with _lock:
        if "library" not in _state:
            _state["library"] = _load()
    return _state["library"]


def _load():
    from ...runtime import cache
    try:
        handle = cache.build(SOURCE, FLAGS)
    except Exception as error:  # no compiler, or it failed: numpy does the work
        logger.info("dataset.vision: native image kernels unavailable (%s); using numpy", error)
        return None
    pointer = ctypes.c_void_p
    size = ctypes.c_int64
    for name in ("sp_resize_linear_u8", "sp_resize_linear_f32"):
        function = getattr(handle, name)
        function.argtypes = [pointer, size, size, size, size, pointer, size, size]
        function.restype = ctypes.c_int
    handle.sp_flip_horizontal.argtypes = [pointer, size, size, size, size, pointer]
    handle.sp_flip_horizontal.restype = None
    for name in ("sp_normalize_u8", "sp_normalize_f32"):
        function = getattr(handle, name)
        function.argtypes = [pointer, size, size, size, pointer, pointer, pointer]
        function.restype = ctypes.c_int
    for name in ("sp_normalize_chw_u8", "sp_normalize_chw_f32"):
        function = getattr(handle, name)
        function.argtypes = [pointer, size, size, size, pointer, pointer, pointer]
        function.restype = None
    handle.sp_resize_pixels_u8.argtypes = [pointer, size, size, size, size, size, pointer, size, size]
    handle.sp_resize_pixels_u8.restype = ctypes.c_int
    handle.sp_arrow_pixels.argtypes = [pointer, pointer, size]
    handle.sp_arrow_pixels.restype = ctypes.c_void_p
    handle.sp_arrow_rgb.argtypes = [pointer, pointer, size, pointer]
    handle.sp_arrow_rgb.restype = ctypes.c_int
    return handle


def _pixels_contiguous(image):
    """Whether each row of an <H, W[, C]> array is one run of contiguous pixels (a crop's window of
    a C-contiguous image is)."""
    item = image.itemsize
    if image.ndim == 3:
        return image.strides[2] == item and image.strides[1] == item * image.shape[2]
    return image.strides[1] == item


def resize_linear(image, height, width):
    """Bilinear resize of a uint8 or float32 <H, W> / <H, W, C> array, or None when no kernel applies."""
    handle = library()
    if handle is None or image.dtype not in (np.uint8, np.float32) or image.size == 0:
        return None
    if not _pixels_contiguous(image) or image.strides[0] <= 0 or image.strides[0] % image.itemsize:
        image = np.ascontiguousarray(image)
    channels = image.shape[2] if image.ndim == 3 else 1
    out = np.empty((height, width) + image.shape[2:], dtype=image.dtype)
    function = handle.sp_resize_linear_u8 if image.dtype == np.uint8 else handle.sp_resize_linear_f32
    status = function(image.ctypes.data, image.strides[0] // image.itemsize, image.shape[0], image.shape[1],
                      channels, out.ctypes.data, height, width)
    if status != 0:
        raise MemoryError("Resize: out of memory for the resampling buffers")
    return out


def flip_horizontal(image):
    """image[:, ::-1] as a new contiguous array, or None when no kernel applies."""
    handle = library()
    if handle is None or image.ndim not in (2, 3) or image.size == 0 or image.strides[0] <= 0 \
            or not _pixels_contiguous(image):
        return None
    out = np.empty(image.shape, dtype=image.dtype)
    pixel_bytes = image.itemsize * (image.shape[2] if image.ndim == 3 else 1)
    handle.sp_flip_horizontal(image.ctypes.data, image.strides[0], image.shape[0], image.shape[1], pixel_bytes,
                              out.ctypes.data)
    return out


def normalize_hwc(image, mean, scale):
    """(image - mean) * scale per channel of a C-contiguous uint8/float32 <H, W, C> array, as
    float32 <H, W, C>; None when no kernel applies. mean, scale: float32 arrays of C values."""
    handle = library()
    if handle is None or image.dtype not in (np.uint8, np.float32) or not image.flags.c_contiguous:
        return None
    out = np.empty(image.shape, dtype=np.float32)
    function = handle.sp_normalize_u8 if image.dtype == np.uint8 else handle.sp_normalize_f32
    status = function(image.ctypes.data, image.shape[0], image.shape[1], image.shape[2], mean.ctypes.data,
                      scale.ctypes.data, out.ctypes.data)
    if status != 0:
        raise MemoryError("Normalize: out of memory for the tiled constants")
    return out


def resize_pil_window(pil_image, top, left, height, width, out_height, out_width):
    """The bilinear resize (resize_linear's values) of a window of a loaded RGB Pillow image, read in
    place from Pillow's 4-byte pixels through its Arrow export: no <H, W, 3> copy of the whole image
    is made. None where that does not apply (no kernels, a Pillow older than 11.2, another mode, an
    image not in one block)."""
    exported = _exported(pil_image)
    if exported is None:
        return None
    handle, schema, array = exported
    image_width, image_height = pil_image.size
    pixels = handle.sp_arrow_pixels(_capsule_pointer(schema, b"arrow_schema"), _capsule_pointer(array, b"arrow_array"),
                                    image_width * image_height)
    if not pixels:
        return None
    out = np.empty((out_height, out_width, 3), np.uint8)
    status = handle.sp_resize_pixels_u8(pixels + 4 * (top * image_width + left), 4 * image_width, height, width, 4, 3,
                                        out.ctypes.data, out_height, out_width)
    if status != 0:
        raise MemoryError("Resize: out of memory for the resampling buffers")
    return out  # the capsules (and with them Pillow's export) go only now


def normalize_hwc_to_chw(image, mean, scale):
    """normalize_hwc's values laid out <C, H, W> (what HWC2CHW would make of them), in one pass;
    None when no kernel applies."""
    handle = library()
    if handle is None or image.dtype not in (np.uint8, np.float32) or not image.flags.c_contiguous:
        return None
    height, width, channels = image.shape
    out = np.empty((channels, height, width), dtype=np.float32)
    function = handle.sp_normalize_chw_u8 if image.dtype == np.uint8 else handle.sp_normalize_chw_f32
    function(image.ctypes.data, height, width, channels, mean.ctypes.data, scale.ctypes.data, out.ctypes.data)
    return out


# a prototype of our own (setting argtypes on ctypes.pythonapi's shared function object would change
# it for every other library in the process)
_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))


def _exported(pil_image):
    """(the kernels, the schema and array capsules of Pillow's Arrow export of a loaded RGB image), or
    None where that does not apply (no kernels, a Pillow older than 11.2, another mode, an image
    Pillow keeps in several blocks). The pixels may be read while the capsules are referenced: their
    destructors release the export."""
    handle = library()
    export = getattr(pil_image, "__arrow_c_array__", None)
    if handle is None or export is None or pil_image.mode != "RGB":
        return None
    try:
        schema, array = export()
    except Exception:  # Pillow cannot export this image (e.g. not in one block of memory)
        return None
    return handle, schema, array


def rgb_array(pil_image):
    """A loaded RGB Pillow image's pixels as a new <H, W, 3> uint8 array, copied by a native
    kernel (without the GIL) from Pillow's own 4-byte pixels through its Arrow export (the C data
    interface); None where that does not apply (no kernels, a Pillow older than 11.2, an image
    Pillow keeps in several blocks): np.asarray then packs the bytes, holding the GIL throughout."""
    exported = _exported(pil_image)
    if exported is None:
        return None
    handle, schema, array = exported
    width, height = pil_image.size
    out = np.empty((height, width, 3), np.uint8)
    if handle.sp_arrow_rgb(_capsule_pointer(schema, b"arrow_schema"), _capsule_pointer(array, b"arrow_array"),
                           width * height, out.ctypes.data):
        return None
    return out  # the capsules' destructors release Pillow's export when they go
