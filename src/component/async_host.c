/* Host functions with a call context and the embedder's side of the event
 * loop (include/kumi_async.h, async_host.h): a host function defined with
 * kumi_component_linker_define_async completes its call at once or later;
 * a sync caller waits in the event loop (comp_async_block), an async
 * lowered call becomes a STARTED subtask whose result is lowered into the
 * caller's memory when the host completes it. Streams and futures crossing
 * between a guest and the host move by type (comp_async_host_xfer). Also
 * kumi_component_func_call_async and kumi_component_instance_run. */
#include "async_host.h"

static kumi_error *trap(kumi_component_instance *root, const char *msg) {
  return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "%s", msg);
}

rt_hstate *comp_hstate(kumi_component_instance *root) {
  rt_async *as = comp_async_state(root);
  if (!as) return NULL;
  if (!as->host) as->host = kb_zalloc(root->a, sizeof *as->host);
  return as->host;
}

void comp_hstate_fail(kumi_component_instance *root, kumi_error *err) {
  rt_hstate *hs = root->async ? root->async->host : NULL;
  if (!err) return;
  if (!hs || hs->err) {
    kumi_error_free(err);
    return;
  }
  hs->err = err;
}

/* ---- calls ------------------------------------------------------------------------------------ */

static kumi_async_call *call_new(kumi_component_instance *root, kumi_component_func *f, rt_scope *caller) {
  rt_hstate *hs = comp_hstate(root);
  kumi_async_call *c = hs ? kb_zalloc(root->a, sizeof *c) : NULL;
  if (!c) return NULL;
  if (!kb_vec_push(root->a, &hs->calls, c)) {
    kb_free(root->a, c, sizeof *c);
    return NULL;
  }
  c->root = root;
  c->f = f;
  c->caller = caller;
  return c;
}

/* Unlinks and frees a call; its argument streams the host did not take
 * are dropped. */
static void call_free(kumi_async_call *c) {
  kumi_component_instance *root = c->root;
  rt_hstate *hs = root->async->host;
  for (size_t i = 0; i < hs->calls.len; i++)
    if (hs->calls.items[i] == c) {
      hs->calls.items[i] = hs->calls.items[--hs->calls.len];
      break;
    }
  while (c->untaken.len) kumi_stream_drop(c->untaken.items[c->untaken.len - 1]); /* unlinks itself */
  kb_vec_free(root->a, &c->untaken);
  kb_free(root->a, c, sizeof *c);
}

/* Lowers the result of an async-lowered call into the caller's memory at
 * retptr (streams move to the caller first). Takes *v. */
static kumi_error *lower_result(kumi_component_instance *root, const rt_lower *lw, uint64_t retptr, kumi_cval *v) {
  const comp_type *ft = lw->ft;
  kumi_error *e = NULL;
  if (comp_async_type_has_stream(&root->ts, ft)) e = comp_async_host_xfer(root, ft, true, v, 1, lw->owner, false, NULL);
  if (!e) {
    rt_call c;
    comp_rt_call_init(&c, root, lw->mem, lw->realloc, NULL, NULL, lw->owner);
    abi_cx cx;
    comp_rt_cx_init(&cx, root, lw->enc, &c);
    abi_vals out = {0};
    uint64_t rp = retptr;
    e = abi_lower_flat_values(&cx, 0, &ft->result, v, 1, &rp, &out);
    kb_vec_free(root->a, &out);
    kb_vec_free(root->a, &c.lends);
  }
  kumi_cval_free(root->a, v);
  return e;
}

/* A started subtask's call completes: the caller sees RETURNED (or
 * CANCELLED_BEFORE_RETURNED) as an event. A failure is passed on by the
 * loop (at its idle point) instead. */
static void sub_finish(kumi_async_call *call, kumi_cval *result, kumi_error *err, bool cancelled) {
  kumi_component_instance *root = call->root;
  rt_subtask *sub = call->sub;
  const comp_type *ft = sub->lw->ft;
  sub->hcall = NULL;
  if (!err && cancelled) {
    sub->state = RT_SUB_CANCELLED_BEFORE_RETURNED;
  } else {
    if (!err && ft->has_result) {
      if (!result) err = trap(root, "a host function completed without its result");
      else err = lower_result(root, sub->lw, call->retptr, result);
    } else if (result) {
      kumi_cval_free(root->a, result);
    }
    if (err) { /* the subtask never resolves: the loop passes err on (the caller traps) */
      comp_hstate_fail(root, err);
      return;
    }
    sub->state = RT_SUB_RETURNED;
  }
  if (sub->w.handle) sub->w.pending = true;
}

