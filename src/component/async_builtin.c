/* The async canon built-ins that run (async.h): task.return, task.cancel,
 * subtask.cancel/drop, waitable-set.new/wait/poll/drop and
 * waitable.join, as in CanonicalABI.md. Every one first checks may_leave
 * (not during post-return). */
#include "async.h"

typedef struct rt_abuiltin {
  kumi_component_instance *root;
  rt_scope *s;
  uint8_t op;
  bool flag;        /* async? / cancellable? */
  kumi_memory *mem; /* wait/poll: the event's memory; task.return: memory option */
  uint8_t enc;      /* task.return */
  comp_vt result;   /* task.return */
  bool has_result;
  uint32_t nflat;   /* task.return: core parameters */
} rt_abuiltin;

static kumi_error *trap(const rt_abuiltin *b, const char *msg) {
  return kb_error(b->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "%s", msg);
}

static kumi_error *task_return(rt_abuiltin *b, const kumi_val *args, uint32_t nargs) {
  rt_task *t = b->s->cur_task;
  if (!t) return trap(b, "task.return called from a synchronous task");
  const comp_type *ft = t->f->ft;
  if (b->has_result != ft->has_result || (b->has_result && !comp_vt_equal(&b->root->ts, b->result, ft->result)))
    return trap(b, "task.return result type does not match the function's");
  if ((b->mem && b->mem != t->f->mem) || b->enc != t->f->enc) return trap(b, "task.return options do not match the lift's");
  if (t->state == RT_TS_RESOLVED) return trap(b, "task already returned or cancelled");
  kumi_cval v = kumi_cval_bool(false);
  if (b->has_result) {
    abi_cx cx;
    comp_rt_cx_init(&cx, b->root, b->enc, &t->c);
    if (b->mem) {
      cx.mem = kumi_memory_data(b->mem);
      cx.mem_size = kumi_memory_size(b->mem);
    }
    abi_iter it = {args, nargs, 0};
    kumi_error *e = abi_lift_flat_values(&cx, ABI_MAX_FLAT_PARAMS, &b->result, 1, &it, &v);
    if (e) return e;
  }
  return comp_async_resolve(t, b->has_result ? &v : NULL, false);
}

static kumi_error *store_event(rt_abuiltin *b, uint32_t ptr, const uint32_t ev[3]) {
  uint8_t *m = b->mem ? kumi_memory_data(b->mem) : NULL;
  uint64_t size = b->mem ? kumi_memory_size(b->mem) : 0;
  if (ptr % 4) return trap(b, "unaligned pointer");
  if ((uint64_t)ptr + 8 > size || !m) return trap(b, "out-of-bounds pointer");
  for (int i = 0; i < 4; i++) {
    m[ptr + i] = (uint8_t)(ev[1] >> (8 * i));
    m[ptr + 4 + i] = (uint8_t)(ev[2] >> (8 * i));
  }
  return NULL;
}

static bool wset_ready(void *ud) {
  rt_wset *w = ud;
  if (!w) return false;
  for (size_t i = 0; i < w->elems.len; i++)
    if (w->elems.items[i]->pending) return true;
  return false;
}

void comp_async_wset_leave(rt_waitable *x) {
  rt_wset *w = x->wset;
  if (!w) return;
  for (size_t i = 0; i < w->elems.len; i++)
    if (w->elems.items[i] == x) {
      memmove(&w->elems.items[i], &w->elems.items[i + 1], (w->elems.len - i - 1) * sizeof *w->elems.items);
      w->elems.len--;
      break;
    }
  x->wset = NULL;
}

static bool sub_resolved_delivered(void *ud) { return ((rt_subtask *)ud)->resolve_delivered || ((rt_subtask *)ud)->w.pending; }

