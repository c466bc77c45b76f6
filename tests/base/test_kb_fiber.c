/* Unit tests for src/base/kb_fiber.c: switching to a fiber and back,
 * a fiber that switches out in the middle of its function and is resumed,
 * nested fibers (a fiber resuming another), reuse of an idle fiber for a
 * new function, deep recursion on a fiber's stack, and freeing a fiber
 * suspended in the middle of its function; two fibers switching straight
 * to each other many times, their locals intact. A counting allocator: nothing
 * may leak. */
#include "base/kb_fiber.h"

#include "../test.h"

typedef struct ping {
  kb_fiber *self;
  kb_fiber_ctx *home; /* where it switches out to */
  int steps;
  int log[8];
  int nlog;
} ping;

/* Logs 1, switches out, logs 2, switches out, logs 3, returns. */
static void pinger(void *ud) {
  ping *p = ud;
  for (int i = 1; i <= 3; i++) {
    p->log[p->nlog++] = i;
    if (i < 3) kb_fiber_switch(kb_fiber_context(p->self), p->home);
  }
}

typedef struct nest {
  kb_fiber *outer, *inner;
  kb_fiber_ctx *home;
  int log[8];
  int nlog;
} nest;

static void inner_fn(void *ud) {
  nest *n = ud;
  n->log[n->nlog++] = 2;
  kb_fiber_switch(kb_fiber_context(n->inner), kb_fiber_context(n->outer)); /* back to the fiber that resumed it */
  n->log[n->nlog++] = 4;
}

static void outer_fn(void *ud) {
  nest *n = ud;
  n->log[n->nlog++] = 1;
  kb_fiber_resume(kb_fiber_context(n->outer), n->inner);
  n->log[n->nlog++] = 3;
  kb_fiber_resume(kb_fiber_context(n->outer), n->inner); /* inner ends: back here */
  n->log[n->nlog++] = 5;
}

/* Recursion that uses about depth KiB of the fiber's stack. */
static unsigned deep(unsigned depth) {
  volatile char buf[1024];
  buf[0] = (char)depth;
  buf[1023] = (char)(depth >> 8);
  if (depth == 0) return 0;
  return deep(depth - 1) + (unsigned char)buf[0] + 1u;
}

typedef struct deep_run {
  unsigned depth, result;
} deep_run;

static void deep_fn(void *ud) {
  deep_run *d = ud;
  d->result = deep(d->depth);
}

/* Two fibers switching straight to each other (not through home) n times,
 * each keeping values in locals across the switches (callee-saved
 * registers must come back intact). */
typedef struct relay {
  kb_fiber *a, *b;
  kb_fiber_ctx *home;
  unsigned n;
  uint64_t sum_a, sum_b;
} relay;

static void relay_fn(relay *r, bool first) {
  kb_fiber_ctx *me = kb_fiber_context(first ? r->a : r->b), *other = kb_fiber_context(first ? r->b : r->a);
  uint64_t x = first ? 1 : 7, y = first ? 3 : 11, sum = 0;
  for (unsigned i = 0; i < r->n; i++) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    y ^= x >> 7;
    sum += x ^ y;
    kb_fiber_switch(me, other);
  }
  if (first) r->sum_a = sum;
  else r->sum_b = sum;
  if (first) kb_fiber_switch(me, other); /* b finishes its loop, then home */
}

static void relay_a(void *ud) { relay_fn(ud, true); }
static void relay_b(void *ud) {
  relay *r = ud;
  relay_fn(r, false);
  kb_fiber_switch(kb_fiber_context(r->b), r->home);
}

static uint64_t relay_want(bool first, unsigned n) {
  uint64_t x = first ? 1 : 7, y = first ? 3 : 11, sum = 0;
  for (unsigned i = 0; i < n; i++) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    y ^= x >> 7;
    sum += x ^ y;
  }
  return sum;
}

int main(void) {
  test_alloc ta;
  kumi_allocator a = test_alloc_init(&ta, -1);

  kb_fiber_ctx *home = kb_fiber_ctx_native(&a);
  kb_fiber *f = kb_fiber_new(&a);
  CHECK(home && f);
  if (!home || !f) return test_summary();

  /* switch in, out in the middle, in again, until the function returns */
  ping p = {f, home, 0, {0}, 0};
  CHECK(kb_fiber_idle(f));
  kb_fiber_start(f, pinger, &p);
  CHECK(!kb_fiber_idle(f));
  for (int i = 0; i < 3; i++) kb_fiber_resume(home, f);
  CHECKF(p.nlog == 3 && p.log[0] == 1 && p.log[1] == 2 && p.log[2] == 3, "three steps (%d)", p.nlog);
  CHECKF(kb_fiber_idle(f), "the function returned: the fiber is idle");

  /* the same fiber runs a new function */
  ping q = {f, home, 0, {0}, 0};
  kb_fiber_start(f, pinger, &q);
  kb_fiber_resume(home, f);
  kb_fiber_resume(home, f);
  kb_fiber_resume(home, f);
  CHECKF(q.nlog == 3 && q.log[2] == 3 && kb_fiber_idle(f), "an idle fiber is reused (%d)", q.nlog);

  /* a fiber resumes another; each returns to whoever resumed it */
  kb_fiber *g = kb_fiber_new(&a);
  CHECK(g != NULL);
  if (g) {
    nest n = {f, g, home, {0}, 0};
    kb_fiber_start(f, outer_fn, &n);
    kb_fiber_start(g, inner_fn, &n);
    kb_fiber_resume(home, f);
    bool order = n.nlog == 5;
    for (int i = 0; i < n.nlog; i++) order = order && n.log[i] == i + 1;
    CHECKF(order && kb_fiber_idle(f) && kb_fiber_idle(g), "nested fibers: 1 2 3 4 5 (%d)", n.nlog);
  }

  /* deep recursion on a fiber: 4 MiB of frames */
  deep_run d = {4096, 0};
  kb_fiber_start(f, deep_fn, &d);
  kb_fiber_resume(home, f);
  unsigned want = 0;
  for (unsigned k = 1; k <= d.depth; k++) want += (k & 0xffu) + 1u;
  CHECKF(d.result == want, "deep recursion returns (%u, want %u)", d.result, want);

  /* fibers relaying straight to each other: a first, b's first entry from a */
  kb_fiber *h = kb_fiber_new(&a);
  CHECK(h != NULL);
  if (h) {
    relay rl = {f, h, home, 100000, 0, 0};
    kb_fiber_start(f, relay_a, &rl);
    kb_fiber_start(h, relay_b, &rl);
    kb_fiber_resume(home, f);
    CHECKF(rl.sum_a == relay_want(true, rl.n) && rl.sum_b == relay_want(false, rl.n),
           "two fibers switching to each other 2 x %u times keep their locals", rl.n);
    kb_fiber_free(&a, h); /* b is suspended in relay_b: freed without unwinding */
    /* f is suspended in relay_fn too: a fresh one for what follows */
    kb_fiber_free(&a, f);
    f = kb_fiber_new(&a);
    CHECK(f != NULL);
  }

  /* a fiber freed while suspended in the middle of its function */
  ping r = {g, home, 0, {0}, 0};
  if (g) {
    kb_fiber_start(g, pinger, &r);
    kb_fiber_resume(home, g);
    CHECKF(r.nlog == 1 && !kb_fiber_idle(g), "suspended after its first step");
    kb_fiber_free(&a, g);
  }
  kb_fiber_free(&a, f);
  kb_fiber_ctx_free(&a, home);
  CHECKF(test_alloc_clean(&ta), "nothing leaks");
  return test_summary();
}