/* Completes call (result NULL: none); takes result and err. */
static void complete(kumi_async_call *call, kumi_cval *result, kumi_error *err, bool cancelled) {
  if (!call) {
    kumi_error_free(err);
    return;
  }
  const kumi_allocator *a = call->root->a;
  kumi_cval moved = kumi_cval_bool(false);
  bool has = result != NULL;
  if (result) {
    moved = *result;
    *result = kumi_cval_bool(false);
  }
  if (call->wait) {
    rt_hwait *w = call->wait;
    w->done = true;
    w->cancelled = cancelled;
    w->err = err;
    if (has && !err && !cancelled) {
      w->result = moved;
      w->has_value = true;
    } else if (has) {
      kumi_cval_free(a, &moved);
    }
  } else if (call->sub) {
    sub_finish(call, has ? &moved : NULL, err, cancelled);
  } else { /* nobody waits any more (the caller failed, or the instance is going) */
    if (has) kumi_cval_free(a, &moved);
    kumi_error_free(err);
  }
  call_free(call);
}

void kumi_async_call_return(kumi_async_call *call, kumi_cval *result) { complete(call, result, NULL, false); }

void kumi_async_call_fail(kumi_async_call *call, kumi_error *err) {
  if (call && !err) err = trap(call->root, "host function failed");
  complete(call, NULL, err, false);
}

void kumi_async_call_cancelled(kumi_async_call *call) { complete(call, NULL, NULL, true); }

void kumi_async_call_on_cancel(kumi_async_call *call, void (*cb)(void *ud), void *ud) {
  if (!call) return;
  call->on_cancel = cb;
  call->cancel_ud = ud;
  if (cb && call->cancel_requested) cb(ud);
}

bool kumi_async_call_cancel_requested(const kumi_async_call *call) { return call && call->cancel_requested; }

const kumi_allocator *kumi_async_call_allocator(const kumi_async_call *call) { return call ? call->root->a : NULL; }

kumi_async_loop *kumi_async_call_loop(const kumi_async_call *call) {
  return call ? kumi_component_instance_loop(call->root) : NULL;
}

kumi_component_instance *kumi_async_call_instance(const kumi_async_call *call) { return call ? call->root : NULL; }

kumi_store *kumi_async_call_store(const kumi_async_call *call) {
  return call && call->root ? call->root->store : NULL;
}

kumi_error *comp_async_host_cancel(kumi_component_instance *root, rt_subtask *sub) {
  (void)root;
  kumi_async_call *call = sub->hcall;
  if (!call || call->cancel_requested) return NULL;
  call->cancel_requested = true;
  if (call->on_cancel) call->on_cancel(call->cancel_ud); /* may complete the call */
  return NULL;
}

static bool hwait_done(void *ud) { return ((rt_hwait *)ud)->done; }

/* Clones args (streams are then moved to the host in the copy). */
static kumi_cval *clone_args(const kumi_allocator *a, const kumi_cval *args, size_t n) {
  kumi_cval *x = kb_zalloc(a, (n + 1) * sizeof *x);
  for (size_t i = 0; x && i < n; i++)
    if (!kumi_cval_clone(a, &args[i], &x[i])) {
      for (size_t j = 0; j < i; j++) kumi_cval_free(a, &x[j]);
      kb_free(a, x, (n + 1) * sizeof *x);
      return NULL;
    }
  return x;
}

static void free_args(const kumi_allocator *a, kumi_cval *x, size_t n) {
  if (!x) return;
  for (size_t i = 0; i < n; i++) kumi_cval_free(a, &x[i]);
  kb_free(a, x, (n + 1) * sizeof *x);
}