static kumi_error *entry(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  rt_abuiltin *b = env;
  kumi_component_instance *root = b->root;
  rt_scope *s = b->s;
  if (s->in_post_return) return trap(b, "cannot leave component instance");
  rt_async *as = comp_async_state(root);
  if (!as) return kb_error_oom();
  kumi_error *e = NULL;
  switch (b->op) {
  case 0x09: return task_return(b, args, b->nflat);
  case 0x05:
    if (!s->cur_task) return trap(b, "task.cancel called from a synchronous task");
    return comp_async_resolve(s->cur_task, NULL, true);
  case 0x1f: { /* waitable-set.new */
    rt_wset *w = kb_zalloc(root->a, sizeof *w);
    if (!w) return kb_error_oom();
    uint32_t slot = 0;
    if ((e = comp_async_slot_put(root, true, w, &slot))) {
      kb_free(root->a, w, sizeof *w);
      return e;
    }
    uint32_t h = 0;
    if ((e = abi_resource_new(&s->table, RT_RID_WSET, slot, &h))) return e; /* w stays in its slot */
    results[0] = kumi_val_i32((int32_t)h);
    return NULL;
  }
  case 0x20: case 0x21: { /* waitable-set.wait / poll */
    rt_wset *w = comp_async_wset_at(root, s, (uint32_t)args[0].of.i32);
    if (b->op == 0x20 && !wset_ready(w) && !comp_async_may_block(root, s))
      return trap(b, "cannot block a synchronous task before returning");
    if (!w) return trap(b, "not a waitable set");
    uint32_t ev[3] = {RT_EV_NONE, 0, 0};
    rt_task *t = s->cur_task;
    bool cancelled = false;
    if (b->op == 0x20) {
      w->num_waiting++;
      e = comp_async_wait(root, s, wset_ready, w, b->flag, &cancelled);
      w->num_waiting--;
      if (e) return e;
    } else if (b->flag && t && t->state == RT_TS_PENDING_CANCEL) {
      t->state = RT_TS_CANCEL_DELIVERED;
      cancelled = true;
    }
    if (cancelled) ev[0] = RT_EV_TASK_CANCELLED;
    else comp_async_take_event(root, w, ev);
    if ((e = store_event(b, (uint32_t)args[1].of.i32, ev))) return e;
    results[0] = kumi_val_i32((int32_t)ev[0]);
    return NULL;
  }
  case 0x22: { /* waitable-set.drop */
    uint32_t i = (uint32_t)args[0].of.i32;
    rt_wset *w = comp_async_wset_at(root, s, i);
    if (!w) return trap(b, "not a waitable set");
    if (w->elems.len) return trap(b, "cannot drop waitable set with elements");
    if (w->num_waiting) return trap(b, "cannot drop waitable set with waiters");
    bool run = false;
    uint32_t rep = 0;
    if ((e = abi_resource_drop(&s->table, RT_RID_WSET, i, &run, &rep))) return e;
    /* no handle, element or waiter refers to w any more */
    as->wsets.items[rep] = NULL;
    if (!kb_vec_push(root->a, &as->free_wsets, rep)) { /* the slot stays unused */ }
    kb_vec_free(root->a, &w->elems);
    kb_free(root->a, w, sizeof *w);
    return NULL;
  }
  case 0x23: { /* waitable.join */
    uint32_t wi = (uint32_t)args[0].of.i32;
    rt_waitable *x = comp_async_waitable_at(root, s, wi);
    if (!x) return abi_table_get(&s->table, wi) ? trap(b, "not a waitable") : comp_async_unknown(root, wi);
    if (x->sync_waiter) return trap(b, "waitable cannot be used synchronously while added to a waitable set");
    uint32_t si = (uint32_t)args[1].of.i32;
    rt_wset *w = NULL;
    if (si && !(w = comp_async_wset_at(root, s, si))) return trap(b, "not a waitable set");
    comp_async_wset_leave(x);
    if (w) {
      if (!kb_vec_push(root->a, &w->elems, x)) return kb_error_oom();
      x->wset = w;
    }
    return NULL;
  }
  case 0x0d: { /* subtask.drop */
    uint32_t i = (uint32_t)args[0].of.i32;
    rt_subtask *sub = comp_async_sub_at(root, s, i);
    if (!sub) return trap(b, "not a subtask");
    if (!sub->resolve_delivered) return trap(b, "cannot drop a subtask which has not yet resolved");
    comp_async_wset_leave(&sub->w);
    bool run = false;
    uint32_t rep = 0;
    if ((e = abi_resource_drop(&s->table, RT_RID_SUBTASK, i, &run, &rep))) return e;
    sub->w.handle = 0;
    /* a host callee's subtask is freed with its instance while its call
     * may still refer to it */
    if (!sub->hcall) comp_async_sub_release(root, sub, rep);
    return NULL;
  }
  case 0x06: { /* subtask.cancel */
    if (!b->flag && !comp_async_may_block(root, s)) return trap(b, "cannot block a synchronous task before returning");
    uint32_t i = (uint32_t)args[0].of.i32;
    rt_subtask *sub = comp_async_sub_at(root, s, i);
    if (!sub) return trap(b, "not a subtask");
    if (sub->resolve_delivered) return trap(b, "subtask has already resolved");
    if (sub->cancellation_requested) return trap(b, "subtask cancellation was already requested");
    if (sub->w.wset && !b->flag) return trap(b, "waitable cannot be used synchronously while added to a waitable set");
    bool resolved = sub->state >= RT_SUB_RETURNED;
    if (!resolved) {
      sub->cancellation_requested = true;
      if ((e = comp_async_request_cancel(root, sub, s))) return e;
      if (sub->state < RT_SUB_RETURNED) {
        if (b->flag) {
          results[0] = kumi_val_i32(-1); /* BLOCKED */
          return NULL;
        }
        if ((e = comp_async_block(root, s, sub_resolved_delivered, sub))) return e;
      }
    }
    /* get_pending_event: delivers the resolve */
    sub->w.pending = false;
    if (!sub->resolve_delivered) {
      sub->resolve_delivered = true;
      abi_release_lends(&sub->lw->owner->table, &sub->lends);
    }
    results[0] = kumi_val_i32((int32_t)sub->state);
    return NULL;
  }
  default: break;
  }
  return UNSUPPORTED(root->a, "async built-in");
}

