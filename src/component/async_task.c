/* Tasks and subtasks of Component Model async (async.h): canon_lift of
 * async-typed functions (the body of a task's implicit thread, the
 * callback loop), canon_lower with `async`, and cancellation. Threads and
 * the event loop are in async_thread.c. */
#include "async.h"

static kumi_error *trap(kumi_component_instance *root, const char *msg) {
  return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "%s", msg);
}

rt_async *comp_async_state(kumi_component_instance *root) {
  if (!root->async) root->async = kb_zalloc(root->a, sizeof *root->async);
  return root->async;
}

static void task_free(const kumi_allocator *a, rt_task *t) {
  for (size_t i = 0; t->args && i < t->nargs; i++) kumi_cval_free(a, &t->args[i]);
  if (t->args) kb_free(a, t->args, (t->nargs + 1) * sizeof *t->args);
  if (t->has_value) kumi_cval_free(a, &t->result);
  kb_vec_free(a, &t->c.lends);
  kb_free(a, t, sizeof *t);
}

void comp_async_task_release(kumi_component_instance *root, rt_task *t) {
  rt_async *as = root->async;
  if (t->sub) t->sub->task = NULL;
  /* the last task takes t's slot */
  rt_task *last = as->tasks.items[--as->tasks.len];
  as->tasks.items[t->slot] = last;
  last->slot = t->slot;
  task_free(root->a, t);
}

void comp_async_free(kumi_component_instance *root) {
  rt_async *as = root->async;
  if (!as) return;
  const kumi_allocator *a = root->a;
  comp_async_threads_free(root);
  for (size_t i = 0; i < as->tasks.len; i++) task_free(a, as->tasks.items[i]);
  for (size_t i = 0; i < as->subs.len; i++) {
    if (!as->subs.items[i]) continue;
    kb_vec_free(a, &as->subs.items[i]->lends);
    kb_free(a, as->subs.items[i], sizeof *as->subs.items[i]);
  }
  for (size_t i = 0; i < as->ends.len; i++) kb_free(a, as->ends.items[i], sizeof *as->ends.items[i]);
  for (size_t i = 0; i < as->shared.len; i++) kb_free(a, as->shared.items[i], sizeof *as->shared.items[i]);
  kb_vec_free(a, &as->ends);
  kb_vec_free(a, &as->shared);
  for (size_t i = 0; i < as->wsets.len; i++) {
    if (!as->wsets.items[i]) continue;
    kb_vec_free(a, &as->wsets.items[i]->elems);
    kb_free(a, as->wsets.items[i], sizeof *as->wsets.items[i]);
  }
  kb_vec_free(a, &as->tasks);
  kb_vec_free(a, &as->subs);
  kb_vec_free(a, &as->wsets);
  kb_vec_free(a, &as->free_subs);
  kb_vec_free(a, &as->free_wsets);
  kb_free(a, as, sizeof *as);
  root->async = NULL;
}

kumi_error *comp_async_slot_put(kumi_component_instance *root, bool wset, void *x, uint32_t *slot) {
  rt_async *as = root->async;
  KB_VEC(uint32_t) *fr = wset ? (void *)&as->free_wsets : (void *)&as->free_subs;
  if (fr->len) {
    *slot = fr->items[--fr->len];
    if (wset) as->wsets.items[*slot] = x;
    else as->subs.items[*slot] = x;
    return NULL;
  }
  bool ok = wset ? kb_vec_push(root->a, &as->wsets, (rt_wset *)x) : kb_vec_push(root->a, &as->subs, (rt_subtask *)x);
  if (!ok) return kb_error_oom();
  *slot = (uint32_t)((wset ? as->wsets.len : as->subs.len) - 1);
  return NULL;
}

void comp_async_sub_release(kumi_component_instance *root, rt_subtask *sub, uint32_t slot) {
  rt_async *as = root->async;
  if (sub->task) sub->task->sub = NULL;
  comp_async_wset_leave(&sub->w);
  as->subs.items[slot] = NULL;
  /* without room in the free list the slot stays unused */
  if (!kb_vec_push(root->a, &as->free_subs, slot)) { /* nothing else to do */ }
  kb_vec_free(root->a, &sub->lends);
  kb_free(root->a, sub, sizeof *sub);
}

