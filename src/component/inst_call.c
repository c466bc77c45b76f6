/* Calls in the component runtime (inst_rt.h): the glue between lifted and
 * lowered functions and the Canonical ABI (abi_call.c), handle hooks over
 * each instance's table, reentrance (may_enter) and may_leave, canon
 * built-ins (resource.*, stubs for async ones), and calls of host
 * functions defined in a kumi_component_linker. */
#include "inst_rt.h"

#include "abi_fuse.h"
#include "async.h"

/* ---- calls ---------------------------------------------------------------------------- */

static bool implements(void *ud, uint32_t rid) {
  rt_call *c = ud;
  uint64_t v;
  return comp_u32map_get(&c->root->res, rid, &v) && ((rt_resinfo *)(uintptr_t)v)->impl == c->owner;
}

void comp_rt_call_init(rt_call *c, kumi_component_instance *root, kumi_memory *mem, kumi_func *realloc,
                      kumi_func *core, kumi_func *post_return, rt_scope *owner) {
  memset(c, 0, sizeof *c);
  c->root = root;
  c->store = root->store;
  c->mem = mem;
  c->realloc = realloc;
  c->core = core;
  c->post_return = post_return;
  c->owner = owner;
  c->hh.ts = &root->ts;
  c->hh.table = &owner->table;
  c->hh.scope = &c->scope;
  c->hh.lends = &c->lends;
  c->hh.implements = implements;
  c->hh.ud = c;
}

static kumi_error *hook_lift_handle(void *ud, const comp_type *t, uint32_t index, uint32_t *out) {
  rt_call *c = ud;
  if (t->dkind != 0x69 && t->dkind != 0x68) return UNSUPPORTED(c->root->a, "passing streams, futures or error contexts");
  return abi_hook_lift_handle(&c->hh, t, index, out);
}

static kumi_error *hook_lower_handle(void *ud, const comp_type *t, uint32_t value, uint32_t *out) {
  rt_call *c = ud;
  if (t->dkind != 0x69 && t->dkind != 0x68) return UNSUPPORTED(c->root->a, "passing streams, futures or error contexts");
  return abi_hook_lower_handle(&c->hh, t, value, out);
}

static kumi_error *hook_realloc(void *ud, uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size,
                                uint64_t *ret) {
  rt_call *c = ud;
  if (!c->realloc) return kb_error(c->store->alloc, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "no realloc option");
  kumi_val args[4] = {kumi_val_i32((int32_t)(uint32_t)old_ptr), kumi_val_i32((int32_t)(uint32_t)old_size),
                      kumi_val_i32((int32_t)(uint32_t)align), kumi_val_i32((int32_t)(uint32_t)new_size)};
  kumi_val r = kumi_val_i32(0);
  kumi_error *e = kumi_func_call(c->store, c->realloc, args, 4, &r, 1);
  if (e) return e;
  *ret = (uint32_t)r.of.i32;
  return NULL;
}

static void hook_memory(void *ud, uint8_t **base, uint64_t *size) {
  rt_call *c = ud;
  if (!c->mem) return;
  *base = kumi_memory_data(c->mem);
  *size = kumi_memory_size(c->mem);
}

void comp_rt_cx_init(abi_cx *cx, kumi_component_instance *root, uint8_t enc, rt_call *c) {
  memset(cx, 0, sizeof *cx);
  cx->alloc = root->a;
  cx->ts = &root->ts;
  cx->encoding = enc;
  cx->hooks.realloc = hook_realloc;
  cx->hooks.memory = hook_memory;
  cx->hooks.lift_handle = hook_lift_handle;
  cx->hooks.lower_handle = hook_lower_handle;
  cx->hooks.ud = c;
  hook_memory(c, &cx->mem, &cx->mem_size);
}

static kumi_error *core_callee(void *ud, const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults) {
  rt_call *c = ud;
  return kumi_func_call(c->store, c->core, args, nargs, results, nresults);
}

static kumi_error *core_post_return(void *ud, const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults) {
  rt_call *c = ud;
  c->owner->in_post_return = true;
  kumi_error *e = kumi_func_call(c->store, c->post_return, args, nargs, results, nresults);
  c->owner->in_post_return = false;
  return e;
}

