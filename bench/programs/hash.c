/* hash: n passes over a 64 KiB buffer with three hashes - FNV-1a (byte loads,
   multiply), a murmur-style word mixer (rotates, multiplies) and a
   table-driven CRC-32 (dependent table loads). bench-n: 100 */
#include "common.h"

#define WORDS 16384 /* 64 KiB */

static u32 buf[WORDS];
static u32 crc_table[256];

static void init(void) {
    u32 i, k, s = 0x2545f491u;
    for (i = 0; i < WORDS; i++) {
        s ^= s << 13; s ^= s >> 17; s ^= s << 5; /* xorshift32 */
        buf[i] = s;
    }
    for (i = 0; i < 256; i++) {
        u32 c = i;
        for (k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static u32 fnv1a(const u8 *p, u32 len, u32 h) {
    u32 i;
    for (i = 0; i < len; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static u32 wordmix(const u32 *p, u32 words, u32 seed) {
    u32 i, h = seed ^ (words * 4);
    for (i = 0; i < words; i++) {
        u32 k = p[i] * 0xcc9e2d51u;
        k = rotl32(k, 15) * 0x1b873593u;
        h = rotl32(h ^ k, 13) * 5u + 0xe6546b64u;
    }
    h ^= h >> 16; h *= 0x85ebca6bu; h ^= h >> 13; h *= 0xc2b2ae35u; h ^= h >> 16;
    return h;
}

static u32 crc32(const u8 *p, u32 len, u32 crc) {
    u32 i;
    crc = ~crc;
    for (i = 0; i < len; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

BENCH_EXPORT int run(int n) {
    u32 h = 0;
    int r;
    init();
    for (r = 0; r < n; r++) {
        buf[r & (WORDS - 1)] ^= h; /* make every pass depend on the previous */
        h ^= fnv1a((const u8 *)buf, WORDS * 4, 2166136261u + (u32)r);
        h ^= wordmix(buf, WORDS, h);
        h = crc32((const u8 *)buf, WORDS * 4, h);
    }
    return (int)h;
}
