/* stdin, stdout, stderr: read all of stdin, write it back upper-cased,
 * a line to stderr, and what each stream looks like. */
#include "common.h"

#include <ctype.h>
#include <unistd.h>

int main(void) {
  char buf[256];
  size_t total = 0;
  char all[4096];
  for (;;) {
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t got = 0;
    int e = __wasi_fd_read(0, &iov, 1, &got);
    if (e) {
      printf("fd_read stdin: %s\n", en(e));
      fails++;
      break;
    }
    if (got == 0) break;
    if (total + got <= sizeof all) memcpy(all + total, buf, got);
    total += got;
  }
  printf("stdin bytes=%zu\n", total);
  for (size_t i = 0; i < total && i < sizeof all; i++) all[i] = (char)toupper((unsigned char)all[i]);
  fflush(stdout);
  __wasi_ciovec_t parts[3] = {{(const uint8_t *)"<", 1}, {(const uint8_t *)all, total}, {(const uint8_t *)">\n", 2}};
  __wasi_size_t put = 0;
  EXPECT("fd_write stdout, 3 iovecs", __wasi_fd_write(1, parts, 3, &put), 0);
  CHECK("wrote them all", put == total + 3);
  __wasi_ciovec_t e1 = {(const uint8_t *)"to stderr\n", 10};
  EXPECT("fd_write stderr", __wasi_fd_write(2, &e1, 1, &put), 0);
  __wasi_iovec_t none = {(uint8_t *)buf, 0};
  __wasi_size_t got = 99;
  EXPECT("fd_read at end", __wasi_fd_read(0, &none, 1, &got), 0);
  CHECK("reads 0", got == 0);
  EXPECT("fd_write to stdin", __wasi_fd_write(0, &e1, 1, &put), __WASI_ERRNO_NOTCAPABLE);
  __wasi_filesize_t pos;
  EXPECT2("fd_seek on stdout", __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_SPIPE,
          __WASI_ERRNO_NOTCAPABLE);
  for (int fd = 0; fd < 3; fd++) {
    __wasi_fdstat_t st;
    char label[32];
    snprintf(label, sizeof label, "fd_fdstat_get %d", fd);
    EXPECT(label, __wasi_fd_fdstat_get((__wasi_fd_t)fd, &st), 0);
    printf("fd %d filetype=%u isatty=%d\n", fd, st.fs_filetype, isatty(fd));
  }
  __wasi_prestat_t ps;
  EXPECT("fd_prestat_get on stdout", __wasi_fd_prestat_get(1, &ps), __WASI_ERRNO_BADF);
  return finish();
}