kumi_error *comp_async_host_call(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                                 rt_scope *caller) {
  kumi_component_instance *root = f->root;
  const kumi_allocator *a = root->a;
  const comp_type *ft = f->ft;
  if (nargs != ft->n) return kb_error(a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "wrong number of arguments");
  bool streams = comp_async_type_has_stream(&root->ts, ft);
  if (streams && !caller) return UNSUPPORTED(a, "passing streams or futures from the host to a host function");
  kumi_async_call *call = call_new(root, f, caller);
  if (!call) return kb_error_oom();
  rt_hwait w;
  memset(&w, 0, sizeof w);
  call->wait = &w;
  kumi_cval *xa = NULL;
  kumi_error *e = NULL;
  if (streams) {
    if (!(xa = clone_args(a, args, nargs))) e = kb_error_oom();
    else e = comp_async_host_xfer(root, ft, false, xa, nargs, caller, true, call);
  }
  if (!e) e = f->host->afn(f->host->env, call, xa ? xa : args, nargs);
  if (e) {
    /* fn failed: the call is over (completed or not) */
    if (!w.done) call_free(call);
    if (w.has_value) kumi_cval_free(a, &w.result);
    kumi_error_free(w.err);
    free_args(a, xa, nargs);
    return e;
  }
  if (!w.done) {
    /* an async-typed task's thread waits (others run meanwhile); below a
     * sync task the host function blocks: the loop runs on this stack */
    rt_scope *blocked = caller && caller->cur_kind > RT_TASK_SYNC ? caller : NULL;
    e = comp_async_block(root, blocked, hwait_done, &w);
    if (e && !w.done) call->wait = NULL; /* the host may still complete it: nobody waits */
  }
  free_args(a, xa, nargs);
  if (!e) e = w.err;
  else kumi_error_free(w.err);
  if (!e && w.cancelled) e = trap(root, "the host cancelled a synchronous call");
  if (!e && ft->has_result && !w.has_value) e = trap(root, "a host function completed without its result");
  if (!e && ft->has_result && streams) e = comp_async_host_xfer(root, ft, true, &w.result, 1, caller, false, NULL);
  if (!e && ft->has_result && result) {
    *result = w.result;
    w.has_value = false;
  }
  if (w.has_value) kumi_cval_free(a, &w.result);
  return e;
}

kumi_error *comp_async_host_lower(rt_lower *lw, kumi_component_func *f, kumi_cval *cv, uint64_t retptr,
                                  abi_lends *lends, kumi_val *results) {
  kumi_component_instance *root = lw->root;
  const kumi_allocator *a = root->a;
  const comp_type *ft = lw->ft;
  kumi_async_call *call = call_new(root, f, lw->owner);
  kumi_error *e = call ? NULL : kb_error_oom();
  rt_hwait w;
  memset(&w, 0, sizeof w);
  if (call) {
    call->wait = &w;
    call->retptr = retptr;
    if (comp_async_type_has_stream(&root->ts, ft)) e = comp_async_host_xfer(root, ft, false, cv, ft->n, lw->owner, true, call);
    if (!e) e = f->host->afn(f->host->env, call, cv, ft->n);
    if (e && !w.done) call_free(call);
  }
  free_args(a, cv, ft->n);
  if (e || w.done) {
    abi_release_lends(&lw->owner->table, lends);
    if (!e) e = w.err;
    else kumi_error_free(w.err);
    if (!e && w.cancelled) e = trap(root, "the host cancelled a call that was not started");
    if (!e && ft->has_result) {
      if (!w.has_value) e = trap(root, "a host function completed without its result");
      else e = lower_result(root, lw, retptr, &w.result);
      w.has_value = false;
    }
    if (w.has_value) kumi_cval_free(a, &w.result);
    if (!e) results[0] = kumi_val_i32(RT_SUB_RETURNED);
    return e;
  }
  /* pending: a STARTED subtask that the host's completion resolves */
  call->wait = NULL;
  rt_subtask *sub = kb_zalloc(a, sizeof *sub);
  uint32_t slot = 0;
  kumi_error *se = sub ? comp_async_slot_put(root, false, sub, &slot) : kb_error_oom();
  if (se) {
    kb_free(a, sub, sizeof *sub);
    abi_release_lends(&lw->owner->table, lends);
    return se; /* the call stays the host's; its completion goes nowhere */
  }
  sub->w.kind = RT_W_SUBTASK;
  sub->lw = lw;
  sub->retptr = retptr;
  sub->lends = *lends;
  memset(lends, 0, sizeof *lends);
  sub->state = RT_SUB_STARTED;
  uint32_t h = 0;
  if ((e = abi_resource_new(&lw->owner->table, RT_RID_SUBTASK, slot, &h))) {
    sub->state = RT_SUB_RETURNED; /* never seen by the guest */
    return e;
  }
  sub->hcall = call;
  call->sub = sub;
  sub->w.handle = h;
  results[0] = kumi_val_i32((int32_t)(RT_SUB_STARTED | (h << 4)));
  return NULL;
}

