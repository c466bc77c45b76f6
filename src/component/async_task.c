/* Tasks, subtasks and the event loop of Component Model async (async.h):
 * canon_lift with `async (callback ...)`, canon_lower with `async`, and
 * the loop that delivers events to callbacks (Store.tick of
 * CanonicalABI.md, run by whoever waits). */
#include "async.h"

/* Most callback invocations one event loop makes before giving up: a
 * guest that yields forever must not hang the host. */
#define RT_LOOP_LIMIT 200000u

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

void comp_async_free(kumi_component_instance *root) {
  rt_async *as = root->async;
  if (!as) return;
  const kumi_allocator *a = root->a;
  for (size_t i = 0; i < as->tasks.len; i++) task_free(a, as->tasks.items[i]);
  for (size_t i = 0; i < as->subs.len; i++) {
    kb_vec_free(a, &as->subs.items[i]->lends);
    kb_free(a, as->subs.items[i], sizeof *as->subs.items[i]);
  }
  for (size_t i = 0; i < as->ends.len; i++) kb_free(a, as->ends.items[i], sizeof *as->ends.items[i]);
  for (size_t i = 0; i < as->shared.len; i++) kb_free(a, as->shared.items[i], sizeof *as->shared.items[i]);
  kb_vec_free(a, &as->ends);
  kb_vec_free(a, &as->shared);
  for (size_t i = 0; i < as->wsets.len; i++) {
    kb_vec_free(a, &as->wsets.items[i]->elems);
    kb_free(a, as->wsets.items[i], sizeof *as->wsets.items[i]);
  }
  kb_vec_free(a, &as->tasks);
  kb_vec_free(a, &as->subs);
  kb_vec_free(a, &as->wsets);
  kb_free(a, as, sizeof *as);
  root->async = NULL;
}

