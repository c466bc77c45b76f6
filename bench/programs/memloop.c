/* memloop: array loops - a byte sieve and an integer matrix multiply,
   repeated n rounds; measures loads/stores, address arithmetic, bounds checks.
   bench-n: 40 */
#include "common.h"

#define SIEVE 262144
#define M 48

static u8 sieve[SIEVE];
static u32 ma[M * M], mb[M * M], mc[M * M];

static u32 count_primes(u32 limit) {
    u32 i, j, count = 0;
    for (i = 0; i < limit; i++) sieve[i] = 1;
    sieve[0] = sieve[1] = 0;
    for (i = 2; i * i < limit; i++)
        if (sieve[i])
            for (j = i * i; j < limit; j += i) sieve[j] = 0;
    for (i = 0; i < limit; i++) count += sieve[i];
    return count;
}

static u32 matmul(u32 seed) {
    u32 i, j, k, sum = 0;
    for (i = 0; i < M * M; i++) {
        seed = seed * 1664525u + 1013904223u;
        ma[i] = seed >> 24;
        mb[i] = (seed >> 8) & 0xff;
    }
    for (i = 0; i < M; i++)
        for (j = 0; j < M; j++) {
            u32 acc = 0;
            for (k = 0; k < M; k++) acc += ma[i * M + k] * mb[k * M + j];
            mc[i * M + j] = acc;
        }
    for (i = 0; i < M * M; i++) sum = sum * 31u + mc[i];
    return sum;
}

BENCH_EXPORT int run(int n) {
    u32 h = 0;
    int r;
    for (r = 0; r < n; r++) {
        h = h * 33u + count_primes(SIEVE - (u32)(r % 64) * 1000u);
        h ^= matmul((u32)r);
    }
    return (int)h;
}
