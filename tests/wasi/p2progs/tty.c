/* Terminal queries: wasi-libc's isatty asks fd_fdstat_get, which the
 * adapter answers from wasi:cli/terminal-stdin, terminal-stdout and
 * terminal-stderr (a character device when the host gives a terminal). The
 * ctest runs it twice (check.cmake): with stdin from a file and stdout and
 * stderr to pipes, so that none of them is a terminal, and under script(1)
 * with all three on a pseudo-terminal. Also: isatty on a regular file, a
 * directory and a closed descriptor. */
#include "common.h"

#include <fcntl.h>
#include <unistd.h>

static void query(const char *label, int fd) {
  errno = 0;
  int t = isatty(fd);
  printf("%s: isatty=%d errno=%s\n", label, t, t ? "OK" : en(errno));
}

int main(void) {
  query("stdin", 0);
  query("stdout", 1);
  query("stderr", 2);
  int f = open("/hello.txt", O_RDONLY);
  CHECK("open /hello.txt", f >= 0);
  if (f >= 0) {
    query("regular file", f);
    close(f);
  }
  int d = open("/tree", O_RDONLY | O_DIRECTORY);
  CHECK("open /tree", d >= 0);
  if (d >= 0) {
    query("directory", d);
    close(d);
  }
  query("closed descriptor", 99);
  return finish();
}
