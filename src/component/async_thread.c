/* Threads of Component Model async (async.h): their fibers, resuming and
 * blocking (Thread of CanonicalABI.md), the event loop (Store.tick, run by
 * whoever waits) and the thread.* built-ins. */
#include "async.h"
#include "async_host.h"

#include "../base/kb_fiber.h"

/* Live threads with their own stack: a guest that makes threads forever
 * gets a trap, not the host's memory. */
#define RT_MAX_THREADS 1000u
/* Idle stacks kept for the next threads. */
#define RT_POOL_MAX 16u
/* Most threads one wait resumes, without the OS making progress between,
 * before giving up: a guest that yields forever must not hang the host. */
#define RT_LOOP_LIMIT 1000000u
/* Resumes between two polls of the OS (not blocking) while threads keep
 * being ready: host completions (timers, sockets) are not starved by
 * threads that yield in a loop waiting for them. */
#define RT_POLL_EVERY 256u

static kumi_error *trap(kumi_component_instance *root, const char *msg) {
  return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "%s", msg);
}

/* ---- stacks ---------------------------------------------------------------------------- */

static void stack_free(kumi_component_instance *root, rt_stack *st) {
  core_exec_thread_free(root->store, &st->exec);
  kb_fiber_free(root->a, st->fiber);
  kb_free(root->a, st, sizeof *st);
}

static rt_stack *stack_get(kumi_component_instance *root, rt_async *as) {
  if (as->pool.len) return as->pool.items[--as->pool.len];
  rt_stack *st = kb_zalloc(root->a, sizeof *st);
  if (!st) return NULL;
  if (!(st->fiber = kb_fiber_new(root->a))) {
    kb_free(root->a, st, sizeof *st);
    return NULL;
  }
  return st;
}

/* A stack whose thread ended (its fiber is idle; its interpreter stacks
 * are empty) goes back to the pool. */
static void stack_put(kumi_component_instance *root, rt_async *as, rt_stack *st) {
  if (kb_fiber_idle(st->fiber) && as->pool.len < RT_POOL_MAX && kb_vec_push(root->a, &as->pool, st)) return;
  stack_free(root, st);
}

/* ---- the thread table ------------------------------------------------------------------ */

static rt_thread *thread_at(rt_async *as, const rt_scope *s, uint32_t index) {
  for (size_t i = 0; index && i < as->threads.len; i++) {
    rt_thread *t = as->threads.items[i];
    if (t && t->inst == s && t->index == index) return t;
  }
  return NULL;
}

/* The lowest index no live thread of s has. */
static uint32_t free_index(rt_async *as, const rt_scope *s) {
  for (uint32_t idx = 1;; idx++)
    if (!thread_at(as, s, idx)) return idx;
}

kumi_error *comp_thread_new(kumi_component_instance *root, rt_scope *inst, rt_task *task, bool stack, rt_thread **out) {
  rt_async *as = comp_async_state(root);
  if (!as) return kb_error_oom();
  if (stack && as->nfibers >= RT_MAX_THREADS) return trap(root, "too many threads");
  rt_thread *th = kb_zalloc(root->a, sizeof *th);
  if (!th) return kb_error_oom();
  uint32_t id;
  if (as->free_ids.len) {
    id = as->free_ids.items[--as->free_ids.len];
    as->threads.items[id] = th;
  } else if (kb_vec_push(root->a, &as->threads, th)) {
    id = (uint32_t)(as->threads.len - 1);
  } else {
    kb_free(root->a, th, sizeof *th);
    return kb_error_oom();
  }
  th->id = id;
  th->root = root;
  th->index = free_index(as, inst);
  th->inst = inst;
  th->task = task;
  th->state = RT_TH_SUSPENDED;
  th->fibered = stack; /* its stack comes when it first runs */
  if (stack) as->nfibers++;
  if (task) task->nthreads++;
  *out = th;
  return NULL;
}

