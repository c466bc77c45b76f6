/* The interpreter's internal instruction set: one X-macro list that both
 * the translator (compile.c) and the interpreter (interp.c) expand, so an
 * internal instruction is defined once. Include with the family macros you
 * need defined; the others default to nothing.
 *
 * Operands are 32-bit fields after the handler cell (see compile.h): slot
 * indices relative to the frame, immediates, or branch offsets. `d` is the
 * destination slot. Values are bit patterns (numeric.h): IW/OW give the
 * operand and result widths, 32 (zero-extended in the slot) or 64.
 *
 * Families, each tied to the wasm instruction CORE_OP_<ID>:
 *   UN(ID, IW, OW, EXPR)        d, x      d = EXPR (over x)
 *   BIN(ID, IW, OW, EXPR, K, C) d, a, b   d = EXPR (over a, b); K: also
 *                               ID_K with b an immediate: operand 2 for
 *                               32-bit ops, all of cell 2 for 64-bit ones;
 *                               C: commutative
 *   CMPI(ID, IW, EXPR, NOT, SWAP)  integer comparison: like BIN with K, plus
 *                               BR_ID a, b, off and BR_ID_K a, off, imm (imm
 *                               placed as in ID_K) that branch when EXPR
 *                               holds. NOT is the negated comparison, SWAP
 *                               the one with swapped operands. For i32 also
 *                               the loop-closing fusions with an addition
 *                               before the branch, d = a + k (ADDK) or
 *                               d = a + b (ADD), then compare d with x:
 *                               ADDK_BR_ID d, a, k, x, off;
 *                               ADDK_BR_ID_K d, a, k, imm, off;
 *                               ADD_BR_ID d, a, b, x, off;
 *                               ADD_BR_ID_K d, a, b, imm, off
 *   CMPF(ID, IW, EXPR)          float comparison: BIN, plus BR_ID and BRN_ID
 *                               (branch when EXPR holds / does not hold)
 *   TUN(ID, IW, OW, FN)         d, x      trapping: if (FN(x, &r)) trap
 *   TBIN(ID, IW, OW, FN)        d, a, b   trapping: if (FN(a, b, &r)) trap
 *   LOAD(ID, T, OW, CONV)       d, addr, offset   d = CONV(T loaded); and
 *                               ID_K d, base, offset, k: addr = base + k
 *                               (i32 arithmetic), the fused i32.add
 *   STORE(ID, T)                addr, value, offset; and ID_K base, value,
 *                               offset, k
 *                               Both also have ID_M, the same on memory
 *                               `mem` (not 0): d, addr, offset, mem and
 *                               addr, value, offset, mem
 *   OP(ID)                      everything else, written by hand in interp.c
 *   SIMD(ID)                    a SIMD instruction (wasm CORE_OP_<ID>), in
 *                               interp_simd.c; all share one handler in
 *                               interp.c. Operand 0 is d (unused without a
 *                               result), 1 the internal opcode, then the
 *                               stack operands in order, then the
 *                               immediates: LANE: lane; MEMARG: offset, mem;
 *                               MEMARG_LANE: offset, mem, lane. v128.const:
 *                               d, -, then the 16 bytes in cells 2 and 3;
 *                               i8x16.shuffle: d, -, a, b, then the 16 lane
 *                               indices in cells 3 and 4. A v128 operand or
 *                               result names the first of its two slots.
 */
#ifndef UN
#define UN(ID, IW, OW, EXPR)
#endif
#ifndef BIN
#define BIN(ID, IW, OW, EXPR, K, C)
#endif
#ifndef CMPI
#define CMPI(ID, IW, EXPR, NOT, SWAP)
#endif
#ifndef CMPF
#define CMPF(ID, IW, EXPR)
#endif
#ifndef TUN
#define TUN(ID, IW, OW, FN)
#endif
#ifndef TBIN
#define TBIN(ID, IW, OW, FN)
#endif
#ifndef LOAD
#define LOAD(ID, T, OW, CONV)
#endif
#ifndef STORE
#define STORE(ID, T)
#endif
#ifndef OP
#define OP(ID)
#endif
#ifndef SIMD
#define SIMD(ID)
#endif

