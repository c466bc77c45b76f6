/* Copies SRC to DST (or stdin to stdout without arguments) through
 * read/write with a BUF-byte buffer, i.e. one fd_read and one fd_write per
 * chunk. Prints nothing; the exit status is 0 on success. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef BUF
#define BUF (64 * 1024)
#endif
static char buf[BUF];

int main(int argc, char **argv) {
  int in = 0, out = 1;
  if (argc == 3) {
    in = open(argv[1], O_RDONLY);
    out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) {
      perror("open");
      return 2;
    }
  }
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0) {
      perror("read");
      return 3;
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w <= 0) {
        perror("write");
        return 4;
      }
      off += w;
    }
  }
  return 0;
}