/* Takes th out of the table and frees it (its stack goes to the pool). */
static void thread_free(kumi_component_instance *root, rt_thread *th) {
  rt_async *as = root->async;
  as->threads.items[th->id] = NULL;
  if (!kb_vec_push(root->a, &as->free_ids, th->id)) { /* the slot stays unused */ }
  if (th->fibered) as->nfibers--;
  if (th->stk) stack_put(root, as, th->stk);
  if (th->inst->cur_thread == th) th->inst->cur_thread = NULL;
  if (th->inst->exclusive == th) th->inst->exclusive = NULL;
  if (th->task && th->task->implicit == th) th->task->implicit = NULL;
  for (size_t i = 0; i < as->threads.len; i++) {
    rt_thread *o = as->threads.items[i];
    if (o && o->sync_impl == th) o->sync_impl = NULL;
    if (o && o->switch_to == th) o->switch_to = NULL;
  }
  if (th->err) kumi_error_free(th->err);
  rt_task *t = th->task;
  kb_free(root->a, th, sizeof *th);
  if (t && t->detached && t->nthreads == 0 && !t->implicit) comp_async_task_release(root, t);
}

kumi_error *comp_async_thread_exit(kumi_component_instance *root, rt_thread *th) {
  rt_task *t = th->task;
  if (!t || !t->nthreads) return NULL;
  if (--t->nthreads == 0 && t->state != RT_TS_RESOLVED)
    return trap(root, "task exited without calling task.return or task.cancel");
  return NULL;
}

/* ---- running and blocking ---------------------------------------------------------------- */

/* The body of a thread on a fiber. */
static void fiber_main(void *ud) {
  rt_thread *th = ud;
  kumi_component_instance *root = th->root;
  kumi_error *e;
  if (th->implicit && th->task) {
    e = comp_async_task_main(root, th);
  } else {
    e = kumi_func_call(root->store, th->fn, &th->arg, 1, NULL, 0);
    kumi_error *x = comp_async_thread_exit(root, th);
    if (e) kumi_error_free(x);
    else e = x;
  }
  th->err = e;
  th->state = RT_TH_DONE;
}

kumi_error *comp_thread_resume(kumi_component_instance *root, rt_thread *th, bool cancelled) {
  rt_async *as = root->async;
  while (th) {
    th->ready = NULL;
    th->ready_ud = NULL;
    th->cancelled = cancelled;
    cancelled = false;
    th->state = RT_TH_RUNNING;
    if (th->fibered && !th->stk && !(th->stk = stack_get(root, as))) {
      th->state = RT_TH_SUSPENDED;
      return kb_error(root->a, KUMI_ERR_OOM, KUMI_NO_OFFSET, "out of memory for a thread's stack");
    }
    if (!th->stk) { /* on a stack below: its nested loop sees this */
      th->wake = true;
      return NULL;
    }
    if (!as->native && !(as->native = kb_fiber_ctx_native(root->a))) return kb_error_oom();
    kb_fiber_ctx *saved_ctx = as->cur_ctx;
    kb_fiber_ctx *here = saved_ctx ? saved_ctx : as->native;
    kb_fiber_ctx *there = kb_fiber_context(th->stk->fiber);
    /* the thread's view of its instance while it runs */
    rt_scope *s = th->inst;
    uint32_t context[2] = {s->context[0], s->context[1]};
    rt_task *cur_task = s->cur_task;
    uint8_t cur_kind = s->cur_kind;
    rt_thread *cur_thread = s->cur_thread;
    s->context[0] = th->context[0];
    s->context[1] = th->context[1];
    s->cur_task = th->kind == RT_TASK_CALLBACK ? th->task : NULL;
    s->cur_kind = th->kind;
    s->cur_thread = th;
    th->back = here;
    if (!th->started) {
      th->started = true;
      kb_fiber_start(th->stk->fiber, fiber_main, th);
    }
    core_exec_swap(root->store, &th->stk->exec);
    as->cur_ctx = there;
    kb_fiber_resume(here, th->stk->fiber);
    as->cur_ctx = saved_ctx;
    core_exec_swap(root->store, &th->stk->exec);
    th->context[0] = s->context[0];
    th->context[1] = s->context[1];
    s->context[0] = context[0];
    s->context[1] = context[1];
    s->cur_task = cur_task;
    s->cur_kind = cur_kind;
    s->cur_thread = cur_thread;
    rt_thread *next = th->switch_to;
    th->switch_to = NULL;
    if (th->state == RT_TH_DONE) {
      kumi_error *e = th->err;
      th->err = NULL;
      thread_free(root, th);
      if (e) return e;
    }
    th = next;
  }
  return NULL;
}

/* Some waiting thread is ready (for the choice of a deadlock message). */
static bool any_ready(rt_async *as) {
  for (size_t i = 0; i < as->threads.len; i++) {
    rt_thread *t = as->threads.items[i];
    if (t && t->state == RT_TH_WAITING && t->ready && t->ready(t->ready_ud)) return true;
  }
  return false;
}

