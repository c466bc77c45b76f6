/* Streams and futures (async.h; CanonicalABI.md, "Stream State", "Future
 * State" and the stream/future built-ins): the shared state of a pair of
 * ends, guest buffers copied element by element through the Canonical
 * ABI (load from the writer's memory, store into the reader's), copy
 * events, cancellation, drops, and moving readable ends between instances
 * when they are passed in a call. */
#include "async.h"

typedef struct rt_sbuiltin {
  kumi_component_instance *root;
  rt_scope *s;
  uint8_t op;
  bool async;       /* the async option / async? immediate */
  bool future;      /* a future built-in (else a stream one) */
  bool has_t;       /* the element type */
  comp_vt t;
  kumi_memory *mem; /* read/write options */
  kumi_func *realloc;
  uint8_t enc;
} rt_sbuiltin;

static kumi_error *trap(kumi_component_instance *root, const char *msg) {
  return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "%s", msg);
}


/* ---- types -------------------------------------------------------------------------------------- */

static bool vt_has_stream(const comp_types *ts, comp_vt v, uint32_t depth) {
  const comp_type *t = NULL;
  if (abi_resolve(ts, v, &t) || !t) return false;
  if (depth > 64) return true; /* deeper than anything real: treat as having one (unsupported) */
  if (t->kind != CT_DEFINED) return false;
  if (t->dkind == 0x66 || t->dkind == 0x65) return true;
  for (uint32_t i = 0; i < t->n; i++)
    if (t->fields && t->fields[i].has_type && vt_has_stream(ts, t->fields[i].type, depth + 1)) return true;
  return (t->has_a && vt_has_stream(ts, t->a, depth + 1)) || (t->has_b && vt_has_stream(ts, t->b, depth + 1));
}

bool comp_async_vt_has_stream(const comp_types *ts, comp_vt v) { return vt_has_stream(ts, v, 0); }

bool comp_async_type_has_stream(const comp_types *ts, const comp_type *ft) {
  for (uint32_t i = 0; i < ft->n; i++)
    if (vt_has_stream(ts, ft->fields[i].type, 0)) return true;
  return ft->has_result && vt_has_stream(ts, ft->result, 0);
}

/* Element types whose copies may stay inside one instance (the
 * "temporary" trap of SharedStreamImpl.read/write otherwise). */
static bool none_or_number(const rt_shared *sh) {
  if (!sh->has_t) return true;
  uint8_t p = sh->t.prim;
  return p && p != COMP_BOOL && p != COMP_CHAR && p != COMP_STRING && p != COMP_ERROR_CONTEXT;
}

/* ---- ends ---------------------------------------------------------------------------------------- */

rt_end *comp_async_end_at(kumi_component_instance *root, rt_scope *s, uint32_t i) {
  abi_handle *h = abi_table_get(&s->table, i);
  if (!h || h->rid != RT_RID_END || !root->async || h->rep >= root->async->ends.len) return NULL;
  rt_end *e = root->async->ends.items[h->rep];
  return e->dead ? NULL : e;
}

kumi_error *comp_async_end_new(kumi_component_instance *root, rt_scope *s, rt_shared *sh, bool writable, uint32_t *index) {
  rt_async *as = comp_async_state(root);
  if (!as) return kb_error_oom();
  rt_end *e = NULL;
  if (as->free_end) {
    e = as->ends.items[as->free_end - 1];
    as->free_end = e->next_free;
  } else {
    if (as->ends.len >= UINT32_MAX - 1) return kb_error_oom();
    e = kb_zalloc(root->a, sizeof *e);
    if (!e || !kb_vec_push(root->a, &as->ends, e)) {
      kb_free(root->a, e, sizeof *e);
      return kb_error_oom();
    }
    e->slot = (uint32_t)(as->ends.len - 1);
  }
  uint32_t slot = e->slot;
  memset(e, 0, sizeof *e);
  e->slot = slot;
  e->w.kind = RT_W_END;
  e->future = sh->future;
  e->writable = writable;
  e->sh = sh;
  e->state = RT_CS_IDLE;
  sh->nrefs++;
  kumi_error *err = abi_resource_new(&s->table, RT_RID_END, slot, index);
  if (err) {
    comp_async_end_release(root, e);
    return err;
  }
  e->w.handle = *index;
  return NULL;
}