/* ---- control, variables, calls (interp.c) ---- */
OP(EXIT)          /* leaves the interpreter: the return address of an entry frame */
OP(UNREACHABLE)   /* traps */
OP(BR)            /* off */
OP(BR_IF)         /* c, off: branch when slot c is non-zero (any width) */
OP(BR_IFNOT)      /* c, off */
OP(ADDK_BR_IF)    /* d, a, k, off: d = a + k (i32), branch when d != 0 */
OP(ADDK_BR_IFNOT) /* d, a, k, off */
OP(ADD_BR_IF)     /* d, a, b, off: d = a + b (i32), branch when d != 0 */
OP(ADD_BR_IFNOT)  /* d, a, b, off */
OP(I32_ADD_SHLK)  /* d, a, x, k: d = a + (x << k), an indexed address */
OP(BR_TABLE)      /* i, n, then n + 1 offsets (relative to the instruction) */
OP(COPY)          /* d, s */
OP(COPY2)         /* d, s: a v128, slots d, d+1 = s, s+1 */
OP(CONST32)       /* d, imm: d = zero-extended imm */
OP(CONST64)       /* d, -, imm64 */
OP(SELECT)        /* d, a, b, c: d = c ? a : b */
OP(SELECT2)       /* d, a, b, c: the same for v128 (two slots each) */
OP(RETURN)        /* results already in slots 0.. */
OP(RETURN1)       /* s: slot 0 = s, then return */
OP(RETURN_N)      /* base, n: slots 0..n = base..base+n, then return */
OP(CALL)          /* base, -, callee (struct core_compiled *): same instance */
OP(CALL_IMPORT)   /* base, func: any function of the instance's index space */
OP(CALL_INDIRECT) /* base, type, table, i */
/* Tail calls: the callee's frame replaces the caller's (args move to slot
 * 0), so neither stack grows. */
OP(RETURN_CALL)          /* base, -, callee (struct core_compiled *): same instance */
OP(RETURN_CALL_IMPORT)   /* base, func */
OP(RETURN_CALL_INDIRECT) /* base, type, table, i */
/* Exception handling: unwinding finds the handler in the functions'
 * handler tables (compile.h), out of line. */
OP(THROW)         /* base, tag: the payload is in slots base.. */
OP(THROW_REF)     /* s: an exnref; null traps */
OP(GLOBAL_GET)    /* d, global */
OP(GLOBAL_SET)    /* global, s */
OP(GLOBAL_GET2)   /* d, global: a v128 global */
OP(GLOBAL_SET2)   /* global, s */
OP(REF_FUNC)      /* d, func */
OP(TABLE_GET)     /* d, table, i */
OP(TABLE_SET)     /* table, i, v */
OP(TABLE_SIZE)    /* d, table */
OP(TABLE_GROW)    /* d, table, init, n */
OP(TABLE_FILL)    /* table, i, v, n */
OP(TABLE_COPY)    /* dst table, src table, d, s, n */
OP(TABLE_INIT)    /* table, elem, d, s, n */
OP(ELEM_DROP)     /* elem */
OP(MEMORY_SIZE)   /* d */
OP(MEMORY_GROW)   /* d, n */
OP(MEMORY_FILL)   /* d, v, n */
OP(MEMORY_COPY)   /* d, s, n */
OP(MEMORY_INIT)   /* data, d, s, n */
/* The same on any memory (multi-memory); the ones above work on memory 0,
 * whose base and size the interpreter keeps in registers. */
OP(MEMORY_SIZE_M) /* d, mem */
OP(MEMORY_GROW_M) /* d, mem, n */
OP(MEMORY_FILL_M) /* mem, d, v, n */
OP(MEMORY_COPY_M) /* dst mem, src mem, d, s, n */
OP(MEMORY_INIT_M) /* data, mem, d, s, n */
OP(DATA_DROP)     /* data */

