/* Unit test of src/core/numeric.h: WebAssembly numeric semantics. Cases
 * come from the spec tests (i32, i64, f32, f64, float_misc, conversions,
 * int_exprs, float_exprs .wast; the line is noted where one is taken
 * literally), plus checks of the integer -> float rounding against a
 * reference written with integer arithmetic. Prints "N passed, N failed"
 * and exits non-zero on any failure. Needs only the header: no library. */
#include "core/numeric.h"

#include "../test.h"

static void report(bool ok, int line, const char *what, uint64_t got, uint64_t want) {
  if (test_count(ok)) return;
  printf("FAIL line %d: %s: got 0x%llx, want 0x%llx\n", line, what, (unsigned long long)got,
         (unsigned long long)want);
}

/* A trapping operation must return want_t, and on a trap leave its result
 * untouched (the macros preset it to SENTINEL). */
#define SENTINEL UINT64_C(0x5a5a5a5a5a5a5a5a)
static void expect(int line, const char *what, kumi_trap_code t, uint64_t got, kumi_trap_code want_t,
                   uint64_t want) {
  if (t != want_t) {
    test_count(false);
    printf("FAIL line %d: %s: trap %d, want trap %d\n", line, what, (int)t, (int)want_t);
    return;
  }
  report(got == want, line, what, got, want);
}

#define NONE KUMI_TRAP_NONE
#define DIV0 KUMI_TRAP_INT_DIV_ZERO
#define OVF KUMI_TRAP_INT_OVERFLOW
#define INV KUMI_TRAP_INVALID_CONVERSION

