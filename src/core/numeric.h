/* Exact WebAssembly numeric semantics for the interpreter's hot loop.
 *
 * Conventions
 * - Every value is a bit pattern: i32 and f32 are uint32_t, i64 and f64 are
 *   uint64_t, exactly as they sit in an interpreter slot (an i32/f32 slot
 *   holds the pattern zero-extended; pass (uint32_t)slot). reinterpret is
 *   therefore the identity and has no function here. To work on host floats
 *   use core_num_f32_bits/core_num_bits_f32 (and the f64 pair).
 * - Names follow the wasm instruction: core_num_<type>_<op>, e.g.
 *   core_num_i32_div_s, core_num_f64_nearest, core_num_i64_trunc_f32_u.
 * - Operations that can trap return a kumi_trap_code (KUMI_TRAP_NONE == 0
 *   on success) and write their result through the last argument only on
 *   success:  if (core_num_i32_div_s(a, b, &r)) goto trap;
 *   div/rem: KUMI_TRAP_INT_DIV_ZERO, and KUMI_TRAP_INT_OVERFLOW for
 *   INT_MIN / -1 (INT_MIN rem -1 is 0, no trap). trunc: NaN gives
 *   KUMI_TRAP_INVALID_CONVERSION, out of range KUMI_TRAP_INT_OVERFLOW.
 * - Comparisons return 0 or 1 as uint32_t (an i32).
 * - Not here because plain unsigned C is already exact: add, sub, mul,
 *   and, or, xor, eq, ne, eqz, the _u comparisons, wrap and extend_i32_u.
 *   Signed comparisons are ((int32_t)a < (int32_t)b) and so on.
 *
 * NaN rules (spec "nans"): a result NaN must be arithmetic (quiet bit set),
 * and canonical when every NaN operand is canonical.
 * - add/sub/mul/div/sqrt and the int->float conversions use the host FPU:
 *   IEEE hardware (x86 SSE, ARM, RISC-V) returns a quieted operand NaN or
 *   the default NaN, both of which satisfy the rule.
 * - min/max/ceil/floor/trunc/nearest/demote/promote handle NaN explicitly:
 *   the result is a NaN operand with its quiet bit set.
 * - abs/neg/copysign are pure bit operations and keep NaN payloads intact.
 *
 * Host requirements (checked at compile time where possible): two's
 * complement integers with modulo conversion to signed types and
 * arithmetic right shift of negative values (gcc and clang), IEEE binary32
 * and binary64 evaluated without excess precision (FLT_EVAL_METHOD 0, e.g.
 * x86-64 SSE), round-to-nearest mode, and no fused multiply-add contraction
 * across these functions (gcc's ISO -std=c11 mode, which the build uses,
 * implies -ffp-contract=off; say so explicitly if building as gnu11 for an
 * FMA target). */
#ifndef KUMI_CORE_NUMERIC_H
#define KUMI_CORE_NUMERIC_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kumi.h"

_Static_assert((int32_t)UINT32_C(0xffffffff) == -1, "two's complement needed");
_Static_assert((INT32_C(-8) >> 1) == -4, "arithmetic right shift needed");
_Static_assert((INT64_C(-8) >> 1) == -4, "arithmetic right shift needed");
_Static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats needed");
_Static_assert(sizeof(float_t) == sizeof(float) && sizeof(double_t) == sizeof(double),
               "float arithmetic must not use excess precision (FLT_EVAL_METHOD 0)");

#define CORE_NUM_F32_SIGN UINT32_C(0x80000000)
#define CORE_NUM_F32_QUIET UINT32_C(0x00400000)
#define CORE_NUM_F64_SIGN UINT64_C(0x8000000000000000)
#define CORE_NUM_F64_QUIET UINT64_C(0x0008000000000000)

/* ---- bit pattern <-> host float ----------------------------------------- */
static inline uint32_t core_num_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}
static inline float core_num_bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
static inline uint64_t core_num_f64_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}
static inline double core_num_bits_f64(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}
static inline bool core_num_f32_is_nan(uint32_t a) {
  return (a & ~CORE_NUM_F32_SIGN) > UINT32_C(0x7f800000);
}
static inline bool core_num_f64_is_nan(uint64_t a) {
  return (a & ~CORE_NUM_F64_SIGN) > UINT64_C(0x7ff0000000000000);
}