/* ---- numeric ---- */
UN(I32_EQZ, 32, 32, x == 0)
UN(I64_EQZ, 64, 32, x == 0)
UN(I32_CLZ, 32, 32, core_num_i32_clz(x))
UN(I32_CTZ, 32, 32, core_num_i32_ctz(x))
UN(I32_POPCNT, 32, 32, core_num_i32_popcnt(x))
UN(I64_CLZ, 64, 64, core_num_i64_clz(x))
UN(I64_CTZ, 64, 64, core_num_i64_ctz(x))
UN(I64_POPCNT, 64, 64, core_num_i64_popcnt(x))
UN(F32_ABS, 32, 32, core_num_f32_abs(x))
UN(F32_NEG, 32, 32, core_num_f32_neg(x))
UN(F32_CEIL, 32, 32, core_num_f32_ceil(x))
UN(F32_FLOOR, 32, 32, core_num_f32_floor(x))
UN(F32_TRUNC, 32, 32, core_num_f32_trunc(x))
UN(F32_NEAREST, 32, 32, core_num_f32_nearest(x))
UN(F32_SQRT, 32, 32, core_num_f32_sqrt(x))
UN(F64_ABS, 64, 64, core_num_f64_abs(x))
UN(F64_NEG, 64, 64, core_num_f64_neg(x))
UN(F64_CEIL, 64, 64, core_num_f64_ceil(x))
UN(F64_FLOOR, 64, 64, core_num_f64_floor(x))
UN(F64_TRUNC, 64, 64, core_num_f64_trunc(x))
UN(F64_NEAREST, 64, 64, core_num_f64_nearest(x))
UN(F64_SQRT, 64, 64, core_num_f64_sqrt(x))
UN(I32_WRAP_I64, 64, 32, (uint32_t)x)
UN(I64_EXTEND_I32_S, 32, 64, core_num_i64_extend_i32_s(x))
UN(F32_CONVERT_I32_S, 32, 32, core_num_f32_convert_i32_s(x))
UN(F32_CONVERT_I32_U, 32, 32, core_num_f32_convert_i32_u(x))
UN(F32_CONVERT_I64_S, 64, 32, core_num_f32_convert_i64_s(x))
UN(F32_CONVERT_I64_U, 64, 32, core_num_f32_convert_i64_u(x))
UN(F32_DEMOTE_F64, 64, 32, core_num_f32_demote_f64(x))
UN(F64_CONVERT_I32_S, 32, 64, core_num_f64_convert_i32_s(x))
UN(F64_CONVERT_I32_U, 32, 64, core_num_f64_convert_i32_u(x))
UN(F64_CONVERT_I64_S, 64, 64, core_num_f64_convert_i64_s(x))
UN(F64_CONVERT_I64_U, 64, 64, core_num_f64_convert_i64_u(x))
UN(F64_PROMOTE_F32, 32, 64, core_num_f64_promote_f32(x))
UN(I32_EXTEND8_S, 32, 32, core_num_i32_extend8_s(x))
UN(I32_EXTEND16_S, 32, 32, core_num_i32_extend16_s(x))
UN(I64_EXTEND8_S, 64, 64, core_num_i64_extend8_s(x))
UN(I64_EXTEND16_S, 64, 64, core_num_i64_extend16_s(x))
UN(I64_EXTEND32_S, 64, 64, core_num_i64_extend32_s(x))
UN(I32_TRUNC_SAT_F32_S, 32, 32, core_num_i32_trunc_sat_f32_s(x))
UN(I32_TRUNC_SAT_F32_U, 32, 32, core_num_i32_trunc_sat_f32_u(x))
UN(I32_TRUNC_SAT_F64_S, 64, 32, core_num_i32_trunc_sat_f64_s(x))
UN(I32_TRUNC_SAT_F64_U, 64, 32, core_num_i32_trunc_sat_f64_u(x))
UN(I64_TRUNC_SAT_F32_S, 32, 64, core_num_i64_trunc_sat_f32_s(x))
UN(I64_TRUNC_SAT_F32_U, 32, 64, core_num_i64_trunc_sat_f32_u(x))
UN(I64_TRUNC_SAT_F64_S, 64, 64, core_num_i64_trunc_sat_f64_s(x))
UN(I64_TRUNC_SAT_F64_U, 64, 64, core_num_i64_trunc_sat_f64_u(x))