/* The next thread the loop of self (NULL: the host's loop) may resume:
 * waiting and ready, on a fiber. A sync task's loop (inst set) takes only
 * threads of its instance that may use the stack (not the implicit thread
 * of a task that needs the instance exclusively); the host's loop only
 * threads whose instance may be entered. */
static rt_thread *pick(rt_async *as, const rt_thread *self, const rt_scope *inst) {
  rt_thread *best = NULL;
  for (size_t i = 0; i < as->threads.len; i++) {
    rt_thread *t = as->threads.items[i];
    if (!t || t == self || !t->fibered || t->state != RT_TH_WAITING || !t->ready) continue;
    if (best && best->seq < t->seq) continue;
    if (inst) {
      if (t->inst != inst || t == inst->exclusive) continue;
      if (t->implicit && t->task && t->task->exclusive) continue;
    } else if (!comp_rt_enter_set(t->inst, NULL, true, true)) {
      continue;
    }
    if (!t->ready(t->ready_ud)) continue;
    best = t;
  }
  return best;
}

bool comp_async_may_block(kumi_component_instance *root, rt_scope *s) {
  if (!s) return true;
  rt_thread *th = s->cur_thread;
  if (th && th->fibered) return true;
  rt_async *as = comp_async_state(root);
  return as && pick(as, th, s) != NULL;
}

/* Every RT_POLL_EVERY resumes (*since counts them), polls the OS without
 * blocking. True when the poll ran with something watched: host work may
 * have completed (progress: the step limit counts anew). Not while
 * kumi_component_instance_run(block false) waits for its idle point (its
 * poll marks that point). */
static bool busy_poll(kumi_component_instance *root, uint32_t *since, kumi_error **err) {
  *err = NULL;
  if (++*since < RT_POLL_EVERY) return false;
  *since = 0;
  rt_hstate *hs = root->async->host;
  if (!hs || !hs->loop || hs->run_nowait) return false;
  return comp_async_os_wait(root, false, err);
}

/* The host waits: the event loop on the host's stack. */
static kumi_error *host_loop(kumi_component_instance *root, bool (*done)(void *), void *ud) {
  rt_async *as = root->async;
  kumi_error *e = NULL;
  uint32_t since = 0;
  for (uint32_t iter = 0; !e && !done(ud); iter++) {
    if (iter >= RT_LOOP_LIMIT) return UNSUPPORTED(root->a, "event loop made no progress within its step limit");
    rt_thread *t = pick(as, NULL, NULL);
    if (t) {
      rt_scope *in = t->inst; /* t is freed when it ends */
      comp_rt_enter_set(in, NULL, false, true);
      e = comp_thread_resume(root, t, false);
      comp_rt_enter_set(in, NULL, false, false);
      kumi_error *oe = NULL;
      if (!e && busy_poll(root, &since, &oe)) iter = 0;
      if (oe) return oe;
      continue;
    }
    /* The idle point: nothing can run. Wait on the OS (host calls,
     * timers, host stream ends: async_loop.c); when nothing is watched
     * either, it is a deadlock. */
    kumi_error *oe = NULL;
    bool watched = comp_async_os_wait(root, true, &oe);
    if (oe) return oe;
    if (!watched) e = trap(root, "deadlock detected: event loop cannot make further progress");
    iter = 0; /* the OS made progress: the step limit counts anew */
  }
  return e;
}

/* A thread on its caller's stack (a sync task's) blocks: it resumes the
 * other threads of its instance that may run, until something resumes it
 * (wake) or, waiting, it is ready. switch_to runs first. */