/* ---- integer division ---------------------------------------------------- */
static inline kumi_trap_code core_num_i32_div_s(uint32_t a, uint32_t b, uint32_t *r) {
  if (b == 0) return KUMI_TRAP_INT_DIV_ZERO;
  if (a == UINT32_C(0x80000000) && b == UINT32_MAX) return KUMI_TRAP_INT_OVERFLOW;
  *r = (uint32_t)((int32_t)a / (int32_t)b);
  return KUMI_TRAP_NONE;
}
static inline kumi_trap_code core_num_i32_div_u(uint32_t a, uint32_t b, uint32_t *r) {
  if (b == 0) return KUMI_TRAP_INT_DIV_ZERO;
  *r = a / b;
  return KUMI_TRAP_NONE;
}
static inline kumi_trap_code core_num_i32_rem_s(uint32_t a, uint32_t b, uint32_t *r) {
  if (b == 0) return KUMI_TRAP_INT_DIV_ZERO;
  /* x rem -1 is 0; checking it also avoids C's INT_MIN % -1. */
  *r = b == UINT32_MAX ? 0 : (uint32_t)((int32_t)a % (int32_t)b);
  return KUMI_TRAP_NONE;
}
static inline kumi_trap_code core_num_i32_rem_u(uint32_t a, uint32_t b, uint32_t *r) {
  if (b == 0) return KUMI_TRAP_INT_DIV_ZERO;
  *r = a % b;
  return KUMI_TRAP_NONE;
}
static inline kumi_trap_code core_num_i64_div_s(uint64_t a, uint64_t b, uint64_t *r) {
  if (b == 0) return KUMI_TRAP_INT_DIV_ZERO;
  if (a == UINT64_C(0x8000000000000000) && b == UINT64_MAX) return KUMI_TRAP_INT_OVERFLOW;
  *r = (uint64_t)((int64_t)a / (int64_t)b);
  return KUMI_TRAP_NONE;
}
static inline kumi_trap_code core_num_i64_div_u(uint64_t a, uint64_t b, uint64_t *r) {
  if (b == 0) return KUMI_TRAP_INT_DIV_ZERO;
  *r = a / b;
  return KUMI_TRAP_NONE;
}
static inline kumi_trap_code core_num_i64_rem_s(uint64_t a, uint64_t b, uint64_t *r) {
  if (b == 0) return KUMI_TRAP_INT_DIV_ZERO;
  *r = b == UINT64_MAX ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
  return KUMI_TRAP_NONE;
}
static inline kumi_trap_code core_num_i64_rem_u(uint64_t a, uint64_t b, uint64_t *r) {
  if (b == 0) return KUMI_TRAP_INT_DIV_ZERO;
  *r = a % b;
  return KUMI_TRAP_NONE;
}

/* ---- bit counting -------------------------------------------------------- */
/* The builtins are undefined for 0, hence the explicit case. */
static inline uint32_t core_num_i32_clz(uint32_t a) {
  return a ? (uint32_t)__builtin_clz(a) : 32;
}
static inline uint32_t core_num_i32_ctz(uint32_t a) {
  return a ? (uint32_t)__builtin_ctz(a) : 32;
}
static inline uint32_t core_num_i32_popcnt(uint32_t a) {
  return (uint32_t)__builtin_popcount(a);
}
static inline uint64_t core_num_i64_clz(uint64_t a) {
  return a ? (uint64_t)__builtin_clzll((unsigned long long)a) : 64;
}
static inline uint64_t core_num_i64_ctz(uint64_t a) {
  return a ? (uint64_t)__builtin_ctzll((unsigned long long)a) : 64;
}
static inline uint64_t core_num_i64_popcnt(uint64_t a) {
  return (uint64_t)__builtin_popcountll((unsigned long long)a);
}