kumi_error *comp_async_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c, bool *handled) {
  *handled = false;
  static const kumi_valkind i32[2] = {KUMI_I32, KUMI_I32};
  uint32_t np = 0, nr = 0;
  kumi_valkind pk[ABI_MAX_FLAT_PARAMS];
  rt_abuiltin *b = NULL;
  switch (c->op) {
  case 0x05: break;
  case 0x06: np = 1; nr = 1; break;
  case 0x0c: case 0x26: case 0x27: case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d:
    return comp_async_thread_builtin(x, s, c, handled);
  case 0x0d: case 0x22: np = 1; break;
  case 0x1f: nr = 1; break;
  case 0x20: case 0x21: np = 2; nr = 1; break;
  case 0x23: np = 2; break;
  case 0x09: break;
  case 0x1c: case 0x1d: case 0x1e: return comp_async_errctx_builtin(x, s, c, handled); /* async_errctx.c (helper G) */
  default: return comp_async_stream_builtin(x, s, c, handled);
  }
  b = comp_rt_arena(x, sizeof *b);
  if (!b) return kb_error_oom();
  memset(b, 0, sizeof *b);
  b->root = x->root;
  b->s = s;
  b->op = c->op;
  b->flag = c->flag != 0;
  kumi_error *err = NULL;
  kumi_extern ext = {0};
  if (c->op == 0x20 || c->op == 0x21) {
    if ((err = comp_rt_core_at(x, s, COMP_SORT_CORE_MEMORY, c->idx, &ext))) return err;
    b->mem = ext.of.memory;
  }
  for (uint32_t i = 0; i < np; i++) pk[i] = KUMI_I32;
  if (c->op == 0x09) {
    for (uint32_t i = 0; i < c->nopts; i++) {
      const comp_canonopt *op = &c->opts[i];
      if (op->kind <= 0x02) b->enc = op->kind;
      else if (op->kind == 0x03) {
        if ((err = comp_rt_core_at(x, s, COMP_SORT_CORE_MEMORY, op->idx, &ext))) return err;
        b->mem = ext.of.memory;
      } else return UNSUPPORTED(x->a, "task.return options other than memory and string-encoding");
    }
    b->has_result = c->has_result;
    if (c->has_result) {
      if ((err = comp_rt_vt_of(x, s, c->result, &b->result))) return err;
      uint8_t flat[ABI_MAX_FLAT_PARAMS];
      size_t n = 0;
      if (abi_flat_count(&x->root->ts, b->result) > ABI_MAX_FLAT_PARAMS) {
        pk[0] = KUMI_I32;
        np = 1;
      } else {
        if (!abi_flatten(x->a, &x->root->ts, b->result, false, flat, ABI_MAX_FLAT_PARAMS, &n)) return kb_error_oom();
        for (size_t i = 0; i < n; i++)
          pk[i] = flat[i] == ABI_I64 ? KUMI_I64 : flat[i] == ABI_F32 ? KUMI_F32 : flat[i] == ABI_F64 ? KUMI_F64 : KUMI_I32;
        np = (uint32_t)n;
      }
    }
  }
  b->nflat = np;
  *handled = true;
  return comp_rt_push_builtin(x, s, pk, np, i32, nr, entry, b);
}
