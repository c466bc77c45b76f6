/* wasi:random through wasi-libc: getentropy (random_get, then
 * get-random-bytes on the host) and arc4random. Checks lengths and that the
 * bytes vary, never their values: two 256-byte draws differ, no byte value
 * takes more than a tenth of 64 KiB, every bit position is set in some
 * byte, and getentropy's limit (256 bytes) gives EIO beyond it. */
#include "common.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
  static unsigned char a[256], b[256], big[65536];
  EXPECT("getentropy 256", getentropy(a, sizeof a), 0);
  EXPECT("getentropy 256 again", getentropy(b, sizeof b), 0);
  CHECK("two draws differ", memcmp(a, b, sizeof a) != 0);
  EXPECT("getentropy 257", getentropy(big, 257), EIO);
  EXPECT("getentropy 0", getentropy(big, 0), 0);
  for (size_t off = 0; off < sizeof big; off += 256) getentropy(big + off, 256);
  size_t count[256] = {0};
  unsigned char ors = 0, ands = 0xff;
  for (size_t i = 0; i < sizeof big; i++) {
    count[big[i]]++;
    ors |= big[i];
    ands &= big[i];
  }
  size_t most = 0, distinct = 0;
  for (int v = 0; v < 256; v++) {
    if (count[v] > most) most = count[v];
    distinct += count[v] > 0;
  }
  CHECK("64 KiB: no byte value over 10%", most < sizeof big / 10);
  CHECK("64 KiB: over 200 distinct byte values", distinct > 200);
  CHECK("every bit set somewhere", ors == 0xff);
  CHECK("every bit clear somewhere", ands == 0);
  uint32_t x = arc4random(), y = arc4random(), z = arc4random();
  CHECK("arc4random varies", !(x == y && y == z));
  uint32_t u = arc4random_uniform(10);
  CHECK("arc4random_uniform(10) < 10", u < 10);
  return finish();
}
