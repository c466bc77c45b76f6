/* The interpreter's SIMD instructions (interp_ops.h: SIMD). In run()
 * (interp.c) every SIMD instruction has the same handler, which calls
 * core_simd_exec: the SIMD code stays out of run(), where it would compete
 * for registers with the scalar handlers (the cached memory base and size
 * got spilled), and scalar code must not pay for SIMD. The instruction's
 * operand 1 says which one it is.
 *
 * A v128 lives in two consecutive slots, in wasm's little-endian lane
 * order. The lane arithmetic is SIMDe's portable WebAssembly SIMD
 * (simde/wasm/simd128.h), which implements the wasm semantics on any host
 * (native SSE/NEON where it can). Own code remains where SIMDe wants
 * compile-time lane indices (lanes, shuffle) and where its result differs
 * from wasm's (see "own code" below). Every handler reads all its operands
 * before it writes d, which may be one of them. */
#include "interp_simd.h"

#include "numeric.h"

/* SIMDe asks clang to vectorize its fallback loops; where clang cannot
 * (we compile for baseline x86-64), it warns. The loops are correct as
 * they are. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpass-failed"
#endif
#include <simde/wasm/simd128.h>

#define UNLIKELY(x) __builtin_expect(!!(x), 0)
/* operand k of the instruction, and the slot it names (as in interp.c) */
#define OPD(k) (pc[1 + (k) / 2].u[(k) % 2])
#define SL(k) fp[OPD(k)]
/* out of bounds: the caller traps */
#define OOB() return NULL
/* a v128 operand: its first slot, loaded, stored */
#define VP(k) ((void *)&fp[OPD(k)])
#define VLD(k) simde_wasm_v128_load(VP(k))
#define VST(k, v) simde_wasm_v128_store(VP(k), (v))
/* the next instruction, after one of nops operands */
#define NEXT_AFTER(nops) return pc + CORE_CELLS(nops)

/* ---- single lanes, for the own code below ---- */

/* i16x8.q15mulr_sat_s: (a * b + 2^14) >> 15, saturated */
static inline uint16_t q15mulr_sat(uint16_t a, uint16_t b) {
  int32_t r = ((int32_t)(int16_t)a * (int16_t)b + 0x4000) >> 15; /* |a * b| <= 2^30: no overflow */
  return (uint16_t)(int16_t)(r > INT16_MAX ? INT16_MAX : r < INT16_MIN ? INT16_MIN : r);
}
/* iNxM.abs: the minimum stays itself (wraps) */
static inline uint8_t abs8(uint8_t x) { return (uint8_t)(x & 0x80u ? 0u - x : x); }
static inline uint16_t abs16(uint16_t x) { return (uint16_t)(x & 0x8000u ? 0u - x : x); }
static inline uint32_t abs32(uint32_t x) { return x & UINT32_C(0x80000000) ? 0u - x : x; }
static inline uint64_t abs64(uint64_t x) { return x & UINT64_C(0x8000000000000000) ? 0u - x : x; }
/* i32x4.mul, i64x2.mul: modulo 2^N */
static inline uint32_t mul32(uint32_t a, uint32_t b) { return a * b; }
static inline uint64_t mul64(uint64_t a, uint64_t b) { return a * b; }

/* ---- handler shapes; operand 0 is d, 1 the instruction, then the stack
 * operands in order, then the immediates (interp_ops.h: SIMD) ---- */

#define V_UN(ID, FN)         \
  case CORE_IOP_##ID: {      \
    simde_v128_t a = VLD(2); \
    VST(0, FN(a));           \
    NEXT_AFTER(3);           \
  }
#define V_BIN(ID, FN)                    \
  case CORE_IOP_##ID: {                  \
    simde_v128_t a = VLD(2), b = VLD(3); \
    VST(0, FN(a, b));                    \
    NEXT_AFTER(4);                       \
  }
#define V_TERN(ID, FN)                                 \
  case CORE_IOP_##ID: {                                \
    simde_v128_t a = VLD(2), b = VLD(3), c = VLD(4);   \
    VST(0, FN(a, b, c));                               \
    NEXT_AFTER(5);                                     \
  }
