"""The table from primitive to C template used by the C renderer of fused groups (codegen/c.py),
with the C helpers some templates call and the C spelling of dtypes and constants."""
import ml_dtypes
import numpy as np

__all__ = ["HELPERS", "STORAGE", "COMPUTE", "TEMPLATES", "kind", "c_const", "unsupported", "static_array",
           "round_expr", "nan_to_num_expr"]

_BF16 = np.dtype(ml_dtypes.bfloat16)
_F16 = np.dtype(np.float16)

# how a value is kept in memory, and the C type it is computed in (half types compute in float32)
STORAGE = {
    np.dtype(np.bool_): "uint8_t",
    np.dtype(np.int8): "int8_t",
    np.dtype(np.int16): "int16_t",
    np.dtype(np.int32): "int32_t",
    np.dtype(np.int64): "int64_t",
    np.dtype(np.uint8): "uint8_t",
    np.dtype(np.uint16): "uint16_t",
    np.dtype(np.uint32): "uint32_t",
    np.dtype(np.uint64): "uint64_t",
    _F16: "sp_f16",
    _BF16: "sp_bf16",
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
}
_HALF_STORAGE = ("sp_f16", "sp_bf16")
COMPUTE = dict(STORAGE)
COMPUTE[_F16] = "float"
COMPUTE[_BF16] = "float"


class unsupported(Exception):
    """Raised while rendering a group the C renderer cannot express; can_render answers False."""


def kind(dtype):
    """'f' (any float, half types included), 'i' (signed int), 'u' (unsigned int), 'b' (bool)."""
    dtype = np.dtype(dtype)
    if dtype not in STORAGE:
        raise unsupported(f"dtype {dtype}")
    if dtype == np.bool_:
        return "b"
    if dtype.kind in "iu":
        return dtype.kind
    return "f"


def c_const(value, dtype):
    """A C expression of the compute type of ``dtype`` for the scalar ``value``."""
    dtype = np.dtype(dtype)
    ctype = COMPUTE[dtype]
    k = kind(dtype)
    if k == "b":
        return "1" if bool(value) else "0"
    if k == "f":
        f = float(np.float64(value) if dtype not in (_F16, _BF16) else np.float32(value))
        if f != f:
            return f"(({ctype})NAN)"
        if f in (float("inf"), float("-inf")):
            return f"(({ctype}){'-' if f < 0 else ''}INFINITY)"
        return f"(({ctype}){f.hex()})"
    i = int(value)
    if dtype == np.int64 and i == -2**63:
        return "INT64_MIN"
    if k == "u":
        return f"(({ctype})UINT64_C({i}))"
    return f"(({ctype})INT64_C({i}))"