/* ---- shifts and rotates: the count is taken modulo the bit width --------- */
static inline uint32_t core_num_i32_shl(uint32_t a, uint32_t b) { return a << (b & 31); }
static inline uint32_t core_num_i32_shr_u(uint32_t a, uint32_t b) { return a >> (b & 31); }
static inline uint32_t core_num_i32_shr_s(uint32_t a, uint32_t b) {
  return (uint32_t)((int32_t)a >> (b & 31));
}
static inline uint32_t core_num_i32_rotl(uint32_t a, uint32_t b) {
  return (a << (b & 31)) | (a >> ((32 - b) & 31));
}
static inline uint32_t core_num_i32_rotr(uint32_t a, uint32_t b) {
  return (a >> (b & 31)) | (a << ((32 - b) & 31));
}
static inline uint64_t core_num_i64_shl(uint64_t a, uint64_t b) { return a << (b & 63); }
static inline uint64_t core_num_i64_shr_u(uint64_t a, uint64_t b) { return a >> (b & 63); }
static inline uint64_t core_num_i64_shr_s(uint64_t a, uint64_t b) {
  return (uint64_t)((int64_t)a >> (b & 63));
}
static inline uint64_t core_num_i64_rotl(uint64_t a, uint64_t b) {
  return (a << (b & 63)) | (a >> ((64 - b) & 63));
}
static inline uint64_t core_num_i64_rotr(uint64_t a, uint64_t b) {
  return (a >> (b & 63)) | (a << ((64 - b) & 63));
}

/* ---- sign extension ------------------------------------------------------ */
static inline uint32_t core_num_i32_extend8_s(uint32_t a) {
  return (uint32_t)(int32_t)(int8_t)(uint8_t)a;
}
static inline uint32_t core_num_i32_extend16_s(uint32_t a) {
  return (uint32_t)(int32_t)(int16_t)(uint16_t)a;
}
static inline uint64_t core_num_i64_extend8_s(uint64_t a) {
  return (uint64_t)(int64_t)(int8_t)(uint8_t)a;
}
static inline uint64_t core_num_i64_extend16_s(uint64_t a) {
  return (uint64_t)(int64_t)(int16_t)(uint16_t)a;
}
static inline uint64_t core_num_i64_extend32_s(uint64_t a) {
  return (uint64_t)(int64_t)(int32_t)(uint32_t)a;
}
static inline uint64_t core_num_i64_extend_i32_s(uint32_t a) {
  return (uint64_t)(int64_t)(int32_t)a;
}

/* ---- float arithmetic: the host FPU (see NaN rules above) ---------------- */
static inline uint32_t core_num_f32_add(uint32_t a, uint32_t b) {
  return core_num_f32_bits(core_num_bits_f32(a) + core_num_bits_f32(b));
}
static inline uint32_t core_num_f32_sub(uint32_t a, uint32_t b) {
  return core_num_f32_bits(core_num_bits_f32(a) - core_num_bits_f32(b));
}
static inline uint32_t core_num_f32_mul(uint32_t a, uint32_t b) {
  return core_num_f32_bits(core_num_bits_f32(a) * core_num_bits_f32(b));
}
static inline uint32_t core_num_f32_div(uint32_t a, uint32_t b) {
  return core_num_f32_bits(core_num_bits_f32(a) / core_num_bits_f32(b));
}
static inline uint32_t core_num_f32_sqrt(uint32_t a) {
  return core_num_f32_bits(sqrtf(core_num_bits_f32(a)));
}
static inline uint64_t core_num_f64_add(uint64_t a, uint64_t b) {
  return core_num_f64_bits(core_num_bits_f64(a) + core_num_bits_f64(b));
}
static inline uint64_t core_num_f64_sub(uint64_t a, uint64_t b) {
  return core_num_f64_bits(core_num_bits_f64(a) - core_num_bits_f64(b));
}
static inline uint64_t core_num_f64_mul(uint64_t a, uint64_t b) {
  return core_num_f64_bits(core_num_bits_f64(a) * core_num_bits_f64(b));
}
static inline uint64_t core_num_f64_div(uint64_t a, uint64_t b) {
  return core_num_f64_bits(core_num_bits_f64(a) / core_num_bits_f64(b));
}
static inline uint64_t core_num_f64_sqrt(uint64_t a) {
  return core_num_f64_bits(sqrt(core_num_bits_f64(a)));
}