TUN(I32_TRUNC_F32_S, 32, 32, core_num_i32_trunc_f32_s)
TUN(I32_TRUNC_F32_U, 32, 32, core_num_i32_trunc_f32_u)
TUN(I32_TRUNC_F64_S, 64, 32, core_num_i32_trunc_f64_s)
TUN(I32_TRUNC_F64_U, 64, 32, core_num_i32_trunc_f64_u)
TUN(I64_TRUNC_F32_S, 32, 64, core_num_i64_trunc_f32_s)
TUN(I64_TRUNC_F32_U, 32, 64, core_num_i64_trunc_f32_u)
TUN(I64_TRUNC_F64_S, 64, 64, core_num_i64_trunc_f64_s)
TUN(I64_TRUNC_F64_U, 64, 64, core_num_i64_trunc_f64_u)

BIN(I32_ADD, 32, 32, a + b, 1, 1)
BIN(I32_SUB, 32, 32, a - b, 1, 0)
BIN(I32_MUL, 32, 32, a * b, 1, 1)
BIN(I32_AND, 32, 32, a & b, 1, 1)
BIN(I32_OR, 32, 32, a | b, 1, 1)
BIN(I32_XOR, 32, 32, a ^ b, 1, 1)
BIN(I32_SHL, 32, 32, core_num_i32_shl(a, b), 1, 0)
BIN(I32_SHR_S, 32, 32, core_num_i32_shr_s(a, b), 1, 0)
BIN(I32_SHR_U, 32, 32, core_num_i32_shr_u(a, b), 1, 0)
BIN(I32_ROTL, 32, 32, core_num_i32_rotl(a, b), 1, 0)
BIN(I32_ROTR, 32, 32, core_num_i32_rotr(a, b), 1, 0)
BIN(I64_ADD, 64, 64, a + b, 1, 1)
BIN(I64_SUB, 64, 64, a - b, 1, 0)
BIN(I64_MUL, 64, 64, a * b, 1, 1)
BIN(I64_AND, 64, 64, a & b, 1, 1)
BIN(I64_OR, 64, 64, a | b, 1, 1)
BIN(I64_XOR, 64, 64, a ^ b, 1, 1)
BIN(I64_SHL, 64, 64, core_num_i64_shl(a, b), 1, 0)
BIN(I64_SHR_S, 64, 64, core_num_i64_shr_s(a, b), 1, 0)
BIN(I64_SHR_U, 64, 64, core_num_i64_shr_u(a, b), 1, 0)
BIN(I64_ROTL, 64, 64, core_num_i64_rotl(a, b), 1, 0)
BIN(I64_ROTR, 64, 64, core_num_i64_rotr(a, b), 1, 0)
BIN(F32_ADD, 32, 32, core_num_f32_add(a, b), 1, 1)
BIN(F32_SUB, 32, 32, core_num_f32_sub(a, b), 1, 0)
BIN(F32_MUL, 32, 32, core_num_f32_mul(a, b), 1, 1)
BIN(F32_DIV, 32, 32, core_num_f32_div(a, b), 1, 0)
BIN(F32_MIN, 32, 32, core_num_f32_min(a, b), 0, 0)
BIN(F32_MAX, 32, 32, core_num_f32_max(a, b), 0, 0)
BIN(F32_COPYSIGN, 32, 32, core_num_f32_copysign(a, b), 0, 0)
BIN(F64_ADD, 64, 64, core_num_f64_add(a, b), 1, 1)
BIN(F64_SUB, 64, 64, core_num_f64_sub(a, b), 1, 0)
BIN(F64_MUL, 64, 64, core_num_f64_mul(a, b), 1, 1)
BIN(F64_DIV, 64, 64, core_num_f64_div(a, b), 1, 0)
BIN(F64_MIN, 64, 64, core_num_f64_min(a, b), 0, 0)
BIN(F64_MAX, 64, 64, core_num_f64_max(a, b), 0, 0)
BIN(F64_COPYSIGN, 64, 64, core_num_f64_copysign(a, b), 0, 0)