static kumi_error *borrowed_wait(kumi_component_instance *root, rt_thread *self, rt_thread *switch_to) {
  rt_async *as = root->async;
  self->wake = false;
  kumi_error *e = NULL;
  bool ran = false;
  if (switch_to) {
    e = comp_thread_resume(root, switch_to, false);
    ran = true;
  }
  uint32_t since = 0;
  for (uint32_t iter = 0; !e && !self->wake; iter++) {
    if (iter >= RT_LOOP_LIMIT) {
      e = UNSUPPORTED(root->a, "event loop made no progress within its step limit");
      break;
    }
    rt_thread *t = pick(as, self, self->inst);
    if (self->state == RT_TH_WAITING && self->ready && self->ready(self->ready_ud) && (ran || !t)) {
      self->ready = NULL;
      self->state = RT_TH_RUNNING;
      break;
    }
    if (t) {
      ran = true;
      e = comp_thread_resume(root, t, false);
      kumi_error *oe = NULL;
      if (!e && busy_poll(root, &since, &oe)) iter = 0;
      if (oe) e = oe;
      continue;
    }
    /* The idle point of a nested loop: as host_loop's. */
    kumi_error *oe = NULL;
    bool watched = comp_async_os_wait(root, true, &oe);
    if (oe) {
      e = oe;
      break;
    }
    if (!watched)
      e = trap(root, any_ready(as) ? "deadlock detected: event loop cannot make further progress"
                                   : "cannot block a synchronous task before returning");
    iter = 0;
  }
  self->wake = false;
  if (e) {
    self->ready = NULL;
    self->state = RT_TH_RUNNING;
  }
  return e;
}

/* Suspends the running thread th (its state already says how it waits):
 * Thread.block_internal / switch_to_internal. */
static kumi_error *block(kumi_component_instance *root, rt_thread *th, bool cancellable, rt_thread *switch_to,
                         bool *cancelled) {
  th->cancellable = cancellable;
  kumi_error *e = NULL;
  if (th->fibered) {
    if (!th->abort) {
      th->switch_to = switch_to;
      kb_fiber_switch(kb_fiber_context(th->stk->fiber), th->back);
    }
    if (th->abort) { /* unwinding: it runs on, waiting for nothing */
      th->state = RT_TH_RUNNING;
      th->ready = NULL;
      th->switch_to = NULL;
      e = trap(root, "component instance freed while its thread was suspended");
    }
  } else {
    e = borrowed_wait(root, th, switch_to);
  }
  th->cancellable = false;
  if (cancelled) *cancelled = th->cancelled;
  th->cancelled = false;
  return e;
}

kumi_error *comp_thread_current(kumi_component_instance *root, rt_scope *s, rt_thread **out) {
  if (s->cur_thread) {
    *out = s->cur_thread;
    return NULL;
  }
  /* a sync task's implicit thread, made now: it lives until the call ends */
  rt_thread *th = NULL;
  kumi_error *e = comp_thread_new(root, s, NULL, false, &th);
  if (e) return e;
  th->implicit = true;
  th->state = RT_TH_RUNNING;
  th->kind = s->cur_kind;
  s->cur_thread = th;
  *out = th;
  return NULL;
}

void comp_async_sync_leave(kumi_component_instance *root, rt_scope *s, rt_thread *saved) {
  rt_thread *th = s->cur_thread;
  if (th && !th->fibered && th->implicit && !th->task) thread_free(root, th);
  s->cur_thread = saved;
}

/* Task.deliver_pending_cancel */
static bool deliver_pending_cancel(rt_thread *th, bool cancellable) {
  if (cancellable && th->task && th->task->state == RT_TS_PENDING_CANCEL) {
    th->task->state = RT_TS_CANCEL_DELIVERED;
    return true;
  }
  return false;
}

static bool always(void *ud) {
  (void)ud;
  return true;
}

/* Thread.start_waiting_internal: the loop resumes waiting threads in the
 * order they began to wait (first come, first served). */
static void set_waiting(kumi_component_instance *root, rt_thread *th, bool (*ready)(void *), void *ud) {
  th->state = RT_TH_WAITING;
  th->ready = ready;
  th->ready_ud = ud;
  th->seq = ++root->async->seq;
}

/* Thread.wait_until; force: wait even when done already holds (yield). */
static kumi_error *wait_until(kumi_component_instance *root, rt_thread *th, bool (*done)(void *), void *ud,
                              bool cancellable, bool force, bool *cancelled) {
  if (cancelled) *cancelled = false;
  if (deliver_pending_cancel(th, cancellable)) {
    if (cancelled) *cancelled = true;
    return NULL;
  }
  if (!force && done(ud)) return NULL;
  set_waiting(root, th, done, ud);
  return block(root, th, cancellable, NULL, cancelled);
}

static kumi_error *wait_in(kumi_component_instance *root, rt_scope *s, bool (*done)(void *), void *ud,
                           bool cancellable, bool force, bool *cancelled) {
  if (cancelled) *cancelled = false;
  rt_async *as = comp_async_state(root);
  if (!as) return kb_error_oom();
  if (!s) return done(ud) ? NULL : host_loop(root, done, ud);
  rt_thread *th = NULL;
  kumi_error *e = comp_thread_current(root, s, &th);
  if (e) return e;
  return wait_until(root, th, done, ud, cancellable, force, cancelled);
}