# C helpers for the templates that are more than an expression: numpy's floor division and
# modulo (Python's signs; integer division by zero gives 0), integer power, logaddexp, gcd, lcm.
HELPERS = r"""
#ifndef SPOREN_C_HELPERS
#define SPOREN_C_HELPERS
#define SP_FLOAT_DIVMOD(T, S)                                                   \
static inline T sp_floordiv##S(T a, T b) {                                    \
    if (!b) return a / b;                                                      \
    T mod = fmod##S(a, b);                                                     \
    T div = (a - mod) / b;                                                     \
    if (mod) { if ((b < 0) != (mod < 0)) div -= 1; }                           \
    if (div) { T fl = floor##S(div); if (div - fl > (T)0.5) fl += 1; return fl; } \
    return copysign##S((T)0, a / b);                                           \
}                                                                              \
static inline T sp_floormod##S(T a, T b) {                                    \
    T mod = fmod##S(a, b);                                                     \
    if (!b) return mod;                                                        \
    if (mod) { if ((b < 0) != (mod < 0)) mod += b; }                           \
    else mod = copysign##S((T)0, b);                                           \
    return mod;                                                                \
}                                                                              \
static inline T sp_logaddexp##S(T x, T y) {                                   \
    if (x == y) return x + (T)0.693147180559945309417232121458176568;          \
    T d = x - y;                                                               \
    if (d > 0) return x + log1p##S(exp##S(-d));                                \
    if (d <= 0) return y + log1p##S(exp##S(d));                                \
    return d;                                                                  \
}
SP_FLOAT_DIVMOD(float, f)
SP_FLOAT_DIVMOD(double, )
/* tanhf that gcc vectorises (glibc's vector version needs -ffast-math), on the prelude's sp_expf */
static inline float sp_tanhf(float x) {
    float a = fabsf(x);
    float e = sp_expf(2.0f * (a > 20.0f ? 20.0f : a));
    float big = 1.0f - 2.0f / (e + 1.0f);
    float z = x * x;
    float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z
                    + 1.33314422036e-1f) * z - 3.33332819422e-1f) * z * a + a;
    float t = a < 0.625f ? small : big;
    t = x < 0 ? -t : t;
    return x == x ? t : x;
}
static inline float sp_round_f16(float x) { return sp_f16_to_f32(sp_f32_to_f16(x)); }
static inline float sp_round_bf16(float x) { return sp_bf16_to_f32(sp_f32_to_bf16(x)); }

static inline int64_t sp_floordiv_i64(int64_t a, int64_t b) {
    if (b == 0) return 0;
    if (b == -1) return (int64_t)(0 - (uint64_t)a);
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
static inline int64_t sp_floormod_i64(int64_t a, int64_t b) {
    if (b == 0 || b == -1) return 0;
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
static inline uint64_t sp_floordiv_u64(uint64_t a, uint64_t b) { return b ? a / b : 0; }
static inline uint64_t sp_floormod_u64(uint64_t a, uint64_t b) { return b ? a % b : 0; }
static inline int64_t sp_fmod_i64(int64_t a, int64_t b) { return (b == 0 || b == -1) ? 0 : a % b; }
static inline int64_t sp_ipow(int64_t a, int64_t b) {
    if (b < 0) return 0;
    uint64_t r = 1, x = (uint64_t)a;
    while (b) { if (b & 1) r *= x; x *= x; b >>= 1; }
    return (int64_t)r;
}
static inline int64_t sp_gcd(int64_t a, int64_t b) {
    uint64_t x = a < 0 ? 0 - (uint64_t)a : (uint64_t)a, y = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
    while (y) { uint64_t t = x % y; x = y; y = t; }
    return (int64_t)x;
}
static inline int64_t sp_lcm(int64_t a, int64_t b) {
    int64_t g = sp_gcd(a, b);
    if (g == 0) return 0;
    int64_t r = (a / g) * b;
    return r < 0 ? -r : r;
}
#endif
"""

# Placeholders: {0} {1} {2} the operands (already in their compute types), {T} the output's
# compute type, {F} the libm suffix of a float computation ("f" for float, "" for double), {W} the
# output's width in bits, {L} sigmoid's exponent limit, {R} the half-precision rounding function.
# A dict is keyed by the kind of the first operand; a kind that is missing is not rendered (the
# numpy kernel runs).
_WRAP_ADD = "({T})((uint64_t){0} + (uint64_t){1})"
_WRAP_SUB = "({T})((uint64_t){0} - (uint64_t){1})"
_WRAP_MUL = "({T})((uint64_t){0} * (uint64_t){1})"
_ALL = ("f", "i", "u", "b")


def _every(template, kinds=_ALL):
    return {k: template for k in kinds}


def _math(name):
    return {"f": f"{name}{{F}}({{0}})"}


def _math2(name):
    return {"f": f"{name}{{F}}({{0}}, {{1}})"}


# {R}(...) rounds a half-precision intermediate to its storage (nothing for other types): where
# numpy's kernel of a composite activation rounds after each step, so does the C
_SIGMOID = "(({T})1 / (({T})1 + exp{F}(-{0} > {L} ? {L} : -{0})))"
_RELU = "(({0} > 0 || {0} != {0}) ? {0} : ({T})0)"
_GELU = ("{R}({R}({R}(erf{F}({R}({0} * {R}(({T})0.70710678118654752440))) + ({T})1) * {0})"
         " * ({T})0.5)")
_GELU_TANH = ("{R}({R}({R}(tanh{F}({R}({R}({R}({R}({R}({0} * {0}) * {R}(({T})0.044715)) + ({T})1) * {0})"
              " * {R}(({T})0.7978845608028654))) + ({T})1) * {0}) * ({T})0.5)")

