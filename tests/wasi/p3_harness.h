/* What the WASI 0.3 tests (test_wasi_p3_*.c) share, on top of
 * wasi_harness.h: running a wasm32-wasip3 command in-process with WASI 0.2
 * and 0.3 linked and a counting allocator, instantiating a component of
 * our own (text) with WASI 0.3, running the suite's rust-wasip3 programs
 * of one kind, and the bump allocator our components' text uses. */
#ifndef KUMI_TESTS_WASI_P3_HARNESS_H
#define KUMI_TESTS_WASI_P3_HARNESS_H

#include "wasi_harness.h"

#include "../test.h"

#include "text/text.h"

#include <time.h>

/* The core function `realloc` (a bump allocator from a global $heap over
 * the module's memory, which it grows) of our components' $Mem module:
 * WAT text, to paste inside a (core module ...). */
#define P3H_WAT_REALLOC                                                                                  \
  "    (func (export \"realloc\") (param i32 i32 i32 i32) (result i32)\n"                                \
  "      (local $p i32)\n"                                                                              \
  "      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))\n"    \
  "                             (i32.sub (i32.const 0) (local.get 2))))\n"                              \
  "      (global.set $heap (i32.add (local.get $p) (local.get 3)))\n"                                   \
  "      (block $fits\n"                                                                                \
  "        (br_if $fits (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))\n"     \
  "        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable)))\n"             \
  "      (local.get $p)))\n"

/* Runs a wasm32-wasip3 command (WASI 0.2 and 0.3 linked, run@0.3.0#run
 * called) with a counting allocator: exit_code 0 for ok, 1 for err, or the
 * code given to exit; -1 on a kumi error (in err, also for a leak). */
static inline void p3h_run(h_run *r) {
  r->exit_code = -1;
  r->err[0] = 0;
  hbuf bytes = {0};
  kumi_error *e = NULL;
  kumi_component *c = NULL;
  kumi_store *store = NULL;
  kumi_component_linker *l = NULL;
  kumi_component_instance *inst = NULL;
  kumi_wasi_config *cfg = NULL;
  kumi_wasi *w = NULL;
  kumi_cval res = kumi_cval_bool(false);
  test_alloc ta;
  const kumi_allocator hook = test_alloc_init(&ta, -1);
  kumi_config config = {.allocator = &hook};
  kumi_engine *engine = kumi_engine_new(&config);
  if (!h_read_file(r->wasm, &bytes)) {
    h_fmt(r->err, sizeof r->err, "cannot read %s", r->wasm);
    goto done;
  }
  c = kumi_component_new(engine, (const uint8_t *)bytes.s, bytes.len, &e);
  if (!c) goto done;
  if ((e = h_make_wasi(r, &cfg, &w))) goto done;
  store = kumi_store_new(engine, NULL);
  l = kumi_component_linker_new(engine);
  if ((e = kumi_component_linker_add_wasi_p2(l, w)) || (e = kumi_component_linker_add_wasi_p3(l, w))) goto done;
  inst = kumi_component_linker_instantiate(l, store, c, &e);
  if (!inst) goto done;
  kumi_component_func *run = kumi_component_instance_func(inst, "wasi:cli/run@0.3.0", "run");
  if (!run) {
    h_fmt(r->err, sizeof r->err, "no wasi:cli/run@0.3.0 export");
    goto done;
  }
  e = kumi_component_func_call(store, run, NULL, 0, &res, 1);
  if (!e) {
    r->exit_code = res.kind == KUMI_CV_RESULT && res.of.var.index == 0 ? 0 : 1;
  } else if (kumi_error_kind_of(e) == KUMI_ERR_EXIT) {
    r->exit_code = kumi_error_exit_code(e);
    kumi_error_free(e);
    e = NULL;
  }
done:
  if (e) h_fmt(r->err, sizeof r->err, "%s", kumi_error_message(e));
  h_take_output(r, w);
  kumi_error_free(e);
  kumi_cval_free(&hook, &res);
  kumi_component_instance_free(inst);
  kumi_store_free(store);
  kumi_component_linker_free(l);
  kumi_wasi_free(w);
  kumi_wasi_config_free(cfg);
  kumi_component_free(c);
  kumi_engine_free(engine);
  hbuf_free(&bytes);
  if (!test_alloc_clean(&ta) && !r->err[0])
    h_fmt(r->err, sizeof r->err, "leak: %zu blocks, %zu bytes live", ta.live_blocks, ta.live_bytes);
}

/* A component of ours (text) instantiated with WASI 0.3, under a counting
 * allocator, over a kumi_wasi allowing nets (NULL-terminated, may be NULL)
 * and with host folder preopen as "/" (NULL: none). */
typedef struct p3h_comp {
  test_alloc ta;
  kumi_allocator hook;
  kumi_engine *engine;
  kumi_component *c;
  kumi_wasi *w;
  kumi_component_linker *l;
  kumi_store *store;
  kumi_component_instance *inst;
} p3h_comp;