kumi_error *comp_async_wait(kumi_component_instance *root, rt_scope *s, bool (*done)(void *), void *ud,
                            bool cancellable, bool *cancelled) {
  return wait_in(root, s, done, ud, cancellable, false, cancelled);
}

kumi_error *comp_async_yield(kumi_component_instance *root, rt_scope *s, bool (*done)(void *), void *ud,
                             bool cancellable, bool *cancelled) {
  return wait_in(root, s, done, ud, cancellable, true, cancelled);
}

rt_thread *comp_async_cancel_candidate(kumi_component_instance *root, rt_task *t) {
  rt_async *as = root->async;
  for (size_t i = 0; as && i < as->threads.len; i++) {
    rt_thread *th = as->threads.items[i];
    if (!th || th->task != t || !th->fibered || !th->cancellable) continue;
    if (th->state != RT_TH_WAITING && th->state != RT_TH_SUSPENDED) continue;
    if (th == t->implicit && t->exclusive && t->inst->exclusive && t->inst->exclusive != th) continue;
    return th;
  }
  return NULL;
}

kumi_error *comp_async_block(kumi_component_instance *root, rt_scope *blocked, bool (*done)(void *), void *ud) {
  if (done(ud)) return NULL;
  if (blocked && !comp_async_may_block(root, blocked)) return trap(root, "cannot block a synchronous task before returning");
  return comp_async_wait(root, blocked, done, ud, false, NULL);
}

/* ---- freeing ------------------------------------------------------------------------------- */

void comp_async_threads_free(kumi_component_instance *root) {
  rt_async *as = root->async;
  if (!as) return;
  /* A thread suspended in the middle of its body is resumed with abort
   * set: its wait fails, the error unwinds its C frames and it ends. */
  for (size_t round = 0; round < 4; round++) {
    bool any = false;
    for (size_t i = 0; i < as->threads.len; i++) {
      rt_thread *t = as->threads.items[i];
      if (!t || !t->stk || !t->started || t->state == RT_TH_RUNNING) continue;
      any = true;
      t->abort = true;
      kumi_error *e = comp_thread_resume(root, t, false);
      if (e) kumi_error_free(e);
    }
    if (!any) break;
  }
  for (size_t i = 0; i < as->threads.len; i++)
    if (as->threads.items[i]) thread_free(root, as->threads.items[i]);
  kb_vec_free(root->a, &as->threads);
  kb_vec_free(root->a, &as->free_ids);
  for (size_t i = 0; i < as->pool.len; i++) stack_free(root, as->pool.items[i]);
  kb_vec_free(root->a, &as->pool);
  if (as->native) kb_fiber_ctx_free(root->a, as->native);
  as->native = NULL;
}

/* ---- the thread.* built-ins ------------------------------------------------------------------ */

typedef struct rt_tbuiltin {
  kumi_component_instance *root;
  rt_scope *s;
  uint8_t op;
  bool cancellable;
  kumi_table *table; /* new-indirect */
  uint32_t type_id;  /* new-indirect: the start function's store type */
} rt_tbuiltin;

static kumi_error *thread_new_indirect(rt_tbuiltin *b, rt_thread *cur, const kumi_val *args, kumi_val *results) {
  kumi_component_instance *root = b->root;
  kumi_val fv;
  uint32_t fi = (uint32_t)args[0].of.i32;
  if (!kumi_table_get(b->table, fi, &fv)) return kb_trap(root->a, KUMI_TRAP_OOB_TABLE);
  if (!fv.of.funcref) return kb_trap(root->a, KUMI_TRAP_UNINIT_ELEMENT);
  if (fv.of.funcref->type_id != b->type_id) return kb_trap(root->a, KUMI_TRAP_INDIRECT_MISMATCH);
  rt_thread *th = NULL;
  kumi_error *e = comp_thread_new(root, b->s, cur->task, true, &th);
  if (e) return e;
  th->fn = fv.of.funcref;
  th->arg = args[1];
  th->sync_impl = cur->task ? NULL : (cur->sync_impl ? cur->sync_impl : cur);
  /* a thread of a sync task may block: its task's thread goes on */
  th->kind = cur->task ? cur->kind : RT_TASK_SYNC_ASYNC_TYPE;
  results[0] = kumi_val_i32((int32_t)th->index);
  return NULL;
}

