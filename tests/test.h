/* Shared by the unit tests (each tests/<layer>/test_*.c is its own
 * program): CHECK with pass/fail counters and the "N passed, N failed"
 * summary, an error-kind check, and a counting kumi_allocator that tracks
 * live blocks and bytes, checks the old_size of every free and resize, and
 * can fail every allocation from the Nth on.
 *
 * The counters are the only mutable state, file-scope statics: one set per
 * test program. A program that wants fewer failure reports (a property
 * test that may fail thousands of times) defines TEST_MAX_REPORTS before
 * including this header; failures past it are counted but not printed. */
#ifndef KUMI_TESTS_TEST_H
#define KUMI_TESTS_TEST_H

#include "kumi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TEST_MAX_REPORTS
#define TEST_MAX_REPORTS 2147483647
#endif

static int test_passed, test_failed;

/* Counts one check; true when it passed. */
static inline bool test_count(bool ok) {
  if (ok)
    test_passed++;
  else
    test_failed++;
  return ok;
}

/* Counts a failed check and starts its report: "file:line: check failed:
 * cond", then ": " when details follow (detail) or the end of the line.
 * False when the report is over the limit and nothing was printed. */
static inline bool test_fail_report(const char *file, int line, const char *cond, bool detail) {
  test_failed++;
  if (test_failed > TEST_MAX_REPORTS) return false;
  fprintf(stderr, "%s:%d: check failed: %s%s", file, line, cond, detail ? ": " : "\n");
  return true;
}

#define CHECK(cond)                                                 \
  do {                                                              \
    if (cond)                                                       \
      test_passed++;                                                \
    else                                                            \
      (void)test_fail_report(__FILE__, __LINE__, #cond, false);     \
  } while (0)

/* CHECK with a printf-style explanation printed after the condition. */
#define CHECKF(cond, ...)                                           \
  do {                                                              \
    if (cond) {                                                     \
      test_passed++;                                                \
    } else if (test_fail_report(__FILE__, __LINE__, #cond, true)) { \
      fprintf(stderr, __VA_ARGS__);                                 \
      fputc('\n', stderr);                                          \
    }                                                               \
  } while (0)

/* Prints "N passed, N failed"; the exit status for main: non-zero when a
 * check failed. */
static inline int test_summary(void) {
  printf("%d passed, %d failed\n", test_passed, test_failed);
  return test_failed != 0;
}

/* For tests that log every check on stdout: "ok   what", or "FAIL what:
 * why" (why is read only on failure). Counts it; true when ok. */
static inline bool test_result(bool ok, const char *what, const char *why) {
  if (test_count(ok))
    printf("ok   %s\n", what);
  else
    printf("FAIL %s: %s\n", what, why);
  return ok;
}

/* ---- errors ------------------------------------------------------------------ */

/* Checks that e is an error of the given kind whose message starts with
 * prefix, then frees it. */
static inline void test_check_err(kumi_error *e, kumi_error_kind kind, const char *prefix, const char *file,
                                  int line) {
  bool ok = e && kumi_error_kind_of(e) == kind && strncmp(kumi_error_message(e), prefix, strlen(prefix)) == 0;
  if (test_count(ok)) {
    kumi_error_free(e);
    return;
  }
  if (test_failed <= TEST_MAX_REPORTS) {
    fprintf(stderr, "%s:%d: expected error kind %d \"%s...\", got ", file, line, (int)kind, prefix);
    if (e)
      fprintf(stderr, "kind %d \"%s\"\n", (int)kumi_error_kind_of(e), kumi_error_message(e));
    else
      fprintf(stderr, "success\n");
  }
  kumi_error_free(e);
}
#define CHECK_ERR(e, kind, prefix) test_check_err((e), (kind), (prefix), __FILE__, __LINE__)

/* ---- a counting allocator ------------------------------------------------------ */

typedef struct test_alloc {
  size_t live_bytes, live_blocks;
  size_t size_mismatches; /* frees and resizes whose old_size was not the block's size */
  long allocs;            /* allocations and resizes that succeeded */
  long fail_after;        /* < 0: never fail; else every allocation or resize after the
                             first fail_after succeeded ones fails */
} test_alloc;

/* Each block carries its true size in a header, so a wrong old_size shows. */
typedef union test_alloc_header {
  size_t size;
  max_align_t align;
} test_alloc_header;

static inline void *test_alloc_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  test_alloc *c = ud;
  test_alloc_header *h = p ? (test_alloc_header *)p - 1 : NULL;
  if (new_size == 0) {
    if (h) {
      if (h->size != old_size) c->size_mismatches++;
      c->live_bytes -= h->size;
      c->live_blocks--;
    }
    free(h);
    return NULL;
  }
  if (h && h->size != old_size) c->size_mismatches++;
  if (c->fail_after >= 0 && c->allocs >= c->fail_after) return NULL; /* the old block stays */
  size_t was = h ? h->size : 0;
  test_alloc_header *n = realloc(h, sizeof *n + new_size);
  if (!n) return NULL;
  c->allocs++;
  n->size = new_size;
  c->live_bytes = c->live_bytes - was + new_size;
  if (!h) c->live_blocks++;
  return n + 1;
}

/* Resets c (failing from allocation fail_after on; < 0: never) and gives
 * the kumi_allocator that counts into it. */
static inline kumi_allocator test_alloc_init(test_alloc *c, long fail_after) {
  memset(c, 0, sizeof *c);
  c->fail_after = fail_after;
  return (kumi_allocator){test_alloc_realloc, c};
}

/* True when nothing is live and every old_size was right; else says what
 * is wrong on stderr (while failures are still reported). Not a check:
 * wrap it in CHECK. */
static inline bool test_alloc_clean(const test_alloc *c) {
  bool ok = c->live_blocks == 0 && c->live_bytes == 0 && c->size_mismatches == 0;
  if (!ok && test_failed < TEST_MAX_REPORTS)
    fprintf(stderr, "  allocator: %zu live blocks, %zu live bytes, %zu frees/resizes with a wrong old_size\n",
            c->live_blocks, c->live_bytes, c->size_mismatches);
  return ok;
}

#endif