void comp_async_end_release(kumi_component_instance *root, rt_end *e) {
  rt_async *as = root->async;
  if (!as || e->dead) return;
  rt_shared *sh = e->sh;
  if (sh && sh->pend == e) return; /* a copy refers to it: kept */
  comp_async_wset_leave(&e->w);
  e->dead = true;
  e->sh = NULL;
  e->w.pending = false;
  e->w.handle = 0;
  e->next_free = as->free_end;
  as->free_end = e->slot + 1;
  if (sh) comp_async_shared_unref(root, sh, 1);
}

rt_shared *comp_async_shared_new(kumi_component_instance *root) {
  rt_async *as = comp_async_state(root);
  if (!as) return NULL;
  rt_shared *sh = NULL;
  if (as->free_shared) {
    sh = as->shared.items[as->free_shared - 1];
    as->free_shared = sh->next_free;
  } else {
    if (as->shared.len >= UINT32_MAX - 1) return NULL;
    sh = kb_zalloc(root->a, sizeof *sh);
    if (!sh || !kb_vec_push(root->a, &as->shared, sh)) {
      kb_free(root->a, sh, sizeof *sh);
      return NULL;
    }
    sh->slot = (uint32_t)(as->shared.len - 1);
  }
  uint32_t slot = sh->slot;
  memset(sh, 0, sizeof *sh);
  sh->slot = slot;
  return sh;
}

void comp_async_shared_unref(kumi_component_instance *root, rt_shared *sh, uint32_t k) {
  rt_async *as = root ? root->async : NULL;
  if (!as || sh->dead) return;
  sh->nrefs = sh->nrefs > k ? sh->nrefs - k : 0;
  if (sh->nrefs || sh->host || sh->pend) return;
  sh->dead = true;
  sh->next_free = as->free_shared;
  as->free_shared = sh->slot + 1;
}

void comp_async_end_notify(rt_end *e, uint8_t result, bool reclaim) {
  e->ev_result = result;
  e->ev_reclaim = reclaim;
  e->w.pending = true;
}

static void reset_and_notify_pending(rt_shared *sh, uint8_t result) {
  rt_end *p = sh->pend;
  sh->pend = NULL;
  sh->pend_inst = NULL;
  if (p) comp_async_end_notify(p, result, false);
}

void comp_async_end_event(rt_end *e, uint32_t ev[3]) {
  e->w.pending = false;
  rt_shared *sh = e->sh;
  if (!e->future) {
    if (e->ev_reclaim && sh->pend == e) {
      sh->pend = NULL;
      sh->pend_inst = NULL;
    }
    e->state = e->ev_result == RT_COPY_DROPPED ? RT_CS_DONE : RT_CS_IDLE;
    ev[2] = e->ev_result | (e->buf.progress << 4);
  } else {
    e->state = e->ev_result == RT_COPY_DROPPED || e->ev_result == RT_COPY_COMPLETED ? RT_CS_DONE : RT_CS_IDLE;
    ev[2] = e->ev_result;
  }
  ev[0] = e->future ? (e->writable ? 5u : 4u) : (e->writable ? 3u : 2u);
  ev[1] = e->w.handle;
}

/* ---- copies -------------------------------------------------------------------------------------- */

static uint32_t remain(const rt_buf *b) { return b->length - b->progress; }

static bool integer_prim(uint8_t p) {
  return p == COMP_U8 || p == COMP_S8 || p == COMP_U16 || p == COMP_S16 || p == COMP_U32 || p == COMP_S32 ||
         p == COMP_U64 || p == COMP_S64;
}

/* Moves n elements from src's buffer to dst's: all are loaded, then all
 * stored (the ranges may overlap within one memory). Integers are copied
 * as bytes (lifting and lowering them changes nothing). */
