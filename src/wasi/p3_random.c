/* wasi:random@0.3.0 on the host: random, insecure and insecure-seed, all
 * from the kernel's generator (getrandom), which is fine for both. The
 * functions are synchronous. insecure-seed is drawn once per kumi_wasi
 * and then returned again: the interface means it to be one value per
 * instance (the suite's random test checks that two calls agree). */
#define _GNU_SOURCE
#include "p3.h"
#include "wasi_share.h"

#define RANDOM(x) WASI_P3_IFACE("wasi:random/" x)

/* The most get-random-bytes hands out in one call; the interface allows
 * short reads (the guest loops), so a larger max-len gets this many. */
#define RANDOM_MAX ((uint64_t)1 << 20)

static kumi_error *f_bytes(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  kumi_wasi *w = env;
  uint64_t len = n >= 1 ? args[0].of.u : 0;
  if (len > RANDOM_MAX) len = RANDOM_MAX;
  bool failed;
  kumi_error *e = wasi_random_list(w->alloc, a, (size_t)len, r, &failed);
  if (!e && failed) e = wasi_p3_trap(w, "the host random generator failed");
  return e;
}

static kumi_error *f_u64(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a, (void)args, (void)n;
  uint64_t v;
  if (!wasi_random_u64(&v)) return wasi_p3_trap(env, "the host random generator failed");
  *r = kumi_cval_int(KUMI_CV_U64, (int64_t)v);
  return NULL;
}

typedef struct rnd_state {
  kumi_wasi *w;
  bool have_seed;
  uint64_t seed[2];
} rnd_state;

static kumi_error *f_seed(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  rnd_state *st = env;
  if (!st->have_seed) {
    if (!wasi_random_u64(&st->seed[0]) || !wasi_random_u64(&st->seed[1])) return wasi_p3_trap(st->w, "the host random generator failed");
    st->have_seed = true;
  }
  if (!kumi_cval_agg(a, KUMI_CV_TUPLE, 2, r)) return kb_error_oom();
  r->of.agg.items[0] = kumi_cval_int(KUMI_CV_U64, (int64_t)st->seed[0]);
  r->of.agg.items[1] = kumi_cval_int(KUMI_CV_U64, (int64_t)st->seed[1]);
  return NULL;
}

static void rnd_free(void *state) {
  rnd_state *st = state;
  kb_free(st->w->alloc, st, sizeof *st);
}

kumi_error *wasi_p3_add_random(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part) {
  rnd_state *st = kb_zalloc(w->alloc, sizeof *st);
  if (!st) return kb_error_oom();
  st->w = w;
  part->state = st;
  part->free = rnd_free;
  static const struct {
    const char *iface, *name;
    kumi_component_host_fn fn;
  } fns[] = {
      {RANDOM("random"), "get-random-bytes", f_bytes},
      {RANDOM("random"), "get-random-u64", f_u64},
      {RANDOM("insecure"), "get-insecure-random-bytes", f_bytes},
      {RANDOM("insecure"), "get-insecure-random-u64", f_u64},
  };
  kumi_error *e;
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if ((e = kumi_component_linker_define_func(l, fns[i].iface, fns[i].name, NULL, fns[i].fn, w))) return e;
  return kumi_component_linker_define_func(l, RANDOM("insecure-seed"), "get-insecure-seed", NULL, f_seed, st);
}
