/* args, environ, clocks, random, proc_exit/raise, sched_yield. */
#define _GNU_SOURCE
#include "wasi.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Writes n strings as a pointer array at ptrs and the NUL-terminated bytes
 * at buf (what args_get and environ_get share). */
static wasi_errno put_strings(const wasi_mem *m, char *const *v, size_t n, size_t bytes, uint32_t ptrs, uint32_t buf) {
  uint8_t *pp = wasi_mem_at(m, ptrs, (uint64_t)n * 4);
  uint8_t *bp = wasi_mem_at(m, buf, bytes);
  if (!pp || !bp) return WASI_EFAULT;
  uint32_t at = buf;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(v[i]) + 1;
    memcpy(m->base + at, v[i], len);
    wasi_put_u32(pp + 4 * i, at);
    at += (uint32_t)len;
  }
  return WASI_ESUCCESS;
}

static wasi_errno put_sizes(const wasi_mem *m, size_t n, size_t bytes, uint32_t count_ptr, uint32_t size_ptr) {
  if (n > UINT32_MAX || bytes > UINT32_MAX) return WASI_EOVERFLOW;
  if (!wasi_mem_at(m, count_ptr, 4) || !wasi_mem_at(m, size_ptr, 4)) return WASI_EFAULT;
  wasi_store_u32(m, count_ptr, (uint32_t)n);
  wasi_store_u32(m, size_ptr, (uint32_t)bytes);
  return WASI_ESUCCESS;
}

wasi_errno wasi_args_get(wasi_call *c, const kumi_val *a) {
  return put_strings(&c->mem, c->w->args, c->w->nargs, c->w->args_bytes, WASI_ARG_I32(0), WASI_ARG_I32(1));
}

wasi_errno wasi_args_sizes_get(wasi_call *c, const kumi_val *a) {
  return put_sizes(&c->mem, c->w->nargs, c->w->args_bytes, WASI_ARG_I32(0), WASI_ARG_I32(1));
}

wasi_errno wasi_environ_get(wasi_call *c, const kumi_val *a) {
  return put_strings(&c->mem, c->w->env, c->w->nenv, c->w->env_bytes, WASI_ARG_I32(0), WASI_ARG_I32(1));
}

wasi_errno wasi_environ_sizes_get(wasi_call *c, const kumi_val *a) {
  return put_sizes(&c->mem, c->w->nenv, c->w->env_bytes, WASI_ARG_I32(0), WASI_ARG_I32(1));
}

/* ---- clocks ------------------------------------------------------------------------ */

static bool host_clock(uint32_t id, clockid_t *out) {
  switch (id) {
  case 0: *out = CLOCK_REALTIME; return true;
  case 1: *out = CLOCK_MONOTONIC; return true;
  case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
  case 3: *out = CLOCK_THREAD_CPUTIME_ID; return true;
  default: return false;
  }
}

static uint64_t ts_ns(const struct timespec *ts) {
  if (ts->tv_sec < 0) return 0;
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

bool wasi_clock_now(uint32_t id, uint64_t *ns) {
  clockid_t cid;
  struct timespec ts;
  if (!host_clock(id, &cid) || clock_gettime(cid, &ts) != 0) return false;
  *ns = ts_ns(&ts);
  return true;
}

wasi_errno wasi_clock_res_get(wasi_call *c, const kumi_val *a) {
  clockid_t cid;
  struct timespec ts;
  if (!host_clock(WASI_ARG_I32(0), &cid)) return WASI_EINVAL;
  if (!wasi_mem_at(&c->mem, WASI_ARG_I32(1), 8)) return WASI_EFAULT;
  if (clock_getres(cid, &ts) != 0) return wasi_errno_last();
  uint64_t ns = ts_ns(&ts);
  return wasi_store_u64(&c->mem, WASI_ARG_I32(1), ns ? ns : 1);
}

wasi_errno wasi_clock_time_get(wasi_call *c, const kumi_val *a) {
  /* a[1] is the precision the guest would accept; the host clock is as
   * precise as it gets anyway. */
  uint64_t ns;
  clockid_t cid;
  if (!host_clock(WASI_ARG_I32(0), &cid)) return WASI_EINVAL;
  if (!wasi_mem_at(&c->mem, WASI_ARG_I32(2), 8)) return WASI_EFAULT;
  if (!wasi_clock_now(WASI_ARG_I32(0), &ns)) return wasi_errno_last();
  return wasi_store_u64(&c->mem, WASI_ARG_I32(2), ns);
}

/* ---- random --------------------------------------------------------------------------- */

static wasi_errno fill_random(uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno != ENOSYS) return wasi_errno_last();
      /* Old kernel: the device. */
      int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
      if (fd < 0) return wasi_errno_last();
      while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
          close(fd);
          return WASI_EIO;
        }
        p += r;
        n -= (size_t)r;
      }
      close(fd);
      return WASI_ESUCCESS;
    }
    p += got;
    n -= (size_t)got;
  }
  return WASI_ESUCCESS;
}

wasi_errno wasi_random_get(wasi_call *c, const kumi_val *a) {
  uint8_t *p = wasi_mem_at(&c->mem, WASI_ARG_I32(0), WASI_ARG_I32(1));
  if (!p) return WASI_EFAULT;
  return fill_random(p, WASI_ARG_I32(1));
}

/* ---- proc, sched ------------------------------------------------------------------------ */

wasi_errno wasi_proc_exit(wasi_call *c, const kumi_val *a) {
  c->stop = kumi_error_new_exit(kumi_caller_store(c->caller), (int)WASI_ARG_I32(0));
  if (!c->stop) c->stop = kb_error_oom();
  return WASI_ESUCCESS;
}

/* proc_raise: a guest cannot signal the host process. A signal whose
 * default action terminates ends the guest as if killed by it: an exit
 * request with status 128 + the host signal number, as a shell reports it.
 * Signals ignored by default do nothing; stop signals are not supported. */
wasi_errno wasi_proc_raise(wasi_call *c, const kumi_val *a) {
  static const int host_sig[] = {
      0,       SIGHUP,  SIGINT,  SIGQUIT, SIGILL,    SIGTRAP, SIGABRT,   SIGBUS,  SIGFPE,  SIGKILL, SIGUSR1,
      SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,   SIGCHLD, SIGCONT,   SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU,
      SIGURG,  SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGPOLL, SIGPWR,  SIGSYS,
  };
  uint32_t sig = WASI_ARG_I32(0);
  if (sig >= sizeof host_sig / sizeof host_sig[0]) return WASI_EINVAL;
  int hs = host_sig[sig];
  if (hs == 0 || hs == SIGCHLD || hs == SIGCONT || hs == SIGURG || hs == SIGWINCH) return WASI_ESUCCESS;
  if (hs == SIGSTOP || hs == SIGTSTP || hs == SIGTTIN || hs == SIGTTOU) return WASI_ENOTSUP;
  c->stop = kumi_error_new_exit(kumi_caller_store(c->caller), 128 + hs);
  if (!c->stop) c->stop = kb_error_oom();
  return WASI_ESUCCESS;
}

wasi_errno wasi_sched_yield(wasi_call *c, const kumi_val *a) {
  (void)c;
  (void)a;
  sched_yield();
  return WASI_ESUCCESS;
}
