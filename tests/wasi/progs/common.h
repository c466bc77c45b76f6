/* Shared by the WASI test programs (compiled with clang --target=wasm32-wasi
 * against wasi-libc). Each program prints one line per check:
 *   "label: RESULT" when the result is the expected one,
 *   "label: got X, want Y  FAIL" otherwise,
 * and a last line "ALL OK" or "SOME FAILED" (exit status 1). Results are
 * errno names, so the same program's output can be compared line by line
 * between kumi and other runtimes. */
#ifndef WASI_TEST_COMMON_H
#define WASI_TEST_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static int fails;

static const char *const errno_names[] = {"OK", "E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EAGAIN", "EALREADY", "EBADF", "EBADMSG", "EBUSY", "ECANCELED", "ECHILD", "ECONNABORTED", "ECONNREFUSED", "ECONNRESET", "EDEADLK", "EDESTADDRREQ", "EDOM", "EDQUOT", "EEXIST", "EFAULT", "EFBIG", "EHOSTUNREACH", "EIDRM", "EILSEQ", "EINPROGRESS", "EINTR", "EINVAL", "EIO", "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMLINK", "EMSGSIZE", "EMULTIHOP", "ENAMETOOLONG", "ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE", "ENOBUFS", "ENODEV", "ENOENT", "ENOEXEC", "ENOLCK", "ENOLINK", "ENOMEM", "ENOMSG", "ENOPROTOOPT", "ENOSPC", "ENOSYS", "ENOTCONN", "ENOTDIR", "ENOTEMPTY", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP", "ENOTTY", "ENXIO", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPIPE", "EPROTO", "EPROTONOSUPPORT", "EPROTOTYPE", "ERANGE", "EROFS", "ESPIPE", "ESRCH", "ESTALE", "ETIMEDOUT", "ETXTBSY", "EXDEV", "ENOTCAPABLE",};

__attribute__((unused)) static const char *en(int e) {
  static char buf[32];
  if (e >= 0 && e < (int)(sizeof errno_names / sizeof errno_names[0])) return errno_names[e];
  snprintf(buf, sizeof buf, "E#%d", e);
  return buf;
}

/* The call's errno must be `want`. */
#define EXPECT(label, call, want)                                               \
  do {                                                                          \
    int e_ = (call);                                                            \
    if (e_ == (want)) printf("%s: %s\n", (label), en(e_));                     \
    else {                                                                      \
      printf("%s: got %s, want %s  FAIL\n", (label), en(e_), en(want));        \
      fails++;                                                                  \
    }                                                                           \
  } while (0)

/* Either of two errnos (where POSIX hosts differ); prints both. */
#define EXPECT2(label, call, w1, w2)                                            \
  do {                                                                          \
    int e_ = (call);                                                            \
    if (e_ == (w1) || e_ == (w2)) printf("%s: %s|%s\n", (label), en(w1), en(w2)); \
    else {                                                                      \
      printf("%s: got %s, want %s|%s  FAIL\n", (label), en(e_), en(w1), en(w2)); \
      fails++;                                                                  \
    }                                                                           \
  } while (0)

#define CHECK(label, cond)                                                      \
  do {                                                                          \
    if (cond) printf("%s: ok\n", (label));                                     \
    else {                                                                      \
      printf("%s: FAIL (%s)\n", (label), #cond);                               \
      fails++;                                                                  \
    }                                                                           \
  } while (0)

__attribute__((unused)) static int finish(void) {
  printf("%s\n", fails ? "SOME FAILED" : "ALL OK");
  fflush(stdout);
  return fails ? 1 : 0;
}

/* Raw imports, for what wasi-libc does not expose or to pass addresses
 * outside memory on purpose. */
#define WASI_IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
WASI_IMPORT(proc_raise) int32_t raw_proc_raise(int32_t sig);
WASI_IMPORT(fd_write) int32_t raw_fd_write(int32_t fd, int32_t iovs, int32_t n, int32_t ret);
WASI_IMPORT(fd_read) int32_t raw_fd_read(int32_t fd, int32_t iovs, int32_t n, int32_t ret);
WASI_IMPORT(fd_pread) int32_t raw_fd_pread(int32_t fd, int32_t iovs, int32_t n, int64_t off, int32_t ret);
WASI_IMPORT(args_get) int32_t raw_args_get(int32_t argv, int32_t buf);
WASI_IMPORT(args_sizes_get) int32_t raw_args_sizes_get(int32_t n, int32_t size);
WASI_IMPORT(environ_get) int32_t raw_environ_get(int32_t env, int32_t buf);
WASI_IMPORT(clock_time_get) int32_t raw_clock_time_get(int32_t id, int64_t prec, int32_t ret);
WASI_IMPORT(random_get) int32_t raw_random_get(int32_t buf, int32_t len);
WASI_IMPORT(fd_fdstat_get) int32_t raw_fd_fdstat_get(int32_t fd, int32_t ret);
WASI_IMPORT(fd_filestat_get) int32_t raw_fd_filestat_get(int32_t fd, int32_t ret);
WASI_IMPORT(fd_prestat_dir_name) int32_t raw_fd_prestat_dir_name(int32_t fd, int32_t buf, int32_t len);
WASI_IMPORT(fd_readdir) int32_t raw_fd_readdir(int32_t fd, int32_t buf, int32_t len, int64_t cookie, int32_t ret);
WASI_IMPORT(fd_seek) int32_t raw_fd_seek(int32_t fd, int64_t off, int32_t whence, int32_t ret);
WASI_IMPORT(path_open) int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len,
                                              int32_t oflags, int64_t base, int64_t inh, int32_t fdflags, int32_t ret);
WASI_IMPORT(path_filestat_get) int32_t raw_path_filestat_get(int32_t fd, int32_t flags, int32_t path, int32_t len,
                                                              int32_t ret);
WASI_IMPORT(path_readlink) int32_t raw_path_readlink(int32_t fd, int32_t path, int32_t len, int32_t buf,
                                                      int32_t buf_len, int32_t ret);
WASI_IMPORT(path_symlink) int32_t raw_path_symlink(int32_t old, int32_t old_len, int32_t fd, int32_t path,
                                                    int32_t len);
WASI_IMPORT(poll_oneoff) int32_t raw_poll_oneoff(int32_t in, int32_t out, int32_t n, int32_t ret);
WASI_IMPORT(fd_close) int32_t raw_fd_close(int32_t fd);
WASI_IMPORT(fd_advise) int32_t raw_fd_advise(int32_t fd, int64_t off, int64_t len, int32_t advice);
WASI_IMPORT(fd_fdstat_set_flags) int32_t raw_fd_fdstat_set_flags(int32_t fd, int32_t flags);
WASI_IMPORT(sock_accept) int32_t raw_sock_accept(int32_t fd, int32_t flags, int32_t ret);

/* The first address past the end of memory 0. */
__attribute__((unused)) static uint32_t mem_end(void) { return (uint32_t)__builtin_wasm_memory_size(0) * 65536u; }

/* Guest addresses are plain i32 values on wasm32. */
#define ADDR(p) ((int32_t)(uintptr_t)(p))

#define SANDBOX 3 /* the first preopen in every test */

#define R_ALL ((__wasi_rights_t)0x3fffffff)
/* All but the rights that mean writing file data (a directory opened with
 * those is EISDIR). */
#define R_DIR (R_ALL & ~(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE))

#endif