rt_wset *comp_async_wset_at(kumi_component_instance *root, rt_scope *s, uint32_t i) {
  abi_handle *h = abi_table_get(&s->table, i);
  if (!h || h->rid != RT_RID_WSET || !root->async || h->rep >= root->async->wsets.len) return NULL;
  /* a NULL slot is never reached: the handle goes before its set */
  return root->async->wsets.items[h->rep];
}

rt_subtask *comp_async_sub_at(kumi_component_instance *root, rt_scope *s, uint32_t i) {
  abi_handle *h = abi_table_get(&s->table, i);
  if (!h || h->rid != RT_RID_SUBTASK || !root->async || h->rep >= root->async->subs.len) return NULL;
  return root->async->subs.items[h->rep];
}

rt_waitable *comp_async_waitable_at(kumi_component_instance *root, rt_scope *s, uint32_t i) {
  abi_handle *h = abi_table_get(&s->table, i);
  if (!h || !root->async) return NULL;
  if (h->rid == RT_RID_SUBTASK && h->rep < root->async->subs.len && root->async->subs.items[h->rep])
    return &root->async->subs.items[h->rep]->w;
  if (h->rid == RT_RID_END && h->rep < root->async->ends.len) return &root->async->ends.items[h->rep]->w;
  return NULL;
}

kumi_error *comp_async_unknown(kumi_component_instance *root, uint32_t i) {
  return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "unknown handle index %u", i);
}

static bool wset_has_event(const rt_wset *w) {
  for (size_t i = 0; i < w->elems.len; i++)
    if (w->elems.items[i]->pending) return true;
  return false;
}

static bool sub_resolved(const rt_subtask *s) {
  return s->state == RT_SUB_RETURNED || s->state == RT_SUB_CANCELLED_BEFORE_STARTED ||
         s->state == RT_SUB_CANCELLED_BEFORE_RETURNED;
}

/* Subtask.deliver_resolve: lent handles go back to the caller. */
static void sub_deliver_resolve(rt_subtask *s) {
  if (s->resolve_delivered) return;
  s->resolve_delivered = true;
  abi_release_lends(&s->lw->owner->table, &s->lends);
}

bool comp_async_take_event(kumi_component_instance *root, rt_wset *w, uint32_t ev[3]) {
  (void)root;
  for (size_t i = 0; i < w->elems.len; i++) {
    rt_waitable *x = w->elems.items[i];
    if (!x->pending) continue;
    if (x->kind == RT_W_END) {
      comp_async_end_event((rt_end *)x, ev);
      return true;
    }
    rt_subtask *s = (rt_subtask *)x;
    s->w.pending = false;
    if (sub_resolved(s)) sub_deliver_resolve(s);
    ev[0] = RT_EV_SUBTASK;
    ev[1] = s->w.handle;
    ev[2] = s->state;
    return true;
  }
  return false;
}

/* The component-level parameter types of ft (at least one slot). */
static comp_vt *param_types(const kumi_allocator *a, const comp_type *ft) {
  comp_vt *v = kb_alloc(a, (ft->n + 1) * sizeof *v);
  if (v)
    for (uint32_t i = 0; i < ft->n; i++) v[i] = ft->fields[i].type;
  return v;
}

/* A new task of f; takes the arguments (copies them). */
static kumi_error *task_new(kumi_component_instance *root, kumi_component_func *f, const kumi_cval *args,
                            size_t nargs, rt_task **out) {
  rt_async *as = comp_async_state(root);
  rt_task *t = as ? kb_zalloc(root->a, sizeof *t) : NULL;
  if (!t) return kb_error_oom();
  t->f = f;
  t->inst = f->owner;
  t->state = RT_TS_INITIAL;
  t->exclusive = !f->async_lift || f->callback; /* Task.needs_exclusive */
  comp_rt_call_init(&t->c, root, f->mem, f->realloc, f->core, NULL, f->owner);
  t->args = kb_zalloc(root->a, (nargs + 1) * sizeof *t->args);
  t->slot = (uint32_t)as->tasks.len;
  if (!t->args || !kb_vec_push(root->a, &as->tasks, t)) {
    if (t->args) kb_free(root->a, t->args, (nargs + 1) * sizeof *t->args);
    kb_free(root->a, t, sizeof *t);
    return kb_error_oom();
  }
  for (size_t i = 0; i < nargs; i++) {
    if (!kumi_cval_clone(root->a, &args[i], &t->args[i])) return kb_error_oom();
    t->nargs = i + 1;
  }
  *out = t;
  return NULL;
}