rt_wset *comp_async_wset_at(kumi_component_instance *root, rt_scope *s, uint32_t i) {
  abi_handle *h = abi_table_get(&s->table, i);
  if (!h || h->rid != RT_RID_WSET || !root->async || h->rep >= root->async->wsets.len) return NULL;
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
  if (h->rid == RT_RID_SUBTASK && h->rep < root->async->subs.len) return &root->async->subs.items[h->rep]->w;
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

/* unpack_callback_result and what the task then waits for. */
static kumi_error *task_code(kumi_component_instance *root, rt_task *t, uint32_t packed) {
  uint32_t code = packed & 0xf;
  t->wait = 0;
  if (code > 2) {
    t->exited = true;
    return trap(root, "unsupported callback code");
  }
  if (code == 2) {
    rt_wset *w = comp_async_wset_at(root, t->inst, packed >> 4);
    if (!w) {
      t->exited = true; /* a trapped task waits for nothing (t->wset stays unset) */
      return trap(root, "callback returned an invalid waitable set index");
    }
    t->wset = w;
    w->num_waiting++;
  }
  t->wait = (uint8_t)code;
  if (code == 0) {
    t->exited = true;
    if (t->state != RT_TS_RESOLVED) return trap(root, "task exited without calling task.return or task.cancel");
    return NULL;
  }
  return NULL;
}

/* One call of the task's core code (the entry or the callback), as the
 * running task of its instance, then its callback code. A stackful task
 * (no callback) blocks, if at all, in nested loops inside this call. */
static kumi_error *task_run(kumi_component_instance *root, rt_task *t, kumi_func *fn, const kumi_val *args,
                            size_t nargs) {
  rt_scope *s = t->inst;
  uint32_t saved_context[2] = {s->context[0], s->context[1]};
  rt_task *saved_task = s->cur_task;
  uint8_t saved_kind = s->cur_kind;
  s->context[0] = t->context[0];
  s->context[1] = t->context[1];
  s->cur_task = t;
  s->cur_kind = RT_TASK_CALLBACK;
  t->wait = 0;
  kumi_val r = kumi_val_i32(0);
  bool stackful = !t->f->callback; /* returns nothing: its return is EXIT */
  s->busy++;
  kumi_error *e = kumi_func_call(root->store, fn, args, nargs, stackful ? NULL : &r, stackful ? 0 : 1);
  s->busy--;
  t->context[0] = s->context[0];
  t->context[1] = s->context[1];
  s->context[0] = saved_context[0];
  s->context[1] = saved_context[1];
  s->cur_task = saved_task;
  s->cur_kind = saved_kind;
  if (e) {
    t->exited = true;
    return e;
  }
  return task_code(root, t, (uint32_t)r.of.i32);
}

/* Task.start and the first core call: the arguments are lowered into the
 * callee. The instance has been entered by the caller of this. */
static kumi_error *task_start_now(kumi_component_instance *root, rt_task *t) {
  kumi_component_func *f = t->f;
  t->queued = false;
  t->state = RT_TS_STARTED;
  if (t->sub) {
    t->sub->state = RT_SUB_STARTED;
    if (t->sub->w.handle) t->sub->w.pending = true;
  }
  abi_cx cx;
  comp_rt_cx_init(&cx, root, f->enc, &t->c);
  comp_vt *pt = param_types(root->a, f->ft);
  if (!pt) return kb_error_oom();
  abi_vals flat = {0};
  kumi_error *e = abi_lower_flat_values(&cx, ABI_MAX_FLAT_PARAMS, pt, t->args, t->nargs, NULL, &flat);
  kb_free(root->a, pt, (f->ft->n + 1) * sizeof *pt);
  for (size_t i = 0; i < t->nargs; i++) kumi_cval_free(root->a, &t->args[i]);
  kb_free(root->a, t->args, (t->nargs + 1) * sizeof *t->args);
  t->args = NULL;
  t->nargs = 0;
  if (!e) e = task_run(root, t, f->core, flat.items, flat.len);
  kb_vec_free(root->a, &flat);
  return e;
}

static bool has_queued(const rt_async *as, const rt_scope *s) {
  for (size_t i = 0; i < as->tasks.len; i++)
    if (as->tasks.items[i]->queued && as->tasks.items[i]->inst == s) return true;
  return false;
}

/* Task.enter_implicit_thread: starts t now, or queues it behind
 * backpressure (and behind tasks already waiting to start). */
static kumi_error *task_begin(kumi_component_instance *root, rt_task *t, rt_scope *caller) {
  rt_scope *s = t->inst;
  if (s->backpressure > 0 || has_queued(root->async, s)) {
    t->queued = true;
    return NULL;
  }
  comp_rt_enter_set(s, caller, false, true);
  kumi_error *e = task_start_now(root, t);
  comp_rt_enter_set(s, caller, false, false);
  return e;
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
  comp_rt_call_init(&t->c, root, f->mem, f->realloc, f->core, NULL, f->owner);
  t->args = kb_zalloc(root->a, (nargs + 1) * sizeof *t->args);
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
  } else if (!cancel && v) {
    t->result = *v;
    t->has_value = true;
  }
  t->state = RT_TS_RESOLVED;
  return e;
}

/* The task t waits for in the loop: its next event (false: not ready). */
static bool task_ready(const rt_task *t) {
  if (t->exited || t->queued || t->wait == 0) return false;
  if (t->state == RT_TS_PENDING_CANCEL || t->wait == 1) return true;
  return t->wset && wset_has_event(t->wset);
}

/* Resumes t with its next event (t is ready and its instance enterable). */
static kumi_error *task_resume(kumi_component_instance *root, rt_task *t, rt_scope *caller) {
  uint32_t ev[3] = {RT_EV_NONE, 0, 0};
  if (t->wait == 2 && t->wset) t->wset->num_waiting--;
  if (t->state == RT_TS_PENDING_CANCEL) {
    t->state = RT_TS_CANCEL_DELIVERED;
    ev[0] = RT_EV_TASK_CANCELLED;
  } else if (t->wait == 2) {
    comp_async_take_event(root, t->wset, ev);
  }
  t->wset = NULL;
  kumi_val args[3] = {kumi_val_i32((int32_t)ev[0]), kumi_val_i32((int32_t)ev[1]), kumi_val_i32((int32_t)ev[2])};
  comp_rt_enter_set(t->inst, caller, false, true);
  kumi_error *e = task_run(root, t, t->f->callback, args, 3);
  comp_rt_enter_set(t->inst, caller, false, false);
  return e;
}

