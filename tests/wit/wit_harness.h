/* Shared by the WIT tests (test_wit.c, test_wit_bin.c; each is its own
 * program): CHECK with a printf-style message and pass/fail counters, a
 * counting allocator that can fail one chosen allocation, FMT, and the
 * folders the tests read. Include after wit/wit.h. */
#ifndef KUMI_TESTS_WIT_HARNESS_H
#define KUMI_TESTS_WIT_HARNESS_H

#include "files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Paths are formatted into fixed buffers; a path too long for them is
 * simply cut, which the checks then report. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static int passed, failed;
#define CHECK(cond, ...)                                                         \
  do {                                                                           \
    if (cond) {                                                                  \
      passed++;                                                                  \
    } else {                                                                     \
      failed++;                                                                  \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                              \
      fputc('\n', stderr);                                                       \
    }                                                                            \
  } while (0)

/* ---- a counting allocator ---- */
typedef struct counts {
  long long blocks, bytes;
  long long fail_in; /* > 0: the fail_in-th allocation from now fails */
} counts;

static inline void *counting_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  counts *c = ud;
  if (new_size && c->fail_in > 0 && --c->fail_in == 0) return NULL;
  if (new_size == 0) {
    if (p) {
      c->blocks--;
      c->bytes -= (long long)old_size;
    }
    free(p);
    return NULL;
  }
  void *q = realloc(p, new_size);
  if (!q) return NULL;
  if (!p) c->blocks++;
  c->bytes += (long long)new_size - (long long)(p ? old_size : 0);
  return q;
}

/* The allocator every kumi call of the test gets (set by main). */
static const kumi_allocator *alloc_hook;

/* snprintf whose truncation is checked (an over-long path is skipped). */
#define FMT(buf, ...) (snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

/* src: the folder of the test's source file (file: its __FILE__);
 * shared: $KUMI_SHARED_DIR, or else <source>/../shared. */
static inline void wit_test_dirs(const char *file, char *src, size_t src_size, char *shared, size_t shared_size) {
  snprintf(src, src_size, "%s", file);
  char *slash = strrchr(src, '/');
  if (slash) *slash = 0; /* tests/wit */
  else snprintf(src, src_size, ".");
  const char *env = getenv("KUMI_SHARED_DIR");
  if (env && *env) snprintf(shared, shared_size, "%s", env);
  else snprintf(shared, shared_size, "%s/../../../shared", src);
}

/* Load options for the package at path (a folder or file) with the one
 * dependency folder *dep. */
static inline wit_load_opts wit_path_opts(const char *path, const char *const *dep) {
  wit_load_opts o;
  memset(&o, 0, sizeof o);
  o.path = path;
  o.deps = dep;
  o.ndeps = 1;
  return o;
}

/* Called for each WASI package: pdir, the package's folder, proposal in
 * the version folder vdir (its dependency folder), version. */
typedef void (*wit_package_fn)(void *ctx, const char *vdir, const char *version, const char *proposal,
                               const char *pdir);

/* Calls each for every <shared>/spec/wasi/<version>/<proposal> folder
 * (numbered versions: preview1 is witx). False, having printed "skipped:
 * what ...", when there is no such spec folder. */
static inline bool wit_each_wasi_package(const char *shared, const char *what, wit_package_fn each, void *ctx) {
  char root[4096];
  (void)FMT(root, "%s/spec/wasi", shared);
  if (!is_dir(root)) {
    printf("skipped: %s (%s not found; set KUMI_SHARED_DIR)\n", what, root);
    return false;
  }
  char **versions;
  size_t nv = list_dir(root, &versions);
  for (size_t v = 0; v < nv; v++) {
    char vdir[4096];
    (void)FMT(vdir, "%s/%s", root, versions[v]);
    if (versions[v][0] < '0' || versions[v][0] > '9' || !is_dir(vdir)) continue;
    char **props;
    size_t np = list_dir(vdir, &props);
    for (size_t i = 0; i < np; i++) {
      char pdir[4200];
      if (FMT(pdir, "%s/%s", vdir, props[i]) && is_dir(pdir)) each(ctx, vdir, versions[v], props[i], pdir);
    }
    free_list(props, np);
  }
  free_list(versions, nv);
  return true;
}

#endif
