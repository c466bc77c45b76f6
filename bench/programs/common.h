/* Shared by every benchmark program: one export, no imports, no libc. */
#ifndef KUMI_BENCH_COMMON_H
#define KUMI_BENCH_COMMON_H

#ifdef __wasm__
#define BENCH_EXPORT __attribute__((export_name("run")))
#else
#define BENCH_EXPORT
#endif

/* Fixed-width types without <stdint.h> (wasm32 has 32-bit long). */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

static inline u32 rotl32(u32 x, int r) { return (x << r) | (x >> (32 - r)); }

/* Fold a double's bit pattern into a checksum, so any rounding difference shows. */
static inline u32 mix_double(u32 h, double d) {
    union { double d; u64 u; } v;
    v.d = d;
    h ^= (u32)v.u;
    h = rotl32(h, 13) * 0x9e3779b1u;
    h ^= (u32)(v.u >> 32);
    return rotl32(h, 13) * 0x9e3779b1u;
}

BENCH_EXPORT int run(int n);

#endif
