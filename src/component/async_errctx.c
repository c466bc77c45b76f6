/* The error-context built-ins (CanonicalABI.md, "canon error-context.new",
 * "canon error-context.debug-message", "canon error-context.drop").
 *
 * kumi follows the spec's deterministic profile: error-context.new always
 * discards the debug message without lifting it (so its pointer and length
 * are never checked), and debug-message always stores the empty string
 * (through the realloc option, as store_string does). Every error context
 * is therefore alike; a table entry of kind RT_RID_ERRCTX is all there is to
 * one, and no other state is kept. Error contexts share the per-instance
 * handle table with resources, waitables and waitable sets. */
#include "async.h"

/* The table kind of an error context (an abi_table rid no resource type
 * and no other async kind uses). */
#define RT_RID_ERRCTX 0xffffffe0u

typedef struct rt_ebuiltin {
  kumi_component_instance *root;
  rt_scope *s;
  uint8_t op;
  kumi_memory *mem; /* debug-message: memory, realloc and string-encoding options */
  kumi_func *realloc;
  uint8_t enc;
} rt_ebuiltin;

static kumi_error *trap(const rt_ebuiltin *b, const char *msg) {
  return kb_error(b->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "%s", msg);
}

/* The error context at table index i (a trap when i holds something else). */
static kumi_error *errctx_at(const rt_ebuiltin *b, uint32_t i) {
  abi_handle *h = abi_table_get(&b->s->table, i);
  if (!h) return comp_async_unknown(b->root, i);
  if (h->rid != RT_RID_ERRCTX) return trap(b, "handle is not an error-context");
  return NULL;
}

static kumi_error *debug_message(const rt_ebuiltin *b, uint32_t i, uint32_t ptr) {
  kumi_error *e = errctx_at(b, i);
  if (e) return e;
  rt_call c;
  abi_cx cx;
  comp_rt_call_init(&c, b->root, b->mem, b->realloc, NULL, NULL, b->s);
  comp_rt_cx_init(&cx, b->root, b->enc, &c);
  kumi_cval msg = kumi_cval_bool(false);
  if (!kumi_cval_string(b->root->a, "", 0, &msg)) return kb_error_oom();
  comp_vt string_t = {COMP_STRING, 0};
  e = abi_store(&cx, string_t, &msg, ptr);
  kumi_cval_free(b->root->a, &msg);
  kb_vec_free(b->root->a, &c.lends);
  return e;
}

static kumi_error *entry(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  rt_ebuiltin *b = env;
  if (b->s->in_post_return) return trap(b, "cannot leave component instance");
  switch (b->op) {
  case 0x1c: { /* error-context.new: the message (args) is discarded unread */
    uint32_t h = 0;
    kumi_error *e = abi_resource_new(&b->s->table, RT_RID_ERRCTX, 0, &h);
    if (e) return e;
    results[0] = kumi_val_i32((int32_t)h);
    return NULL;
  }
  case 0x1d: return debug_message(b, (uint32_t)args[0].of.i32, (uint32_t)args[1].of.i32);
  case 0x1e: { /* error-context.drop */
    uint32_t i = (uint32_t)args[0].of.i32;
    kumi_error *e = errctx_at(b, i);
    if (e) return e;
    bool run = false;
    uint32_t rep = 0;
    return abi_resource_drop(&b->s->table, RT_RID_ERRCTX, i, &run, &rep);
  }
  default: return UNSUPPORTED(b->root->a, "error-context built-in");
  }
}

kumi_error *comp_async_errctx_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c, bool *handled) {
  *handled = false;
  if (c->op < 0x1c || c->op > 0x1e) return NULL;
  rt_ebuiltin *b = comp_rt_arena(x, sizeof *b);
  if (!b) return kb_error_oom();
  memset(b, 0, sizeof *b);
  b->root = x->root;
  b->s = s;
  b->op = c->op;
  kumi_extern ext = {0};
  kumi_error *err = NULL;
  for (uint32_t i = 0; c->op != 0x1e && i < c->nopts; i++) {
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
    default: return UNSUPPORTED(x->a, "error-context options other than memory, realloc and string-encoding");
    }
  }
  static const kumi_valkind i32[2] = {KUMI_I32, KUMI_I32};
  uint32_t np = c->op == 0x1e ? 1 : 2, nr = c->op == 0x1c ? 1 : 0;
  *handled = true;
  return comp_rt_push_builtin(x, s, i32, np, i32, nr, entry, b);
}
