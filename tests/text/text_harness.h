/* Shared by the text-format unit tests (test_print.c, test_wast.c,
 * test_wat.c): the allocation-failure sweep over one operation, with the
 * counting allocator of tests/test.h. */
#ifndef KUMI_TESTS_TEXT_HARNESS_H
#define KUMI_TESTS_TEXT_HARNESS_H

#include "../test.h"

/* An operation under test, all through allocator a; true when it
 * succeeded. It frees whatever it made, error or result. */
typedef bool (*text_alloc_op)(const kumi_allocator *a, void *ctx);

/* Runs op once with a working allocator (it must succeed and leave nothing
 * allocated), then once for every allocation that run made, with that
 * allocation and every later one failing: each run must leave nothing
 * allocated and, when must_fail, fail. what names the case in reports. */
static inline void text_check_alloc_failures(const char *what, text_alloc_op op, void *ctx, bool must_fail) {
  test_alloc c;
  kumi_allocator a = test_alloc_init(&c, -1);
  CHECKF(op(&a, ctx), "%s: fails with a working allocator", what);
  CHECKF(test_alloc_clean(&c), "%s: leaks", what);
  long total = c.allocs;
  for (long f = 0; f < total; f++) {
    a = test_alloc_init(&c, f);
    bool ok = op(&a, ctx);
    CHECKF(!must_fail || !ok, "%s: succeeds when allocation %ld fails", what, f + 1);
    CHECKF(test_alloc_clean(&c), "%s: leak when allocation %ld fails", what, f + 1);
  }
}

#endif