/* ---- streams and futures crossing between guest and host ------------------------------------ */

typedef struct xfer_cx {
  kumi_component_instance *root;
  rt_scope *guest;
  bool to_host;
  kumi_async_call *call;
} xfer_cx;

static kumi_error *xfer_end(xfer_cx *x, const comp_type *ty, kumi_cval *v) {
  kumi_component_instance *root = x->root;
  bool future = ty->dkind == 0x65;
  if (v->kind != (future ? KUMI_CV_FUTURE : KUMI_CV_STREAM)) return NULL; /* the ABI reports the mismatch */
  rt_hstate *hs = comp_hstate(root);
  if (!hs) return kb_error_oom();
  if (x->to_host) {
    uint32_t i = v->of.handle;
    rt_end *e = NULL;
    kumi_error *err = comp_async_lift_check(root, x->guest, future, ty, i, &e);
    if (err) return err;
    if (e->sh->host) return UNSUPPORTED(root->a, "passing the host a stream or future whose other end it holds");
    if (x->call && !kb_vec_reserve(root->a, &x->call->untaken, 1)) return kb_error_oom();
    kumi_stream *s = comp_hstream_new(root, e->sh, false);
    if (!s) return kb_error_oom();
    bool run = false;
    uint32_t rep = 0;
    err = abi_resource_drop(&x->guest->table, RT_RID_END, i, &run, &rep);
    if (err) {
      kumi_stream_drop(s);
      return err;
    }
    e->w.handle = 0;
    comp_async_end_release(root, e); /* the host's end s keeps the shared state */
    if (x->call) {
      s->call = x->call;
      x->call->untaken.items[x->call->untaken.len++] = s;
    } else {
      s->unclaimed = true; /* kumi_stream_take_result */
    }
    v->of.handle = s->token;
    return NULL;
  }
  uint32_t tok = v->of.handle;
  kumi_stream *s = comp_hstream_at(hs, tok);
  if (!s || !s->sh || !s->writable || s->sh->given || s->sh->future != future)
    return kb_error(root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET,
                    "a %s handle the host passed is not a new one of kumi_stream_new for this instance",
                    future ? "future" : "stream");
  rt_shared *sh = s->sh;
  if (sh->untyped) {
    if (ty->has_a && comp_async_vt_has_stream(&root->ts, ty->a))
      return UNSUPPORTED(root->a, "streams or futures of streams or futures");
    sh->has_t = ty->has_a;
    if (ty->has_a) sh->t = ty->a;
    sh->untyped = false;
  } else if (sh->has_t != ty->has_a || (ty->has_a && !comp_vt_equal(&root->ts, sh->t, ty->a))) {
    return kb_error(root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "stream or future element type mismatch");
  }
  uint32_t ni = 0;
  kumi_error *err = comp_async_end_new(root, x->guest, sh, false, &ni);
  if (err) return err;
  sh->given = true;
  v->of.handle = ni;
  if (s->host_dropped && !s->has_value) kumi_stream_drop(s); /* the host let go before the pass */
  return NULL;
}

static kumi_error *xfer_vt(xfer_cx *x, comp_vt t, kumi_cval *v, uint32_t depth) {
  kumi_component_instance *root = x->root;
  const comp_type *ty = NULL;
  if (depth > 1000) return kb_error(root->a, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "value nested too deeply");
  if (abi_resolve(&root->ts, t, &ty) || !ty || ty->kind != CT_DEFINED) return NULL;
  if (!comp_async_vt_has_stream(&root->ts, t)) return NULL;
  kumi_error *e = NULL;
  switch (ty->dkind) {
  case 0x66: case 0x65: return xfer_end(x, ty, v);
  case 0x72: case 0x6f: /* record, tuple */
    if ((v->kind != KUMI_CV_RECORD && v->kind != KUMI_CV_TUPLE) || v->of.agg.len != ty->n) return NULL;
    for (uint32_t i = 0; i < ty->n && !e; i++) e = xfer_vt(x, ty->fields[i].type, &v->of.agg.items[i], depth + 1);
    return e;
  case 0x71: /* variant */
    if (v->kind != KUMI_CV_VARIANT || v->of.var.index >= ty->n || !v->of.var.payload || !ty->fields[v->of.var.index].has_type)
      return NULL;
    return xfer_vt(x, ty->fields[v->of.var.index].type, v->of.var.payload, depth + 1);
  case 0x6b: /* option */
    if (v->kind != KUMI_CV_OPTION || v->of.var.index != 1 || !v->of.var.payload) return NULL;
    return xfer_vt(x, ty->a, v->of.var.payload, depth + 1);
  case 0x6a: { /* result */
    if (v->kind != KUMI_CV_RESULT || !v->of.var.payload) return NULL;
    bool ok = v->of.var.index == 0;
    if (ok ? !ty->has_a : !ty->has_b) return NULL;
    return xfer_vt(x, ok ? ty->a : ty->b, v->of.var.payload, depth + 1);
  }
  case 0x70: case 0x67: /* list */
    if (v->kind != KUMI_CV_LIST) return NULL;
    for (size_t i = 0; i < v->of.agg.len && !e; i++) e = xfer_vt(x, ty->a, &v->of.agg.items[i], depth + 1);
    return e;
  case 0x63: /* map: (key, value) tuples */
    if (v->kind != KUMI_CV_MAP) return NULL;
    for (size_t i = 0; i < v->of.agg.len && !e; i++) {
      kumi_cval *kv = &v->of.agg.items[i];
      if (kv->kind != KUMI_CV_TUPLE || kv->of.agg.len != 2) continue;
      e = xfer_vt(x, ty->a, &kv->of.agg.items[0], depth + 1);
      if (!e) e = xfer_vt(x, ty->b, &kv->of.agg.items[1], depth + 1);
    }
    return e;
  default: return NULL;
  }
}