static bool is_ancestor_or_self(const rt_scope *a, const rt_scope *of) {
  for (; of; of = of->inst_parent)
    if (of == a) return true;
  return false;
}

/* entering_set(caller) of CanonicalABI.md: callee and its ancestors minus
 * the caller and its ancestors. check: false when one of them may not be
 * entered; otherwise sets their flags to `entered`. */
bool comp_rt_enter_set(rt_scope *callee, const rt_scope *caller, bool check, bool entered) {
  for (rt_scope *i = callee; i; i = i->inst_parent) {
    if (is_ancestor_or_self(i, caller)) continue;
    if (check && i->entered) return false;
    if (!check) i->entered = entered;
  }
  return true;
}

/* Calls host function f->host (a linker definition). The host sees the
 * arguments lifted by the caller; its result is lowered by the caller. A
 * result the host set although the type has none, or set before failing,
 * is freed. Errors (traps, exit requests) are passed on unchanged. */
static kumi_error *call_host(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result) {
  kumi_component_instance *root = f->root;
  if (nargs != f->ft->n) return kb_error(root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "wrong number of arguments");
  kumi_cval scratch = kumi_cval_bool(false);
  kumi_cval *res = result ? result : &scratch;
  *res = kumi_cval_bool(false);
  kumi_error *e = f->host->fn(f->host->env, root->a, args, nargs, res);
  if (e || !result) kumi_cval_free(root->a, res);
  if (!e && !f->ft->has_result && result) kumi_cval_free(root->a, result);
  return e;
}

static kumi_error *call_resolved(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                                rt_scope *caller);

/* A call whose values carry streams or futures: their readable ends move
 * from the caller's table to the callee's (arguments) and back (result). */
static kumi_error *call_with_streams(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                                     rt_scope *caller) {
  kumi_component_instance *root = f->root;
  if (f->host)
    return UNSUPPORTED(root->a, "passing streams or futures to a host function without a call context "
                                "(define it with kumi_component_linker_define_async)");
  kumi_cval *xa = kb_zalloc(root->a, (nargs + 1) * sizeof *xa);
  if (!xa) return kb_error_oom();
  kumi_error *e = NULL;
  size_t n = 0;
  for (; n < nargs && !e; n++)
    if (!kumi_cval_clone(root->a, &args[n], &xa[n])) e = kb_error_oom();
  /* the host (caller NULL) passes ends it made and takes those it gets (async_host.c) */
  if (!e && !caller) e = comp_async_host_xfer(root, f->ft, false, xa, nargs, f->owner, false, NULL);
  else if (!e) e = comp_async_xfer(root, xa, nargs, caller, f->owner);
  if (!e) e = call_resolved(f, xa, nargs, result, caller);
  if (!e && result && f->ft->has_result) {
    if (!caller) e = comp_async_host_xfer(root, f->ft, true, result, 1, f->owner, true, NULL);
    else e = comp_async_xfer(root, result, 1, f->owner, caller);
    if (e) kumi_cval_free(root->a, result);
  }
  for (size_t i = 0; i < n; i++) kumi_cval_free(root->a, &xa[i]);
  kb_free(root->a, xa, (nargs + 1) * sizeof *xa);
  return e;
}

kumi_error *comp_rt_call_func(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                             rt_scope *caller) {
  kumi_component_instance *root = f->root;
  for (uint32_t depth = 0; f->target; depth++) {
    if (depth > RT_MAX_ALIAS_DEPTH) return kb_error(root->a, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "import chain too long");
    f = f->target;
  }
  if (f->host && f->host->afn) return comp_async_host_call(f, args, nargs, result, caller); /* async_host.c */
  if (comp_async_type_has_stream(&root->ts, f->ft)) return call_with_streams(f, args, nargs, result, caller);
  return call_resolved(f, args, nargs, result, caller);
}