/* The task's implicit thread (on a fiber), not yet run. */
static kumi_error *task_thread(kumi_component_instance *root, rt_task *t, rt_thread **out) {
  rt_thread *th = NULL;
  kumi_error *e = comp_thread_new(root, t->inst, t, true, &th);
  if (e) return e;
  th->implicit = true;
  th->kind = t->f->async_lift ? RT_TASK_CALLBACK : RT_TASK_SYNC_ASYNC_TYPE;
  t->implicit = th;
  *out = th;
  return NULL;
}

static void free_args(kumi_component_instance *root, rt_task *t) {
  for (size_t i = 0; t->args && i < t->nargs; i++) kumi_cval_free(root->a, &t->args[i]);
  if (t->args) kb_free(root->a, t->args, (t->nargs + 1) * sizeof *t->args);
  t->args = NULL;
  t->nargs = 0;
}

/* Does the exclusive lock of s keep a new task out? Not when its holder
 * has resolved its task and is blocked: its caller has the value, and the
 * conformance tests (spec/async/sync-streams) expect a new task to start
 * then. */
static bool lock_held(const rt_scope *s) {
  const rt_thread *h = s->exclusive;
  if (!h) return false;
  return !(h->task && h->task->state == RT_TS_RESOLVED && h->state != RT_TH_RUNNING);
}

static bool no_backpressure(void *ud) {
  rt_task *t = ud;
  return t->inst->backpressure == 0 && !(t->exclusive && lock_held(t->inst));
}

static bool not_exclusive(void *ud) { return ((rt_scope *)ud)->exclusive == NULL; }

typedef struct rt_wset_wait {
  rt_wset *w;
  rt_scope *s;
} rt_wset_wait;

static bool wset_event_not_exclusive(void *ud) {
  rt_wset_wait *x = ud;
  return !x->s->exclusive && wset_has_event(x->w);
}

/* Task.enter_implicit_thread: false when cancelled while waiting to start
 * (the task is then resolved as cancelled). */
static kumi_error *enter_implicit(kumi_component_instance *root, rt_thread *th, bool *entered) {
  rt_task *t = th->task;
  rt_scope *s = t->inst;
  *entered = false;
  if (!no_backpressure(t) || s->num_waiting_to_enter > 0) {
    s->num_waiting_to_enter++;
    bool cancelled = false;
    kumi_error *e = comp_async_wait(root, s, no_backpressure, t, true, &cancelled);
    s->num_waiting_to_enter--;
    if (e) return e;
    if (cancelled) {
      t->state = RT_TS_CANCEL_DELIVERED;
      return comp_async_resolve(t, NULL, true);
    }
  }
  if (t->exclusive) s->exclusive = th;
  *entered = true;
  return NULL;
}

/* The callback loop of canon_lift, from the first core call's result. */
static kumi_error *callback_loop(kumi_component_instance *root, rt_thread *th, uint32_t packed) {
  rt_task *t = th->task;
  rt_scope *s = t->inst;
  for (;;) {
    uint32_t code = packed & 0xf;
    if (code > 2) return trap(root, "unsupported callback code");
    if (code == 0) return NULL;
    if (s->exclusive == th) s->exclusive = NULL;
    uint32_t ev[3] = {RT_EV_NONE, 0, 0};
    bool cancelled = false;
    kumi_error *e;
    if (code == 1) {
      e = comp_async_yield(root, s, not_exclusive, s, true, &cancelled);
    } else {
      rt_wset *w = comp_async_wset_at(root, s, packed >> 4);
      if (!w) return trap(root, "callback returned an invalid waitable set index");
      rt_wset_wait x = {w, s};
      w->num_waiting++;
      e = comp_async_wait(root, s, wset_event_not_exclusive, &x, true, &cancelled);
      w->num_waiting--;
      if (!e && !cancelled) comp_async_take_event(root, w, ev);
    }
    if (e) return e;
    if (cancelled) ev[0] = RT_EV_TASK_CANCELLED;
    if (t->exclusive) s->exclusive = th;
    kumi_val args[3] = {kumi_val_i32((int32_t)ev[0]), kumi_val_i32((int32_t)ev[1]), kumi_val_i32((int32_t)ev[2])};
    kumi_val r = kumi_val_i32(0);
    if ((e = kumi_func_call(root->store, t->f->callback, args, 3, &r, 1))) return e;
    packed = (uint32_t)r.of.i32;
  }
}

