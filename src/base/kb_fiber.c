/* Fibers over ucontext (kb_fiber.h).
 *
 * A fiber's first entry goes through setcontext (its context made by
 * makecontext); every later switch is _setjmp/_longjmp between the
 * contexts, which saves only the callee-saved registers and, unlike
 * swapcontext, makes no sigprocmask system call (the signal mask is the
 * same on every stack: nothing here changes it). */
#define _GNU_SOURCE /* ucontext, MAP_ANONYMOUS, MAP_NORESERVE, MAP_STACK, _setjmp */
/* _FORTIFY_SOURCE's longjmp check rejects a jump to another stack */
#undef _FORTIFY_SOURCE
#include "kb_fiber.h"

#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define KB_FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KB_FIBER_ASAN 1
#endif
#endif
#ifdef KB_FIBER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

struct kb_fiber_ctx {
  ucontext_t uc; /* a fiber's first entry (makecontext) */
  jmp_buf jb;    /* where the context was switched away from */
  bool jb_set;   /* jb holds it: switch back with _longjmp */
  kb_fiber *fiber;          /* NULL: the host's stack */
  const void *stack_bottom; /* the stack this context runs on (AddressSanitizer) */
  size_t stack_size;
  void *fake_stack; /* AddressSanitizer's fake stack while switched away */
  kb_fiber_ctx *came_from; /* the context that last switched to this one */
};

struct kb_fiber {
  kb_fiber_ctx ctx;
  kb_fiber_ctx *back; /* the context that last switched to this fiber */
  uint8_t *map;       /* guard page + stack */
  size_t map_size;
  kb_fiber_fn fn; /* NULL: idle */
  void *ud;
  bool made; /* makecontext done */
};

kb_fiber_ctx *kb_fiber_ctx_native(const kumi_allocator *a) { return kb_zalloc(a, sizeof(kb_fiber_ctx)); }

void kb_fiber_ctx_free(const kumi_allocator *a, kb_fiber_ctx *c) { kb_free(a, c, sizeof *c); }

static size_t page_size(void) {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (size_t)p : 4096u;
}

kb_fiber *kb_fiber_new(const kumi_allocator *a) {
  kb_fiber *f = kb_zalloc(a, sizeof *f);
  if (!f) return NULL;
  size_t guard = page_size();
  f->map_size = KB_FIBER_STACK_SIZE + guard;
  void *m = mmap(NULL, f->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                 -1, 0);
  if (m == MAP_FAILED) {
    kb_free(a, f, sizeof *f);
    return NULL;
  }
  f->map = m;
  /* the stack grows down: an overflow runs into the inaccessible page */
  if (mprotect(f->map, guard, PROT_NONE) != 0) {
    munmap(f->map, f->map_size);
    kb_free(a, f, sizeof *f);
    return NULL;
  }
  f->ctx.fiber = f;
  f->ctx.stack_bottom = f->map + guard;
  f->ctx.stack_size = KB_FIBER_STACK_SIZE;
  return f;
}

void kb_fiber_free(const kumi_allocator *a, kb_fiber *f) {
  if (!f) return;
#ifdef KB_FIBER_ASAN
  /* frames left on the stack leave poisoned redzones behind */
  ASAN_UNPOISON_MEMORY_REGION(f->ctx.stack_bottom, f->ctx.stack_size);
#endif
  munmap(f->map, f->map_size);
  kb_free(a, f, sizeof *f);
}

bool kb_fiber_idle(const kb_fiber *f) { return f->fn == NULL; }

kb_fiber_ctx *kb_fiber_context(kb_fiber *f) { return &f->ctx; }

/* Back on from's stack: AddressSanitizer learns where it was; the host's
 * stack (not known before) gets its bounds recorded. */
static void arrived(kb_fiber_ctx *self, void *fake_stack) {
#ifdef KB_FIBER_ASAN
  const void *bottom = NULL;
  size_t size = 0;
  __sanitizer_finish_switch_fiber(fake_stack, &bottom, &size);
  kb_fiber_ctx *c = self->came_from;
  if (c && !c->fiber) {
    c->stack_bottom = bottom;
    c->stack_size = size;
  }
#else
  (void)self;
  (void)fake_stack;
#endif
}

void kb_fiber_switch(kb_fiber_ctx *from, kb_fiber_ctx *to) {
  to->came_from = from;
#ifdef KB_FIBER_ASAN
  __sanitizer_start_switch_fiber(&from->fake_stack, to->stack_bottom, to->stack_size);
#endif
  from->jb_set = true;
  if (!_setjmp(from->jb)) {
    if (to->jb_set) _longjmp(to->jb, 1);
    setcontext(&to->uc); /* a fiber's first entry: trampoline */
  }
  arrived(from, from->fake_stack);
}

void kb_fiber_resume(kb_fiber_ctx *from, kb_fiber *to) {
  to->back = from;
  kb_fiber_switch(from, &to->ctx);
}

/* The first code on a fiber's stack: runs the fiber's function each time
 * it is given one, and switches back after each. makecontext passes int
 * arguments: the fiber's address comes in two halves. */
static void trampoline(unsigned lo, unsigned hi) {
  kb_fiber *f = (kb_fiber *)(uintptr_t)(((uint64_t)hi << 32) | lo);
  arrived(&f->ctx, NULL);
  for (;;) {
    f->fn(f->ud);
    f->fn = NULL;
    f->ud = NULL;
    kb_fiber_switch(&f->ctx, f->back);
  }
}

void kb_fiber_start(kb_fiber *f, kb_fiber_fn fn, void *ud) {
  f->fn = fn;
  f->ud = ud;
  if (f->made) return; /* a pooled fiber waits in trampoline's loop */
  getcontext(&f->ctx.uc);
  f->ctx.uc.uc_stack.ss_sp = (void *)f->ctx.stack_bottom;
  f->ctx.uc.uc_stack.ss_size = f->ctx.stack_size;
  f->ctx.uc.uc_link = NULL;
  uint64_t p = (uint64_t)(uintptr_t)f;
  makecontext(&f->ctx.uc, (void (*)(void))trampoline, 2, (unsigned)(p & 0xffffffffu), (unsigned)(p >> 32));
  f->made = true;
}