static kumi_error *buf_copy(kumi_component_instance *root, const rt_shared *sh, rt_buf *src, rt_buf *dst,
                            uint32_t n) {
  kumi_error *e = NULL;
  if (sh->has_t && n) {
    uint64_t size = abi_size(&root->ts, sh->t, false);
    uint64_t so = src->ptr + (uint64_t)src->progress * size, d = dst->ptr + (uint64_t)dst->progress * size;
    if (integer_prim(sh->t.prim) && src->mem && dst->mem) {
      /* both ranges were bounds-checked when the copies began; memories never shrink */
      memmove(kumi_memory_data(dst->mem) + d, kumi_memory_data(src->mem) + so, (size_t)(n * size));
    } else {
      rt_call cs, cd;
      abi_cx xs, xd;
      comp_rt_call_init(&cs, root, src->mem, src->realloc, NULL, NULL, src->owner);
      comp_rt_cx_init(&xs, root, src->enc, &cs);
      comp_rt_call_init(&cd, root, dst->mem, dst->realloc, NULL, NULL, dst->owner);
      comp_rt_cx_init(&xd, root, dst->enc, &cd);
      kumi_cval *vs = kb_zalloc(root->a, (size_t)n * sizeof *vs);
      uint32_t loaded = 0;
      if (!vs) e = kb_error_oom();
      for (; !e && loaded < n; loaded++) {
        e = abi_load(&xs, sh->t, so + (uint64_t)loaded * size, &vs[loaded]);
        if (e) break;
      }
      for (uint32_t i = 0; !e && i < n; i++) {
        xd.hooks.memory(xd.hooks.ud, &xd.mem, &xd.mem_size); /* a realloc may have grown it */
        e = abi_store(&xd, sh->t, &vs[i], d + (uint64_t)i * size);
      }
      for (uint32_t i = 0; vs && i < loaded; i++) kumi_cval_free(root->a, &vs[i]);
      if (vs) kb_free(root->a, vs, (size_t)n * sizeof *vs);
      kb_vec_free(root->a, &cs.lends);
      kb_vec_free(root->a, &cd.lends);
    }
  }
  src->progress += n;
  dst->progress += n;
  return e;
}

static kumi_error *same_inst_check(kumi_component_instance *root, rt_shared *sh, rt_scope *inst) {
  if (inst == sh->pend_inst && !none_or_number(sh))
    return trap(root, sh->future ? "cannot read from and write to intra-component future"
                                 : "cannot read from and write to intra-component stream");
  return NULL;
}

/* SharedStreamImpl.read / write and SharedFutureImpl.read / write: e
 * (its buffer set up) starts copying. */
static kumi_error *shared_copy(kumi_component_instance *root, rt_end *e, rt_scope *inst) {
  rt_shared *sh = e->sh;
  kumi_error *err;
  if (sh->host_lost && !e->writable) return trap(root, "the host dropped the future without writing a value");
  if (sh->dropped && (e->writable || !sh->future)) {
    comp_async_end_notify(e, RT_COPY_DROPPED, false);
    return NULL;
  }
  if (sh->host && !sh->dropped) {
    /* the host holds the other end: e waits for the host's copy */
    if (!e->future && e->writable && e->buf.length == 0) {
      comp_async_end_notify(e, RT_COPY_COMPLETED, false);
      return NULL;
    }
    sh->pend = e;
    sh->pend_inst = inst;
    return comp_async_host_ready(root, sh);
  }
  if (!sh->pend) {
    sh->pend = e;
    sh->pend_inst = inst;
    return NULL;
  }
  if ((err = same_inst_check(root, sh, inst))) return err;
  rt_end *p = sh->pend;
  rt_buf *src = e->writable ? &e->buf : &p->buf, *dst = e->writable ? &p->buf : &e->buf;
  if (sh->future) {
    if ((err = buf_copy(root, sh, src, dst, 1))) return err;
    reset_and_notify_pending(sh, RT_COPY_COMPLETED);
    comp_async_end_notify(e, RT_COPY_COMPLETED, false);
    return NULL;
  }
  if (remain(&p->buf) > 0) {
    if (remain(&e->buf) > 0) {
      uint32_t n = remain(&e->buf) < remain(&p->buf) ? remain(&e->buf) : remain(&p->buf);
      if ((err = buf_copy(root, sh, src, dst, n))) return err;
      comp_async_end_notify(p, RT_COPY_COMPLETED, true);
    }
    comp_async_end_notify(e, RT_COPY_COMPLETED, false);
  } else if (e->writable && e->buf.length == 0 && p->buf.length == 0) {
    comp_async_end_notify(e, RT_COPY_COMPLETED, false);
  } else {
    reset_and_notify_pending(sh, RT_COPY_COMPLETED);
    sh->pend = e;
    sh->pend_inst = inst;
  }
  return NULL;
}