kumi_error *comp_async_task_main(kumi_component_instance *root, rt_thread *th) {
  rt_task *t = th->task;
  kumi_component_func *f = t->f;
  rt_scope *s = t->inst;
  bool entered = false;
  kumi_error *e = enter_implicit(root, th, &entered);
  if (!e && entered) {
    /* Task.start: the arguments go to the callee */
    t->state = RT_TS_STARTED;
    if (t->sub) {
      t->sub->state = RT_SUB_STARTED;
      if (t->sub->w.handle) t->sub->w.pending = true;
    }
    if (!f->async_lift) {
      /* an async-typed function lifted synchronously */
      kumi_cval res = kumi_cval_bool(false);
      e = comp_rt_lift_body(f, t->args, t->nargs, f->ft->has_result ? &res : NULL, th);
      free_args(root, t);
      if (!e) e = comp_async_resolve(t, f->ft->has_result ? &res : NULL, false);
      else if (f->ft->has_result) kumi_cval_free(root->a, &res);
    } else {
      abi_cx cx;
      comp_rt_cx_init(&cx, root, f->enc, &t->c);
      comp_vt *pt = param_types(root->a, f->ft);
      abi_vals flat = {0};
      if (!pt) e = kb_error_oom();
      else e = abi_lower_flat_values(&cx, ABI_MAX_FLAT_PARAMS, pt, t->args, t->nargs, NULL, &flat);
      if (pt) kb_free(root->a, pt, (f->ft->n + 1) * sizeof *pt);
      free_args(root, t);
      if (!e && !f->callback) {
        e = kumi_func_call(root->store, f->core, flat.items, flat.len, NULL, 0);
      } else if (!e) {
        kumi_val r = kumi_val_i32(0);
        e = kumi_func_call(root->store, f->core, flat.items, flat.len, &r, 1);
        if (!e) e = callback_loop(root, th, (uint32_t)r.of.i32);
      }
      kb_vec_free(root->a, &flat);
    }
  }
  /* Task.exit_implicit_thread */
  if (s->exclusive == th) s->exclusive = NULL;
  kumi_error *x = comp_async_thread_exit(root, th);
  if (e) kumi_error_free(x);
  else e = x;
  return e;
}
kumi_error *comp_async_resolve(rt_task *t, kumi_cval *v, bool cancel) {
  kumi_component_instance *root = t->f->root;
  const comp_type *ft = t->f->ft;
  kumi_error *e = NULL;
  if (cancel && t->state != RT_TS_CANCEL_DELIVERED) e = trap(root, "task.cancel called without a delivered cancellation");
  else if (t->state == RT_TS_RESOLVED) e = trap(root, "task already returned or cancelled");
  else if (t->c.scope.num_borrows > 0) e = trap(root, "borrow handles still remain at the end of the call");
  if (e) {
    if (v) kumi_cval_free(root->a, v);
    return e;
  }
  rt_subtask *sub = t->sub;
  if (sub) {
    if (cancel) {
      sub->state = sub->state == RT_SUB_STARTING ? RT_SUB_CANCELLED_BEFORE_STARTED : RT_SUB_CANCELLED_BEFORE_RETURNED;
    } else {
      if (ft->has_result && v) e = comp_async_xfer(root, v, 1, t->inst, sub->lw->owner);
      if (!e && ft->has_result && v) {
        /* lower the result into the caller's memory at its return pointer */
        rt_call c;
        comp_rt_call_init(&c, root, sub->lw->mem, sub->lw->realloc, NULL, NULL, sub->lw->owner);
        abi_cx cx;
        comp_rt_cx_init(&cx, root, sub->lw->enc, &c);
        abi_vals out = {0};
        uint64_t rp = sub->retptr;
        e = abi_lower_flat_values(&cx, 0, &ft->result, v, 1, &rp, &out);
        kb_vec_free(root->a, &out);
        kb_vec_free(root->a, &c.lends);
      }
      sub->state = RT_SUB_RETURNED;
    }
    if (sub->w.handle) sub->w.pending = true;
    if (v) kumi_cval_free(root->a, v);
    t->detached = true; /* the subtask has the outcome: t goes with its last thread */
  } else if (!cancel && v) {
    t->result = *v;
    t->has_value = true;
  }
  t->state = RT_TS_RESOLVED;
  return e;
}