TEMPLATES = {
    "add": {"f": "({0} + {1})", "i": _WRAP_ADD, "u": _WRAP_ADD, "b": "({0} | {1})"},
    "sub": {"f": "({0} - {1})", "i": _WRAP_SUB, "u": _WRAP_SUB},
    "mul": {"f": "({0} * {1})", "i": _WRAP_MUL, "u": _WRAP_MUL, "b": "({0} & {1})"},
    "div": {"f": "({0} / {1})", "i": "({T})((double){0} / (double){1})",
            "u": "({T})((double){0} / (double){1})", "b": "({T})((double){0} / (double){1})"},
    "neg": {"f": "(-{0})", "i": "({T})(0 - (uint64_t){0})", "u": "({T})(0 - (uint64_t){0})"},
    "square": {"f": "({0} * {0})", "i": "({T})((uint64_t){0} * (uint64_t){0})",
               "u": "({T})((uint64_t){0} * (uint64_t){0})", "b": "{0}"},
    "reciprocal": {"f": "(({T})1 / {0})"},
    "sigmoid": {"f": _SIGMOID},
    "abs": {"f": "fabs{F}({0})", "i": "({0} < 0 ? ({T})(0 - (uint64_t){0}) : {0})", "u": "{0}", "b": "{0}"},
    "sign": {"f": "({0} > 0 ? ({T})1 : ({0} < 0 ? ({T})-1 : {0}))", "i": "(({0} > 0) - ({0} < 0))",
             "u": "({0} > 0)"},
    "maximum": {"f": "(({0} > {1} || {0} != {0}) ? {0} : {1})", "i": "({0} > {1} ? {0} : {1})",
                "u": "({0} > {1} ? {0} : {1})", "b": "({0} | {1})"},
    "minimum": {"f": "(({0} < {1} || {0} != {0}) ? {0} : {1})", "i": "({0} < {1} ? {0} : {1})",
                "u": "({0} < {1} ? {0} : {1})", "b": "({0} & {1})"},
    "fmax": {"f": "fmax{F}({0}, {1})", "i": "({0} > {1} ? {0} : {1})", "u": "({0} > {1} ? {0} : {1})",
             "b": "({0} | {1})"},
    "fmin": {"f": "fmin{F}({0}, {1})", "i": "({0} < {1} ? {0} : {1})", "u": "({0} < {1} ? {0} : {1})",
             "b": "({0} & {1})"},
    "pow": {"f": "pow{F}({0}, {1})", "i": "({T})sp_ipow({0}, {1})", "u": "({T})sp_ipow({0}, {1})"},
    "equal": _every("({0} == {1})"),
    "not_equal": _every("({0} != {1})"),
    "less": _every("({0} < {1})"),
    "less_equal": _every("({0} <= {1})"),
    "greater": _every("({0} > {1})"),
    "greater_equal": _every("({0} >= {1})"),
    "logical_and": _every("(({0} != 0) & ({1} != 0))"),
    "logical_or": _every("(({0} != 0) | ({1} != 0))"),
    "logical_xor": _every("(({0} != 0) != ({1} != 0))"),
    "logical_not": _every("({0} == 0)"),
    "where": _every("({0} ? {1} : {2})"),
    "stop_gradient": _every("{0}"),
    "floor": {"f": "floor{F}({0})", "i": "{0}", "u": "{0}", "b": "{0}"},
    "ceil": {"f": "ceil{F}({0})", "i": "{0}", "u": "{0}", "b": "{0}"},
    "trunc": {"f": "trunc{F}({0})", "i": "{0}", "u": "{0}", "b": "{0}"},
    "floor_divide": {"f": "sp_floordiv{F}({0}, {1})", "i": "({T})sp_floordiv_i64({0}, {1})",
                     "u": "({T})sp_floordiv_u64({0}, {1})"},
    "remainder": {"f": "sp_floormod{F}({0}, {1})", "i": "({T})sp_floormod_i64({0}, {1})",
                  "u": "({T})sp_floormod_u64({0}, {1})"},
    "fmod": {"f": "fmod{F}({0}, {1})", "i": "({T})sp_fmod_i64({0}, {1})", "u": "({T})sp_floormod_u64({0}, {1})"},
    "atan2": _math2("atan2"),
    "hypot": _math2("hypot"),
    "copysign": _math2("copysign"),
    "nextafter": _math2("nextafter"),
    "logaddexp": {"f": "sp_logaddexp{F}({0}, {1})"},
    "heaviside": {"f": "({0} < 0 ? ({T})0 : ({0} > 0 ? ({T})1 : ({0} == 0 ? {1} : {0})))"},
    "bitwise_and": _every("({0} & {1})", "iub"),
    "bitwise_or": _every("({0} | {1})", "iub"),
    "bitwise_xor": _every("({0} ^ {1})", "iub"),
    "invert": {"i": "(~{0})", "u": "(~{0})", "b": "(!{0})"},
    "left_shift": _every("((uint64_t){1} >= {W} ? ({T})0 : ({T})((uint64_t){0} << {1}))", "iu"),
    "right_shift": {"i": "((uint64_t){1} >= {W} ? ({T})({0} < 0 ? -1 : 0) : ({T})({0} >> {1}))",
                    "u": "((uint64_t){1} >= {W} ? ({T})0 : ({T})({0} >> {1}))"},
    "gcd": _every("({T})sp_gcd({0}, {1})", "iu"),
    "lcm": _every("({T})sp_lcm({0}, {1})", "iu"),
    "isnan": {"f": "(isnan({0}) != 0)", "i": "0", "u": "0", "b": "0"},
    "isinf": {"f": "(isinf({0}) != 0)", "i": "0", "u": "0", "b": "0"},
    "isfinite": {"f": "(isfinite({0}) != 0)", "i": "1", "u": "1", "b": "1"},
    "signbit": {"f": "(signbit({0}) != 0)", "i": "({0} < 0)", "u": "0", "b": "0"},
    "relu": {"f": _RELU, "i": "({0} > 0 ? {0} : ({T})0)", "u": "{0}", "b": "{0}"},
    "relu_grad": _every("({1} > 0 ? {0} : ({T})0)"),
    "silu": {"f": "({R}" + _SIGMOID + " * {0})"},
    "gelu": {"f": _GELU},
    "gelu_tanh": {"f": _GELU_TANH},
    "sigmoid_cross_entropy": {"f": "({R}({R}" + _RELU + " - {R}({0} * {1}))"
                                   " + {R}(log1p{F}({R}(exp{F}(-fabs{F}({0}))))))"},
}

