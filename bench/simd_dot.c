/* simd_dot: n rounds of a dot product of two 4096-element f32 arrays.
   Built with -msimd128 it uses wasm_simd128.h intrinsics (f32x4 mul/add);
   otherwise (the scalar wasm build, native) it runs the same arithmetic with
   four scalar accumulators, one per lane, so both round identically and the
   checksum - the exact bits of every round's result - is the same. Each
   round rewrites one element from the running checksum, so no round can be
   hoisted or skipped. bench-n: 30000 */
#include "programs/common.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define LEN 4096 /* a multiple of 4 */

static float xs[LEN], ys[LEN];

static void init(void) {
    u32 s = 0x9e3779b9u;
    int i;
    for (i = 0; i < LEN; i++) {
        s = s * 1103515245u + 12345u;
        xs[i] = (float)(int)(s >> 20) / 2048.0f - 1.0f; /* in [-1, 1) */
        s = s * 1103515245u + 12345u;
        ys[i] = (float)(int)(s >> 20) / 2048.0f - 1.0f;
    }
}

/* Lane k accumulates elements i with i % 4 == k, in order; the four lanes
   are added as (l0 + l1) + (l2 + l3). */
static float dot(const float *x, const float *y) {
#ifdef __wasm_simd128__
    v128_t acc = wasm_f32x4_splat(0.0f);
    int i;
    for (i = 0; i < LEN; i += 4)
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(x + i), wasm_v128_load(y + i)));
    return (wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1)) +
           (wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3));
#else
    float l0 = 0.0f, l1 = 0.0f, l2 = 0.0f, l3 = 0.0f;
    int i;
    for (i = 0; i < LEN; i += 4) {
        l0 += x[i] * y[i];
        l1 += x[i + 1] * y[i + 1];
        l2 += x[i + 2] * y[i + 2];
        l3 += x[i + 3] * y[i + 3];
    }
    return (l0 + l1) + (l2 + l3);
#endif
}

BENCH_EXPORT int run(int n) {
    u32 h = 2166136261u;
    int r;
    init();
    for (r = 0; r < n; r++) {
        float d = dot(xs, ys);
        union { float f; u32 u; } v;
        v.f = d;
        h = rotl32(h ^ v.u, 13) * 0x9e3779b1u;
        xs[(u32)r % LEN] = (float)(int)(h >> 24) / 128.0f - 1.0f;
    }
    return (int)h;
}