static bool task_resolved(void *ud) { return ((rt_task *)ud)->state == RT_TS_RESOLVED; }

/* Store.lift: a task of f runs until it returns or blocks. */
static kumi_error *task_call(kumi_component_func *f, const kumi_cval *args, size_t nargs, rt_scope *caller,
                             rt_task **out) {
  kumi_component_instance *root = f->root;
  if (!comp_rt_enter_set(f->owner, caller, true, true)) return trap(root, "cannot enter component instance");
  rt_task *t = NULL;
  rt_thread *th = NULL;
  kumi_error *e = task_new(root, f, args, nargs, &t);
  if (!e) e = task_thread(root, t, &th);
  if (e) return e;
  *out = t;
  comp_rt_enter_set(f->owner, caller, false, true);
  e = comp_thread_resume(root, th, false);
  comp_rt_enter_set(f->owner, caller, false, false);
  return e;
}

kumi_error *comp_async_start(kumi_component_func *f, const kumi_cval *args, size_t nargs, rt_task **out) {
  *out = NULL;
  return task_call(f, args, nargs, NULL, out);
}

kumi_error *comp_async_call(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                            rt_scope *caller) {
  kumi_component_instance *root = f->root;
  rt_task *t = NULL;
  kumi_error *e = task_call(f, args, nargs, caller, &t);
  if (!e) e = comp_async_block(root, caller, task_resolved, t);
  if (!e && result && f->ft->has_result) {
    if (!t->has_value) return trap(root, "task resolved without a value");
    *result = t->result;
    t->has_value = false;
  }
  if (!e) comp_async_task_done(root, t);
  return e;
}

void comp_async_task_done(kumi_component_instance *root, rt_task *t) {
  if (t->nthreads == 0 && !t->implicit) comp_async_task_release(root, t);
  else t->detached = true;
}