for _name in ("exp", "log", "sqrt", "tanh", "expm1", "log1p", "log2", "log10", "exp2", "sin", "cos",
              "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc",
              "lgamma"):
    TEMPLATES[_name] = _math(_name)
TEMPLATES["rsqrt"] = {"f": "(({T})1 / sqrt{F}({0}))"}


def static_array(name, value):
    """The C definition of a static array ``name`` holding the Literal array ``value``."""
    storage = STORAGE[value.dtype]
    flat = value.reshape(-1)
    if storage in _HALF_STORAGE:
        items = [str(int(b)) for b in flat.view(np.uint16)]
    else:
        items = [c_const(x, value.dtype) for x in flat.tolist()]
    return f"static const {storage} {name}[{flat.size}] = {{{', '.join(items)}}};\n"


def round_expr(x, dtype, decimals):
    """C for numpy's ``round(x, decimals)`` (half to even) of a value of ``dtype``."""
    k = kind(dtype)
    if k != "f":
        if decimals < 0:
            raise unsupported("round of integers to negative decimals")
        return x
    ctype = COMPUTE[dtype]
    suffix = "f" if ctype == "float" else ""
    if decimals == 0:
        return f"rint{suffix}({x})"
    # numpy: y = x * 10**d, rint, / 10**d (x / 10**-d, rint, * 10**-d for negative d)
    scale = c_const(10.0 ** abs(decimals), dtype)
    if decimals > 0:
        return f"(rint{suffix}({x} * {scale}) / {scale})"
    return f"(rint{suffix}({x} / {scale}) * {scale})"


def nan_to_num_expr(x, dtype, attrs):
    """C for numpy's ``nan_to_num`` of a value of ``dtype`` with the op's attributes."""
    if kind(dtype) != "f":
        return x
    info = ml_dtypes.finfo(dtype)
    nan = c_const(attrs.get("nan", 0.0), dtype)
    posinf = attrs.get("posinf")
    neginf = attrs.get("neginf")
    pos = c_const(info.max if posinf is None else posinf, dtype)
    neg = c_const(info.min if neginf is None else neginf, dtype)
    return f"(isnan({x}) ? {nan} : (isinf({x}) ? ({x} > 0 ? {pos} : {neg}) : {x}))"
