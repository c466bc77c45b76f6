/* Native stack switching: fibers over ucontext (makecontext/swapcontext).
 *
 * A fiber is a native stack (mmap'd, with an inaccessible guard page below
 * it) and a saved machine context. Code switches between contexts with
 * kb_fiber_switch; the code that is not on a fiber (the host's stack) is
 * represented by a kb_fiber_ctx the caller keeps (kb_fiber_ctx_native).
 * A fiber runs its function, then switches back to the context that last
 * resumed it (kb_fiber_resume); given a new function (kb_fiber_start) it can run again,
 * so fibers can be pooled. No global state: the fiber that is running is
 * whatever the caller last switched to. Under AddressSanitizer, switches
 * are announced to it (__sanitizer_start/finish_switch_fiber). */
#ifndef KUMI_BASE_KB_FIBER_H
#define KUMI_BASE_KB_FIBER_H

#include "base.h"

/* Native stack of each fiber (virtual: pages are committed when touched).
 * As large as a usual main thread stack: the code on a fiber nests host
 * calls as deeply as code on the host's stack (the interpreter bounds that
 * nesting). */
#define KB_FIBER_STACK_SIZE ((size_t)8 << 20)

typedef struct kb_fiber_ctx kb_fiber_ctx;
typedef struct kb_fiber kb_fiber;
typedef void (*kb_fiber_fn)(void *ud);

/* A context to switch from/to that is not a fiber: the host's stack. */
kb_fiber_ctx *kb_fiber_ctx_native(const kumi_allocator *a);
void kb_fiber_ctx_free(const kumi_allocator *a, kb_fiber_ctx *c);

/* A new fiber (NULL when memory or mappings run out). It does not run
 * until kb_fiber_start and a switch to it. */
kb_fiber *kb_fiber_new(const kumi_allocator *a);
/* Frees f (it must not be running; a fiber suspended in the middle of its
 * function is fine: its stack is dropped without unwinding). */
void kb_fiber_free(const kumi_allocator *a, kb_fiber *f);
/* Sets what f runs when next switched to (f must be idle: new or done). */
void kb_fiber_start(kb_fiber *f, kb_fiber_fn fn, void *ud);
/* Is f idle (new, or its function has returned)? */
bool kb_fiber_idle(const kb_fiber *f);
/* The context of f, to switch to it. */
kb_fiber_ctx *kb_fiber_context(kb_fiber *f);
/* Saves the running context in from and runs to; returns when something
 * switches back to from. */
void kb_fiber_switch(kb_fiber_ctx *from, kb_fiber_ctx *to);
/* The same, to fiber to, which records from as the context it returns to
 * when its function returns. */
void kb_fiber_resume(kb_fiber_ctx *from, kb_fiber *to);

#endif