/* May t's instance run core code now? Not while it has a core frame on
 * the C stack (a blocked task holds its exclusive lock), nor when
 * entering it from the host would be reentrance. */
static bool may_resume(const rt_task *t) {
  return t->inst->busy == 0 && comp_rt_enter_set(t->inst, NULL, true, true);
}

/* One step of the loop: starts a queued task or resumes a ready one.
 * *ran: something ran; *skipped: something could have run but for
 * may_resume. */
static kumi_error *loop_step(kumi_component_instance *root, rt_async *as, size_t *next, bool *ran, bool *skipped) {
  size_t n = as->tasks.len;
  for (size_t k = 0; k < n; k++) {
    size_t i = (*next + k) % n;
    rt_task *t = as->tasks.items[i];
    kumi_error *e;
    if (t->queued) {
      if (t->inst->backpressure > 0) continue;
      bool first = true; /* tasks start in the order they were queued */
      for (size_t j = 0; j < i && first; j++)
        if (as->tasks.items[j]->queued && as->tasks.items[j]->inst == t->inst) first = false;
      if (!first) continue;
      if (!may_resume(t)) {
        *skipped = true;
        continue;
      }
      comp_rt_enter_set(t->inst, NULL, false, true);
      e = task_start_now(root, t);
      comp_rt_enter_set(t->inst, NULL, false, false);
    } else {
      if (!task_ready(t)) continue;
      if (!may_resume(t)) {
        *skipped = true;
        continue;
      }
      e = task_resume(root, t, NULL);
    }
    *ran = true;
    *next = i + 1;
    return e;
  }
  return NULL;
}

kumi_error *comp_async_block(kumi_component_instance *root, rt_scope *blocked, bool (*done)(void *), void *ud) {
  rt_async *as = comp_async_state(root);
  if (!as) return kb_error_oom();
  if (done(ud)) return NULL;
  if (blocked && blocked->cur_kind <= RT_TASK_SYNC) return trap(root, "cannot block a synchronous task before returning");
  if (as->lower_depth > 0) return UNSUPPORTED(root->a, "blocking during an async-lowered call (needs stack switching)");
  /* A blocked thread leaves the instances it entered (Store.lift's
   * leave_to once canon_lift blocks): the entered flags are cleared while
   * the loop runs and restored after. Instances with core frames on the C
   * stack stay closed through their busy count. */
  bool nested = blocked || as->loop_depth > 0;
  bool *saved = NULL;
  size_t nscopes = root->scopes.len;
  if (nested) {
    saved = kb_alloc(root->a, (nscopes + 1) * sizeof *saved);
    if (!saved) return kb_error_oom();
    for (size_t i = 0; i < nscopes; i++) {
      saved[i] = root->scopes.items[i]->entered;
      root->scopes.items[i]->entered = false;
    }
  }
  as->loop_depth++;
  rt_blocker me = {done, ud, as->blocker};
  as->blocker = &me;
  kumi_error *e = NULL;
  size_t next = 0;
  for (uint32_t iter = 0; !e && !done(ud); iter++) {
    if (iter >= RT_LOOP_LIMIT) {
      e = UNSUPPORTED(root->a, "event loop made no progress within its step limit");
      break;
    }
    bool ran = false, skipped = false;
    e = loop_step(root, as, &next, &ran, &skipped);
    if (!ran && !e) {
      /* A deadlock unless a wait further out could go on (the spec would
       * switch to it; a nested loop cannot). */
      bool outer_ready = false;
      for (rt_blocker *b = me.outer; b && !outer_ready; b = b->outer) outer_ready = b->done(b->ud);
      if (skipped || outer_ready)
        e = UNSUPPORTED(root->a, "blocking while other instances are on the stack (needs stack switching)");
      else
        e = trap(root, "deadlock detected: event loop cannot make further progress");
    }
  }
  as->blocker = me.outer;
  as->loop_depth--;
  if (saved) {
    for (size_t i = 0; i < nscopes && i < root->scopes.len; i++)
      root->scopes.items[i]->entered = saved[i];
    kb_free(root->a, saved, (nscopes + 1) * sizeof *saved);
  }
  return e;
}