/* ---- min/max: NaN wins (quieted), and -0 < +0 ---------------------------- */
static inline uint32_t core_num_f32_min(uint32_t a, uint32_t b) {
  float x = core_num_bits_f32(a), y = core_num_bits_f32(b);
  if (x < y) return a;
  if (y < x) return b;
  if (x == y) return a | b; /* equal: identical bits, or -0 and +0 -> -0 */
  return (core_num_f32_is_nan(a) ? a : b) | CORE_NUM_F32_QUIET;
}
static inline uint32_t core_num_f32_max(uint32_t a, uint32_t b) {
  float x = core_num_bits_f32(a), y = core_num_bits_f32(b);
  if (x > y) return a;
  if (y > x) return b;
  if (x == y) return a & b; /* equal: identical bits, or -0 and +0 -> +0 */
  return (core_num_f32_is_nan(a) ? a : b) | CORE_NUM_F32_QUIET;
}
static inline uint64_t core_num_f64_min(uint64_t a, uint64_t b) {
  double x = core_num_bits_f64(a), y = core_num_bits_f64(b);
  if (x < y) return a;
  if (y < x) return b;
  if (x == y) return a | b;
  return (core_num_f64_is_nan(a) ? a : b) | CORE_NUM_F64_QUIET;
}
static inline uint64_t core_num_f64_max(uint64_t a, uint64_t b) {
  double x = core_num_bits_f64(a), y = core_num_bits_f64(b);
  if (x > y) return a;
  if (y > x) return b;
  if (x == y) return a & b;
  return (core_num_f64_is_nan(a) ? a : b) | CORE_NUM_F64_QUIET;
}

/* ---- rounding to integral: zeros keep their sign, NaN stays NaN ---------- */
/* nearest rounds half to even: rint in the default rounding mode. */
#define CORE_NUM_ROUND_(name, T, UT, QUIET, fn)                 \
  static inline UT core_num_##T##_##name(UT a) {                \
    if (core_num_##T##_is_nan(a)) return a | QUIET;             \
    return core_num_##T##_bits(fn(core_num_bits_##T(a)));       \
  }
CORE_NUM_ROUND_(ceil, f32, uint32_t, CORE_NUM_F32_QUIET, ceilf)
CORE_NUM_ROUND_(floor, f32, uint32_t, CORE_NUM_F32_QUIET, floorf)
CORE_NUM_ROUND_(trunc, f32, uint32_t, CORE_NUM_F32_QUIET, truncf)
CORE_NUM_ROUND_(nearest, f32, uint32_t, CORE_NUM_F32_QUIET, rintf)
CORE_NUM_ROUND_(ceil, f64, uint64_t, CORE_NUM_F64_QUIET, ceil)
CORE_NUM_ROUND_(floor, f64, uint64_t, CORE_NUM_F64_QUIET, floor)
CORE_NUM_ROUND_(trunc, f64, uint64_t, CORE_NUM_F64_QUIET, trunc)
CORE_NUM_ROUND_(nearest, f64, uint64_t, CORE_NUM_F64_QUIET, rint)
#undef CORE_NUM_ROUND_

/* ---- sign operations: bits only, NaN payloads untouched ------------------ */
static inline uint32_t core_num_f32_abs(uint32_t a) { return a & ~CORE_NUM_F32_SIGN; }
static inline uint32_t core_num_f32_neg(uint32_t a) { return a ^ CORE_NUM_F32_SIGN; }
static inline uint32_t core_num_f32_copysign(uint32_t a, uint32_t b) {
  return (a & ~CORE_NUM_F32_SIGN) | (b & CORE_NUM_F32_SIGN);
}
static inline uint64_t core_num_f64_abs(uint64_t a) { return a & ~CORE_NUM_F64_SIGN; }
static inline uint64_t core_num_f64_neg(uint64_t a) { return a ^ CORE_NUM_F64_SIGN; }
static inline uint64_t core_num_f64_copysign(uint64_t a, uint64_t b) {
  return (a & ~CORE_NUM_F64_SIGN) | (b & CORE_NUM_F64_SIGN);
}

/* ---- comparisons: IEEE, so any NaN makes all but ne false ---------------- */
#define CORE_NUM_CMP_(T, UT, name, op)                                      \
  static inline uint32_t core_num_##T##_##name(UT a, UT b) {                \
    return core_num_bits_##T(a) op core_num_bits_##T(b);                    \
  }
CORE_NUM_CMP_(f32, uint32_t, eq, ==)
CORE_NUM_CMP_(f32, uint32_t, ne, !=)
CORE_NUM_CMP_(f32, uint32_t, lt, <)
CORE_NUM_CMP_(f32, uint32_t, gt, >)
CORE_NUM_CMP_(f32, uint32_t, le, <=)
CORE_NUM_CMP_(f32, uint32_t, ge, >=)
CORE_NUM_CMP_(f64, uint64_t, eq, ==)
CORE_NUM_CMP_(f64, uint64_t, ne, !=)
CORE_NUM_CMP_(f64, uint64_t, lt, <)
CORE_NUM_CMP_(f64, uint64_t, gt, >)
CORE_NUM_CMP_(f64, uint64_t, le, <=)
CORE_NUM_CMP_(f64, uint64_t, ge, >=)
#undef CORE_NUM_CMP_

