/* Shared by the WASI 0.2 command programs in this folder (C, wasi-libc,
 * wrapped by `jco new --wasi-command`). Each prints one line per check so
 * that its whole output can be compared between `kumi run` and
 * `jco transpile` + node:
 *   "label: RESULT"   an observation (an errno name, a count, yes/no),
 *   "label: ok"       a condition that held,
 *   "label: FAIL ..." one that did not (the exit status becomes 1),
 * and last "ALL OK" or "SOME FAILED". Nothing printed depends on the time,
 * on random values or on the host's file system outside the fixture. */
#ifndef P2PROGS_COMMON_H
#define P2PROGS_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fails;

/* wasi-libc's errno values as names (the ones these programs can meet). */
__attribute__((unused)) static const char *en(int e) {
  switch (e) {
  case 0: return "OK";
  case EACCES: return "EACCES";
  case EBADF: return "EBADF";
  case EEXIST: return "EEXIST";
  case EINVAL: return "EINVAL";
  case EIO: return "EIO";
  case EISDIR: return "EISDIR";
  case ELOOP: return "ELOOP";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case ENOENT: return "ENOENT";
  case ENOSYS: return "ENOSYS";
  case ENOTDIR: return "ENOTDIR";
  case ENOTEMPTY: return "ENOTEMPTY";
  case ENOTSUP: return "ENOTSUP";
  case ENOTTY: return "ENOTTY";
  case EPERM: return "EPERM";
  case EROFS: return "EROFS";
  case ESPIPE: return "ESPIPE";
  case EXDEV: return "EXDEV";
  case ENOTCAPABLE: return "ENOTCAPABLE";
  default: {
    static char buf[32];
    snprintf(buf, sizeof buf, "errno %d", e);
    return buf;
  }
  }
}

/* Runs a call that returns -1 with errno on failure; yields 0 or errno. */
#define ERR_OF(call) (errno = 0, (call) < 0 ? errno : 0)

/* The call's errno must be `want`. */
#define EXPECT(label, call, want)                                                      \
  do {                                                                                 \
    int e_ = ERR_OF(call);                                                             \
    if (e_ == (want)) printf("%s: %s\n", (label), en(e_));                             \
    else {                                                                             \
      printf("%s: got %s", (label), en(e_));                                           \
      printf(", want %s  FAIL\n", en(want));                                           \
      fails++;                                                                         \
    }                                                                                  \
  } while (0)

#define CHECK(label, cond)                                                             \
  do {                                                                                 \
    if (cond) printf("%s: ok\n", (label));                                             \
    else {                                                                             \
      printf("%s: FAIL (%s)\n", (label), #cond);                                       \
      fails++;                                                                         \
    }                                                                                  \
  } while (0)

__attribute__((unused)) static int finish(void) {
  printf("%s\n", fails ? "SOME FAILED" : "ALL OK");
  fflush(stdout);
  return fails ? 1 : 0;
}

#endif