static kumi_error *call_resolved(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                                rt_scope *caller) {
  kumi_component_instance *root = f->root;
  if (f->host) return call_host(f, args, nargs, result);
  if (!f->core) return kb_error(root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "function has no implementation");
  if (nargs != f->ft->n) return kb_error(root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "wrong number of arguments");
  /* async-typed: a task with its own thread (async.h) */
  if (f->async_lift || f->ft->async) return comp_async_call(f, args, nargs, result, caller);
  if (!comp_rt_enter_set(f->owner, caller, true, true))
    return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot enter component instance");
  comp_rt_enter_set(f->owner, caller, false, true);
  kumi_error *e = comp_rt_lift_body(f, args, nargs, result, NULL);
  comp_rt_enter_set(f->owner, caller, false, false);
  return e;
}

kumi_error *comp_rt_lift_body(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                              struct rt_thread *th) {
  kumi_component_instance *root = f->root;
  /* a new (sync) task: fresh context storage, restored on return */
  uint32_t saved_context[2] = {f->owner->context[0], f->owner->context[1]};
  f->owner->context[0] = f->owner->context[1] = 0;
  struct rt_task *saved_task = f->owner->cur_task;
  uint8_t saved_kind = f->owner->cur_kind;
  struct rt_thread *saved_thread = f->owner->cur_thread;
  f->owner->cur_task = NULL;
  f->owner->cur_kind = f->ft->async ? RT_TASK_SYNC_ASYNC_TYPE : RT_TASK_SYNC;
  f->owner->cur_thread = th;
  rt_call c;
  comp_rt_call_init(&c, root, f->mem, f->realloc, f->core, f->post_return, f->owner);
  abi_cx cx;
  comp_rt_cx_init(&cx, root, f->enc, &c);
  kumi_cval scratch = kumi_cval_bool(false);
  kumi_cval *res = result ? result : &scratch;
  f->owner->busy++;
  kumi_error *e = abi_canon_lift_call(&cx, f->ft, args, res, core_callee, f->post_return ? core_post_return : NULL, &c);
  f->owner->busy--;
  if (!e) {
    e = abi_scope_end(&f->owner->table, &c.scope);
    if (e && f->ft->has_result) kumi_cval_free(root->a, res);
  }
  if (!result) kumi_cval_free(root->a, &scratch);
  kb_vec_free(root->a, &c.lends);
  if (th) f->owner->cur_thread = saved_thread;
  else comp_async_sync_leave(root, f->owner, saved_thread);
  f->owner->context[0] = saved_context[0];
  f->owner->context[1] = saved_context[1];
  f->owner->cur_task = saved_task;
  f->owner->cur_kind = saved_kind;
  return e;
}

static kumi_error *lower_host_call(void *ud, const kumi_cval *args, size_t nargs, kumi_cval *result) {
  rt_lower *lw = ud;
  return comp_rt_call_func(lw->callee, args, nargs, result, lw->owner);
}

/* ---- fused calls (abi_fuse.h) ------------------------------------------------------------
 * A lowered import whose callee is a lifted function of another component
 * instance in the same tree is called through abi_fuse_call: values go from
 * the caller's memory straight into the callee's. The callbacks do what
 * comp_rt_call_func does around abi_canon_lift_call. c comes first so that
 * core_callee and core_post_return can take the same ud. */
typedef struct rt_fused {
  rt_call c; /* the callee's */
  kumi_component_func *f;
  rt_scope *caller;
  uint32_t saved_context[2];
  struct rt_thread *saved_thread; /* the callee's sync task gets its own thread (async.h) */
} rt_fused;