TBIN(I32_DIV_S, 32, 32, core_num_i32_div_s)
TBIN(I32_DIV_U, 32, 32, core_num_i32_div_u)
TBIN(I32_REM_S, 32, 32, core_num_i32_rem_s)
TBIN(I32_REM_U, 32, 32, core_num_i32_rem_u)
TBIN(I64_DIV_S, 64, 64, core_num_i64_div_s)
TBIN(I64_DIV_U, 64, 64, core_num_i64_div_u)
TBIN(I64_REM_S, 64, 64, core_num_i64_rem_s)
TBIN(I64_REM_U, 64, 64, core_num_i64_rem_u)

CMPI(I32_EQ, 32, a == b, I32_NE, I32_EQ)
CMPI(I32_NE, 32, a != b, I32_EQ, I32_NE)
CMPI(I32_LT_S, 32, (int32_t)a < (int32_t)b, I32_GE_S, I32_GT_S)
CMPI(I32_LT_U, 32, a < b, I32_GE_U, I32_GT_U)
CMPI(I32_GT_S, 32, (int32_t)a > (int32_t)b, I32_LE_S, I32_LT_S)
CMPI(I32_GT_U, 32, a > b, I32_LE_U, I32_LT_U)
CMPI(I32_LE_S, 32, (int32_t)a <= (int32_t)b, I32_GT_S, I32_GE_S)
CMPI(I32_LE_U, 32, a <= b, I32_GT_U, I32_GE_U)
CMPI(I32_GE_S, 32, (int32_t)a >= (int32_t)b, I32_LT_S, I32_LE_S)
CMPI(I32_GE_U, 32, a >= b, I32_LT_U, I32_LE_U)
CMPI(I64_EQ, 64, a == b, I64_NE, I64_EQ)
CMPI(I64_NE, 64, a != b, I64_EQ, I64_NE)
CMPI(I64_LT_S, 64, (int64_t)a < (int64_t)b, I64_GE_S, I64_GT_S)
CMPI(I64_LT_U, 64, a < b, I64_GE_U, I64_GT_U)
CMPI(I64_GT_S, 64, (int64_t)a > (int64_t)b, I64_LE_S, I64_LT_S)
CMPI(I64_GT_U, 64, a > b, I64_LE_U, I64_LT_U)
CMPI(I64_LE_S, 64, (int64_t)a <= (int64_t)b, I64_GT_S, I64_GE_S)
CMPI(I64_LE_U, 64, a <= b, I64_GT_U, I64_GE_U)
CMPI(I64_GE_S, 64, (int64_t)a >= (int64_t)b, I64_LT_S, I64_LE_S)
CMPI(I64_GE_U, 64, a >= b, I64_LT_U, I64_LE_U)
CMPF(F32_EQ, 32, core_num_f32_eq(a, b))
CMPF(F32_NE, 32, core_num_f32_ne(a, b))
CMPF(F32_LT, 32, core_num_f32_lt(a, b))
CMPF(F32_GT, 32, core_num_f32_gt(a, b))
CMPF(F32_LE, 32, core_num_f32_le(a, b))
CMPF(F32_GE, 32, core_num_f32_ge(a, b))
CMPF(F64_EQ, 64, core_num_f64_eq(a, b))
CMPF(F64_NE, 64, core_num_f64_ne(a, b))
CMPF(F64_LT, 64, core_num_f64_lt(a, b))
CMPF(F64_GT, 64, core_num_f64_gt(a, b))
CMPF(F64_LE, 64, core_num_f64_le(a, b))
CMPF(F64_GE, 64, core_num_f64_ge(a, b))