void comp_async_shared_drop(rt_shared *sh) {
  if (sh->dropped) return;
  sh->dropped = true;
  if (sh->pend) reset_and_notify_pending(sh, RT_COPY_DROPPED);
}

/* ---- built-ins ------------------------------------------------------------------------------------- */

static bool end_pending(void *ud) { return ((rt_end *)ud)->w.pending; }

/* Waits (sync) for e's event or reports BLOCKED (async); then takes it. */
static kumi_error *finish(rt_sbuiltin *b, rt_end *e, kumi_val *results) {
  if (!e->w.pending) {
    if (b->async) {
      results[0] = kumi_val_i32(-1);
      return NULL;
    }
    e->w.sync_waiter = true;
    kumi_error *err = comp_async_block(b->root, b->s, end_pending, e);
    e->w.sync_waiter = false;
    if (err) return err;
  }
  uint32_t ev[3];
  comp_async_end_event(e, ev);
  results[0] = kumi_val_i32((int32_t)ev[2]);
  return NULL;
}

/* The end at i of the kind b works on, with b's element type. */
static kumi_error *end_of(rt_sbuiltin *b, uint32_t i, bool writable, rt_end **out) {
  rt_end *e = comp_async_end_at(b->root, b->s, i);
  if (!e) return abi_table_get(&b->s->table, i) ? trap(b->root, "handle is not of the expected stream or future end")
                                                 : comp_async_unknown(b->root, i);
  if (e->future != b->future || e->writable != writable)
    return trap(b->root, "handle is not of the expected stream or future end");
  if (e->sh->has_t != b->has_t || (b->has_t && !comp_vt_equal(&b->root->ts, e->sh->t, b->t)))
    return trap(b->root, "stream or future element type mismatch");
  *out = e;
  return NULL;
}

/* The end at i for a sync copy or cancel of b. A sync copy or cancel in a
 * non-async task traps "cannot block" only when it would really wait
 * (comp_async_block, after the checks and the start of the copy, as
 * CanonicalABI.md's stream_copy / cancel_copy order them), except that a
 * handle that is no end of b's kind traps so at once (what
 * spec/async/trap-if-block-and-sync expects of such a handle). */
static kumi_error *sync_end_of(rt_sbuiltin *b, uint32_t i, bool writable, rt_end **out) {
  if (!b->async && b->s->cur_kind <= RT_TASK_SYNC) {
    rt_end *e = comp_async_end_at(b->root, b->s, i);
    if (!e || e->future != b->future || e->writable != writable)
      return trap(b->root, "cannot block a synchronous task before returning");
  }
  return end_of(b, i, writable, out);
}

static kumi_error *copy_builtin(rt_sbuiltin *b, const kumi_val *args, kumi_val *results, bool writable) {
  kumi_component_instance *root = b->root;
  rt_end *e = NULL;
  kumi_error *err = sync_end_of(b, (uint32_t)args[0].of.i32, writable, &e);
  if (err) return err;
  if (e->state == RT_CS_DONE) {
    if (b->future)
      return trap(root, writable ? "cannot write to future after previous write succeeded or readable end dropped"
                                 : "cannot read from future after previous read succeeded");
    return trap(root, writable ? "cannot write to stream after being notified that the readable end dropped"
                               : "cannot read from stream after being notified that the writable end dropped");
  }
  if (e->state != RT_CS_IDLE) return trap(root, "cannot have concurrent operations active on a future/stream");
  if (e->w.wset && !b->async) return trap(root, "waitable cannot be used synchronously while added to a waitable set");
  uint32_t ptr = (uint32_t)args[1].of.i32;
  uint32_t len = b->future ? 1 : (uint32_t)args[2].of.i32;
  if (len > ABI_TABLE_MAX) return trap(root, "stream buffer too long");
  if (b->has_t && len > 0) {
    uint64_t size = abi_size(&root->ts, b->t, false);
    uint32_t align = abi_align(&root->ts, b->t, false);
    uint64_t msize = b->mem ? kumi_memory_size(b->mem) : 0;
    if (align && ptr % align) return trap(root, "unaligned pointer");
    if ((uint64_t)ptr + (uint64_t)len * size > msize) return trap(root, "out-of-bounds pointer");
  }
  e->buf = (rt_buf){b->mem, b->realloc, b->enc, b->s, ptr, 0, len};
  e->state = RT_CS_COPYING;
  if ((err = shared_copy(root, e, b->s))) return err;
  return finish(b, e, results);
}

