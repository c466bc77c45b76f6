/* simd_blur: n passes of a 3x3 binomial blur ([1 2 1] x [1 2 1] / 16,
   rounded) over a 256x256 8-bit image, ping-ponging between two buffers;
   after each pass one pixel is bumped from the running checksum so the image
   never settles. Plain C: the -msimd128 build relies on clang's
   auto-vectorizer (u8 loads widened to u16 lanes, narrowed back), the scalar
   build is the same source with vectorization off. The checksum is FNV-1a of
   the final image mixed with a few pixels of every pass. bench-n: 400 */
#include "programs/common.h"

#define W 256
#define H 256

static u8 img[2][W * H];

static void init(void) {
    u32 s = 0x2545f491u, i;
    for (i = 0; i < W * H; i++) {
        s ^= s << 13; s ^= s >> 17; s ^= s << 5; /* xorshift32 */
        img[0][i] = (u8)(s >> 24);
        img[1][i] = 0;
    }
}

/* Interior pixels of dst from src; the one-pixel border is copied. Each row
   is a vertical [1 2 1] pass into 16-bit sums, then a horizontal one. The
   horizontal pass reads the sums through three pointers: written as
   v[x - 1], v[x], v[x + 1], clang 14 forwards each load to the next
   iterations (a second-order recurrence) and then cannot vectorize. */
static void blur(const u8 *restrict src, u8 *restrict dst) {
    unsigned short v[W];
    int x, y;
    for (x = 0; x < W; x++) {
        dst[x] = src[x];
        dst[(H - 1) * W + x] = src[(H - 1) * W + x];
    }
    for (y = 1; y < H - 1; y++) {
        const u8 *a = src + (y - 1) * W, *b = src + y * W, *c = src + (y + 1) * W;
        const unsigned short *l = v, *m = v + 1, *r = v + 2;
        u8 *d = dst + y * W;
        for (x = 0; x < W; x++) v[x] = (unsigned short)(a[x] + 2 * b[x] + c[x]);
        d[0] = b[0];
        d[W - 1] = b[W - 1];
        for (x = 0; x < W - 2; x++) d[x + 1] = (u8)((unsigned short)(l[x] + 2 * m[x] + r[x] + 8) >> 4);
    }
}

BENCH_EXPORT int run(int n) {
    u32 h = 2166136261u, i;
    int p;
    init();
    for (p = 0; p < n; p++) {
        u8 *src = img[p & 1], *dst = img[(p & 1) ^ 1];
        blur(src, dst);
        i = (h >> 8) % (W * H);
        h = (h ^ dst[i] ^ ((u32)dst[W * H / 2 + 7] << 8)) * 16777619u;
        dst[i] = (u8)(dst[i] + 97);
    }
    for (i = 0; i < W * H; i++) h = (h ^ img[n & 1][i]) * 16777619u;
    return (int)h;
}