LOAD(I32_LOAD, uint32_t, 32, v)
LOAD(I64_LOAD, uint64_t, 64, v)
LOAD(F32_LOAD, uint32_t, 32, v)
LOAD(F64_LOAD, uint64_t, 64, v)
LOAD(I32_LOAD8_S, uint8_t, 32, (int32_t)(int8_t)v)
LOAD(I32_LOAD8_U, uint8_t, 32, v)
LOAD(I32_LOAD16_S, uint16_t, 32, (int32_t)(int16_t)v)
LOAD(I32_LOAD16_U, uint16_t, 32, v)
LOAD(I64_LOAD8_S, uint8_t, 64, (int64_t)(int8_t)v)
LOAD(I64_LOAD8_U, uint8_t, 64, v)
LOAD(I64_LOAD16_S, uint16_t, 64, (int64_t)(int16_t)v)
LOAD(I64_LOAD16_U, uint16_t, 64, v)
LOAD(I64_LOAD32_S, uint32_t, 64, (int64_t)(int32_t)v)
LOAD(I64_LOAD32_U, uint32_t, 64, v)
STORE(I32_STORE, uint32_t)
STORE(I64_STORE, uint64_t)
STORE(F32_STORE, uint32_t)
STORE(F64_STORE, uint64_t)
STORE(I32_STORE8, uint8_t)
STORE(I32_STORE16, uint16_t)
STORE(I64_STORE8, uint8_t)
STORE(I64_STORE16, uint16_t)
STORE(I64_STORE32, uint32_t)

