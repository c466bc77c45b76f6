/* indirect: n calls through a table of eight function pointers, the index
   chosen by the data; measures call_indirect (type check + table lookup).
   bench-n: 5000000 */
#include "common.h"

typedef u32 (*op_fn)(u32 x, u32 i);

__attribute__((noinline)) static u32 op0(u32 x, u32 i) { return x + i; }
__attribute__((noinline)) static u32 op1(u32 x, u32 i) { return x ^ (i * 0x9e3779b9u); }
__attribute__((noinline)) static u32 op2(u32 x, u32 i) { return rotl32(x, 7) + i; }
__attribute__((noinline)) static u32 op3(u32 x, u32 i) { return x * 2654435761u + 1u + (i & 3u); }
__attribute__((noinline)) static u32 op4(u32 x, u32 i) { return (x >> 3) ^ (x << 11) ^ i; }
__attribute__((noinline)) static u32 op5(u32 x, u32 i) { return x - (i | 1u); }
__attribute__((noinline)) static u32 op6(u32 x, u32 i) { return ~x + (i << 2); }
__attribute__((noinline)) static u32 op7(u32 x, u32 i) { return (x ^ (x >> 16)) * 0x45d9f3bu + i; }

static op_fn table[8] = {op0, op1, op2, op3, op4, op5, op6, op7};

BENCH_EXPORT int run(int n) {
    u32 x = 0x12345678u;
    int i;
    for (i = 0; i < n; i++) x = table[(x >> 13) & 7u](x, (u32)i);
    return (int)x;
}