static kumi_error *cancel_builtin(rt_sbuiltin *b, const kumi_val *args, kumi_val *results, bool writable) {
  rt_end *e = NULL;
  kumi_error *err = sync_end_of(b, (uint32_t)args[0].of.i32, writable, &e);
  if (err) return err;
  if (e->state != RT_CS_COPYING || e->w.sync_waiter) return trap(b->root, "no copy to cancel");
  if (e->w.wset && !b->async) return trap(b->root, "waitable cannot be used synchronously while added to a waitable set");
  e->state = RT_CS_CANCELLING;
  /* a progress event whose buffer is still shared (not reclaimed) is
   * superseded: the copy is cancelled with the progress made so far */
  if ((!e->w.pending || e->ev_reclaim) && e->sh->pend == e) reset_and_notify_pending(e->sh, RT_COPY_CANCELLED);
  return finish(b, e, results);
}

static kumi_error *drop_builtin(rt_sbuiltin *b, const kumi_val *args, bool writable) {
  uint32_t i = (uint32_t)args[0].of.i32;
  rt_end *e = NULL;
  kumi_error *err = end_of(b, i, writable, &e);
  if (err) return err;
  if (e->state == RT_CS_COPYING || e->state == RT_CS_CANCELLING)
    return trap(b->root, writable ? (b->future ? "cannot drop busy future" : "cannot drop busy stream")
                                  : (b->future ? "cannot remove busy future" : "cannot remove busy stream"));
  if (e->future && e->writable && e->state != RT_CS_DONE)
    return trap(b->root, "cannot drop future write end without first writing a value");
  bool run = false;
  uint32_t rep = 0;
  if ((err = abi_resource_drop(&b->s->table, RT_RID_END, i, &run, &rep))) return err;
  comp_async_shared_drop(e->sh);
  if (e->sh->host) comp_async_host_closed(e->sh); /* the host holds the other end */
  comp_async_wset_leave(&e->w);
  e->w.pending = false;
  e->w.handle = 0;
  comp_async_end_release(b->root, e);
  return NULL;
}

static kumi_error *stream_entry(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  rt_sbuiltin *b = env;
  kumi_component_instance *root = b->root;
  if (b->s->in_post_return) return trap(root, "cannot leave component instance");
  rt_async *as = comp_async_state(root);
  if (!as) return kb_error_oom();
  switch (b->op) {
  case 0x0e: case 0x15: { /* stream.new / future.new */
    rt_shared *sh = comp_async_shared_new(root);
    if (!sh) return kb_error_oom();
    sh->future = b->future;
    sh->has_t = b->has_t;
    sh->t = b->t;
    uint32_t ri = 0, wi = 0;
    kumi_error *e = comp_async_end_new(root, b->s, sh, false, &ri);
    if (!e) e = comp_async_end_new(root, b->s, sh, true, &wi);
    if (e) comp_async_shared_unref(root, sh, 0); /* made no end */
    if (!e) results[0] = kumi_val_i64((int64_t)((uint64_t)ri | ((uint64_t)wi << 32)));
    return e;
  }
  case 0x0f: case 0x16: return copy_builtin(b, args, results, false);
  case 0x10: case 0x17: return copy_builtin(b, args, results, true);
  case 0x11: case 0x18: return cancel_builtin(b, args, results, false);
  case 0x12: case 0x19: return cancel_builtin(b, args, results, true);
  case 0x13: case 0x1a: return drop_builtin(b, args, false);
  case 0x14: case 0x1b: return drop_builtin(b, args, true);
  default: return UNSUPPORTED(root->a, "stream or future built-in");
  }
}