static kumi_error *fused_enter(void *ud) {
  rt_fused *u = ud;
  rt_scope *o = u->f->owner;
  if (!comp_rt_enter_set(o, u->caller, true, true))
    return kb_error(u->f->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot enter component instance");
  comp_rt_enter_set(o, u->caller, false, true);
  u->saved_context[0] = o->context[0];
  u->saved_context[1] = o->context[1];
  o->context[0] = o->context[1] = 0;
  u->saved_thread = o->cur_thread;
  o->cur_thread = NULL;
  return NULL;
}

static kumi_error *fused_returned(void *ud) {
  rt_fused *u = ud;
  return abi_scope_end(&u->f->owner->table, &u->c.scope);
}

static void fused_leave(void *ud) {
  rt_fused *u = ud;
  rt_scope *o = u->f->owner;
  comp_rt_enter_set(o, u->caller, false, false);
  comp_async_sync_leave(u->f->root, o, u->saved_thread);
  o->context[0] = u->saved_context[0];
  o->context[1] = u->saved_context[1];
}

/* The lifted function a lowered call ends in, when the call can be fused:
 * a core-implemented function of the same tree whose memory is not the
 * caller's (abi_fuse_call needs two memories) and whose type has the
 * caller's shape. NULL: take the value path. */
static kumi_component_func *fusable_callee(const rt_lower *lw) {
  kumi_component_func *f = lw->callee;
  for (uint32_t depth = 0; f && f->target; depth++) {
    if (depth > RT_MAX_ALIAS_DEPTH) return NULL;
    f = f->target;
  }
  if (!f || f->host || !f->core || f->async_lift || f->ft->async || f->root != lw->root) return NULL;
  if (lw->mem && lw->mem == f->mem) return NULL;
  if (!abi_fuse_compatible(&lw->root->ts, lw->ft, &lw->root->ts, f->ft)) return NULL;
  return f;
}

static kumi_error *fused_call(rt_lower *lw, kumi_component_func *f, const kumi_val *args, kumi_val *results) {
  kumi_component_instance *root = lw->root;
  rt_call a;
  comp_rt_call_init(&a, root, lw->mem, lw->realloc, NULL, NULL, lw->owner);
  abi_cx cxa;
  comp_rt_cx_init(&cxa, root, lw->enc, &a);
  rt_fused u;
  memset(&u, 0, sizeof u);
  comp_rt_call_init(&u.c, root, f->mem, f->realloc, f->core, f->post_return, f->owner);
  u.f = f;
  u.caller = lw->owner;
  abi_cx cxb;
  comp_rt_cx_init(&cxb, root, f->enc, &u.c);
  abi_fuse_callee fns = {fused_enter, core_callee, fused_returned, f->post_return ? core_post_return : NULL,
                         fused_leave, &u};
  f->owner->busy++;
  /* stream and future ends move from the caller's table to the callee's
   * (and back for results) as they cross, like comp_async_xfer does */
  abi_fuse_ends ends = {comp_async_fuse_check_end, comp_async_fuse_move_end, root};
  kumi_error *e = abi_fuse_call_ends(&cxa, &cxb, lw->ft, f->ft, args, lw->nparams, results, lw->nresults, &fns, &ends);
  f->owner->busy--;
  abi_release_lends(&lw->owner->table, &a.lends);
  kb_vec_free(root->a, &u.c.lends);
  return e;
}

/* Is the function lw calls lifted by an ancestor or a descendant of the
 * lowering instance (in the instantiation tree)? Such calls trap "cannot
 * enter component instance" as the upstream suite and Wasmtime require
 * (stricter than CanonicalABI.md's entering_set, which would allow them);
 * calls between siblings and calls of host functions are allowed. Known
 * once the lower is first called (its callee chain is complete by then). */
static bool lower_is_lineal(rt_lower *lw) {
  if (!lw->lineal) {
    kumi_component_func *f = lw->callee;
    for (uint32_t depth = 0; f && f->target && depth <= RT_MAX_ALIAS_DEPTH; depth++) f = f->target;
    bool bad = f && !f->target && !f->host && f->owner && f->owner != lw->owner &&
               (is_ancestor_or_self(f->owner, lw->owner) || is_ancestor_or_self(lw->owner, f->owner));
    lw->lineal = bad ? 1 : 2;
  }
  return lw->lineal == 1;
}

/* The core host function behind a canon lower. */
static kumi_error *lower_entry(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  rt_lower *lw = env;
  kumi_component_instance *root = lw->root;
  if (lw->owner->in_post_return)
    return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot leave component instance");
  if (lower_is_lineal(lw)) return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot enter component instance");
  if (lw->async) return comp_async_lower(lw, args, results);
  /* a sync call of an async-typed function may block: not from a thread
   * that may not (a sync task's, unless another thread could run) */
  if (lw->ft->async && !comp_async_may_block(root, lw->owner))
    return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot block a synchronous task before returning");
  kumi_component_func *fused = fusable_callee(lw);
  if (fused) return fused_call(lw, fused, args, results);
  rt_call c;
  comp_rt_call_init(&c, root, lw->mem, lw->realloc, NULL, NULL, lw->owner);
  abi_cx cx;
  comp_rt_cx_init(&cx, root, lw->enc, &c);
  abi_vals out = {0};
  kumi_error *e = abi_canon_lower_call(&cx, lw->ft, args, lw->nparams, &out, lower_host_call, lw);
  abi_release_lends(&lw->owner->table, &c.lends);
  if (!e && out.len != lw->nresults)
    e = kb_error(root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "lowered call produced %zu core results, expected %u",
                 out.len, lw->nresults);
  if (!e)
    for (uint32_t i = 0; i < lw->nresults; i++) results[i] = out.items[i];
  kb_vec_free(root->a, &out);
  return e;
}

static kumi_valkind valkind_of(uint8_t code) {
  switch (code) {
  case ABI_I64: return KUMI_I64;
  case ABI_F32: return KUMI_F32;
  case ABI_F64: return KUMI_F64;
  default: return KUMI_I32;
  }
}

/* ---- canonical options ------------------------------------------------------------------- */

typedef struct rt_opts {
  uint8_t enc;
  kumi_memory *mem;
  kumi_func *realloc, *post_return, *callback;
  bool async;
} rt_opts;

static kumi_error *opts_of(rt_ctx *x, rt_scope *s, const comp_canon *c, rt_opts *o) {
  memset(o, 0, sizeof *o);
  kumi_extern ext = {0};
  kumi_error *err = NULL;
  for (uint32_t i = 0; i < c->nopts && !err; i++) {
    const comp_canonopt *op = &c->opts[i];
    switch (op->kind) {
    case 0x00: case 0x01: case 0x02: o->enc = op->kind; break;
    case 0x03:
      if (!(err = comp_rt_core_at(x, s, COMP_SORT_CORE_MEMORY, op->idx, &ext))) o->mem = ext.of.memory;
      break;
    case 0x04:
      if (!(err = comp_rt_core_at(x, s, COMP_SORT_CORE_FUNC, op->idx, &ext))) o->realloc = ext.of.func;
      break;
    case 0x05:
      if (!(err = comp_rt_core_at(x, s, COMP_SORT_CORE_FUNC, op->idx, &ext))) o->post_return = ext.of.func;
      break;
    case 0x06: o->async = true; break;
    case 0x07:
      if (!(err = comp_rt_core_at(x, s, COMP_SORT_CORE_FUNC, op->idx, &ext))) o->callback = ext.of.func;
      break;
    default: err = UNSUPPORTED(x->a, "GC canonical options"); break;
    }
  }
  return err;
}

/* resource.new / resource.drop / resource.rep as core host functions. */
typedef struct rt_builtin {
  kumi_component_instance *root;
  rt_scope *scope;
  uint32_t rid;
  uint8_t op;
} rt_builtin;

static kumi_error *builtin_entry(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  rt_builtin *b = env;
  uint32_t v = (uint32_t)args[0].of.i32, out = 0;
  kumi_error *e = NULL;
  if (b->scope->in_post_return && b->op != 0x04)
    return kb_error(b->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot leave component instance");
  switch (b->op) {
  case 0x02: e = abi_resource_new(&b->scope->table, b->rid, v, &out); break;
  case 0x04: e = abi_resource_rep(&b->scope->table, b->rid, v, &out); break;
  default: {
    bool run = false;
    uint32_t rep = 0;
    e = abi_resource_drop(&b->scope->table, b->rid, v, &run, &rep);
    uint64_t p;
    if (!e && run && comp_u32map_get(&b->root->res, b->rid, &p)) {
      rt_resinfo *ri = (rt_resinfo *)(uintptr_t)p;
      kumi_val a = kumi_val_i32((int32_t)rep);
      if (ri->dtor) e = kumi_func_call(b->root->store, ri->dtor, &a, 1, NULL, 0);
      else if (ri->host && ri->host->dtor) ri->host->dtor(ri->host->env, rep);
    }
    return e;
  }
  }
  if (!e) results[0] = kumi_val_i32((int32_t)out);
  return e;
}

static kumi_error *resource_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c) {
  rt_ent te;
  kumi_error *err = comp_rt_at(x, s, COMP_SORT_TYPE, c->type, &te);
  if (err) return err;
  if (te.u.vt.prim || !te.u.vt.id || comp_ty(&x->root->ts, te.u.vt.id)->kind != CT_RESOURCE)
    return UNSUPPORTED(x->a, "a resource type the runtime does not model");
  for (uint32_t i = 0; i < c->nopts; i++)
    if (c->opts[i].kind == 0x06) return UNSUPPORTED(x->a, "async resource.drop");
  rt_builtin *b = comp_rt_arena(x, sizeof *b);
  if (!b) return kb_error_oom();
  b->root = x->root;
  b->scope = s;
  b->rid = comp_ty(&x->root->ts, te.u.vt.id)->rid;
  b->op = c->op;
  kumi_valkind i32[1] = {KUMI_I32};
  kumi_functype ft = {1, c->op == 0x03 ? 0u : 1u, i32, i32};
  kumi_func *hf = kumi_func_new(x->root->store, &ft, builtin_entry, b);
  if (!hf) return kb_error_oom();
  rt_ent e = {.sort = COMP_SORT_CORE_FUNC};
  e.u.core.kind = KUMI_EXTERN_FUNC;
  e.u.core.of.func = hf;
  return comp_rt_push(x, s, e);
}

/* Async, thread and error-context built-ins are not implemented. Those of
 * a known core signature are defined as stubs, so that a component that
 * merely imports them instantiates: a call checks may_leave (the spec's
 * first step for each of them) and is otherwise an "unsupported" error. */
static kumi_error *stub_entry(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  rt_builtin *b = env;
  rt_scope *s = b->scope;
  switch (b->op) { /* the built-ins that work in sync code and may run during post-return */
  case 0x0a: results[0] = kumi_val_i32((int32_t)s->context[b->rid]); return NULL;
  case 0x0b: s->context[b->rid] = (uint32_t)args[0].of.i32; return NULL;
  case 0x24:
    if (++s->backpressure >= (1u << 16)) return kb_error(b->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "backpressure overflow");
    return NULL;
  case 0x25:
    if (s->backpressure == 0) return kb_error(b->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "backpressure underflow");
    s->backpressure--;
    return NULL;
  default: break;
  }
  if (s->in_post_return)
    return kb_error(b->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot leave component instance");
  return kb_error(b->root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "unsupported: canon built-in 0x%02x at run time", b->op);
}

static kumi_error *stub_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c) {
  /* params, results: a string of core types, 'i' i32, 'I' i64 */
  const char *p = NULL, *r = NULL;
  switch (c->op) {
  case 0x24: case 0x25: case 0x05: p = ""; r = ""; break;               /* backpressure.inc/dec, task.cancel */
  case 0x09: if (!c->has_result) p = "", r = ""; break;                 /* task.return without a result */
  case 0x0a: if (c->valtype.code == 0x7f && c->idx < 2) p = "", r = "i"; break; /* context.get i32 */
  case 0x0b: if (c->valtype.code == 0x7f && c->idx < 2) p = "i", r = ""; break; /* context.set i32 */
  case 0x06: case 0x11: case 0x12: case 0x18: case 0x19: p = "i"; r = "i"; break; /* subtask.cancel, *.cancel-* */
  case 0x0d: case 0x13: case 0x14: case 0x1a: case 0x1b: case 0x22: case 0x1e: p = "i"; r = ""; break; /* drops */
  case 0x0e: case 0x15: p = ""; r = "I"; break;                         /* stream.new, future.new */
  case 0x0f: case 0x10: p = "iii"; r = "i"; break;                      /* stream.read/write */
  case 0x16: case 0x17: case 0x20: case 0x21: p = "ii"; r = "i"; break; /* future.read/write, waitable-set.wait/poll */
  case 0x1f: case 0x26: case 0x0c: p = ""; r = "i"; break;              /* waitable-set.new, thread.index, thread.yield */
  case 0x23: p = "ii"; r = ""; break;                                   /* waitable.join */
  case 0x27: p = "ii"; r = "i"; break; /* thread.new-indirect (kumi tables are 32-bit; i32 context) */
  case 0x28: p = "i"; r = ""; break;   /* thread.resume-later */
  case 0x29: p = ""; r = "i"; break;   /* thread.suspend */
  case 0x2a: case 0x2b: case 0x2c: case 0x2d: p = "i"; r = "i"; break; /* thread.{suspend,yield}-then-{resume,promote} */
  default: break;
  }
  for (uint32_t i = 0; p && i < c->nopts; i++)
    if (c->opts[i].kind == 0x04 || c->opts[i].kind == 0x07) p = NULL; /* realloc/callback: signature may differ */
  if (!p)
    return kb_error(x->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "unsupported: canon built-in 0x%02x (async, thread or error-context)",
                    c->op);
  rt_builtin *b = comp_rt_arena(x, sizeof *b);
  if (!b) return kb_error_oom();
  b->root = x->root;
  b->scope = s;
  b->op = c->op;
  b->rid = c->op == 0x0a || c->op == 0x0b ? c->idx : 0; /* the context slot */
  kumi_valkind pk[3], rk[1];
  uint32_t np = (uint32_t)strlen(p), nr = (uint32_t)strlen(r);
  for (uint32_t i = 0; i < np; i++) pk[i] = p[i] == 'I' ? KUMI_I64 : KUMI_I32;
  for (uint32_t i = 0; i < nr; i++) rk[i] = r[i] == 'I' ? KUMI_I64 : KUMI_I32;
  kumi_functype ft = {np, nr, pk, rk};
  kumi_func *hf = kumi_func_new(x->root->store, &ft, stub_entry, b);
  if (!hf) return kb_error_oom();
  rt_ent e = {.sort = COMP_SORT_CORE_FUNC};
  e.u.core.kind = KUMI_EXTERN_FUNC;
  e.u.core.of.func = hf;
  return comp_rt_push(x, s, e);
}

kumi_error *comp_rt_push_builtin(rt_ctx *x, rt_scope *s, const kumi_valkind *pk, uint32_t np, const kumi_valkind *rk,
                                 uint32_t nr, kumi_host_fn fn, void *env) {
  kumi_functype ft = {np, nr, pk, rk};
  kumi_func *hf = kumi_func_new(x->root->store, &ft, fn, env);
  if (!hf) return kb_error_oom();
  rt_ent e = {.sort = COMP_SORT_CORE_FUNC};
  e.u.core.kind = KUMI_EXTERN_FUNC;
  e.u.core.of.func = hf;
  return comp_rt_push(x, s, e);
}

kumi_error *comp_rt_canon_def(rt_ctx *x, rt_scope *s, const comp_canon *c) {
  rt_opts o;
  kumi_error *err;
  switch (c->op) {
  case 0x00: { /* lift */
    const comp_type *ft = NULL;
    kumi_extern core = {0};
    if ((err = opts_of(x, s, c, &o)) || (err = comp_rt_func_type_at(x, s, c->type, &ft)) ||
        (err = comp_rt_core_at(x, s, COMP_SORT_CORE_FUNC, c->func, &core)))
      return err;
    kumi_component_func *f = comp_rt_arena(x, sizeof *f);
    if (!f) return kb_error_oom();
    f->root = x->root;
    f->ft = ft;
    f->core = core.of.func;
    f->realloc = o.realloc;
    f->post_return = o.post_return;
    f->mem = o.mem;
    f->enc = o.enc;
    f->owner = s;
    f->async_lift = o.async;
    f->callback = o.callback;
    rt_ent e = {.sort = COMP_SORT_FUNC};
    e.u.f = f;
    return comp_rt_push(x, s, e);
  }
  case 0x01: { /* lower */
    rt_ent fe;
    if ((err = opts_of(x, s, c, &o)) || (err = comp_rt_at(x, s, COMP_SORT_FUNC, c->func, &fe))) return err;
    rt_lower *lw = comp_rt_arena(x, sizeof *lw);
    if (!lw) return kb_error_oom();
    lw->root = x->root;
    lw->callee = fe.u.f;
    lw->ft = fe.u.f->ft;
    lw->mem = o.mem;
    lw->realloc = o.realloc;
    lw->enc = o.enc;
    lw->owner = s;
    lw->async = o.async;
    uint8_t params[ABI_MAX_FLAT_PARAMS + 2], results[2];
    abi_sigopts so = {false, o.async, false, false};
    if (!abi_flatten_functype(x->a, &x->root->ts, lw->ft, &so, params, &lw->nparams, results, &lw->nresults))
      return kb_error_oom();
    kumi_valkind pk[ABI_MAX_FLAT_PARAMS + 2], rk[2];
    for (uint32_t i = 0; i < lw->nparams; i++) pk[i] = valkind_of(params[i]);
    for (uint32_t i = 0; i < lw->nresults; i++) rk[i] = valkind_of(results[i]);
    kumi_functype ct = {lw->nparams, lw->nresults, pk, rk};
    kumi_func *hf = kumi_func_new(x->root->store, &ct, lower_entry, lw);
    if (!hf) return kb_error_oom();
    rt_ent e = {.sort = COMP_SORT_CORE_FUNC};
    e.u.core.kind = KUMI_EXTERN_FUNC;
    e.u.core.of.func = hf;
    return comp_rt_push(x, s, e);
  }
  case 0x02: case 0x03: case 0x04: return resource_builtin(x, s, c);
  default: {
    bool handled = false;
    if ((err = comp_async_builtin(x, s, c, &handled)) || handled) return err;
    return stub_builtin(x, s, c);
  }
  }
}


/* ---- handles the host holds ---------------------------------------------------------------- */

kumi_error *kumi_component_instance_drop(kumi_store *store, kumi_component_instance *inst, const char *iface,
                                         const char *resource, const kumi_cval *handle) {
  if (!store || !inst || !inst->top || !resource || !handle)
    return kb_error(NULL, KUMI_ERR_ARG, KUMI_NO_OFFSET, "kumi_component_instance_drop: missing argument");
  const kumi_allocator *a = inst->a;
  if (handle->kind != KUMI_CV_OWN)
    return kb_error(a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "kumi_component_instance_drop: not an own handle");
  const rt_named *v = inst->top->exports.items;
  uint32_t n = (uint32_t)inst->top->exports.len;
  if (iface) {
    const rt_named *i = comp_rt_find_named(v, n, iface, (uint32_t)strlen(iface));
    if (!i || i->e.sort != COMP_SORT_INSTANCE)
      return kb_error(a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "the component exports no instance \"%s\"", iface);
    v = i->e.u.inst->exports;
    n = i->e.u.inst->n;
  }
  const rt_named *t = comp_rt_find_named(v, n, resource, (uint32_t)strlen(resource));
  const comp_type *rt = NULL;
  if (t && t->e.sort == COMP_SORT_TYPE && !t->e.u.vt.prim && t->e.u.vt.id) rt = comp_ty(&inst->ts, t->e.u.vt.id);
  if (!rt || rt->kind != CT_RESOURCE)
    return kb_error(a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "no exported resource type \"%s\"", resource);
  uint64_t p;
  if (!comp_u32map_get(&inst->res, rt->rid, &p)) return NULL; /* no destructor was ever defined */
  rt_resinfo *ri = (rt_resinfo *)(uintptr_t)p;
  uint32_t rep = handle->of.handle;
  if (ri->host) {
    if (ri->host->dtor) ri->host->dtor(ri->host->env, rep);
    return NULL;
  }
  if (!ri->dtor) return NULL;
  /* the destructor runs in the implementing instance, entered from the host */
  if (ri->impl && !comp_rt_enter_set(ri->impl, NULL, true, true))
    return kb_error(a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot enter component instance");
  if (ri->impl) comp_rt_enter_set(ri->impl, NULL, false, true);
  kumi_val arg = kumi_val_i32((int32_t)rep);
  kumi_error *e = kumi_func_call(store, ri->dtor, &arg, 1, NULL, 0);
  if (ri->impl) comp_rt_enter_set(ri->impl, NULL, false, false);
  return e;
}