/* ---- float -> integer ---------------------------------------------------- */
/* Every f32 is exactly a double, so all eight truncations work on a double
 * d. The integer part of d fits the target type iff lo < d < hi, with lo and
 * hi the first values outside it on either side; all bounds below are exact
 * doubles. (For i64 the lower bound -2^63 - 1 is not a double, so its test
 * is d >= -2^63, which is the same condition.) */
static inline kumi_trap_code core_num_trunc_check_(double d, bool ok) {
  if (ok) return KUMI_TRAP_NONE;
  return d != d ? KUMI_TRAP_INVALID_CONVERSION : KUMI_TRAP_INT_OVERFLOW;
}
#define CORE_NUM_I32S_OK_(d) ((d) > -2147483649.0 && (d) < 2147483648.0)
#define CORE_NUM_I32U_OK_(d) ((d) > -1.0 && (d) < 4294967296.0)
#define CORE_NUM_I64S_OK_(d) ((d) >= -0x1p63 && (d) < 0x1p63)
#define CORE_NUM_I64U_OK_(d) ((d) > -1.0 && (d) < 0x1p64)

static inline kumi_trap_code core_num_i32_trunc_f64_s(uint64_t a, uint32_t *r) {
  double d = core_num_bits_f64(a);
  kumi_trap_code t = core_num_trunc_check_(d, CORE_NUM_I32S_OK_(d));
  if (t == KUMI_TRAP_NONE) *r = (uint32_t)(int32_t)d;
  return t;
}
static inline kumi_trap_code core_num_i32_trunc_f64_u(uint64_t a, uint32_t *r) {
  double d = core_num_bits_f64(a);
  kumi_trap_code t = core_num_trunc_check_(d, CORE_NUM_I32U_OK_(d));
  if (t == KUMI_TRAP_NONE) *r = (uint32_t)d;
  return t;
}
static inline kumi_trap_code core_num_i64_trunc_f64_s(uint64_t a, uint64_t *r) {
  double d = core_num_bits_f64(a);
  kumi_trap_code t = core_num_trunc_check_(d, CORE_NUM_I64S_OK_(d));
  if (t == KUMI_TRAP_NONE) *r = (uint64_t)(int64_t)d;
  return t;
}
static inline kumi_trap_code core_num_i64_trunc_f64_u(uint64_t a, uint64_t *r) {
  double d = core_num_bits_f64(a);
  kumi_trap_code t = core_num_trunc_check_(d, CORE_NUM_I64U_OK_(d));
  if (t == KUMI_TRAP_NONE) *r = (uint64_t)d;
  return t;
}
static inline kumi_trap_code core_num_i32_trunc_f32_s(uint32_t a, uint32_t *r) {
  return core_num_i32_trunc_f64_s(core_num_f64_bits(core_num_bits_f32(a)), r);
}
static inline kumi_trap_code core_num_i32_trunc_f32_u(uint32_t a, uint32_t *r) {
  return core_num_i32_trunc_f64_u(core_num_f64_bits(core_num_bits_f32(a)), r);
}
static inline kumi_trap_code core_num_i64_trunc_f32_s(uint32_t a, uint64_t *r) {
  return core_num_i64_trunc_f64_s(core_num_f64_bits(core_num_bits_f32(a)), r);
}
static inline kumi_trap_code core_num_i64_trunc_f32_u(uint32_t a, uint64_t *r) {
  return core_num_i64_trunc_f64_u(core_num_f64_bits(core_num_bits_f32(a)), r);
}