kumi_error *comp_async_stream_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c, bool *handled) {
  *handled = false;
  if (c->op < 0x0e || c->op > 0x1b) return NULL;
  rt_ent te;
  kumi_error *err = comp_rt_at(x, s, COMP_SORT_TYPE, c->type, &te);
  if (err) return err;
  const comp_type *t = NULL;
  if (abi_resolve(&x->root->ts, te.u.vt, &t) || !t || t->kind != CT_DEFINED || (t->dkind != 0x66 && t->dkind != 0x65))
    return UNSUPPORTED(x->a, "a stream or future type the runtime does not model");
  if (t->has_a && vt_has_stream(&x->root->ts, t->a, 0)) return UNSUPPORTED(x->a, "streams or futures of streams or futures");
  if (t->has_a && comp_vt_has_borrow(&x->root->ts, t->a)) return UNSUPPORTED(x->a, "streams or futures of borrows");
  rt_sbuiltin *b = comp_rt_arena(x, sizeof *b);
  if (!b) return kb_error_oom();
  memset(b, 0, sizeof *b);
  b->root = x->root;
  b->s = s;
  b->op = c->op;
  b->future = c->op >= 0x15;
  b->has_t = t->has_a;
  if (t->has_a) b->t = t->a;
  b->async = c->flag != 0;
  kumi_extern ext = {0};
  for (uint32_t i = 0; i < c->nopts; i++) {
    const comp_canonopt *op = &c->opts[i];
    switch (op->kind) {
    case 0x00: case 0x01: case 0x02: b->enc = op->kind; break;
    case 0x03:
      if ((err = comp_rt_core_at(x, s, COMP_SORT_CORE_MEMORY, op->idx, &ext))) return err;
      b->mem = ext.of.memory;
      break;
    case 0x04:
      if ((err = comp_rt_core_at(x, s, COMP_SORT_CORE_FUNC, op->idx, &ext))) return err;
      b->realloc = ext.of.func;
      break;
    case 0x06: b->async = true; break;
    default: return UNSUPPORTED(x->a, "stream or future options");
    }
  }
  static const kumi_valkind i32[3] = {KUMI_I32, KUMI_I32, KUMI_I32};
  static const kumi_valkind i64[1] = {KUMI_I64};
  uint32_t np = 1, nr = 1;
  const kumi_valkind *rk = i32;
  switch (c->op) {
  case 0x0e: case 0x15: np = 0; rk = i64; break;
  case 0x0f: case 0x10: np = 3; break;
  case 0x16: case 0x17: np = 2; break;
  case 0x13: case 0x14: case 0x1a: case 0x1b: nr = 0; break;
  default: break;
  }
  *handled = true;
  return comp_rt_push_builtin(x, s, i32, np, rk, nr, stream_entry, b);
}

/* ---- passing readable ends -------------------------------------------------------------------------- */

kumi_error *comp_async_lift_check(kumi_component_instance *root, rt_scope *from, bool future, const comp_type *t,
                                  uint32_t i, rt_end **out) {
  rt_end *e = comp_async_end_at(root, from, i);
  if (!e) return abi_table_get(&from->table, i) ? trap(root, "handle is not of the expected stream or future end")
                                                : comp_async_unknown(root, i);
  if (e->future != future || e->writable) return trap(root, "handle is not of the expected stream or future end");
  if (t && (e->sh->has_t != t->has_a || (t->has_a && !comp_vt_equal(&root->ts, e->sh->t, t->a))))
    return trap(root, "stream or future element type mismatch");
  if (e->state == RT_CS_COPYING || e->state == RT_CS_CANCELLING)
    return trap(root, future ? "cannot remove busy future" : "cannot remove busy stream");
  if (e->state == RT_CS_DONE)
    return trap(root, future ? "cannot lift future after previous read succeeded"
                             : "cannot lift stream after being notified that the writable end dropped");
  if (e->w.wset)
    return trap(root, future ? "cannot lift future while it's in a waitable set"
                             : "cannot lift stream while it's in a waitable set");
  *out = e;
  return NULL;
}

