/* stdin through wasi:cli/stdin's input-stream: reads it to its end in
 * chunks of growing size (1, 2, 4, ... 4096 bytes, so both short and long
 * blocking-reads happen), then prints its length, line count and FNV-1a
 * hash, checks that reading at the end keeps giving 0, and echoes the first
 * line through stdio (fgets on a stream opened with fdopen). */
#include "common.h"

#include <stdint.h>
#include <unistd.h>

int main(void) {
  static unsigned char buf[4096];
  uint32_t hash = 2166136261u;
  size_t total = 0, lines = 0, chunk = 1, reads = 0;
  char first[64] = "";
  size_t nfirst = 0;
  int saw_newline = 0;
  for (;;) {
    ssize_t n = read(0, buf, chunk);
    if (n < 0) {
      printf("read: %s  FAIL\n", en(errno));
      fails++;
      break;
    }
    if (n == 0) break;
    reads++;
    for (ssize_t i = 0; i < n; i++) {
      hash = (hash ^ buf[i]) * 16777619u;
      if (buf[i] == '\n') {
        lines++;
        saw_newline = 1;
      } else if (!saw_newline && nfirst + 1 < sizeof first) {
        first[nfirst++] = (char)buf[i];
      }
    }
    total += (size_t)n;
    if (chunk < sizeof buf) chunk *= 2;
  }
  printf("bytes: %zu\n", total);
  printf("lines: %zu\n", lines);
  printf("fnv1a: %08x\n", (unsigned)hash);
  printf("first line: [%s]\n", first);
  CHECK("several reads", reads > 1);
  ssize_t again = read(0, buf, sizeof buf);
  printf("read at the end: %zd\n", again);
  again = read(0, buf, sizeof buf);
  printf("read at the end again: %zd\n", again);
  EXPECT("lseek on stdin", lseek(0, 0, SEEK_SET), ESPIPE);
  return finish();
}