/* Sets x up (a failed CHECK says why not); true when x->inst is there.
 * Call p3h_comp_close either way. */
static inline bool p3h_comp_open(p3h_comp *x, const char *wat, const char *const *nets, const char *preopen) {
  memset(x, 0, sizeof *x);
  x->hook = test_alloc_init(&x->ta, -1);
  const kumi_allocator *da = kb_default_allocator();
  uint8_t *bin = NULL;
  size_t blen = 0;
  kumi_error *e = text_parse_any(da, wat, strlen(wat), &bin, &blen);
  kumi_config config = {.allocator = &x->hook};
  x->engine = kumi_engine_new(&config);
  if (!e) x->c = kumi_component_new(x->engine, bin, blen, &e);
  kb_free(da, bin, blen);
  kumi_wasi_config *cfg = kumi_wasi_config_new(&x->hook);
  for (size_t i = 0; !e && nets && nets[i]; i++) e = kumi_wasi_config_allow_ip(cfg, nets[i]);
  if (!e && preopen) e = kumi_wasi_config_preopen_dir(cfg, preopen, "/", 0);
  if (!e && x->c) x->w = kumi_wasi_new(cfg, &e);
  kumi_wasi_config_free(cfg);
  if (x->w) {
    x->l = kumi_component_linker_new(x->engine);
    if (!(e = kumi_component_linker_add_wasi_p3(x->l, x->w))) {
      x->store = kumi_store_new(x->engine, NULL);
      x->inst = kumi_component_linker_instantiate(x->l, x->store, x->c, &e);
    }
  }
  CHECKF(!e && x->inst, "component setup: %s", e ? kumi_error_message(e) : "out of memory");
  if (e) kumi_error_free(e);
  return x->inst != NULL;
}

/* Frees x; what names it in the leak check. */
static inline void p3h_comp_close(p3h_comp *x, const char *what) {
  kumi_component_instance_free(x->inst);
  kumi_store_free(x->store);
  kumi_component_linker_free(x->l);
  kumi_wasi_free(x->w);
  kumi_component_free(x->c);
  kumi_engine_free(x->engine);
  CHECKF(test_alloc_clean(&x->ta), "%s: %zu blocks live", what, x->ta.live_blocks);
}

/* The suite's rust-wasip3 folder (see h_suite_dir); file: the test's
 * __FILE__. False (and a line saying the programs are skipped) when absent. */
static inline bool p3h_programs_dir(const char *file, char *dir, size_t n) {
  char here[PATH_MAX];
  h_source_dir(here, sizeof here, file);
  if (h_suite_dir(here, "rust-wasip3", dir, n)) return true;
  printf("rust-wasip3 not found at %s: programs skipped\n", dir);
  return false;
}

static inline int p3h_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Runs the programs of folder dir whose names start with prefix (at least
 * min of them, else the folder is not the one we know), in name order, or
 * only those named in argv[1..] when there are any: run says whether one
 * passed (why: how not). Prints a line a program (with its time when
 * timed) and "rust-wasip3 <kind>: P of N pass". */
static inline void p3h_run_programs(const char *dir, const char *prefix, const char *kind, size_t min, int argc,
                                    char **argv, bool (*run)(const char *dir, const char *stem, char *why, size_t n),
                                    bool timed) {
  DIR *d = opendir(dir);
  if (!d) {
    printf("rust-wasip3 not found at %s: programs skipped\n", dir);
    return;
  }
  char *names[64];
  size_t n = 0, plen = strlen(prefix);
  struct dirent *de;
  while ((de = readdir(d)) && n < 64) {
    size_t len = strlen(de->d_name);
    if (!strncmp(de->d_name, prefix, plen) && len > 5 && !strcmp(de->d_name + len - 5, ".wasm"))
      names[n++] = strndup(de->d_name, len - 5);
  }
  closedir(d);
  qsort(names, n, sizeof *names, p3h_cmp_str);
  CHECKF(n >= min, "%zu %s programs in %s", n, kind, dir);
  int passed = 0, ran = 0;
  for (size_t i = 0; i < n; i++) {
    bool wanted = argc < 2;
    for (int a = 1; a < argc; a++)
      if (!strcmp(argv[a], names[i])) wanted = true;
    if (wanted) {
      char why[1024] = "", took[32] = "";
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      bool ok = run(dir, names[i], why, sizeof why);
      clock_gettime(CLOCK_MONOTONIC, &t1);
      if (timed)
        h_fmt(took, sizeof took, " (%lld ms)",
              (long long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
      ran++;
      passed += ok;
      CHECKF(ok, "%s: %s", names[i], why);
      printf("%s %s%s%s%s\n", ok ? "PASS" : "FAIL", names[i], took, ok ? "" : ": ", ok ? "" : why);
      fflush(stdout);
    }
    free(names[i]);
  }
  printf("rust-wasip3 %s: %d of %d pass\n", kind, passed, ran);
}

#endif