static bool task_resolved(void *ud) { return ((rt_task *)ud)->state == RT_TS_RESOLVED; }

kumi_error *comp_async_call(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                            rt_scope *caller) {
  kumi_component_instance *root = f->root;
  if (!comp_rt_enter_set(f->owner, caller, true, true)) return trap(root, "cannot enter component instance");
  rt_task *t = NULL;
  kumi_error *e = task_new(root, f, args, nargs, &t);
  rt_async *as = root->async;
  /* the caller waits for the task from the start: a wait further in that
   * cannot go on while this one could is not a deadlock */
  rt_blocker me = {task_resolved, t, as ? as->blocker : NULL};
  if (!e) {
    as->blocker = &me;
    e = task_begin(root, t, caller);
    as->blocker = me.outer;
  }
  if (!e) e = comp_async_block(root, caller, task_resolved, t);
  if (!e && result && f->ft->has_result) {
    if (!t->has_value) return trap(root, "task resolved without a value");
    *result = t->result;
    t->has_value = false;
  }
  return e;
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
  if (!f->async_lift || f->host) {
    /* a sync callee runs to completion: RETURNED */
    kumi_cval res = kumi_cval_bool(false);
    as->lower_depth++; /* the callee may not block: its caller would go on meanwhile */
    e = comp_rt_call_func(f, cv, ft->n, ft->has_result ? &res : NULL, lw->owner);
    as->lower_depth--;
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
  if (!comp_rt_enter_set(f->owner, lw->owner, true, true)) e = trap(root, "cannot enter component instance");
  if (!e && (!(sub = kb_zalloc(root->a, sizeof *sub)) || !kb_vec_push(root->a, &as->subs, sub))) {
    kb_free(root->a, sub, sizeof *sub);
    sub = NULL;
    e = kb_error_oom();
  }
  if (sub) sub->w.kind = RT_W_SUBTASK;
  if (!e && comp_async_type_has_stream(&root->ts, ft)) e = comp_async_xfer(root, cv, ft->n, lw->owner, f->owner);
  if (!e) e = task_new(root, f, cv, ft->n, &t);
  for (uint32_t i = 0; i < ft->n; i++) kumi_cval_free(root->a, &cv[i]);
  kb_free(root->a, cv, (ft->n + 1) * sizeof *cv);
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
  as->lower_depth++;
  e = task_begin(root, t, lw->owner);
  as->lower_depth--;
  if (e) return e;
  if (sub_resolved(sub)) {
    sub_deliver_resolve(sub);
    results[0] = kumi_val_i32(RT_SUB_RETURNED);
    return NULL;
  }
  uint32_t h = 0;
  if ((e = abi_resource_new(&lw->owner->table, RT_RID_SUBTASK, (uint32_t)(as->subs.len - 1), &h))) return e;
  sub->w.handle = h;
  results[0] = kumi_val_i32((int32_t)(sub->state | (h << 4)));
  return NULL;
}

kumi_error *comp_async_request_cancel(kumi_component_instance *root, rt_subtask *sub, rt_scope *caller) {
  rt_task *t = sub->task;
  if (t->state == RT_TS_INITIAL) {
    /* cancelled while waiting to start: no guest code runs */
    t->queued = false;
    t->exited = true;
    t->state = RT_TS_CANCEL_DELIVERED;
    return comp_async_resolve(t, NULL, true);
  }
  if (t->state != RT_TS_STARTED) return NULL;
  if (!t->exited && t->wait != 0 && comp_rt_enter_set(t->inst, caller, true, true)) {
    t->state = RT_TS_PENDING_CANCEL; /* task_resume delivers it now */
    return task_resume(root, t, caller);
  }
  t->state = RT_TS_PENDING_CANCEL;
  return NULL;
}