/* shifts: the count is an i32 (SIMDe takes it modulo the lane width) */
#define V_SHIFT(ID, FN)              \
  case CORE_IOP_##ID: {              \
    simde_v128_t a = VLD(2);         \
    VST(0, FN(a, (uint32_t)SL(3)));  \
    NEXT_AFTER(4);                   \
  }
/* tests and bitmasks: an i32 result */
#define V_TOI32(ID, FN)         \
  case CORE_IOP_##ID: {         \
    simde_v128_t a = VLD(2);    \
    SL(0) = (uint32_t)FN(a);    \
    NEXT_AFTER(3);              \
  }
/* own code, lane by lane: T is the lane type */
#define V_LANES_UN(ID, T, FN)                        \
  case CORE_IOP_##ID: {                              \
    T a_[16 / sizeof(T)];                            \
    memcpy(a_, VP(2), 16);                           \
    for (unsigned i_ = 0; i_ < 16 / sizeof(T); i_++) \
      a_[i_] = FN(a_[i_]);                           \
    memcpy(VP(0), a_, 16);                           \
    NEXT_AFTER(3);                                   \
  }
#define V_LANES_BIN(ID, T, FN)                       \
  case CORE_IOP_##ID: {                              \
    T a_[16 / sizeof(T)], b_[16 / sizeof(T)];        \
    memcpy(a_, VP(2), 16);                           \
    memcpy(b_, VP(3), 16);                           \
    for (unsigned i_ = 0; i_ < 16 / sizeof(T); i_++) \
      a_[i_] = FN(a_[i_], b_[i_]);                   \
    memcpy(VP(0), a_, 16);                           \
    NEXT_AFTER(4);                                   \
  }

/* Memory: the effective address of address operand `addr` plus the static
 * offset operand, on memory operand `memop`; traps unless n bytes there are
 * in bounds. Sets ptr_. */
#define V_ADDR(addr, off, memop, n)                                 \
  uint8_t *ptr_;                                                    \
  {                                                                 \
    const kumi_memory *m_ = inst->memories[OPD(memop)];             \
    uint64_t ea_ = (uint64_t)(uint32_t)SL(addr) + OPD(off);         \
    if (UNLIKELY(ea_ + (n) > m_->size)) OOB();                        \
    ptr_ = m_->data + ea_;                                          \
  }
/* loads: d, -, addr, offset, mem; FN reads N bytes at a pointer */
#define V_LOAD(ID, N, FN)     \
  case CORE_IOP_##ID: {       \
    V_ADDR(2, 3, 4, N);       \
    VST(0, FN(ptr_));         \
    NEXT_AFTER(5);            \
  }
/* lane loads: d, -, addr, v, offset, mem, lane: v with the lane loaded */
#define V_LOAD_LANE(ID, N)                \
  case CORE_IOP_##ID: {                   \
    V_ADDR(2, 4, 5, N);                   \
    uint8_t v_[16];                       \
    memcpy(v_, VP(3), 16);                \
    memcpy(v_ + OPD(6) * (N), ptr_, N);   \
    memcpy(VP(0), v_, 16);                \
    NEXT_AFTER(7);                        \
  }
/* lane stores: -, -, addr, v, offset, mem, lane */
#define V_STORE_LANE(ID, N)                                 \
  case CORE_IOP_##ID: {                                     \
    V_ADDR(2, 4, 5, N);                                     \
    memcpy(ptr_, (const uint8_t *)VP(3) + OPD(6) * (N), N); \
    NEXT_AFTER(7);                                          \
  }
/* extract_lane: d, -, a, lane; replace_lane: d, -, a, x, lane */
#define V_EXTRACT(ID, T, CONV)                                            \
  case CORE_IOP_##ID: {                                                   \
    T v_;                                                                 \
    memcpy(&v_, (const uint8_t *)VP(2) + OPD(3) * sizeof v_, sizeof v_); \
    SL(0) = CONV;                                                         \
    NEXT_AFTER(4);                                                        \
  }
