/* wasi:clocks@0.2.12 on the host: monotonic-clock (with pollables that
 * become ready at an instant) and wall-clock. */
#define _GNU_SOURCE
#include "p2.h"
#include "wasi_share.h"

#include <time.h>

#define CLOCKS(x) WASI_P2_IFACE("wasi:clocks/" x)

uint64_t wasi_clock_ns(clockid_t id) {
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t wasi_clock_res(clockid_t id) {
  struct timespec ts;
  if (clock_getres(id, &ts) != 0) return 1;
  uint64_t r = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  return r ? r : 1;
}

kumi_error *wasi_clock_mono_now(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)env, (void)a, (void)args, (void)n;
  *r = kumi_cval_int(KUMI_CV_U64, (int64_t)wasi_clock_ns(CLOCK_MONOTONIC));
  return NULL;
}

kumi_error *wasi_clock_mono_res(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)env, (void)a, (void)args, (void)n;
  *r = kumi_cval_int(KUMI_CV_U64, (int64_t)wasi_clock_res(CLOCK_MONOTONIC));
  return NULL;
}

static kumi_error *timer(wasi_p2 *p, uint64_t deadline, kumi_cval *r) {
  uint32_t rep;
  if (!wasi_p2_pollable_timer_new(p, deadline, &rep)) return kb_error_oom();
  *r = kumi_cval_handle(KUMI_CV_OWN, rep);
  return NULL;
}

static kumi_error *f_sub_instant(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a;
  if (n < 1) return wasi_p2_trap(env, "subscribe-instant: no argument");
  return timer(env, args[0].of.u, r);
}

static kumi_error *f_sub_duration(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                  kumi_cval *r) {
  (void)a;
  if (n < 1) return wasi_p2_trap(env, "subscribe-duration: no argument");
  uint64_t now = wasi_clock_ns(CLOCK_MONOTONIC), d = args[0].of.u;
  return timer(env, d > UINT64_MAX - now ? UINT64_MAX : now + d, r);
}

/* record datetime { seconds: u64, nanoseconds: u32 } */
static kumi_error *datetime(const kumi_allocator *a, uint64_t ns, kumi_cval *r) {
  if (!kumi_cval_agg(a, KUMI_CV_RECORD, 2, r)) return kb_error_oom();
  r->of.agg.items[0] = kumi_cval_int(KUMI_CV_U64, (int64_t)(ns / 1000000000u));
  r->of.agg.items[1] = kumi_cval_int(KUMI_CV_U32, (int64_t)(ns % 1000000000u));
  return NULL;
}

static kumi_error *f_wall_now(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)env, (void)args, (void)n;
  return datetime(a, wasi_clock_ns(CLOCK_REALTIME), r);
}

static kumi_error *f_wall_res(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)env, (void)args, (void)n;
  return datetime(a, wasi_clock_res(CLOCK_REALTIME), r);
}

kumi_error *wasi_p2_add_clocks(kumi_component_linker *l, wasi_p2 *p) {
  kumi_error *e;
  if ((e = wasi_p2_define(l, CLOCKS("monotonic-clock"), "now", wasi_clock_mono_now, p)) ||
      (e = wasi_p2_define(l, CLOCKS("monotonic-clock"), "resolution", wasi_clock_mono_res, p)) ||
      (e = wasi_p2_define(l, CLOCKS("monotonic-clock"), "subscribe-instant", f_sub_instant, p)) ||
      (e = wasi_p2_define(l, CLOCKS("monotonic-clock"), "subscribe-duration", f_sub_duration, p)) ||
      (e = wasi_p2_define(l, CLOCKS("wall-clock"), "now", f_wall_now, p)) ||
      (e = wasi_p2_define(l, CLOCKS("wall-clock"), "resolution", f_wall_res, p)))
    return e;
  return NULL;
}