/* Saturating: NaN gives 0, out-of-range values clamp to the type's range. */
static inline uint32_t core_num_i32_trunc_sat_f64_s(uint64_t a) {
  double d = core_num_bits_f64(a);
  if (CORE_NUM_I32S_OK_(d)) return (uint32_t)(int32_t)d;
  if (d != d) return 0;
  return d < 0 ? UINT32_C(0x80000000) : UINT32_C(0x7fffffff);
}
static inline uint32_t core_num_i32_trunc_sat_f64_u(uint64_t a) {
  double d = core_num_bits_f64(a);
  if (CORE_NUM_I32U_OK_(d)) return (uint32_t)d;
  return d > 0 ? UINT32_MAX : 0; /* NaN and negatives give 0 */
}
static inline uint64_t core_num_i64_trunc_sat_f64_s(uint64_t a) {
  double d = core_num_bits_f64(a);
  if (CORE_NUM_I64S_OK_(d)) return (uint64_t)(int64_t)d;
  if (d != d) return 0;
  return d < 0 ? UINT64_C(0x8000000000000000) : UINT64_C(0x7fffffffffffffff);
}
static inline uint64_t core_num_i64_trunc_sat_f64_u(uint64_t a) {
  double d = core_num_bits_f64(a);
  if (CORE_NUM_I64U_OK_(d)) return (uint64_t)d;
  return d > 0 ? UINT64_MAX : 0;
}
static inline uint32_t core_num_i32_trunc_sat_f32_s(uint32_t a) {
  return core_num_i32_trunc_sat_f64_s(core_num_f64_bits(core_num_bits_f32(a)));
}
static inline uint32_t core_num_i32_trunc_sat_f32_u(uint32_t a) {
  return core_num_i32_trunc_sat_f64_u(core_num_f64_bits(core_num_bits_f32(a)));
}
static inline uint64_t core_num_i64_trunc_sat_f32_s(uint32_t a) {
  return core_num_i64_trunc_sat_f64_s(core_num_f64_bits(core_num_bits_f32(a)));
}
static inline uint64_t core_num_i64_trunc_sat_f32_u(uint32_t a) {
  return core_num_i64_trunc_sat_f64_u(core_num_f64_bits(core_num_bits_f32(a)));
}
#undef CORE_NUM_I32S_OK_
#undef CORE_NUM_I32U_OK_
#undef CORE_NUM_I64S_OK_
#undef CORE_NUM_I64U_OK_

/* ---- integer -> float: C conversions, correctly rounded under IEEE (C11
 * Annex F; gcc and clang on x86-64 and AArch64 round u64 and i64 -> f32 in
 * one step, and the tests check the double-rounding traps). -------------- */
static inline uint32_t core_num_f32_convert_i32_s(uint32_t a) {
  return core_num_f32_bits((float)(int32_t)a);
}
static inline uint32_t core_num_f32_convert_i32_u(uint32_t a) {
  return core_num_f32_bits((float)a);
}
static inline uint32_t core_num_f32_convert_i64_s(uint64_t a) {
  return core_num_f32_bits((float)(int64_t)a);
}
static inline uint32_t core_num_f32_convert_i64_u(uint64_t a) {
  return core_num_f32_bits((float)a);
}
static inline uint64_t core_num_f64_convert_i32_s(uint32_t a) {
  return core_num_f64_bits((double)(int32_t)a);
}
static inline uint64_t core_num_f64_convert_i32_u(uint32_t a) {
  return core_num_f64_bits((double)a);
}
static inline uint64_t core_num_f64_convert_i64_s(uint64_t a) {
  return core_num_f64_bits((double)(int64_t)a);
}
static inline uint64_t core_num_f64_convert_i64_u(uint64_t a) {
  return core_num_f64_bits((double)a);
}

/* ---- float <-> float: a NaN keeps its sign and the top of its payload and
 * gets the quiet bit, so a canonical NaN converts to a canonical NaN. ----- */
static inline uint32_t core_num_f32_demote_f64(uint64_t a) {
  if (core_num_f64_is_nan(a))
    return (uint32_t)(a >> 32 & CORE_NUM_F32_SIGN) | UINT32_C(0x7fc00000) |
           (uint32_t)((a & UINT64_C(0x000fffffffffffff)) >> 29);
  return core_num_f32_bits((float)core_num_bits_f64(a));
}
static inline uint64_t core_num_f64_promote_f32(uint32_t a) {
  if (core_num_f32_is_nan(a))
    return (uint64_t)(a & CORE_NUM_F32_SIGN) << 32 | UINT64_C(0x7ff8000000000000) |
           (uint64_t)(a & UINT32_C(0x007fffff)) << 29;
  return core_num_f64_bits((double)core_num_bits_f32(a));
}

#endif