#define V_REPLACE(ID, T)                             \
  case CORE_IOP_##ID: {                              \
    uint8_t r_[16];                                  \
    T x_ = (T)SL(3);                                 \
    memcpy(r_, VP(2), 16);                           \
    memcpy(r_ + OPD(4) * sizeof x_, &x_, sizeof x_); \
    memcpy(VP(0), r_, 16);                           \
    NEXT_AFTER(5);                                   \
  }

const core_cell *core_simd_exec(core_slot *fp, const core_cell *pc, kumi_instance *inst) {
  switch (OPD(1)) {
    V_LOAD(V128_LOAD, 16, simde_wasm_v128_load)
    V_LOAD(V128_LOAD8X8_S, 8, simde_wasm_i16x8_load8x8)
    V_LOAD(V128_LOAD8X8_U, 8, simde_wasm_u16x8_load8x8)
    V_LOAD(V128_LOAD16X4_S, 8, simde_wasm_i32x4_load16x4)
    V_LOAD(V128_LOAD16X4_U, 8, simde_wasm_u32x4_load16x4)
    V_LOAD(V128_LOAD32X2_S, 8, simde_wasm_i64x2_load32x2)
    V_LOAD(V128_LOAD32X2_U, 8, simde_wasm_u64x2_load32x2)
    V_LOAD(V128_LOAD8_SPLAT, 1, simde_wasm_v128_load8_splat)
    V_LOAD(V128_LOAD16_SPLAT, 2, simde_wasm_v128_load16_splat)
    V_LOAD(V128_LOAD32_SPLAT, 4, simde_wasm_v128_load32_splat)
    V_LOAD(V128_LOAD64_SPLAT, 8, simde_wasm_v128_load64_splat)
    V_LOAD(V128_LOAD32_ZERO, 4, simde_wasm_v128_load32_zero)
    V_LOAD(V128_LOAD64_ZERO, 8, simde_wasm_v128_load64_zero)
    V_LOAD_LANE(V128_LOAD8_LANE, 1)
    V_LOAD_LANE(V128_LOAD16_LANE, 2)
    V_LOAD_LANE(V128_LOAD32_LANE, 4)
    V_LOAD_LANE(V128_LOAD64_LANE, 8)
    V_STORE_LANE(V128_STORE8_LANE, 1)
    V_STORE_LANE(V128_STORE16_LANE, 2)
    V_STORE_LANE(V128_STORE32_LANE, 4)
    V_STORE_LANE(V128_STORE64_LANE, 8)

  case CORE_IOP_V128_STORE: { /* -, -, addr, v, offset, mem */
    V_ADDR(2, 4, 5, 16);
    memcpy(ptr_, VP(3), 16);
    NEXT_AFTER(6);
  }

  case CORE_IOP_V128_CONST: /* d, -, then the bytes in cells 2 and 3 */
    memcpy(VP(0), &pc[2], 16);
    NEXT_AFTER(6);

  case CORE_IOP_I8X16_SHUFFLE: { /* d, -, a, b, then the indices in cells 3 and 4 */
    uint8_t ab[32], r[16];
    memcpy(ab, VP(2), 16);
    memcpy(ab + 16, VP(3), 16);
    const uint8_t *idx = (const uint8_t *)&pc[3];
    for (unsigned i = 0; i < 16; i++) r[i] = ab[idx[i] & 31]; /* validated: < 32 */
    memcpy(VP(0), r, 16);
    NEXT_AFTER(8);
  }

    V_BIN(I8X16_SWIZZLE, simde_wasm_i8x16_swizzle)

  /* splats by bit pattern: float lanes are copied, never converted */
  case CORE_IOP_I8X16_SPLAT:
    VST(0, simde_wasm_i8x16_splat((int8_t)(uint8_t)SL(2)));
    NEXT_AFTER(3);
  case CORE_IOP_I16X8_SPLAT:
    VST(0, simde_wasm_i16x8_splat((int16_t)(uint16_t)SL(2)));
    NEXT_AFTER(3);
  case CORE_IOP_I32X4_SPLAT:
  case CORE_IOP_F32X4_SPLAT:
    VST(0, simde_wasm_i32x4_splat((int32_t)(uint32_t)SL(2)));
    NEXT_AFTER(3);
  case CORE_IOP_I64X2_SPLAT:
  case CORE_IOP_F64X2_SPLAT:
    VST(0, simde_wasm_i64x2_splat((int64_t)SL(2)));
    NEXT_AFTER(3);

    V_EXTRACT(I8X16_EXTRACT_LANE_S, uint8_t, (uint32_t)(int32_t)(int8_t)v_)
    V_EXTRACT(I8X16_EXTRACT_LANE_U, uint8_t, (uint32_t)v_)
    V_EXTRACT(I16X8_EXTRACT_LANE_S, uint16_t, (uint32_t)(int32_t)(int16_t)v_)
    V_EXTRACT(I16X8_EXTRACT_LANE_U, uint16_t, (uint32_t)v_)
    V_EXTRACT(I32X4_EXTRACT_LANE, uint32_t, v_)
    V_EXTRACT(F32X4_EXTRACT_LANE, uint32_t, v_)
    V_EXTRACT(I64X2_EXTRACT_LANE, uint64_t, v_)
    V_EXTRACT(F64X2_EXTRACT_LANE, uint64_t, v_)
    V_REPLACE(I8X16_REPLACE_LANE, uint8_t)
    V_REPLACE(I16X8_REPLACE_LANE, uint16_t)
    V_REPLACE(I32X4_REPLACE_LANE, uint32_t)
    V_REPLACE(F32X4_REPLACE_LANE, uint32_t)
    V_REPLACE(I64X2_REPLACE_LANE, uint64_t)
    V_REPLACE(F64X2_REPLACE_LANE, uint64_t)

    /* ---- own code where SIMDe differs from wasm ----
     * On x86 SIMDe's float min/max return the wrong zero for -0/+0 and pass
     * a signalling NaN through unquieted, its ceil/floor/trunc/nearest do
     * not quiet NaNs either (and f64x2.nearest loses the sign of -0), and
     * its q15mulr_sat_s gives -32768 for -32768 * -32768 instead of
     * saturating. Where the host lacks an instruction (integer abs before
     * SSSE3, i32x4.mul before SSE4.1, i64x2.mul) its fallback computes in
     * signed lanes and overflows, undefined behaviour in C; these wrap in
     * unsigned lanes. All go lane by lane through scalar operations (the
     * wasm ones of numeric.h, or those above). */
    V_LANES_BIN(F32X4_MIN, uint32_t, core_num_f32_min)
    V_LANES_BIN(F32X4_MAX, uint32_t, core_num_f32_max)
    V_LANES_BIN(F64X2_MIN, uint64_t, core_num_f64_min)
    V_LANES_BIN(F64X2_MAX, uint64_t, core_num_f64_max)
    V_LANES_UN(F32X4_CEIL, uint32_t, core_num_f32_ceil)
    V_LANES_UN(F32X4_FLOOR, uint32_t, core_num_f32_floor)
    V_LANES_UN(F32X4_TRUNC, uint32_t, core_num_f32_trunc)
    V_LANES_UN(F32X4_NEAREST, uint32_t, core_num_f32_nearest)
    V_LANES_UN(F64X2_CEIL, uint64_t, core_num_f64_ceil)
    V_LANES_UN(F64X2_FLOOR, uint64_t, core_num_f64_floor)
    V_LANES_UN(F64X2_TRUNC, uint64_t, core_num_f64_trunc)
    V_LANES_UN(F64X2_NEAREST, uint64_t, core_num_f64_nearest)
    V_LANES_BIN(I16X8_Q15MULR_SAT_S, uint16_t, q15mulr_sat)
    V_LANES_UN(I8X16_ABS, uint8_t, abs8)
    V_LANES_UN(I16X8_ABS, uint16_t, abs16)
    V_LANES_UN(I32X4_ABS, uint32_t, abs32)
    V_LANES_UN(I64X2_ABS, uint64_t, abs64)
    V_LANES_BIN(I32X4_MUL, uint32_t, mul32)
    V_LANES_BIN(I64X2_MUL, uint64_t, mul64)

    /* ---- lane arithmetic: SIMDe ---- */
    V_BIN(I8X16_EQ, simde_wasm_i8x16_eq)
    V_BIN(I8X16_NE, simde_wasm_i8x16_ne)
    V_BIN(I8X16_LT_S, simde_wasm_i8x16_lt)
    V_BIN(I8X16_LT_U, simde_wasm_u8x16_lt)
    V_BIN(I8X16_GT_S, simde_wasm_i8x16_gt)
    V_BIN(I8X16_GT_U, simde_wasm_u8x16_gt)
    V_BIN(I8X16_LE_S, simde_wasm_i8x16_le)
    V_BIN(I8X16_LE_U, simde_wasm_u8x16_le)
    V_BIN(I8X16_GE_S, simde_wasm_i8x16_ge)
    V_BIN(I8X16_GE_U, simde_wasm_u8x16_ge)
    V_BIN(I16X8_EQ, simde_wasm_i16x8_eq)
    V_BIN(I16X8_NE, simde_wasm_i16x8_ne)
    V_BIN(I16X8_LT_S, simde_wasm_i16x8_lt)
    V_BIN(I16X8_LT_U, simde_wasm_u16x8_lt)
    V_BIN(I16X8_GT_S, simde_wasm_i16x8_gt)
    V_BIN(I16X8_GT_U, simde_wasm_u16x8_gt)
    V_BIN(I16X8_LE_S, simde_wasm_i16x8_le)
    V_BIN(I16X8_LE_U, simde_wasm_u16x8_le)
    V_BIN(I16X8_GE_S, simde_wasm_i16x8_ge)
    V_BIN(I16X8_GE_U, simde_wasm_u16x8_ge)
    V_BIN(I32X4_EQ, simde_wasm_i32x4_eq)
    V_BIN(I32X4_NE, simde_wasm_i32x4_ne)
    V_BIN(I32X4_LT_S, simde_wasm_i32x4_lt)
    V_BIN(I32X4_LT_U, simde_wasm_u32x4_lt)
    V_BIN(I32X4_GT_S, simde_wasm_i32x4_gt)
    V_BIN(I32X4_GT_U, simde_wasm_u32x4_gt)
    V_BIN(I32X4_LE_S, simde_wasm_i32x4_le)
    V_BIN(I32X4_LE_U, simde_wasm_u32x4_le)
    V_BIN(I32X4_GE_S, simde_wasm_i32x4_ge)
    V_BIN(I32X4_GE_U, simde_wasm_u32x4_ge)
    V_BIN(F32X4_EQ, simde_wasm_f32x4_eq)
    V_BIN(F32X4_NE, simde_wasm_f32x4_ne)
    V_BIN(F32X4_LT, simde_wasm_f32x4_lt)
    V_BIN(F32X4_GT, simde_wasm_f32x4_gt)
    V_BIN(F32X4_LE, simde_wasm_f32x4_le)
    V_BIN(F32X4_GE, simde_wasm_f32x4_ge)
    V_BIN(F64X2_EQ, simde_wasm_f64x2_eq)
    V_BIN(F64X2_NE, simde_wasm_f64x2_ne)
    V_BIN(F64X2_LT, simde_wasm_f64x2_lt)
    V_BIN(F64X2_GT, simde_wasm_f64x2_gt)
    V_BIN(F64X2_LE, simde_wasm_f64x2_le)
    V_BIN(F64X2_GE, simde_wasm_f64x2_ge)
    V_UN(V128_NOT, simde_wasm_v128_not)
    V_BIN(V128_AND, simde_wasm_v128_and)
    V_BIN(V128_ANDNOT, simde_wasm_v128_andnot)
    V_BIN(V128_OR, simde_wasm_v128_or)
    V_BIN(V128_XOR, simde_wasm_v128_xor)
    V_TERN(V128_BITSELECT, simde_wasm_v128_bitselect)
    V_TOI32(V128_ANY_TRUE, simde_wasm_v128_any_true)
    V_UN(F32X4_DEMOTE_F64X2_ZERO, simde_wasm_f32x4_demote_f64x2_zero)
    V_UN(F64X2_PROMOTE_LOW_F32X4, simde_wasm_f64x2_promote_low_f32x4)
    V_UN(I8X16_NEG, simde_wasm_i8x16_neg)
    V_UN(I8X16_POPCNT, simde_wasm_i8x16_popcnt)
    V_TOI32(I8X16_ALL_TRUE, simde_wasm_i8x16_all_true)
    V_TOI32(I8X16_BITMASK, simde_wasm_i8x16_bitmask)
    V_BIN(I8X16_NARROW_I16X8_S, simde_wasm_i8x16_narrow_i16x8)
    V_BIN(I8X16_NARROW_I16X8_U, simde_wasm_u8x16_narrow_i16x8)
    V_SHIFT(I8X16_SHL, simde_wasm_i8x16_shl)
    V_SHIFT(I8X16_SHR_S, simde_wasm_i8x16_shr)
    V_SHIFT(I8X16_SHR_U, simde_wasm_u8x16_shr)
    V_BIN(I8X16_ADD, simde_wasm_i8x16_add)
    V_BIN(I8X16_ADD_SAT_S, simde_wasm_i8x16_add_sat)
    V_BIN(I8X16_ADD_SAT_U, simde_wasm_u8x16_add_sat)
    V_BIN(I8X16_SUB, simde_wasm_i8x16_sub)
    V_BIN(I8X16_SUB_SAT_S, simde_wasm_i8x16_sub_sat)
    V_BIN(I8X16_SUB_SAT_U, simde_wasm_u8x16_sub_sat)
    V_BIN(I8X16_MIN_S, simde_wasm_i8x16_min)
    V_BIN(I8X16_MIN_U, simde_wasm_u8x16_min)
    V_BIN(I8X16_MAX_S, simde_wasm_i8x16_max)
    V_BIN(I8X16_MAX_U, simde_wasm_u8x16_max)
    V_BIN(I8X16_AVGR_U, simde_wasm_u8x16_avgr)
    V_UN(I16X8_EXTADD_PAIRWISE_I8X16_S, simde_wasm_i16x8_extadd_pairwise_i8x16)
    V_UN(I16X8_EXTADD_PAIRWISE_I8X16_U, simde_wasm_u16x8_extadd_pairwise_u8x16)
    V_UN(I32X4_EXTADD_PAIRWISE_I16X8_S, simde_wasm_i32x4_extadd_pairwise_i16x8)
    V_UN(I32X4_EXTADD_PAIRWISE_I16X8_U, simde_wasm_u32x4_extadd_pairwise_u16x8)
    V_UN(I16X8_NEG, simde_wasm_i16x8_neg)
    V_TOI32(I16X8_ALL_TRUE, simde_wasm_i16x8_all_true)
    V_TOI32(I16X8_BITMASK, simde_wasm_i16x8_bitmask)
    V_BIN(I16X8_NARROW_I32X4_S, simde_wasm_i16x8_narrow_i32x4)
    V_BIN(I16X8_NARROW_I32X4_U, simde_wasm_u16x8_narrow_i32x4)
    V_UN(I16X8_EXTEND_LOW_I8X16_S, simde_wasm_i16x8_extend_low_i8x16)
    V_UN(I16X8_EXTEND_HIGH_I8X16_S, simde_wasm_i16x8_extend_high_i8x16)
    V_UN(I16X8_EXTEND_LOW_I8X16_U, simde_wasm_u16x8_extend_low_u8x16)
    V_UN(I16X8_EXTEND_HIGH_I8X16_U, simde_wasm_u16x8_extend_high_u8x16)
    V_SHIFT(I16X8_SHL, simde_wasm_i16x8_shl)
    V_SHIFT(I16X8_SHR_S, simde_wasm_i16x8_shr)
    V_SHIFT(I16X8_SHR_U, simde_wasm_u16x8_shr)
    V_BIN(I16X8_ADD, simde_wasm_i16x8_add)
    V_BIN(I16X8_ADD_SAT_S, simde_wasm_i16x8_add_sat)
    V_BIN(I16X8_ADD_SAT_U, simde_wasm_u16x8_add_sat)
    V_BIN(I16X8_SUB, simde_wasm_i16x8_sub)
    V_BIN(I16X8_SUB_SAT_S, simde_wasm_i16x8_sub_sat)
    V_BIN(I16X8_SUB_SAT_U, simde_wasm_u16x8_sub_sat)
    V_BIN(I16X8_MUL, simde_wasm_i16x8_mul)
    V_BIN(I16X8_MIN_S, simde_wasm_i16x8_min)
    V_BIN(I16X8_MIN_U, simde_wasm_u16x8_min)
    V_BIN(I16X8_MAX_S, simde_wasm_i16x8_max)
    V_BIN(I16X8_MAX_U, simde_wasm_u16x8_max)
    V_BIN(I16X8_AVGR_U, simde_wasm_u16x8_avgr)
    V_BIN(I16X8_EXTMUL_LOW_I8X16_S, simde_wasm_i16x8_extmul_low_i8x16)
    V_BIN(I16X8_EXTMUL_HIGH_I8X16_S, simde_wasm_i16x8_extmul_high_i8x16)
    V_BIN(I16X8_EXTMUL_LOW_I8X16_U, simde_wasm_u16x8_extmul_low_u8x16)
    V_BIN(I16X8_EXTMUL_HIGH_I8X16_U, simde_wasm_u16x8_extmul_high_u8x16)
    V_UN(I32X4_NEG, simde_wasm_i32x4_neg)
    V_TOI32(I32X4_ALL_TRUE, simde_wasm_i32x4_all_true)
    V_TOI32(I32X4_BITMASK, simde_wasm_i32x4_bitmask)
    V_UN(I32X4_EXTEND_LOW_I16X8_S, simde_wasm_i32x4_extend_low_i16x8)
    V_UN(I32X4_EXTEND_HIGH_I16X8_S, simde_wasm_i32x4_extend_high_i16x8)
    V_UN(I32X4_EXTEND_LOW_I16X8_U, simde_wasm_u32x4_extend_low_u16x8)
    V_UN(I32X4_EXTEND_HIGH_I16X8_U, simde_wasm_u32x4_extend_high_u16x8)
    V_SHIFT(I32X4_SHL, simde_wasm_i32x4_shl)
    V_SHIFT(I32X4_SHR_S, simde_wasm_i32x4_shr)
    V_SHIFT(I32X4_SHR_U, simde_wasm_u32x4_shr)
    V_BIN(I32X4_ADD, simde_wasm_i32x4_add)
    V_BIN(I32X4_SUB, simde_wasm_i32x4_sub)
    V_BIN(I32X4_MIN_S, simde_wasm_i32x4_min)
    V_BIN(I32X4_MIN_U, simde_wasm_u32x4_min)
    V_BIN(I32X4_MAX_S, simde_wasm_i32x4_max)
    V_BIN(I32X4_MAX_U, simde_wasm_u32x4_max)
    V_BIN(I32X4_DOT_I16X8_S, simde_wasm_i32x4_dot_i16x8)
    V_BIN(I32X4_EXTMUL_LOW_I16X8_S, simde_wasm_i32x4_extmul_low_i16x8)
    V_BIN(I32X4_EXTMUL_HIGH_I16X8_S, simde_wasm_i32x4_extmul_high_i16x8)
    V_BIN(I32X4_EXTMUL_LOW_I16X8_U, simde_wasm_u32x4_extmul_low_u16x8)
    V_BIN(I32X4_EXTMUL_HIGH_I16X8_U, simde_wasm_u32x4_extmul_high_u16x8)
    V_UN(I64X2_NEG, simde_wasm_i64x2_neg)
    V_TOI32(I64X2_ALL_TRUE, simde_wasm_i64x2_all_true)
    V_TOI32(I64X2_BITMASK, simde_wasm_i64x2_bitmask)
    V_UN(I64X2_EXTEND_LOW_I32X4_S, simde_wasm_i64x2_extend_low_i32x4)
    V_UN(I64X2_EXTEND_HIGH_I32X4_S, simde_wasm_i64x2_extend_high_i32x4)
    V_UN(I64X2_EXTEND_LOW_I32X4_U, simde_wasm_u64x2_extend_low_u32x4)
    V_UN(I64X2_EXTEND_HIGH_I32X4_U, simde_wasm_u64x2_extend_high_u32x4)
    V_SHIFT(I64X2_SHL, simde_wasm_i64x2_shl)
    V_SHIFT(I64X2_SHR_S, simde_wasm_i64x2_shr)
    V_SHIFT(I64X2_SHR_U, simde_wasm_u64x2_shr)
    V_BIN(I64X2_ADD, simde_wasm_i64x2_add)
    V_BIN(I64X2_SUB, simde_wasm_i64x2_sub)
    V_BIN(I64X2_EQ, simde_wasm_i64x2_eq)
    V_BIN(I64X2_NE, simde_wasm_i64x2_ne)
    V_BIN(I64X2_LT_S, simde_wasm_i64x2_lt)
    V_BIN(I64X2_GT_S, simde_wasm_i64x2_gt)
    V_BIN(I64X2_LE_S, simde_wasm_i64x2_le)
    V_BIN(I64X2_GE_S, simde_wasm_i64x2_ge)
    V_BIN(I64X2_EXTMUL_LOW_I32X4_S, simde_wasm_i64x2_extmul_low_i32x4)
    V_BIN(I64X2_EXTMUL_HIGH_I32X4_S, simde_wasm_i64x2_extmul_high_i32x4)
    V_BIN(I64X2_EXTMUL_LOW_I32X4_U, simde_wasm_u64x2_extmul_low_u32x4)
    V_BIN(I64X2_EXTMUL_HIGH_I32X4_U, simde_wasm_u64x2_extmul_high_u32x4)
    V_UN(F32X4_ABS, simde_wasm_f32x4_abs)
    V_UN(F32X4_NEG, simde_wasm_f32x4_neg)
    V_UN(F32X4_SQRT, simde_wasm_f32x4_sqrt)
    V_BIN(F32X4_ADD, simde_wasm_f32x4_add)
    V_BIN(F32X4_SUB, simde_wasm_f32x4_sub)
    V_BIN(F32X4_MUL, simde_wasm_f32x4_mul)
    V_BIN(F32X4_DIV, simde_wasm_f32x4_div)
    V_BIN(F32X4_PMIN, simde_wasm_f32x4_pmin)
    V_BIN(F32X4_PMAX, simde_wasm_f32x4_pmax)
    V_UN(F64X2_ABS, simde_wasm_f64x2_abs)
    V_UN(F64X2_NEG, simde_wasm_f64x2_neg)
    V_UN(F64X2_SQRT, simde_wasm_f64x2_sqrt)
    V_BIN(F64X2_ADD, simde_wasm_f64x2_add)
    V_BIN(F64X2_SUB, simde_wasm_f64x2_sub)
    V_BIN(F64X2_MUL, simde_wasm_f64x2_mul)
    V_BIN(F64X2_DIV, simde_wasm_f64x2_div)
    V_BIN(F64X2_PMIN, simde_wasm_f64x2_pmin)
    V_BIN(F64X2_PMAX, simde_wasm_f64x2_pmax)
    V_UN(I32X4_TRUNC_SAT_F32X4_S, simde_wasm_i32x4_trunc_sat_f32x4)
    V_UN(I32X4_TRUNC_SAT_F32X4_U, simde_wasm_u32x4_trunc_sat_f32x4)
    V_UN(F32X4_CONVERT_I32X4_S, simde_wasm_f32x4_convert_i32x4)
    V_UN(F32X4_CONVERT_I32X4_U, simde_wasm_f32x4_convert_u32x4)
    V_UN(I32X4_TRUNC_SAT_F64X2_S_ZERO, simde_wasm_i32x4_trunc_sat_f64x2_zero)
    V_UN(I32X4_TRUNC_SAT_F64X2_U_ZERO, simde_wasm_u32x4_trunc_sat_f64x2_zero)
    V_UN(F64X2_CONVERT_LOW_I32X4_S, simde_wasm_f64x2_convert_low_i32x4)
    V_UN(F64X2_CONVERT_LOW_I32X4_U, simde_wasm_f64x2_convert_low_u32x4)

  default: break;
  }
  /* not a SIMD instruction: compile.c never emits one here */
  OOB();
}
