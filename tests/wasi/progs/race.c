/* Time-of-check/time-of-use: while this runs, the driver swaps
 * sandbox/swap between a real directory (holding secret = "inside-file")
 * and a symbolic link to ../outside (holding secret = "SECRET") as fast as
 * it can. Opening or stat'ing swap/secret must never reach the outside
 * file, whichever way the race falls. Prints "leaks: 0". */
#include "common.h"

int main(void) {
  int opened = 0, refused = 0, other = 0, leaks = 0;
  const int rounds = 4000;
  for (int i = 0; i < rounds; i++) {
    __wasi_fd_t fd;
    __wasi_lookupflags_t lf = (i & 1) ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0;
    int e = __wasi_path_open(SANDBOX, lf, "swap/secret", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    if (!e) {
      char buf[16] = {0};
      __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
      __wasi_size_t n;
      if (!__wasi_fd_read(fd, &iov, 1, &n) && !strncmp(buf, "SECRET", 6)) leaks++;
      (void)__wasi_fd_close(fd);
      opened++;
    } else if (e == __WASI_ERRNO_PERM || e == __WASI_ERRNO_NOTCAPABLE) {
      refused++;
    } else {
      other++;
    }
    __wasi_filestat_t st;
    /* The outside secret is 7 bytes, the inside one 12. */
    if (!__wasi_path_filestat_get(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "swap/secret", &st) && st.size == 7)
      leaks++;
  }
  fprintf(stderr, "opened %d, refused %d, other %d\n", opened, refused, other);
  printf("leaks: %d\n", leaks);
  CHECK("every round accounted for", opened + refused + other == rounds);
  return finish();
}