#define EQ(got, want) report((uint64_t)(got) == (uint64_t)(want), __LINE__, #got, (got), (want))
/* call writes through &r32 / &r64. */
#define TRY32(call, want_t, want)                                         \
  do {                                                                    \
    uint32_t r32 = (uint32_t)SENTINEL;                                    \
    kumi_trap_code t_ = call;                                             \
    expect(__LINE__, #call, t_, r32, want_t, (uint32_t)(want));        \
  } while (0)
#define TRY64(call, want_t, want)                                         \
  do {                                                                    \
    uint64_t r64 = SENTINEL;                                              \
    kumi_trap_code t_ = call;                                             \
    expect(__LINE__, #call, t_, r64, want_t, (uint64_t)(want));        \
  } while (0)
#define TRAP32(call, want_t) TRY32(call, want_t, (uint32_t)SENTINEL)
#define TRAP64(call, want_t) TRY64(call, want_t, SENTINEL)

/* NaN classes of the spec: canonical (payload exactly the quiet bit, any
 * sign) and arithmetic (quiet bit set). */
static bool canon32(uint32_t a) { return (a & 0x7fffffffu) == 0x7fc00000u; }
static bool arith32(uint32_t a) { return (a & 0x7fc00000u) == 0x7fc00000u; }
static bool canon64(uint64_t a) { return (a & ~CORE_NUM_F64_SIGN) == UINT64_C(0x7ff8000000000000); }
static bool arith64(uint64_t a) {
  return (a & UINT64_C(0x7ff8000000000000)) == UINT64_C(0x7ff8000000000000);
}
#define CANON32(e) report(canon32(e), __LINE__, #e " canonical", (e), 0x7fc00000u)
#define ARITH32(e) report(arith32(e), __LINE__, #e " arithmetic", (e), 0x7fc00000u)
#define CANON64(e) report(canon64(e), __LINE__, #e " canonical", (e), UINT64_C(0x7ff8000000000000))
#define ARITH64(e) report(arith64(e), __LINE__, #e " arithmetic", (e), UINT64_C(0x7ff8000000000000))

/* Shorthands: signed values and host floats to bit patterns. */
static uint32_t s32(int32_t v) { return (uint32_t)v; }
static uint64_t s64(int64_t v) { return (uint64_t)v; }
static uint32_t f32(float f) { return core_num_f32_bits(f); }
static uint64_t f64(double d) { return core_num_f64_bits(d); }

/* NaN bit patterns. nan:0x200000 is signalling (quiet bit clear). */
#define NAN32 0x7fc00000u      /* nan */
#define NNAN32 0xffc00000u     /* -nan */
#define SNAN32 0x7fa00000u     /* nan:0x200000 */
#define NSNAN32 0xffa00000u    /* -nan:0x200000 */
#define QNAN32 0x7fe00000u     /* nan:0x600000, arithmetic, not canonical */
#define NAN64 UINT64_C(0x7ff8000000000000)
#define NNAN64 UINT64_C(0xfff8000000000000)
#define SNAN64 UINT64_C(0x7ff4000000000000)  /* nan:0x4000000000000 */
#define NSNAN64 UINT64_C(0xfff4000000000000)
#define QNAN64 UINT64_C(0x7ffc000000000000)  /* nan:0xc000000000000 */
#define INF32 0x7f800000u
#define NINF32 0xff800000u
#define INF64 UINT64_C(0x7ff0000000000000)
#define NINF64 UINT64_C(0xfff0000000000000)
#define NZERO32 0x80000000u
#define NZERO64 UINT64_C(0x8000000000000000)

static void test_int_div(void) {
  /* i32.wast 64-137 */
  TRAP32(core_num_i32_div_s(1, 0, &r32), DIV0);
  TRAP32(core_num_i32_div_s(0, 0, &r32), DIV0);
  TRAP32(core_num_i32_div_s(0x80000000u, s32(-1), &r32), OVF);
  TRAP32(core_num_i32_div_s(0x80000000u, 0, &r32), DIV0);
  TRY32(core_num_i32_div_s(0x80000000u, 2, &r32), NONE, 0xc0000000u);
  TRY32(core_num_i32_div_s(0x80000001u, 1000, &r32), NONE, s32(-2147483));
  TRY32(core_num_i32_div_s(5, s32(-2), &r32), NONE, s32(-2));
  TRY32(core_num_i32_div_s(s32(-5), 2, &r32), NONE, s32(-2));
  TRY32(core_num_i32_div_s(7, s32(-3), &r32), NONE, s32(-2));
  TRY32(core_num_i32_div_s(s32(-7), s32(-3), &r32), NONE, 2);
  TRY32(core_num_i32_div_s(s32(-1), s32(-1), &r32), NONE, 1);
  TRY32(core_num_i32_div_s(0x7fffffffu, s32(-1), &r32), NONE, s32(-0x7fffffff));
  TRAP32(core_num_i32_div_u(1, 0, &r32), DIV0);
  TRY32(core_num_i32_div_u(0x80000000u, s32(-1), &r32), NONE, 0);
  TRY32(core_num_i32_div_u(0x80000000u, 2, &r32), NONE, 0x40000000u);
  TRY32(core_num_i32_div_u(0x8ff00ff0u, 0x10001u, &r32), NONE, 0x8fefu);
  TRY32(core_num_i32_div_u(0x80000001u, 1000, &r32), NONE, 0x20c49bu);
  TRY32(core_num_i32_div_u(s32(-5), 2, &r32), NONE, 0x7ffffffdu);
  TRY32(core_num_i32_div_u(s32(-5), s32(-2), &r32), NONE, 0);
  TRAP32(core_num_i32_rem_s(1, 0, &r32), DIV0);
  TRY32(core_num_i32_rem_s(0x80000000u, s32(-1), &r32), NONE, 0); /* no trap, no UB */
  TRY32(core_num_i32_rem_s(0x7fffffffu, s32(-1), &r32), NONE, 0);
  TRY32(core_num_i32_rem_s(0x80000000u, 2, &r32), NONE, 0);
  TRY32(core_num_i32_rem_s(0x80000001u, 1000, &r32), NONE, s32(-647));
  TRY32(core_num_i32_rem_s(s32(-5), 2, &r32), NONE, s32(-1));
  TRY32(core_num_i32_rem_s(5, s32(-2), &r32), NONE, 1);
  TRY32(core_num_i32_rem_s(s32(-7), s32(-3), &r32), NONE, s32(-1));
  TRAP32(core_num_i32_rem_u(1, 0, &r32), DIV0);
  TRY32(core_num_i32_rem_u(0x80000001u, 1000, &r32), NONE, 649);
  TRY32(core_num_i32_rem_u(0x8ff00ff0u, 0x10001u, &r32), NONE, 0x8001u);
  TRY32(core_num_i32_rem_u(s32(-5), s32(-2), &r32), NONE, s32(-5));
  TRY32(core_num_i32_rem_u(0x80000000u, s32(-1), &r32), NONE, 0x80000000u);

  /* i64.wast 66-139 */
  TRAP64(core_num_i64_div_s(1, 0, &r64), DIV0);
  TRAP64(core_num_i64_div_s(NZERO64, 0, &r64), DIV0);
  TRAP64(core_num_i64_div_s(NZERO64, s64(-1), &r64), OVF);
  TRY64(core_num_i64_div_s(NZERO64, 2, &r64), NONE, UINT64_C(0xc000000000000000));
  TRY64(core_num_i64_div_s(UINT64_C(0x8000000000000001), 1000, &r64), NONE,
        UINT64_C(0xffdf3b645a1cac09));
  TRY64(core_num_i64_div_s(s64(-7), 3, &r64), NONE, s64(-2));
  TRY64(core_num_i64_div_s(s64(-7), s64(-3), &r64), NONE, 2);
  TRY64(core_num_i64_div_s(UINT64_C(0x7fffffffffffffff), s64(-1), &r64), NONE,
        s64(-INT64_C(0x7fffffffffffffff)));
  TRAP64(core_num_i64_div_u(0, 0, &r64), DIV0);
  TRY64(core_num_i64_div_u(NZERO64, s64(-1), &r64), NONE, 0);
  TRY64(core_num_i64_div_u(UINT64_C(0x8ff00ff00ff00ff0), UINT64_C(0x100000001), &r64), NONE,
        0x8ff00fefu);
  TRY64(core_num_i64_div_u(UINT64_C(0x8000000000000001), 1000, &r64), NONE,
        UINT64_C(0x20c49ba5e353f7));
  TRY64(core_num_i64_div_u(5, s64(-2), &r64), NONE, 0);
  TRAP64(core_num_i64_rem_s(1, 0, &r64), DIV0);
  TRY64(core_num_i64_rem_s(NZERO64, s64(-1), &r64), NONE, 0);
  TRY64(core_num_i64_rem_s(UINT64_C(0x8000000000000001), 1000, &r64), NONE, s64(-807));
  TRY64(core_num_i64_rem_s(s64(-5), s64(-2), &r64), NONE, s64(-1));
  TRY64(core_num_i64_rem_s(17, 7, &r64), NONE, 3);
  TRAP64(core_num_i64_rem_u(1, 0, &r64), DIV0);
  TRY64(core_num_i64_rem_u(NZERO64, s64(-1), &r64), NONE, NZERO64);
  TRY64(core_num_i64_rem_u(UINT64_C(0x8ff00ff00ff00ff0), UINT64_C(0x100000001), &r64), NONE,
        0x80000001u);
  TRY64(core_num_i64_rem_u(5, s64(-2), &r64), NONE, 5);

  /* int_exprs.wast: the division must not be folded into shifts. */
  TRY32(core_num_i32_div_s(s32(-11), 2, &r32), NONE, s32(-5));  /* no_fold_div_s_2 */
  TRY32(core_num_i32_rem_s(s32(-11), 2, &r32), NONE, s32(-1));  /* no_fold_rem_s_2 */
  TRY64(core_num_i64_div_s(s64(-11), 2, &r64), NONE, s64(-5));
  TRY64(core_num_i64_rem_s(s64(-11), 2, &r64), NONE, s64(-1));
}

static void test_int_bits(void) {
  /* i32.wast 150-284 */
  EQ(core_num_i32_shl(1, 31), 0x80000000u);
  EQ(core_num_i32_shl(1, 32), 1);
  EQ(core_num_i32_shl(1, 33), 2);
  EQ(core_num_i32_shl(1, s32(-1)), 0x80000000u);
  EQ(core_num_i32_shl(1, 0x7fffffffu), 0x80000000u);
  EQ(core_num_i32_shr_s(0x80000000u, 1), 0xc0000000u);
  EQ(core_num_i32_shr_s(1, 32), 1);
  EQ(core_num_i32_shr_s(1, s32(-1)), 0);
  EQ(core_num_i32_shr_s(1, 0x80000000u), 1);
  EQ(core_num_i32_shr_s(s32(-1), 32), s32(-1));
  EQ(core_num_i32_shr_s(0x80000000u, 31), s32(-1));
  EQ(core_num_i32_shr_u(s32(-1), 1), 0x7fffffffu);
  EQ(core_num_i32_shr_u(0x80000000u, 31), 1);
  EQ(core_num_i32_shr_u(s32(-1), 32), s32(-1));
  EQ(core_num_i32_shr_u(s32(-1), 33), 0x7fffffffu);
  EQ(core_num_i32_shr_u(s32(-1), s32(-1)), 1);
  EQ(core_num_i32_rotl(1, 0), 1);
  EQ(core_num_i32_rotl(1, 32), 1);
  EQ(core_num_i32_rotl(0xabcd9876u, 1), 0x579b30edu);
  EQ(core_num_i32_rotl(0xfe00dc00u, 4), 0xe00dc00fu);
  EQ(core_num_i32_rotl(0x00008000u, 37), 0x00100000u);
  EQ(core_num_i32_rotl(0x769abcdfu, 0xffffffedu), 0x579beed3u);
  EQ(core_num_i32_rotl(1, 31), 0x80000000u);
  EQ(core_num_i32_rotr(1, 1), 0x80000000u);
  EQ(core_num_i32_rotr(0xff00cc00u, 1), 0x7f806600u);
  EQ(core_num_i32_rotr(0xb0c1d2e3u, 0xff05u), 0x1d860e97u);
  EQ(core_num_i32_rotr(0x769abcdfu, 0x8000000du), 0xe6fbb4d5u);
  EQ(core_num_i32_rotr(0x80000000u, 31), 1);
  EQ(core_num_i32_rotr(1, 32), 1);
  EQ(core_num_i32_clz(0), 32);
  EQ(core_num_i32_clz(0xffffffffu), 0);
  EQ(core_num_i32_clz(0x8000u), 16);
  EQ(core_num_i32_clz(1), 31);
  EQ(core_num_i32_ctz(0), 32);
  EQ(core_num_i32_ctz(0x80000000u), 31);
  EQ(core_num_i32_ctz(0x00010000u), 16);
  EQ(core_num_i32_ctz(0x7fffffffu), 0);
  EQ(core_num_i32_popcnt(0), 0);
  EQ(core_num_i32_popcnt(s32(-1)), 32);
  EQ(core_num_i32_popcnt(0xdeadbeefu), 24);
  EQ(core_num_i32_extend8_s(0x7f), 127);
  EQ(core_num_i32_extend8_s(0x80), s32(-128));
  EQ(core_num_i32_extend8_s(0xfedcba80u), s32(-0x80));
  EQ(core_num_i32_extend8_s(0x01234567u), 0x67);
  EQ(core_num_i32_extend16_s(0x8000), s32(-32768));
  EQ(core_num_i32_extend16_s(0x01230000u), 0);
  EQ(core_num_i32_extend16_s(0xfedc8000u), s32(-0x8000));

  /* i64.wast 150-295 */
  EQ(core_num_i64_shl(1, 63), NZERO64);
  EQ(core_num_i64_shl(1, 64), 1);
  EQ(core_num_i64_shl(1, 65), 2);
  EQ(core_num_i64_shl(1, s64(-1)), NZERO64);
  EQ(core_num_i64_shr_s(NZERO64, 63), s64(-1));
  EQ(core_num_i64_shr_s(s64(-1), 65), s64(-1));
  EQ(core_num_i64_shr_s(1, UINT64_C(0x7fffffffffffffff)), 0);
  EQ(core_num_i64_shr_u(s64(-1), 65), UINT64_C(0x7fffffffffffffff));
  EQ(core_num_i64_shr_u(s64(-1), s64(-1)), 1);
  EQ(core_num_i64_shr_u(1, NZERO64), 1);
  EQ(core_num_i64_rotl(0xabcd987602468aceu, 1), UINT64_C(0x579b30ec048d159d));
  EQ(core_num_i64_rotl(UINT64_C(0xabcd1234ef567809), 53), UINT64_C(0x013579a2469deacf));
  EQ(core_num_i64_rotl(UINT64_C(0xabd1234ef567809c), UINT64_C(0x800000000000003f)),
     UINT64_C(0x55e891a77ab3c04e));
  EQ(core_num_i64_rotl(1, 64), 1);
  EQ(core_num_i64_rotr(1, 0), 1);
  EQ(core_num_i64_rotr(1, 64), 1);
  EQ(core_num_i64_rotr(UINT64_C(0xabd1234ef567809c), 63), UINT64_C(0x57a2469deacf0139));
  EQ(core_num_i64_rotr(UINT64_C(0xabcd7294ef567809), UINT64_C(0xffffffffffffffed)),
     UINT64_C(0x94a77ab3c04d5e6b));
  EQ(core_num_i64_clz(0), 64);
  EQ(core_num_i64_clz(0x8000), 48);
  EQ(core_num_i64_clz(NZERO64), 0);
  EQ(core_num_i64_ctz(0), 64);
  EQ(core_num_i64_ctz(NZERO64), 63);
  EQ(core_num_i64_popcnt(s64(-1)), 64);
  EQ(core_num_i64_popcnt(UINT64_C(0x99999999aaaaaaaa)), 32);
  EQ(core_num_i64_extend8_s(0x80), s64(-128));
  EQ(core_num_i64_extend8_s(UINT64_C(0x0123456789abcd00)), 0);
  EQ(core_num_i64_extend16_s(UINT64_C(0xfedcba9876548000)), s64(-0x8000));
  EQ(core_num_i64_extend32_s(0x7fffffff), 0x7fffffff);
  EQ(core_num_i64_extend32_s(0xffffffffu), s64(-1));
  EQ(core_num_i64_extend32_s(UINT64_C(0xfedcba9880000000)), s64(-INT64_C(0x80000000)));
  EQ(core_num_i64_extend32_s(UINT64_C(0x0123456700000000)), 0);
  /* conversions.wast 3-20 */
  EQ(core_num_i64_extend_i32_s(0x80000000u), UINT64_C(0xffffffff80000000));
  EQ(core_num_i64_extend_i32_s(0x7fffffffu), 0x7fffffffu);
  EQ(core_num_i64_extend_i32_s(s32(-10000)), s64(-10000));
}

static void test_float_arith(void) {
  /* NaN results: quiet bit set; canonical in, canonical out. */
  CANON32(core_num_f32_add(NAN32, f32(1.0f)));
  CANON32(core_num_f32_add(NNAN32, f32(1.0f)));
  ARITH32(core_num_f32_add(SNAN32, f32(1.0f)));
  ARITH32(core_num_f32_sub(f32(1.0f), NSNAN32));
  ARITH32(core_num_f32_mul(QNAN32, INF32));
  ARITH32(core_num_f32_div(SNAN32, SNAN32));
  CANON32(core_num_f32_add(INF32, NINF32));
  CANON32(core_num_f32_sub(INF32, INF32));
  CANON32(core_num_f32_mul(0, INF32));
  CANON32(core_num_f32_div(0, NZERO32));
  CANON32(core_num_f32_div(INF32, NINF32));
  CANON32(core_num_f32_sqrt(f32(-1.0f)));
  CANON32(core_num_f32_sqrt(NINF32));
  ARITH32(core_num_f32_sqrt(SNAN32));
  CANON64(core_num_f64_add(NAN64, f64(1.0)));
  ARITH64(core_num_f64_add(SNAN64, f64(1.0)));
  ARITH64(core_num_f64_sub(NSNAN64, NAN64));
  ARITH64(core_num_f64_mul(f64(2.0), QNAN64));
  ARITH64(core_num_f64_div(SNAN64, f64(0.0)));
  CANON64(core_num_f64_add(NINF64, INF64));
  CANON64(core_num_f64_mul(NZERO64, NINF64));
  CANON64(core_num_f64_div(0, 0));
  CANON64(core_num_f64_sqrt(f64(-0x1p-1074)));
  ARITH64(core_num_f64_sqrt(NSNAN64));

  /* IEEE rounding, from float_misc.wast */
  EQ(core_num_f32_add(f32(1.0f), f32(0x1.000002p-24f)), f32(0x1.000002p+0f));
  EQ(core_num_f32_add(f32(0x1p23f), f32(0x1p-1f)), f32(0x1p23f));
  EQ(core_num_f32_add(f32(0x1.fffffep+127f), f32(0x1p+103f)), INF32);
  EQ(core_num_f32_add(f32(-0x1p-146f), f32(0x1.c3cap-128f)), f32(0x1.c3c9cp-128f));
  EQ(core_num_f32_sub(f32(1.0f), f32(0x1.000002p-25f)), f32(0x1.fffffep-1f));
  EQ(core_num_f32_mul(f32(0x1p-75f), f32(0x1p-75f)), 0);
  EQ(core_num_f32_mul(f32(-0x1.0006p+4f), f32(0x1.ap-132f)), f32(-0x1.a009cp-128f));
  EQ(core_num_f32_div(f32(4195835.0f), f32(3145727.0f)), f32(0x1.557542p+0f));
  EQ(core_num_f32_div(f32(0x1p-22f), f32(0x1.fffffep+127f)), f32(0x1p-149f));
  EQ(core_num_f32_sqrt(f32(0x1.000002p+0f)), f32(0x1p+0f));
  EQ(core_num_f32_sqrt(f32(0x1.f4p+9f)), f32(0x1.f9f6e4p+4f));
  EQ(core_num_f32_add(0, NZERO32), 0);
  EQ(core_num_f32_add(NZERO32, NZERO32), NZERO32);
  EQ(core_num_f64_add(f64(1.1234567890), f64(1.2345e-10)), f64(0x1.1f9add37c11f7p+0));
  EQ(core_num_f64_add(f64(1.0), f64(0x1p-53)), f64(1.0));
  EQ(core_num_f64_add(f64(1.0), f64(0x1.0000000000001p-53)), f64(0x1.0000000000001p+0));
  EQ(core_num_f64_add(f64(0x1p+63), f64(1024.25)), f64(0x1.0000000000001p+63));
  EQ(core_num_f64_add(f64(0x1p52), f64(0x1p-1)), f64(0x1p52));
  EQ(core_num_f64_sub(f64(0x1.0000000000001p+0), f64(1.0)), f64(0x1p-52));
  EQ(core_num_f64_mul(f64(0x1p-600), f64(0x1p-600)), 0);
  EQ(core_num_f64_div(f64(1.0), f64(3.0)), f64(0x1.5555555555555p-2));
  EQ(core_num_f64_sqrt(f64(0x1.0000000000002p+0)), f64(0x1.0000000000001p+0));
  EQ(core_num_f64_sqrt(f64(0x1.fffffffffffffp-1)), f64(0x1.fffffffffffffp-1));
  EQ(core_num_f64_sqrt(NZERO64), NZERO64);
  /* float_exprs.wast: no fused multiply-add. */
  EQ(core_num_f32_add(core_num_f32_mul(f32(0x1.000002p+0f), f32(0x1.000002p+0f)),
                      f32(-0x1.000004p+0f)),
     0);
  EQ(core_num_f64_add(core_num_f64_mul(f64(0x1.0000000000001p+0), f64(0x1.0000000000001p+0)),
                      f64(-0x1.0000000000002p+0)),
     0);
}

static void test_float_minmax(void) {
  /* -0 < +0 */
  EQ(core_num_f32_min(0, NZERO32), NZERO32);
  EQ(core_num_f32_min(NZERO32, 0), NZERO32);
  EQ(core_num_f32_max(0, NZERO32), 0);
  EQ(core_num_f32_max(NZERO32, 0), 0);
  EQ(core_num_f32_max(NZERO32, NZERO32), NZERO32);
  EQ(core_num_f64_min(0, NZERO64), NZERO64);
  EQ(core_num_f64_max(NZERO64, 0), 0);
  EQ(core_num_f64_min(NZERO64, NZERO64), NZERO64);
  EQ(core_num_f32_min(f32(-0x1p-149f), f32(0x1p-149f)), f32(-0x1p-149f));
  EQ(core_num_f32_max(NINF32, INF32), INF32);
  EQ(core_num_f32_min(NINF32, INF32), NINF32);
  EQ(core_num_f32_min(f32(1.5f), f32(1.5f)), f32(1.5f));
  EQ(core_num_f64_max(f64(-0.5), f64(-1.0)), f64(-0.5));
  EQ(core_num_f64_min(INF64, f64(0x1.fffffffffffffp+1023)), f64(0x1.fffffffffffffp+1023));
  /* NaN wins, quieted; canonical stays canonical (f32.wast min/max) */
  CANON32(core_num_f32_min(NAN32, 0));
  CANON32(core_num_f32_min(f32(1.0f), NNAN32));
  CANON32(core_num_f32_max(NINF32, NAN32));
  CANON32(core_num_f32_max(NAN32, NNAN32));
  ARITH32(core_num_f32_min(SNAN32, 0));
  ARITH32(core_num_f32_min(0, NSNAN32));
  ARITH32(core_num_f32_max(SNAN32, SNAN32));
  ARITH32(core_num_f32_max(INF32, QNAN32));
  CANON64(core_num_f64_min(NAN64, NINF64));
  CANON64(core_num_f64_max(0, NNAN64));
  ARITH64(core_num_f64_min(NSNAN64, f64(1.0)));
  ARITH64(core_num_f64_max(f64(1.0), SNAN64));
  ARITH64(core_num_f64_max(QNAN64, NAN64));
}

static void test_float_round(void) {
  /* zeros keep their sign (f32.wast, f64.wast) */
  EQ(core_num_f32_ceil(f32(-0.5f)), NZERO32);
  EQ(core_num_f32_ceil(f32(-0x1p-149f)), NZERO32);
  EQ(core_num_f32_floor(NZERO32), NZERO32);
  EQ(core_num_f32_floor(f32(0x1p-149f)), 0);
  EQ(core_num_f32_trunc(f32(-0.75f)), NZERO32);
  EQ(core_num_f32_nearest(f32(-0.5f)), NZERO32);
  EQ(core_num_f32_nearest(f32(0.5f)), 0);
  EQ(core_num_f64_ceil(f64(-0.5)), NZERO64);
  EQ(core_num_f64_nearest(f64(-0x1p-1074)), NZERO64);
  EQ(core_num_f64_trunc(f64(-0.9)), NZERO64);
  /* values from float_misc.wast 654-722 */
  EQ(core_num_f32_ceil(f32(0x1.fffffep-1f)), f32(1.0f));
  EQ(core_num_f32_ceil(f32(-0x1.fffffep+23f)), f32(-0x1.fffffep+23f));
  EQ(core_num_f64_ceil(f64(0x1.0000000000001p+0)), f64(2.0));
  EQ(core_num_f64_ceil(f64(0x1.fffffffffffffp+51)), f64(0x1p+52));
  EQ(core_num_f32_floor(f32(-0x1.fffffep-1f)), f32(-1.0f));
  EQ(core_num_f64_floor(f64(-0x1.0000000000001p+0)), f64(-2.0));
  EQ(core_num_f64_floor(f64(-0x1.fffffffffffffp+51)), f64(-0x1p+52));
  EQ(core_num_f64_floor(f64(88607.0)), f64(88607.0));
  EQ(core_num_f32_trunc(f32(-0x1.fffffep+22f)), f32(-0x1.fffffcp+22f));
  EQ(core_num_f64_trunc(f64(-0x1.fffffffffffffp+51)), f64(-0x1.ffffffffffffep+51));
  /* nearest: ties to even */
  EQ(core_num_f32_nearest(f32(0x1.000004p+23f)), f32(0x1.000004p+23f));
  EQ(core_num_f32_nearest(f32(0x1.fffffep+22f)), f32(0x1p+23f));
  EQ(core_num_f32_nearest(f32(-0x1.fffffep+22f)), f32(-0x1p+23f));
  EQ(core_num_f32_nearest(f32(4.5f)), f32(4.0f));
  EQ(core_num_f32_nearest(f32(-3.5f)), f32(-4.0f));
  EQ(core_num_f32_nearest(f32(2.5f)), f32(2.0f));
  EQ(core_num_f32_nearest(f32(1.5f)), f32(2.0f));
  EQ(core_num_f64_nearest(f64(0x1.0000000000001p+52)), f64(0x1.0000000000001p+52));
  EQ(core_num_f64_nearest(f64(0x1.fffffffffffffp+105)), f64(0x1.fffffffffffffp+105));
  EQ(core_num_f64_nearest(f64(-0x1.fffffffffffffp+51)), f64(-0x1p+52));
  EQ(core_num_f64_nearest(f64(-3.5)), f64(-4.0));
  EQ(core_num_f64_nearest(f64(4.5)), f64(4.0));
  EQ(core_num_f32_nearest(INF32), INF32);
  EQ(core_num_f64_floor(NINF64), NINF64);
  /* NaN stays NaN */
  CANON32(core_num_f32_ceil(NAN32));
  CANON32(core_num_f32_nearest(NNAN32));
  ARITH32(core_num_f32_floor(SNAN32));
  ARITH32(core_num_f32_trunc(NSNAN32));
  ARITH32(core_num_f32_nearest(SNAN32));
  CANON64(core_num_f64_trunc(NNAN64));
  ARITH64(core_num_f64_ceil(SNAN64));
  ARITH64(core_num_f64_floor(NSNAN64));
  ARITH64(core_num_f64_nearest(SNAN64));
}

static void test_float_bitwise(void) {
  /* float_misc.wast 634-651 and f32_bitwise.wast: payloads untouched */
  EQ(core_num_f32_abs(0xfff0f1e2u), 0x7ff0f1e2u);
  EQ(core_num_f32_abs(NSNAN32), SNAN32);
  EQ(core_num_f32_neg(0x7f80f1e2u), 0xff80f1e2u);
  EQ(core_num_f32_neg(0), NZERO32);
  EQ(core_num_f32_neg(NINF32), INF32);
  EQ(core_num_f32_copysign(0xff80f1e2u, NAN32), 0x7f80f1e2u);
  EQ(core_num_f32_copysign(f32(1.0f), NNAN32), f32(-1.0f));
  EQ(core_num_f32_copysign(NZERO32, 0), 0);
  EQ(core_num_f64_abs(UINT64_C(0xfff00000f1e27a6b)), UINT64_C(0x7ff00000f1e27a6b));
  EQ(core_num_f64_neg(UINT64_C(0xfff00000f1e27a6b)), UINT64_C(0x7ff00000f1e27a6b));
  EQ(core_num_f64_neg(SNAN64), NSNAN64);
  EQ(core_num_f64_copysign(UINT64_C(0x7ff00000f1e27a6b), NNAN64), UINT64_C(0xfff00000f1e27a6b));
  EQ(core_num_f64_copysign(f64(2.0), NZERO64), f64(-2.0));
  /* the bit helpers do not quiet a signalling NaN */
  EQ(core_num_f32_bits(core_num_bits_f32(0x7f800001u)), 0x7f800001u);
  EQ(core_num_f64_bits(core_num_bits_f64(UINT64_C(0xfff0000000000001))),
     UINT64_C(0xfff0000000000001));
}

static void test_float_cmp(void) {
  EQ(core_num_f32_eq(0, NZERO32), 1);
  EQ(core_num_f32_ne(0, NZERO32), 0);
  EQ(core_num_f32_lt(NZERO32, 0), 0);
  EQ(core_num_f32_le(NZERO32, 0), 1);
  EQ(core_num_f32_eq(NAN32, NAN32), 0);
  EQ(core_num_f32_ne(NAN32, NAN32), 1);
  EQ(core_num_f32_ne(SNAN32, f32(1.0f)), 1);
  EQ(core_num_f32_lt(NAN32, INF32), 0);
  EQ(core_num_f32_gt(NAN32, NINF32), 0);
  EQ(core_num_f32_le(NNAN32, NNAN32), 0);
  EQ(core_num_f32_ge(INF32, SNAN32), 0);
  EQ(core_num_f32_lt(f32(-0x1p-149f), 0), 1);
  EQ(core_num_f32_gt(INF32, f32(0x1.fffffep+127f)), 1);
  EQ(core_num_f32_ge(f32(1.0f), f32(1.0f)), 1);
  EQ(core_num_f64_eq(NZERO64, 0), 1);
  EQ(core_num_f64_eq(NAN64, NAN64), 0);
  EQ(core_num_f64_ne(SNAN64, SNAN64), 1);
  EQ(core_num_f64_lt(NNAN64, 0), 0);
  EQ(core_num_f64_gt(0, NSNAN64), 0);
  EQ(core_num_f64_le(NAN64, INF64), 0);
  EQ(core_num_f64_ge(NAN64, NINF64), 0);
  EQ(core_num_f64_lt(f64(0x1p-1074), f64(0x1p-1073)), 1);
  EQ(core_num_f64_gt(f64(-1.0), NINF64), 1);
}

static void test_trunc(void) {
  /* conversions.wast 58-254; each bound from both sides */
  TRY32(core_num_i32_trunc_f32_s(NZERO32, &r32), NONE, 0);
  TRY32(core_num_i32_trunc_f32_s(f32(-1.5f), &r32), NONE, s32(-1));
  TRY32(core_num_i32_trunc_f32_s(f32(2147483520.0f), &r32), NONE, 2147483520);
  TRY32(core_num_i32_trunc_f32_s(f32(-2147483648.0f), &r32), NONE, 0x80000000u);
  TRAP32(core_num_i32_trunc_f32_s(f32(2147483648.0f), &r32), OVF);
  TRAP32(core_num_i32_trunc_f32_s(f32(-2147483904.0f), &r32), OVF);
  TRAP32(core_num_i32_trunc_f32_s(INF32, &r32), OVF);
  TRAP32(core_num_i32_trunc_f32_s(NAN32, &r32), INV);
  TRAP32(core_num_i32_trunc_f32_s(NSNAN32, &r32), INV);
  TRY32(core_num_i32_trunc_f32_u(f32(-0x1.ccccccp-1f), &r32), NONE, 0);
  TRY32(core_num_i32_trunc_f32_u(f32(4294967040.0f), &r32), NONE, s32(-256));
  TRAP32(core_num_i32_trunc_f32_u(f32(4294967296.0f), &r32), OVF);
  TRAP32(core_num_i32_trunc_f32_u(f32(-1.0f), &r32), OVF);
  TRAP32(core_num_i32_trunc_f32_u(NINF32, &r32), OVF);
  TRAP32(core_num_i32_trunc_f32_u(NNAN32, &r32), INV);
  TRY32(core_num_i32_trunc_f64_s(f64(-2147483648.9), &r32), NONE, 0x80000000u);
  TRY32(core_num_i32_trunc_f64_s(f64(2147483647.9), &r32), NONE, 0x7fffffffu);
  TRY32(core_num_i32_trunc_f64_s(f64(0x1p-1074), &r32), NONE, 0);
  TRAP32(core_num_i32_trunc_f64_s(f64(-2147483649.0), &r32), OVF);
  TRAP32(core_num_i32_trunc_f64_s(f64(2147483648.0), &r32), OVF);
  TRAP32(core_num_i32_trunc_f64_s(SNAN64, &r32), INV);
  TRY32(core_num_i32_trunc_f64_u(f64(-0.9), &r32), NONE, 0);
  TRY32(core_num_i32_trunc_f64_u(f64(4294967295.9), &r32), NONE, 0xffffffffu);
  TRY32(core_num_i32_trunc_f64_u(f64(1e8), &r32), NONE, 100000000);
  TRAP32(core_num_i32_trunc_f64_u(f64(4294967296.0), &r32), OVF);
  TRAP32(core_num_i32_trunc_f64_u(f64(-1.0), &r32), OVF);
  TRAP32(core_num_i32_trunc_f64_u(f64(9223372036854775808.0), &r32), OVF);
  TRAP32(core_num_i32_trunc_f64_u(NSNAN64, &r32), INV);
  TRY64(core_num_i64_trunc_f32_s(f32(9223371487098961920.0f), &r64), NONE,
        INT64_C(9223371487098961920));
  TRY64(core_num_i64_trunc_f32_s(f32(-9223372036854775808.0f), &r64), NONE, NZERO64);
  TRAP64(core_num_i64_trunc_f32_s(f32(9223372036854775808.0f), &r64), OVF);
  TRAP64(core_num_i64_trunc_f32_s(f32(-9223373136366403584.0f), &r64), OVF);
  TRAP64(core_num_i64_trunc_f32_s(NSNAN32, &r64), INV);
  TRY64(core_num_i64_trunc_f32_u(f32(18446742974197923840.0f), &r64), NONE,
        s64(-1099511627776));
  TRY64(core_num_i64_trunc_f32_u(f32(-0x1.ccccccp-1f), &r64), NONE, 0);
  TRAP64(core_num_i64_trunc_f32_u(f32(18446744073709551616.0f), &r64), OVF);
  TRAP64(core_num_i64_trunc_f32_u(f32(-1.0f), &r64), OVF);
  TRAP64(core_num_i64_trunc_f32_u(NNAN32, &r64), INV);
  TRY64(core_num_i64_trunc_f64_s(f64(9223372036854774784.0), &r64), NONE,
        INT64_C(9223372036854774784));
  TRY64(core_num_i64_trunc_f64_s(f64(-9223372036854775808.0), &r64), NONE, NZERO64);
  TRY64(core_num_i64_trunc_f64_s(f64(-4294967296.0), &r64), NONE, s64(-4294967296));
  TRAP64(core_num_i64_trunc_f64_s(f64(9223372036854775808.0), &r64), OVF);
  TRAP64(core_num_i64_trunc_f64_s(f64(-9223372036854777856.0), &r64), OVF);
  TRAP64(core_num_i64_trunc_f64_s(NINF64, &r64), OVF);
  TRAP64(core_num_i64_trunc_f64_s(NNAN64, &r64), INV);
  TRY64(core_num_i64_trunc_f64_u(f64(18446744073709549568.0), &r64), NONE, s64(-2048));
  TRY64(core_num_i64_trunc_f64_u(f64(1e16), &r64), NONE, INT64_C(10000000000000000));
  TRY64(core_num_i64_trunc_f64_u(f64(-0x1.ccccccccccccdp-1), &r64), NONE, 0);
  TRAP64(core_num_i64_trunc_f64_u(f64(18446744073709551616.0), &r64), OVF);
  TRAP64(core_num_i64_trunc_f64_u(f64(-1.0), &r64), OVF);
  TRAP64(core_num_i64_trunc_f64_u(INF64, &r64), OVF);
  TRAP64(core_num_i64_trunc_f64_u(SNAN64, &r64), INV);

  /* saturating: conversions.wast 265-451 */
  EQ(core_num_i32_trunc_sat_f32_s(f32(2147483648.0f)), 0x7fffffffu);
  EQ(core_num_i32_trunc_sat_f32_s(f32(-2147483904.0f)), 0x80000000u);
  EQ(core_num_i32_trunc_sat_f32_s(f32(-2147483648.0f)), 0x80000000u);
  EQ(core_num_i32_trunc_sat_f32_s(f32(-1.9f)), s32(-1));
  EQ(core_num_i32_trunc_sat_f32_s(INF32), 0x7fffffffu);
  EQ(core_num_i32_trunc_sat_f32_s(NINF32), 0x80000000u);
  EQ(core_num_i32_trunc_sat_f32_s(NAN32), 0);
  EQ(core_num_i32_trunc_sat_f32_s(NSNAN32), 0);
  EQ(core_num_i32_trunc_sat_f32_u(f32(4294967040.0f)), s32(-256));
  EQ(core_num_i32_trunc_sat_f32_u(f32(4294967296.0f)), 0xffffffffu);
  EQ(core_num_i32_trunc_sat_f32_u(f32(-1.0f)), 0);
  EQ(core_num_i32_trunc_sat_f32_u(f32(-0x1.ccccccp-1f)), 0);
  EQ(core_num_i32_trunc_sat_f32_u(NINF32), 0);
  EQ(core_num_i32_trunc_sat_f32_u(NNAN32), 0);
  EQ(core_num_i32_trunc_sat_f64_s(f64(-2147483649.0)), 0x80000000u);
  EQ(core_num_i32_trunc_sat_f64_s(f64(2147483648.0)), 0x7fffffffu);
  EQ(core_num_i32_trunc_sat_f64_s(f64(-2147483648.9)), 0x80000000u);
  EQ(core_num_i32_trunc_sat_f64_s(SNAN64), 0);
  EQ(core_num_i32_trunc_sat_f64_u(f64(2147483648.0)), 0x80000000u);
  EQ(core_num_i32_trunc_sat_f64_u(f64(1e8)), 100000000);
  EQ(core_num_i32_trunc_sat_f64_u(f64(9223372036854775808.0)), 0xffffffffu);
  EQ(core_num_i32_trunc_sat_f64_u(f64(-0x1.fffffffffffffp-1)), 0);
  EQ(core_num_i32_trunc_sat_f64_u(NSNAN64), 0);
  EQ(core_num_i64_trunc_sat_f32_s(f32(9223371487098961920.0f)), INT64_C(9223371487098961920));
  EQ(core_num_i64_trunc_sat_f32_s(f32(-9223373136366403584.0f)), NZERO64);
  EQ(core_num_i64_trunc_sat_f32_s(f32(9223372036854775808.0f)), UINT64_C(0x7fffffffffffffff));
  EQ(core_num_i64_trunc_sat_f32_s(NSNAN32), 0);
  EQ(core_num_i64_trunc_sat_f32_u(f32(18446742974197923840.0f)), s64(-1099511627776));
  EQ(core_num_i64_trunc_sat_f32_u(f32(18446744073709551616.0f)), UINT64_MAX);
  EQ(core_num_i64_trunc_sat_f32_u(NINF32), 0);
  EQ(core_num_i64_trunc_sat_f32_u(NNAN32), 0);
  EQ(core_num_i64_trunc_sat_f64_s(f64(9223372036854775808.0)), UINT64_C(0x7fffffffffffffff));
  EQ(core_num_i64_trunc_sat_f64_s(f64(-9223372036854777856.0)), NZERO64);
  EQ(core_num_i64_trunc_sat_f64_s(f64(-4294967296.0)), s64(-4294967296));
  EQ(core_num_i64_trunc_sat_f64_s(NINF64), NZERO64);
  EQ(core_num_i64_trunc_sat_f64_s(NNAN64), 0);
  EQ(core_num_i64_trunc_sat_f64_u(f64(18446744073709551616.0)), UINT64_MAX);
  EQ(core_num_i64_trunc_sat_f64_u(f64(18446744073709549568.0)), s64(-2048));
  EQ(core_num_i64_trunc_sat_f64_u(f64(1e16)), INT64_C(10000000000000000));
  EQ(core_num_i64_trunc_sat_f64_u(f64(-1.0)), 0);
  EQ(core_num_i64_trunc_sat_f64_u(NSNAN64), 0);
}

static void test_convert(void) {
  /* conversions.wast 256-541: the double-rounding traps */
  EQ(core_num_f32_convert_i32_s(1234567890), f32(0x1.26580cp+30f));
  EQ(core_num_f32_convert_i32_s(16777217), f32(16777216.0f));
  EQ(core_num_f32_convert_i32_s(s32(-16777217)), f32(-16777216.0f));
  EQ(core_num_f32_convert_i32_s(16777219), f32(16777220.0f));
  EQ(core_num_f32_convert_i32_s(0x80000000u), f32(-2147483648.0f));
  EQ(core_num_f32_convert_i64_s(s64(-1)), f32(-1.0f));
  EQ(core_num_f32_convert_i64_s(NZERO64), f32(-9223372036854775808.0f));
  EQ(core_num_f32_convert_i64_s(UINT64_C(0x7fffffffffffffff)), f32(9223372036854775807.0f));
  EQ(core_num_f32_convert_i64_s(UINT64_C(0x20000020000001)), f32(0x1.000002p+53f));
  EQ(core_num_f32_convert_i64_s(UINT64_C(0xffdfffffdfffffff)), f32(-0x1.000002p+53f));
  EQ(core_num_f32_convert_i64_s(UINT64_C(0x7fffff4000000001)), f32(0x1.fffffep+62f));
  EQ(core_num_f32_convert_i64_s(UINT64_C(0x8000008000000001)), f32(-0x1.fffffep+62f));
  EQ(core_num_f32_convert_i64_s(16777219), f32(16777220.0f));
  EQ(core_num_f32_convert_i32_u(0x12345678u), f32(0x1.234568p+28f));
  EQ(core_num_f32_convert_i32_u(0xffffffffu), f32(4294967296.0f));
  EQ(core_num_f32_convert_i32_u(0x80000080u), f32(0x1p+31f));
  EQ(core_num_f32_convert_i32_u(0x80000081u), f32(0x1.000002p+31f));
  EQ(core_num_f32_convert_i32_u(0x80000082u), f32(0x1.000002p+31f));
  EQ(core_num_f32_convert_i32_u(0xfffffe80u), f32(0x1.fffffcp+31f));
  EQ(core_num_f32_convert_i32_u(0xfffffe81u), f32(0x1.fffffep+31f));
  EQ(core_num_f32_convert_i64_u(UINT64_C(0xffffffffffffffff)), f32(18446744073709551616.0f));
  EQ(core_num_f32_convert_i64_u(UINT64_C(0x20000020000001)), f32(0x1.000002p+53f));
  EQ(core_num_f32_convert_i64_u(UINT64_C(0x7fffffbfffffffff)), f32(0x1.fffffep+62f));
  EQ(core_num_f32_convert_i64_u(UINT64_C(0x8000008000000001)), f32(0x1.000002p+63f));
  EQ(core_num_f32_convert_i64_u(UINT64_C(0xfffffe8000000001)), f32(0x1.fffffep+63f));
  EQ(core_num_f64_convert_i32_s(0x80000000u), f64(-2147483648.0));
  EQ(core_num_f64_convert_i32_u(0x80000000u), f64(2147483648.0));
  EQ(core_num_f64_convert_i32_u(0xffffffffu), f64(4294967295.0));
  EQ(core_num_f64_convert_i64_s(9007199254740993), f64(9007199254740992.0));
  EQ(core_num_f64_convert_i64_s(s64(-9007199254740993)), f64(-9007199254740992.0));
  EQ(core_num_f64_convert_i64_s(9007199254740995), f64(9007199254740996.0));
  EQ(core_num_f64_convert_i64_s(NZERO64), f64(-9223372036854775808.0));
  EQ(core_num_f64_convert_i64_u(UINT64_C(0xffffffffffffffff)), f64(18446744073709551616.0));
  EQ(core_num_f64_convert_i64_u(UINT64_C(0x8000000000000400)), f64(0x1p+63));
  EQ(core_num_f64_convert_i64_u(UINT64_C(0x8000000000000401)), f64(0x1.0000000000001p+63));
  EQ(core_num_f64_convert_i64_u(UINT64_C(0x8000000000000402)), f64(0x1.0000000000001p+63));
  EQ(core_num_f64_convert_i64_u(UINT64_C(0xfffffffffffff401)), f64(0x1.fffffffffffffp+63));
  EQ(core_num_f64_convert_i64_u(9007199254740993), f64(9007199254740992.0));
}

static void test_demote_promote(void) {
  /* conversions.wast 544-618 */
  EQ(core_num_f64_promote_f32(f32(-0x1p-149f)), f64(-0x1p-149));
  EQ(core_num_f64_promote_f32(f32(0x1.fffffep+127f)), f64(0x1.fffffep+127));
  EQ(core_num_f64_promote_f32(NZERO32), NZERO64);
  EQ(core_num_f64_promote_f32(NINF32), NINF64);
  EQ(core_num_f64_promote_f32(f32(0x1.8f867ep+125f)), f64(6.6382536710104395e+37));
  CANON64(core_num_f64_promote_f32(NAN32));
  CANON64(core_num_f64_promote_f32(NNAN32));
  ARITH64(core_num_f64_promote_f32(SNAN32));
  ARITH64(core_num_f64_promote_f32(NSNAN32));
  ARITH64(core_num_f64_promote_f32(0x7f800001u));
  EQ(core_num_f64_promote_f32(NNAN32) & NZERO64, NZERO64); /* sign kept */
  EQ(core_num_f32_demote_f64(f64(0x0.0000000000001p-1022)), 0);
  EQ(core_num_f32_demote_f64(f64(-0x1p-1022)), NZERO32);
  EQ(core_num_f32_demote_f64(f64(0x1.fffffdfffffffp-127)), f32(0x1.fffffcp-127f));
  EQ(core_num_f32_demote_f64(f64(0x1.fffffd0000001p+127)), f32(0x1.fffffep+127f));
  EQ(core_num_f32_demote_f64(f64(0x1.ffffffp+127)), INF32);
  EQ(core_num_f32_demote_f64(f64(-0x1.ffffffp+127)), NINF32);
  EQ(core_num_f32_demote_f64(f64(0x1.0000010000000p+0)), f32(1.0f)); /* tie to even */
  EQ(core_num_f32_demote_f64(f64(0x1.0000010000001p+0)), f32(0x1.000002p+0f));
  EQ(core_num_f32_demote_f64(f64(0x1.0000030000000p+0)), f32(0x1.000004p+0f)); /* tie to even */
  EQ(core_num_f32_demote_f64(f64(0x1.000002fffffffp+24)), f32(0x1.000002p+24f));
  EQ(core_num_f32_demote_f64(f64(0x1.a12e71e358685p-113)), f32(0x1.a12e72p-113f));
  EQ(core_num_f32_demote_f64(f64(0x1.0000000000001p-150)), f32(0x1p-149f));
  EQ(core_num_f32_demote_f64(f64(0x1p-150)), 0);
  EQ(core_num_f32_demote_f64(INF64), INF32);
  CANON32(core_num_f32_demote_f64(NAN64));
  CANON32(core_num_f32_demote_f64(NNAN64));
  ARITH32(core_num_f32_demote_f64(SNAN64));
  ARITH32(core_num_f32_demote_f64(UINT64_C(0x7ff0000000000001))); /* payload below f32 bits */
  ARITH32(core_num_f32_demote_f64(NSNAN64));
  EQ(core_num_f32_demote_f64(NSNAN64) & NZERO32, NZERO32);
}

/* ---- integer -> float rounding against an integer-arithmetic reference ---- */

/* Rounds the magnitude m to `bits` significant bits, ties to even, and
 * scales it back: the exact value of the correctly rounded float. */
static double ref_round(uint64_t m, int bits) {
  if (m == 0) return 0.0;
  int n = 64 - __builtin_clzll((unsigned long long)m);
  if (n <= bits) return (double)m; /* exact */
  int shift = n - bits;
  uint64_t q = m >> shift, rest = m & ((UINT64_C(1) << shift) - 1);
  uint64_t half = UINT64_C(1) << (shift - 1);
  if (rest > half || (rest == half && (q & 1))) q++;
  return ldexp((double)q, shift); /* q <= 2^bits: exact in a double */
}
static uint32_t ref_f32_u64(uint64_t m, bool neg) {
  double d = ref_round(m, 24); /* a float value, so the cast is exact */
  return f32((float)(neg ? -d : d));
}
static uint64_t ref_f64_u64(uint64_t m, bool neg) {
  double d = ref_round(m, 53);
  return f64(neg ? -d : d);
}

/* Inputs near rounding boundaries: a random top, then the bits below the
 * cut set to a random mix of exact half, just below and just above it. */
static uint64_t next_rand(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}
static uint64_t tricky(uint64_t *s) {
  uint64_t r = next_rand(s);
  int len = 1 + (int)(r % 64);
  uint64_t x = next_rand(s) >> (64 - len);
  int cut = (int)(next_rand(s) % 64);
  uint64_t low = (UINT64_C(1) << cut) - 1, half = cut ? UINT64_C(1) << (cut - 1) : 0;
  switch (r >> 60 & 3) {
  case 0: x = (x & ~low) | half; break;
  case 1: x = (x & ~low) | (half ? half - 1 : 0); break;
  case 2: x = (x & ~low) | half | 1; break;
  default: break;
  }
  return x | UINT64_C(1) << (len - 1);
}

static void test_convert_reference(void) {
  uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
  int bad = 0, n = 200000;
  for (int i = 0; i < n; i++) {
    uint64_t x = tricky(&seed);
    uint64_t mag_s = (int64_t)x < 0 ? 0 - x : x; /* |x| as signed, INT64_MIN too */
    bool neg = (int64_t)x < 0;
    uint32_t x32 = (uint32_t)x;
    uint32_t mag32 = (int32_t)x32 < 0 ? 0 - x32 : x32;
    bool ok = core_num_f32_convert_i64_u(x) == ref_f32_u64(x, false) &&
              core_num_f64_convert_i64_u(x) == ref_f64_u64(x, false) &&
              core_num_f32_convert_i64_s(x) == ref_f32_u64(mag_s, neg) &&
              core_num_f64_convert_i64_s(x) == ref_f64_u64(mag_s, neg) &&
              core_num_f32_convert_i32_u(x32) == ref_f32_u64(x32, false) &&
              core_num_f32_convert_i32_s(x32) == ref_f32_u64(mag32, (int32_t)x32 < 0) &&
              core_num_f64_convert_i32_u(x32) == ref_f64_u64(x32, false) &&
              core_num_f64_convert_i32_s(x32) == ref_f64_u64(mag32, (int32_t)x32 < 0);
    if (!ok && bad++ < 5) printf("FAIL convert reference: input 0x%llx\n", (unsigned long long)x);
  }
  report(bad == 0, __LINE__, "int->float conversions vs reference (failures)", (uint64_t)bad, 0);
}

/* trunc must agree with its saturating twin wherever it does not trap, and
 * trap exactly where the twin clamps (checked on random bit patterns). */
static void test_trunc_consistency(void) {
  uint64_t seed = UINT64_C(0x243f6a8885a308d3);
  int bad = 0;
  for (int i = 0; i < 200000; i++) {
    uint64_t b = next_rand(&seed);
    /* bias toward exponents near the integer ranges */
    uint64_t e64 = 1023 + (b >> 40) % 70 - 3;
    uint64_t d = (b & UINT64_C(0x800fffffffffffff)) | e64 << 52;
    uint32_t f = (uint32_t)(b & 0x807fffffu) | (uint32_t)(127 + (b >> 32) % 70 - 3) << 23;
    uint32_t r32 = 0;
    uint64_t r64 = 0;
    if (!core_num_i32_trunc_f64_s(d, &r32) && r32 != core_num_i32_trunc_sat_f64_s(d)) bad++;
    if (!core_num_i32_trunc_f64_u(d, &r32) && r32 != core_num_i32_trunc_sat_f64_u(d)) bad++;
    if (!core_num_i64_trunc_f64_s(d, &r64) && r64 != core_num_i64_trunc_sat_f64_s(d)) bad++;
    if (!core_num_i64_trunc_f64_u(d, &r64) && r64 != core_num_i64_trunc_sat_f64_u(d)) bad++;
    if (!core_num_i32_trunc_f32_s(f, &r32) && r32 != core_num_i32_trunc_sat_f32_s(f)) bad++;
    if (!core_num_i32_trunc_f32_u(f, &r32) && r32 != core_num_i32_trunc_sat_f32_u(f)) bad++;
    if (!core_num_i64_trunc_f32_s(f, &r64) && r64 != core_num_i64_trunc_sat_f32_s(f)) bad++;
    if (!core_num_i64_trunc_f32_u(f, &r64) && r64 != core_num_i64_trunc_sat_f32_u(f)) bad++;
    /* a trap means the value is out of range: the twin must clamp */
    double dd = core_num_bits_f64(d);
    if (core_num_i32_trunc_f64_s(d, &r32) == OVF &&
        core_num_i32_trunc_sat_f64_s(d) != (dd < 0 ? 0x80000000u : 0x7fffffffu))
      bad++;
    if (core_num_i64_trunc_f64_u(d, &r64) == OVF &&
        core_num_i64_trunc_sat_f64_u(d) != (dd < 0 ? 0 : UINT64_MAX))
      bad++;
  }
  report(bad == 0, __LINE__, "trunc vs trunc_sat (failures)", (uint64_t)bad, 0);
}

int main(void) {
  test_int_div();
  test_int_bits();
  test_float_arith();
  test_float_minmax();
  test_float_round();
  test_float_bitwise();
  test_float_cmp();
  test_trunc();
  test_convert();
  test_demote_promote();
  test_convert_reference();
  test_trunc_consistency();
  return test_summary();
}