/* Takes e (checked by comp_async_lift_check) out of from's table at i and adds a new
 * readable end of its stream or future to to's: *ni. */
static kumi_error *move_end(kumi_component_instance *root, rt_end *e, rt_scope *from, uint32_t i, rt_scope *to,
                            uint32_t *ni) {
  bool run = false;
  uint32_t rep = 0;
  kumi_error *err = abi_resource_drop(&from->table, RT_RID_END, i, &run, &rep);
  if (err) return err;
  e->w.handle = 0;
  err = comp_async_end_new(root, to, e->sh, false, ni);
  comp_async_end_release(root, e); /* after: the new end keeps the shared state */
  return err;
}

static kumi_error *xfer1(kumi_component_instance *root, kumi_cval *v, rt_scope *from, rt_scope *to, uint32_t depth) {
  if (depth > 1000) return kb_error(root->a, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "value nested too deeply");
  switch (v->kind) {
  case KUMI_CV_STREAM: case KUMI_CV_FUTURE: {
    bool future = v->kind == KUMI_CV_FUTURE;
    if (!from) return UNSUPPORTED(root->a, "passing streams or futures from the host");
    uint32_t i = v->of.handle;
    rt_end *e = NULL;
    kumi_error *err = comp_async_lift_check(root, from, future, NULL, i, &e);
    if (err) return err;
    /* lift_async_value's checks trap first; the host cannot hold an end yet */
    if (!to) return UNSUPPORTED(root->a, "passing streams or futures to the host");
    uint32_t ni = 0;
    if ((err = move_end(root, e, from, i, to, &ni))) return err;
    v->of.handle = ni;
    return NULL;
  }
  case KUMI_CV_LIST: case KUMI_CV_RECORD: case KUMI_CV_TUPLE: case KUMI_CV_MAP:
    for (size_t i = 0; i < v->of.agg.len; i++) {
      kumi_error *err = xfer1(root, &v->of.agg.items[i], from, to, depth + 1);
      if (err) return err;
    }
    return NULL;
  case KUMI_CV_VARIANT: case KUMI_CV_OPTION: case KUMI_CV_RESULT:
    return v->of.var.payload ? xfer1(root, v->of.var.payload, from, to, depth + 1) : NULL;
  default: return NULL;
  }
}

kumi_error *comp_async_xfer(kumi_component_instance *root, kumi_cval *v, size_t n, rt_scope *from, rt_scope *to) {
  for (size_t i = 0; i < n; i++) {
    kumi_error *err = xfer1(root, &v[i], from, to, 0);
    if (err) return err;
  }
  return NULL;
}

/* ---- fused calls (abi_fuse.h) ------------------------------------------------------------------------ */

/* The scope whose table a fused call's side uses: cx was made by
 * comp_rt_cx_init, so its hooks' ud is that side's rt_call. */
static rt_scope *cx_scope(const abi_cx *cx) { return ((const rt_call *)cx->hooks.ud)->owner; }

kumi_error *comp_async_fuse_check_end(void *ud, abi_cx *src, const comp_type *t, uint32_t index) {
  kumi_component_instance *root = ud;
  rt_end *e = NULL;
  return comp_async_lift_check(root, cx_scope(src), t->dkind == 0x65, t, index, &e);
}

kumi_error *comp_async_fuse_move_end(void *ud, abi_cx *src, abi_cx *dst, const comp_type *t, uint32_t index,
                                     uint32_t *out) {
  kumi_component_instance *root = ud;
  rt_scope *from = cx_scope(src);
  rt_end *e = NULL;
  /* t is in dst's types, the same store as src's: the checks run again
   * (a handle passed twice in one call is gone the second time) */
  kumi_error *err = comp_async_lift_check(root, from, t->dkind == 0x65, t, index, &e);
  if (!err) err = move_end(root, e, from, index, cx_scope(dst), out);
  return err;
}
