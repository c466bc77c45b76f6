/* wasi:random@0.2.12 on the host: random, insecure and insecure-seed, all
 * from the kernel's generator (getrandom), which is fine for both. The
 * generator helpers (wasi_random_*, wasi_share.h) serve wasi:random@0.3 too. */
#define _GNU_SOURCE
#include "p2.h"
#include "wasi_share.h"

#include <errno.h>
#include <sys/random.h>

#define RANDOM(x) WASI_P2_IFACE("wasi:random/" x)

/* The most get-random-bytes hands out in one call (each byte is a kumi_cval
 * on its way to the guest). */
#define RANDOM_MAX ((uint64_t)4 << 20)

bool wasi_random_fill(uint8_t *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t r = getrandom(buf + done, len - done, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += (size_t)r;
  }
  return true;
}

bool wasi_random_u64(uint64_t *v) {
  uint8_t b[8];
  if (!wasi_random_fill(b, sizeof b)) return false;
  *v = wasi_get_u64(b);
  return true;
}

kumi_error *wasi_random_list(const kumi_allocator *host, const kumi_allocator *a, size_t len, kumi_cval *r, bool *failed) {
  *failed = false;
  uint8_t *buf = len ? kb_alloc(host, len) : NULL;
  if (len && !buf) return kb_error_oom();
  kumi_error *e = NULL;
  if (!wasi_random_fill(buf, len)) *failed = true;
  else if (!kumi_cval_agg(a, KUMI_CV_LIST, len, r)) e = kb_error_oom();
  else
    for (size_t i = 0; i < len; i++) r->of.agg.items[i] = kumi_cval_int(KUMI_CV_U8, buf[i]);
  if (buf) kb_free(host, buf, len);
  return e;
}

static kumi_error *f_bytes(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  wasi_p2 *p = env;
  uint64_t len = n >= 1 ? args[0].of.u : 0;
  if (len > RANDOM_MAX) return wasi_p2_trap(p, "get-random-bytes: %llu bytes is too many", (unsigned long long)len);
  bool failed;
  kumi_error *e = wasi_random_list(p->alloc, a, (size_t)len, r, &failed);
  if (!e && failed) e = wasi_p2_trap(p, "the host random generator failed");
  return e;
}

static kumi_error *f_u64(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a, (void)args, (void)n;
  uint64_t v;
  if (!wasi_random_u64(&v)) return wasi_p2_trap(env, "the host random generator failed");
  *r = kumi_cval_int(KUMI_CV_U64, (int64_t)v);
  return NULL;
}

static kumi_error *f_seed(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  uint64_t x, y;
  if (!wasi_random_u64(&x) || !wasi_random_u64(&y)) return wasi_p2_trap(env, "the host random generator failed");
  if (!kumi_cval_agg(a, KUMI_CV_TUPLE, 2, r)) return kb_error_oom();
  r->of.agg.items[0] = kumi_cval_int(KUMI_CV_U64, (int64_t)x);
  r->of.agg.items[1] = kumi_cval_int(KUMI_CV_U64, (int64_t)y);
  return NULL;
}

kumi_error *wasi_p2_add_random(kumi_component_linker *l, wasi_p2 *p) {
  kumi_error *e;
  if ((e = wasi_p2_define(l, RANDOM("random"), "get-random-bytes", f_bytes, p)) ||
      (e = wasi_p2_define(l, RANDOM("random"), "get-random-u64", f_u64, p)) ||
      (e = wasi_p2_define(l, RANDOM("insecure"), "get-insecure-random-bytes", f_bytes, p)) ||
      (e = wasi_p2_define(l, RANDOM("insecure"), "get-insecure-random-u64", f_u64, p)) ||
      (e = wasi_p2_define(l, RANDOM("insecure-seed"), "insecure-seed", f_seed, p)))
    return e;
  return NULL;
}