static kumi_error *thread_entry(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  rt_tbuiltin *b = env;
  kumi_component_instance *root = b->root;
  rt_scope *s = b->s;
  if (s->in_post_return) return trap(root, "cannot leave component instance");
  rt_thread *cur = NULL;
  kumi_error *e = comp_thread_current(root, s, &cur);
  if (e) return e;
  rt_async *as = root->async;
  bool cancelled = false;
  rt_thread *other = NULL;
  if (b->op >= 0x28 && b->op != 0x29) {
    other = thread_at(as, s, (uint32_t)args[0].of.i32);
    if (!other) return trap(root, "unknown thread index");
    if (b->op <= 0x2b && (other->state != RT_TH_SUSPENDED || other == cur))
      return trap(root, "thread is not suspended");
  }
  switch (b->op) {
  case 0x26: results[0] = kumi_val_i32((int32_t)cur->index); return NULL;
  case 0x27: return thread_new_indirect(b, cur, args, results);
  case 0x28: /* resume-later */
    set_waiting(root, other, always, NULL);
    return NULL;
  case 0x0c: /* yield */
    e = wait_until(root, cur, always, NULL, b->cancellable, true, &cancelled);
    break;
  case 0x29: /* suspend */
    if (deliver_pending_cancel(cur, b->cancellable)) {
      cancelled = true;
      break;
    }
    cur->state = RT_TH_SUSPENDED;
    e = block(root, cur, b->cancellable, NULL, &cancelled);
    break;
  case 0x2a: case 0x2b: /* suspend-then-resume, yield-then-resume */
  case 0x2c: case 0x2d: { /* suspend-then-promote, yield-then-promote */
    if (deliver_pending_cancel(cur, b->cancellable)) {
      cancelled = true;
      break;
    }
    bool yield = b->op == 0x2b || b->op == 0x2d;
    if (b->op >= 0x2c) {
      /* promote: only a ready waiting thread; else plain suspend / yield */
      if (other == cur || other->state != RT_TH_WAITING || !other->ready || !other->ready(other->ready_ud)) {
        if (yield) {
          e = wait_until(root, cur, always, NULL, b->cancellable, true, &cancelled);
        } else {
          cur->state = RT_TH_SUSPENDED;
          e = block(root, cur, b->cancellable, NULL, &cancelled);
        }
        break;
      }
      other->ready = NULL;
      other->state = RT_TH_SUSPENDED;
    }
    if (yield) {
      set_waiting(root, cur, always, NULL);
    } else {
      cur->state = RT_TH_SUSPENDED;
    }
    e = block(root, cur, b->cancellable, other, &cancelled);
    break;
  }
  default: return UNSUPPORTED(root->a, "thread built-in");
  }
  if (e) return e;
  results[0] = kumi_val_i32(cancelled ? 1 : 0);
  return NULL;
}

kumi_error *comp_async_thread_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c, bool *handled) {
  *handled = false;
  static const kumi_valkind i32[2] = {KUMI_I32, KUMI_I32};
  uint32_t np = 0, nr = 0;
  switch (c->op) {
  case 0x0c: case 0x26: case 0x29: nr = 1; break;
  case 0x27: np = 2; nr = 1; break;
  case 0x28: np = 1; break;
  case 0x2a: case 0x2b: case 0x2c: case 0x2d: np = 1; nr = 1; break;
  default: return NULL;
  }
  rt_tbuiltin *b = comp_rt_arena(x, sizeof *b);
  if (!b) return kb_error_oom();
  memset(b, 0, sizeof *b);
  b->root = x->root;
  b->s = s;
  b->op = c->op;
  b->cancellable = c->flag != 0;
  kumi_valkind pk[2] = {KUMI_I32, KUMI_I32};
  if (c->op == 0x27) {
    kumi_extern ext = {0};
    kumi_error *err = comp_rt_core_at(x, s, COMP_SORT_CORE_TABLE, c->table, &ext);
    if (err) return err;
    b->table = ext.of.table;
    /* the start function type: (func (param i32)) (kumi tables are 32-bit) */
    core_valtype p = CORE_I32;
    core_functype ft = {1, 0, &p};
    b->type_id = core_store_type_id(x->root->store, &ft);
    if (b->type_id == UINT32_MAX) return kb_error_oom();
  }
  *handled = true;
  return comp_rt_push_builtin(x, s, pk, np, i32, nr, thread_entry, b);
}