/* ---- SIMD (interp_simd.c) ---- */
SIMD(V128_LOAD)
SIMD(V128_LOAD8X8_S)
SIMD(V128_LOAD8X8_U)
SIMD(V128_LOAD16X4_S)
SIMD(V128_LOAD16X4_U)
SIMD(V128_LOAD32X2_S)
SIMD(V128_LOAD32X2_U)
SIMD(V128_LOAD8_SPLAT)
SIMD(V128_LOAD16_SPLAT)
SIMD(V128_LOAD32_SPLAT)
SIMD(V128_LOAD64_SPLAT)
SIMD(V128_STORE)
SIMD(V128_CONST)
SIMD(I8X16_SHUFFLE)
SIMD(I8X16_SWIZZLE)
SIMD(I8X16_SPLAT)
SIMD(I16X8_SPLAT)
SIMD(I32X4_SPLAT)
SIMD(I64X2_SPLAT)
SIMD(F32X4_SPLAT)
SIMD(F64X2_SPLAT)
SIMD(I8X16_EXTRACT_LANE_S)
SIMD(I8X16_EXTRACT_LANE_U)
SIMD(I8X16_REPLACE_LANE)
SIMD(I16X8_EXTRACT_LANE_S)
SIMD(I16X8_EXTRACT_LANE_U)
SIMD(I16X8_REPLACE_LANE)
SIMD(I32X4_EXTRACT_LANE)
SIMD(I32X4_REPLACE_LANE)
SIMD(I64X2_EXTRACT_LANE)
SIMD(I64X2_REPLACE_LANE)
SIMD(F32X4_EXTRACT_LANE)
SIMD(F32X4_REPLACE_LANE)
SIMD(F64X2_EXTRACT_LANE)
SIMD(F64X2_REPLACE_LANE)
SIMD(I8X16_EQ)
SIMD(I8X16_NE)
SIMD(I8X16_LT_S)
SIMD(I8X16_LT_U)
SIMD(I8X16_GT_S)
SIMD(I8X16_GT_U)
SIMD(I8X16_LE_S)
SIMD(I8X16_LE_U)
SIMD(I8X16_GE_S)
SIMD(I8X16_GE_U)
SIMD(I16X8_EQ)
SIMD(I16X8_NE)
SIMD(I16X8_LT_S)
SIMD(I16X8_LT_U)
SIMD(I16X8_GT_S)
SIMD(I16X8_GT_U)
SIMD(I16X8_LE_S)
SIMD(I16X8_LE_U)
SIMD(I16X8_GE_S)
SIMD(I16X8_GE_U)
SIMD(I32X4_EQ)
SIMD(I32X4_NE)
SIMD(I32X4_LT_S)
SIMD(I32X4_LT_U)
SIMD(I32X4_GT_S)
SIMD(I32X4_GT_U)
SIMD(I32X4_LE_S)
SIMD(I32X4_LE_U)
SIMD(I32X4_GE_S)
SIMD(I32X4_GE_U)
SIMD(F32X4_EQ)
SIMD(F32X4_NE)
SIMD(F32X4_LT)
SIMD(F32X4_GT)
SIMD(F32X4_LE)
SIMD(F32X4_GE)
SIMD(F64X2_EQ)
SIMD(F64X2_NE)
SIMD(F64X2_LT)
SIMD(F64X2_GT)
SIMD(F64X2_LE)
SIMD(F64X2_GE)
SIMD(V128_NOT)
SIMD(V128_AND)
SIMD(V128_ANDNOT)
SIMD(V128_OR)
SIMD(V128_XOR)
SIMD(V128_BITSELECT)
SIMD(V128_ANY_TRUE)
SIMD(V128_LOAD8_LANE)
SIMD(V128_LOAD16_LANE)
SIMD(V128_LOAD32_LANE)
SIMD(V128_LOAD64_LANE)
SIMD(V128_STORE8_LANE)
SIMD(V128_STORE16_LANE)
SIMD(V128_STORE32_LANE)
SIMD(V128_STORE64_LANE)
SIMD(V128_LOAD32_ZERO)
SIMD(V128_LOAD64_ZERO)
SIMD(F32X4_DEMOTE_F64X2_ZERO)
SIMD(F64X2_PROMOTE_LOW_F32X4)
SIMD(I8X16_ABS)
SIMD(I8X16_NEG)
SIMD(I8X16_POPCNT)
SIMD(I8X16_ALL_TRUE)
SIMD(I8X16_BITMASK)
SIMD(I8X16_NARROW_I16X8_S)
SIMD(I8X16_NARROW_I16X8_U)
SIMD(F32X4_CEIL)
SIMD(F32X4_FLOOR)
SIMD(F32X4_TRUNC)
SIMD(F32X4_NEAREST)
SIMD(I8X16_SHL)
SIMD(I8X16_SHR_S)
SIMD(I8X16_SHR_U)
SIMD(I8X16_ADD)
SIMD(I8X16_ADD_SAT_S)
SIMD(I8X16_ADD_SAT_U)
SIMD(I8X16_SUB)
SIMD(I8X16_SUB_SAT_S)
SIMD(I8X16_SUB_SAT_U)
SIMD(F64X2_CEIL)
SIMD(F64X2_FLOOR)
SIMD(I8X16_MIN_S)
SIMD(I8X16_MIN_U)
SIMD(I8X16_MAX_S)
SIMD(I8X16_MAX_U)
SIMD(F64X2_TRUNC)
SIMD(I8X16_AVGR_U)
SIMD(I16X8_EXTADD_PAIRWISE_I8X16_S)
SIMD(I16X8_EXTADD_PAIRWISE_I8X16_U)
SIMD(I32X4_EXTADD_PAIRWISE_I16X8_S)
SIMD(I32X4_EXTADD_PAIRWISE_I16X8_U)
SIMD(I16X8_ABS)
SIMD(I16X8_NEG)
SIMD(I16X8_Q15MULR_SAT_S)
SIMD(I16X8_ALL_TRUE)
SIMD(I16X8_BITMASK)
SIMD(I16X8_NARROW_I32X4_S)
SIMD(I16X8_NARROW_I32X4_U)
SIMD(I16X8_EXTEND_LOW_I8X16_S)
SIMD(I16X8_EXTEND_HIGH_I8X16_S)
SIMD(I16X8_EXTEND_LOW_I8X16_U)
SIMD(I16X8_EXTEND_HIGH_I8X16_U)
SIMD(I16X8_SHL)
SIMD(I16X8_SHR_S)
SIMD(I16X8_SHR_U)
SIMD(I16X8_ADD)
SIMD(I16X8_ADD_SAT_S)
SIMD(I16X8_ADD_SAT_U)
SIMD(I16X8_SUB)
SIMD(I16X8_SUB_SAT_S)
SIMD(I16X8_SUB_SAT_U)
SIMD(F64X2_NEAREST)
SIMD(I16X8_MUL)
SIMD(I16X8_MIN_S)
SIMD(I16X8_MIN_U)
SIMD(I16X8_MAX_S)
SIMD(I16X8_MAX_U)
SIMD(I16X8_AVGR_U)
SIMD(I16X8_EXTMUL_LOW_I8X16_S)
SIMD(I16X8_EXTMUL_HIGH_I8X16_S)
SIMD(I16X8_EXTMUL_LOW_I8X16_U)
SIMD(I16X8_EXTMUL_HIGH_I8X16_U)
SIMD(I32X4_ABS)
SIMD(I32X4_NEG)
SIMD(I32X4_ALL_TRUE)
SIMD(I32X4_BITMASK)
SIMD(I32X4_EXTEND_LOW_I16X8_S)
SIMD(I32X4_EXTEND_HIGH_I16X8_S)
SIMD(I32X4_EXTEND_LOW_I16X8_U)
SIMD(I32X4_EXTEND_HIGH_I16X8_U)
SIMD(I32X4_SHL)
SIMD(I32X4_SHR_S)
SIMD(I32X4_SHR_U)
SIMD(I32X4_ADD)
SIMD(I32X4_SUB)
SIMD(I32X4_MUL)
SIMD(I32X4_MIN_S)
SIMD(I32X4_MIN_U)
SIMD(I32X4_MAX_S)
SIMD(I32X4_MAX_U)
SIMD(I32X4_DOT_I16X8_S)
SIMD(I32X4_EXTMUL_LOW_I16X8_S)
SIMD(I32X4_EXTMUL_HIGH_I16X8_S)
SIMD(I32X4_EXTMUL_LOW_I16X8_U)
SIMD(I32X4_EXTMUL_HIGH_I16X8_U)
SIMD(I64X2_ABS)
SIMD(I64X2_NEG)
SIMD(I64X2_ALL_TRUE)
SIMD(I64X2_BITMASK)
SIMD(I64X2_EXTEND_LOW_I32X4_S)
SIMD(I64X2_EXTEND_HIGH_I32X4_S)
SIMD(I64X2_EXTEND_LOW_I32X4_U)
SIMD(I64X2_EXTEND_HIGH_I32X4_U)
SIMD(I64X2_SHL)
SIMD(I64X2_SHR_S)
SIMD(I64X2_SHR_U)
SIMD(I64X2_ADD)
SIMD(I64X2_SUB)
SIMD(I64X2_MUL)
SIMD(I64X2_EQ)
SIMD(I64X2_NE)
SIMD(I64X2_LT_S)
SIMD(I64X2_GT_S)
SIMD(I64X2_LE_S)
SIMD(I64X2_GE_S)
SIMD(I64X2_EXTMUL_LOW_I32X4_S)
SIMD(I64X2_EXTMUL_HIGH_I32X4_S)
SIMD(I64X2_EXTMUL_LOW_I32X4_U)
SIMD(I64X2_EXTMUL_HIGH_I32X4_U)
SIMD(F32X4_ABS)
SIMD(F32X4_NEG)
SIMD(F32X4_SQRT)
SIMD(F32X4_ADD)
SIMD(F32X4_SUB)
SIMD(F32X4_MUL)
SIMD(F32X4_DIV)
SIMD(F32X4_MIN)
SIMD(F32X4_MAX)
SIMD(F32X4_PMIN)
SIMD(F32X4_PMAX)
SIMD(F64X2_ABS)
SIMD(F64X2_NEG)
SIMD(F64X2_SQRT)
SIMD(F64X2_ADD)
SIMD(F64X2_SUB)
SIMD(F64X2_MUL)
SIMD(F64X2_DIV)
SIMD(F64X2_MIN)
SIMD(F64X2_MAX)
SIMD(F64X2_PMIN)
SIMD(F64X2_PMAX)
SIMD(I32X4_TRUNC_SAT_F32X4_S)
SIMD(I32X4_TRUNC_SAT_F32X4_U)
SIMD(F32X4_CONVERT_I32X4_S)
SIMD(F32X4_CONVERT_I32X4_U)
SIMD(I32X4_TRUNC_SAT_F64X2_S_ZERO)
SIMD(I32X4_TRUNC_SAT_F64X2_U_ZERO)
SIMD(F64X2_CONVERT_LOW_I32X4_S)
SIMD(F64X2_CONVERT_LOW_I32X4_U)

#undef UN
#undef BIN
#undef CMPI
#undef CMPF
#undef TUN
#undef TBIN
#undef LOAD
#undef STORE
#undef OP
#undef SIMD