kumi_error *comp_async_host_xfer(kumi_component_instance *root, const comp_type *ft, bool result, kumi_cval *v,
                                 size_t n, rt_scope *guest, bool to_host, struct kumi_async_call *call) {
  if (!guest) return UNSUPPORTED(root->a, "passing streams or futures between the host and itself");
  xfer_cx x = {root, guest, to_host, call};
  if (result) return ft->has_result && n ? xfer_vt(&x, ft->result, v, 0) : NULL;
  kumi_error *e = NULL;
  for (size_t i = 0; i < n && i < ft->n && !e; i++) e = xfer_vt(&x, ft->fields[i].type, &v[i], 0);
  return e;
}

/* ---- calling async exports from C -------------------------------------------------------------- */

kumi_error *kumi_component_func_call_async(kumi_store *store, kumi_component_func *f, const kumi_cval *args,
                                           size_t nargs, kumi_component_done_fn done, void *ud) {
  if (!store || !f || !done || (nargs && !args))
    return kb_error(NULL, KUMI_ERR_ARG, KUMI_NO_OFFSET, "kumi_component_func_call_async: missing argument");
  kumi_component_instance *root = f->root;
  kumi_component_func *g = f;
  for (uint32_t depth = 0; g->target; depth++) {
    if (depth > RT_MAX_ALIAS_DEPTH) return kb_error(root->a, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "import chain too long");
    g = g->target;
  }
  bool has = f->ft->has_result;
  if (!g->async_lift || g->host || !g->core) {
    /* runs to completion now */
    kumi_cval r = kumi_cval_bool(false);
    kumi_error *e = kumi_component_func_call(store, f, args, nargs, &r, has ? 1 : 0);
    done(ud, e, !e && has ? &r : NULL);
    return NULL;
  }
  if (nargs != g->ft->n) return kb_error(root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "wrong number of arguments");
  const comp_type *ft = g->ft;
  rt_hstate *hs = comp_hstate(root);
  if (!hs || !kb_vec_reserve(root->a, &hs->inflight, 1)) return kb_error_oom();
  kumi_cval *xa = NULL;
  kumi_error *e = NULL;
  if (comp_async_type_has_stream(&root->ts, ft)) { /* the host's new ends go to the callee */
    if (!(xa = clone_args(root->a, args, nargs))) return kb_error_oom();
    e = comp_async_host_xfer(root, ft, false, xa, nargs, g->owner, false, NULL);
  }
  rt_task *t = NULL;
  if (!e) e = comp_async_start(g, xa ? xa : args, nargs, &t);
  free_args(root->a, xa, nargs);
  if (e) return e;
  hs->inflight.items[hs->inflight.len++] = (rt_hcall_async){g, t, done, ud};
  return NULL;
}

static bool task_over(const rt_task *t) { return t->state == RT_TS_RESOLVED; }

/* Calls done for the calls whose tasks resolved; with err (the loop
 * failed: a task trapped, which leaves its instance unusable) for every
 * other one too, with a copy of err. */