kumi_error *comp_async_lower(rt_lower *lw, const kumi_val *args, kumi_val *results) {
  kumi_component_instance *root = lw->root;
  const comp_type *ft = lw->ft;
  kumi_component_func *f = lw->callee;
  for (uint32_t depth = 0; f->target; depth++) {
    if (depth > RT_MAX_ALIAS_DEPTH) return kb_error(root->a, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "import chain too long");
    f = f->target;
  }
  rt_async *as = comp_async_state(root);
  if (!as) return kb_error_oom();
  rt_call c;
  comp_rt_call_init(&c, root, lw->mem, lw->realloc, NULL, NULL, lw->owner);
  abi_cx cx;
  comp_rt_cx_init(&cx, root, lw->enc, &c);
  comp_vt *pt = param_types(root->a, ft);
  kumi_cval *cv = kb_zalloc(root->a, (ft->n + 1) * sizeof *cv);
  if (!pt || !cv) {
    kb_free(root->a, pt, (ft->n + 1) * sizeof *pt);
    kb_free(root->a, cv, (ft->n + 1) * sizeof *cv);
    return kb_error_oom();
  }
  abi_iter it = {args, lw->nparams, 0};
  kumi_error *e = abi_lift_flat_values(&cx, ABI_MAX_FLAT_ASYNC_PARAMS, pt, ft->n, &it, cv);
  kb_free(root->a, pt, (ft->n + 1) * sizeof *pt);
  if (e) {
    kb_free(root->a, cv, (ft->n + 1) * sizeof *cv);
    abi_release_lends(&lw->owner->table, &c.lends);
    return e;
  }
  uint64_t retptr = 0;
  if (ft->has_result && it.i < lw->nparams) retptr = (uint32_t)args[it.i].of.i32;
  if (f->host && f->host->afn) /* a host function that completes later (async_host.c) */
    return comp_async_host_lower(lw, f, cv, retptr, &c.lends, results);
  if (f->host || !f->core || (!f->async_lift && !f->ft->async)) {
    /* a sync-typed callee runs to completion: RETURNED */
    kumi_cval res = kumi_cval_bool(false);
    e = comp_rt_call_func(f, cv, ft->n, ft->has_result ? &res : NULL, lw->owner);
    for (uint32_t i = 0; i < ft->n; i++) kumi_cval_free(root->a, &cv[i]);
    kb_free(root->a, cv, (ft->n + 1) * sizeof *cv);
    abi_release_lends(&lw->owner->table, &c.lends);
    if (!e && ft->has_result) {
      cx.hooks.memory(cx.hooks.ud, &cx.mem, &cx.mem_size);
      abi_vals out = {0};
      e = abi_lower_flat_values(&cx, 0, &ft->result, &res, 1, &retptr, &out);
      kb_vec_free(root->a, &out);
    }
    if (ft->has_result) kumi_cval_free(root->a, &res);
    if (!e) results[0] = kumi_val_i32(RT_SUB_RETURNED);
    return e;
  }
  rt_subtask *sub = NULL;
  rt_task *t = NULL;
  rt_thread *th = NULL;
  uint32_t slot = 0;
  if (!comp_rt_enter_set(f->owner, lw->owner, true, true)) e = trap(root, "cannot enter component instance");
  if (!e && !(sub = kb_zalloc(root->a, sizeof *sub))) e = kb_error_oom();
  if (!e && (e = comp_async_slot_put(root, false, sub, &slot))) {
    kb_free(root->a, sub, sizeof *sub);
    sub = NULL;
  }
  if (sub) sub->w.kind = RT_W_SUBTASK;
  if (!e && comp_async_type_has_stream(&root->ts, ft)) e = comp_async_xfer(root, cv, ft->n, lw->owner, f->owner);
  if (!e) e = task_new(root, f, cv, ft->n, &t);
  for (uint32_t i = 0; i < ft->n; i++) kumi_cval_free(root->a, &cv[i]);
  kb_free(root->a, cv, (ft->n + 1) * sizeof *cv);
  if (!e) e = task_thread(root, t, &th);
  if (e) {
    abi_release_lends(&lw->owner->table, &c.lends);
    return e;
  }
  sub->lw = lw;
  sub->retptr = retptr;
  sub->lends = c.lends;
  sub->state = RT_SUB_STARTING;
  sub->task = t;
  t->sub = sub;
  /* the callee runs until it returns or blocks (Store.lift) */
  comp_rt_enter_set(f->owner, lw->owner, false, true);
  e = comp_thread_resume(root, th, false);
  comp_rt_enter_set(f->owner, lw->owner, false, false);
  if (e) return e;
  if (sub_resolved(sub)) {
    /* RETURNED at once: the caller never sees the subtask */
    sub_deliver_resolve(sub);
    comp_async_sub_release(root, sub, slot);
    results[0] = kumi_val_i32(RT_SUB_RETURNED);
    return NULL;
  }
  uint32_t h = 0;
  if ((e = abi_resource_new(&lw->owner->table, RT_RID_SUBTASK, slot, &h))) return e;
  sub->w.handle = h;
  results[0] = kumi_val_i32((int32_t)(sub->state | (h << 4)));
  return NULL;
}

/* Task.request_cancellation */
kumi_error *comp_async_request_cancel(kumi_component_instance *root, rt_subtask *sub, rt_scope *caller) {
  if (sub->hcall) return comp_async_host_cancel(root, sub); /* a host callee (async_host.c) */
  rt_task *t = sub->task;
  if (!t) return NULL;
  if (t->state == RT_TS_INITIAL) {
    /* cancelled while waiting to start: no guest code runs */
    t->state = RT_TS_CANCEL_DELIVERED;
    if (t->implicit && t->implicit->state != RT_TH_RUNNING) return comp_thread_resume(root, t->implicit, true);
    return comp_async_resolve(t, NULL, true);
  }
  if (t->state != RT_TS_STARTED) return NULL;
  rt_thread *th = comp_async_cancel_candidate(root, t);
  rt_scope *inst = t->inst; /* t may be gone once th ran (a resolved task goes with its last thread) */
  if (th && comp_rt_enter_set(inst, caller, true, true)) {
    t->state = RT_TS_CANCEL_DELIVERED;
    comp_rt_enter_set(inst, caller, false, true);
    kumi_error *e = comp_thread_resume(root, th, true);
    comp_rt_enter_set(inst, caller, false, false);
    return e;
  }
  t->state = RT_TS_PENDING_CANCEL;
  return NULL;
}