static void deliver(kumi_component_instance *root, rt_hstate *hs, const kumi_error *err) {
  for (size_t i = 0; i < hs->inflight.len;) {
    rt_hcall_async c = hs->inflight.items[i];
    if (!task_over(c.task) && !err) {
      i++;
      continue;
    }
    hs->inflight.items[i] = hs->inflight.items[--hs->inflight.len];
    rt_task *t = c.task;
    if (task_over(t)) {
      kumi_cval r = kumi_cval_bool(false);
      bool has = t->has_value;
      kumi_error *e = NULL;
      if (has) {
        r = t->result;
        t->has_value = false;
        if (comp_async_type_has_stream(&root->ts, c.f->ft)) /* the result's ends become the host's */
          e = comp_async_host_xfer(root, c.f->ft, true, &r, 1, c.f->owner, true, NULL);
        if (e) {
          kumi_cval_free(root->a, &r);
          has = false;
        }
      }
      comp_async_task_done(root, t); /* its value is taken: nothing refers to it any more */
      c.done(c.ud, e, has ? &r : NULL);
    } else {
      c.done(c.ud, kb_error(root->a, kumi_error_kind_of(err), KUMI_NO_OFFSET, "%s", kumi_error_message(err)), NULL);
    }
    i = 0; /* done may have started or finished others */
  }
}

static bool any_over(const rt_hstate *hs) {
  for (size_t i = 0; i < hs->inflight.len; i++)
    if (task_over(hs->inflight.items[i].task)) return true;
  return false;
}

static bool run_done(void *ud) {
  rt_hstate *hs = ud;
  if (hs->run_nowait) return hs->idle_seen || any_over(hs);
  return hs->inflight.len == 0 || any_over(hs);
}

kumi_error *kumi_component_instance_run(kumi_store *store, kumi_component_instance *inst, bool block) {
  if (!store || !inst) return kb_error(NULL, KUMI_ERR_ARG, KUMI_NO_OFFSET, "kumi_component_instance_run: missing argument");
  rt_hstate *hs = comp_hstate(inst);
  if (!hs) return kb_error_oom();
  for (;;) {
    deliver(inst, hs, NULL);
    if (hs->err) {
      kumi_error *e = hs->err;
      hs->err = NULL;
      return e;
    }
    if (block && hs->inflight.len == 0) return NULL;
    hs->run_nowait = !block;
    hs->idle_seen = false;
    kumi_error *e = comp_async_block(inst, NULL, run_done, hs);
    hs->run_nowait = false;
    bool idle = hs->idle_seen;
    if (e) {
      deliver(inst, hs, e);
      return e;
    }
    if (!block && (idle || !any_over(hs))) {
      deliver(inst, hs, NULL);
      return NULL;
    }
  }
}

/* ---- the instance goes ------------------------------------------------------------------------ */

void comp_async_host_free(kumi_component_instance *root) {
  rt_async *as = root->async;
  rt_hstate *hs = as ? as->host : NULL;
  if (!hs) return;
  const kumi_allocator *a = root->a;
  /* nobody waits for the pending calls any more: a completion only frees */
  for (size_t i = 0; i < hs->calls.len; i++) {
    hs->calls.items[i]->wait = NULL;
    hs->calls.items[i]->sub = NULL;
  }
  /* host ends: the host hears of it (closed) and may complete calls then */
  comp_hstream_detach_all(root, hs);
  /* pending calls: the host hears of it (on_cancel) and must forget them */
  while (hs->calls.len) {
    kumi_async_call *c = hs->calls.items[hs->calls.len - 1];
    void (*cb)(void *) = c->on_cancel;
    c->on_cancel = NULL;
    c->cancel_requested = true;
    if (cb) {
      cb(c->cancel_ud);
      continue;
    }
    call_free(c);
  }
  while (hs->inflight.len) {
    rt_hcall_async c = hs->inflight.items[--hs->inflight.len];
    c.done(c.ud, kb_error(a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "the component instance was freed"), NULL);
  }
  comp_hstream_detach_all(root, hs); /* ends made by on_cancel or done callbacks */
  if (hs->loop) comp_loop_free(hs->loop);
  kumi_error_free(hs->err);
  kb_vec_free(a, &hs->calls);
  kb_vec_free(a, &hs->slots);
  kb_vec_free(a, &hs->free_slots);
  kb_vec_free(a, &hs->inflight);
  kb_free(a, hs, sizeof *hs);
  as->host = NULL;
}
