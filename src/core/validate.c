/* Validation of a decoded core module: WebAssembly 2.0 (SIMD included) and
 * the proposals in the module's features (tail calls, extended constant
 * expressions, multi-memory).
 *
 * Function bodies follow the spec's appendix "Validation Algorithm": an
 * operand stack of value types where CORE_UNKNOWN stands for the bottom type
 * produced by a polymorphic (unreachable) stack, and a stack of control
 * frames that records the block's parameter and result types, the operand
 * stack height at entry and whether the rest of the block is unreachable.
 * Both stacks are reused across all functions of the module, so validation
 * allocates only when a stack grows and runs in time linear in the code
 * size (br_table: linear in targets times label arity, as in the spec). */
#include <stdarg.h>
#include <stdio.h>

#include "instr.h"
#include "module.h"

/* The bottom type on the operand stack; 0 is no value type's encoding. */
#define CORE_UNKNOWN ((core_valtype)0)

/* Memory limits of WebAssembly 2.0, in 64 KiB pages. */
#define CORE_MAX_PAGES 65536u

enum { FRAME_FUNC, FRAME_BLOCK, FRAME_LOOP, FRAME_IF, FRAME_ELSE };

typedef struct vframe {
  uint8_t kind; /* FRAME_* */
  bool unreachable;
  uint32_t nparams, nresults;
  const core_valtype *params, *results; /* point into module types or k_single */
  size_t height;                        /* operand stack height at entry */
} vframe;

typedef struct vctx {
  core_module *m;
  const kumi_allocator *a;
  KB_VEC(core_valtype) vals;
  KB_VEC(vframe) ctrls;
  kumi_error *err; /* set when a helper returns false */
  uint32_t off;    /* byte offset of the instruction being checked */
  /* The function being checked. */
  const core_functype *ft;
  const core_func *fn;
  uint32_t nlocals; /* parameters + declared locals */
} vctx;

/* One-element result types for value-typed blocks and typed select, so a
 * frame can point at its types without owning them. */
static const core_valtype k_single[] = {CORE_I32,  CORE_I64,     CORE_F32,       CORE_F64,
                                       CORE_V128, CORE_FUNCREF, CORE_EXTERNREF, CORE_EXNREF};

static const core_valtype *single_type(core_valtype t) {
  for (size_t i = 0; i < sizeof k_single / sizeof k_single[0]; i++)
    if (k_single[i] == t) return &k_single[i];
  return NULL;
}

static const char *type_name(core_valtype t) { return t == CORE_UNKNOWN ? "unknown" : core_valtype_name(t); }

/* ---- errors -------------------------------------------------------------- */

static kumi_error *make_error(const kumi_allocator *a, kumi_error_kind kind, uint64_t off, const char *fmt, va_list ap) {
  char buf[256];
  vsnprintf(buf, sizeof buf, fmt, ap);
  kumi_error *e = kb_error(a, kind, off, "%s", buf);
  return e ? e : kb_error_oom();
}

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* Records an error of the given kind at the current instruction; returns
 * false so callers can `return fail(...)`. */
static bool fail_kind(vctx *v, kumi_error_kind kind, const char *fmt, ...) PRINTF_LIKE(3, 4);
static bool fail_kind(vctx *v, kumi_error_kind kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  v->err = make_error(v->a, kind, v->off, fmt, ap);
  va_end(ap);
  return false;
}
#define fail(v, ...) fail_kind((v), KUMI_ERR_INVALID, __VA_ARGS__)

static bool fail_oom(vctx *v) {
  v->err = kb_error_oom();
  return false;
}

/* Module-level errors with an explicit offset. */
static kumi_error *module_error(core_module *m, uint64_t off, const char *fmt, ...) PRINTF_LIKE(3, 4);
static kumi_error *module_error(core_module *m, uint64_t off, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kumi_error *e = make_error(m->alloc, KUMI_ERR_INVALID, off, fmt, ap);
  va_end(ap);
  return e;
}

static kumi_error *module_malformed(core_module *m, uint64_t off, const char *msg) {
  kumi_error *e = kb_error(m->alloc, KUMI_ERR_MALFORMED, off, "%s", msg);
  return e ? e : kb_error_oom();
}

/* ---- operand and control stacks ----------------------------------------- */

static inline vframe *top_frame(vctx *v) { return &v->ctrls.items[v->ctrls.len - 1]; }

static inline bool push_val(vctx *v, core_valtype t) {
  if (!kb_vec_push(v->a, &v->vals, t)) return fail_oom(v);
  return true;
}

static bool push_vals(vctx *v, const core_valtype *ts, uint32_t n) {
  if (n == 0) return true;
  if (!kb_vec_reserve(v->a, &v->vals, n)) return fail_oom(v);
  memcpy(v->vals.items + v->vals.len, ts, n);
  v->vals.len += n;
  return true;
}

/* Pops one operand, which must have type expect unless either is
 * CORE_UNKNOWN. *actual (may be NULL) receives the popped type. */
static bool pop_val(vctx *v, core_valtype expect, core_valtype *actual) {
  vframe *f = top_frame(v);
  core_valtype t;
  if (v->vals.len == f->height) {
    if (!f->unreachable) {
      if (expect == CORE_UNKNOWN) return fail(v, "type mismatch: expected a value, found an empty stack");
      return fail(v, "type mismatch: expected %s, found an empty stack", type_name(expect));
    }
    t = CORE_UNKNOWN;
  } else {
    t = v->vals.items[--v->vals.len];
    if (t != expect && t != CORE_UNKNOWN && expect != CORE_UNKNOWN)
      return fail(v, "type mismatch: expected %s, found %s", type_name(expect), type_name(t));
  }
  if (actual) *actual = t;
  return true;
}

/* Pops ts (the last one first). */
static bool pop_vals(vctx *v, const core_valtype *ts, uint32_t n) {
  for (uint32_t i = n; i-- > 0;)
    if (!pop_val(v, ts[i], NULL)) return false;
  return true;
}

/* Checks that the top of the stack matches ts without popping: the same
 * outcome as pop_vals followed by pushing back what was popped. */
static bool peek_vals(vctx *v, const core_valtype *ts, uint32_t n) {
  vframe *f = top_frame(v);
  size_t avail = v->vals.len - f->height;
  for (uint32_t i = 0; i < n; i++) {
    core_valtype expect = ts[n - 1 - i];
    if (i >= avail) {
      if (f->unreachable) return true; /* the rest is the bottom type */
      return fail(v, "type mismatch: expected %s, found an empty stack", type_name(expect));
    }
    core_valtype t = v->vals.items[v->vals.len - 1 - i];
    if (t != expect && t != CORE_UNKNOWN)
      return fail(v, "type mismatch: expected %s, found %s", type_name(expect), type_name(t));
  }
  return true;
}

static bool push_ctrl(vctx *v, uint8_t kind, const core_valtype *params, uint32_t nparams, const core_valtype *results,
                      uint32_t nresults) {
  vframe f = {kind, false, nparams, nresults, params, results, v->vals.len};
  if (!kb_vec_push(v->a, &v->ctrls, f)) return fail_oom(v);
  return push_vals(v, params, nparams);
}

static bool pop_ctrl(vctx *v, vframe *out) {
  vframe *f = top_frame(v);
  if (!pop_vals(v, f->results, f->nresults)) return false;
  if (v->vals.len != f->height) return fail(v, "type mismatch: values remain on the stack at the end of a block");
  *out = *f;
  v->ctrls.len--;
  return true;
}

static void set_unreachable(vctx *v) {
  vframe *f = top_frame(v);
  v->vals.len = f->height;
  f->unreachable = true;
}

/* The label of a branch to depth l; NULL (with the error set) if absent. */
static vframe *label_frame(vctx *v, uint32_t l) {
  if (l >= v->ctrls.len) {
    fail(v, "unknown label %u", l);
    return NULL;
  }
  return &v->ctrls.items[v->ctrls.len - 1 - l];
}

static void label_types(const vframe *f, const core_valtype **ts, uint32_t *n) {
  if (f->kind == FRAME_LOOP) {
    *ts = f->params;
    *n = f->nparams;
  } else {
    *ts = f->results;
    *n = f->nresults;
  }
}

/* ---- helpers for the index spaces --------------------------------------- */

static bool check_memory(vctx *v, uint32_t idx) {
  if (idx >= v->m->nmemories) return fail(v, "unknown memory %u", idx);
  if (idx != 0) v->m->uses |= KUMI_FEATURE_MULTI_MEMORY;
  return true;
}

static bool check_table(vctx *v, uint32_t idx) {
  if (idx >= v->m->ntables) return fail(v, "unknown table %u", idx);
  return true;
}

static bool check_data(vctx *v, uint32_t idx) {
  /* The binary format wants a data count section before code that names
   * data segments. Producers such as wat2wasm leave it out when the module
   * has no data at all, so an index beyond the data section is reported as
   * invalid first. */
  uint32_t n = v->m->has_data_count ? v->m->data_count : v->m->ndatas;
  if (idx >= n) return fail(v, "unknown data segment %u", idx);
  if (!v->m->has_data_count) return fail_kind(v, KUMI_ERR_MALFORMED, "data count section required");
  return true;
}

static bool check_elem(vctx *v, uint32_t idx) {
  if (idx >= v->m->nelems) return fail(v, "unknown elem segment %u", idx);
  return true;
}

static bool resolve_blocktype(vctx *v, const core_instr *in, const core_valtype **params, uint32_t *np,
                              const core_valtype **results, uint32_t *nr) {
  *params = *results = NULL;
  *np = *nr = 0;
  switch (in->imm.block.kind) {
  case CORE_BLOCK_EMPTY:
    return true;
  case CORE_BLOCK_VALTYPE:
    *results = single_type((core_valtype)in->imm.block.type);
    if (!*results) return fail(v, "invalid block type");
    if (**results == CORE_V128) v->m->uses |= KUMI_FEATURE_SIMD;
    *nr = 1;
    return true;
  default: {
    uint32_t ti = in->imm.block.type;
    if (ti >= v->m->ntypes) return fail(v, "unknown type %u", ti);
    const core_functype *ft = &v->m->types[ti];
    *params = core_functype_params(ft);
    *np = ft->nparams;
    *results = core_functype_results(ft);
    *nr = ft->nresults;
    return true;
  }
  }
}

/* The lane count of a lane instruction: M in its shape iNxM / fNxM (see
 * opcodes.def). */
static uint32_t shape_lanes(const char *name) {
  const char *x = strchr(name, 'x');
  uint32_t n = 0;
  while (x && *++x >= '0' && *x <= '9') n = n * 10 + (uint32_t)(*x - '0');
  return n;
}

/* The callee of a tail call must return exactly what the caller returns. */
static bool check_tail_results(vctx *v, const core_functype *ft) {
  const vframe *f = &v->ctrls.items[0];
  if (ft->nresults != f->nresults || (ft->nresults && memcmp(core_functype_results(ft), f->results, ft->nresults) != 0))
    return fail(v, "type mismatch: tail call results differ from the caller's");
  return true;
}

static core_valtype sig_type(char c) {
  switch (c) {
  case 'i': return CORE_I32;
  case 'I': return CORE_I64;
  case 'f': return CORE_F32;
  case 'F': return CORE_F64;
  case 'v': return CORE_V128;
  default: return CORE_UNKNOWN;
  }
}

/* Applies a "params:results" signature from opcodes.def. */
static bool apply_sig(vctx *v, const char *sig) {
  const char *colon = strchr(sig, ':');
  for (const char *p = colon; p-- > sig;)
    if (!pop_val(v, sig_type(*p), NULL)) return false;
  for (const char *p = colon + 1; *p; p++)
    if (!push_val(v, sig_type(*p))) return false;
  return true;
}

static core_valtype local_type(vctx *v, uint32_t idx) {
  if (idx < v->ft->nparams) return core_functype_params(v->ft)[idx];
  return v->fn->local_types[idx - v->ft->nparams];
}

static bool pop_i32s(vctx *v, int n) {
  while (n-- > 0)
    if (!pop_val(v, CORE_I32, NULL)) return false;
  return true;
}

/* try_table's catch clauses, in the context outside the try_table: each
 * label must take the tag's parameters (catch), those and an exnref
 * (catch_ref), nothing (catch_all) or an exnref (catch_all_ref). */
static bool check_catches(vctx *v, const core_instr *in, const uint8_t *bytes) {
  uint32_t pos = in->imm.block.catches_pos;
  for (uint32_t i = 0; i < in->imm.block.ncatches; i++) {
    core_catch c = core_catch_next(bytes, &pos);
    const core_valtype *want = NULL;
    uint32_t nwant = 0;
    if (c.kind == CORE_CATCH || c.kind == CORE_CATCH_REF) {
      if (c.tag >= v->m->ntags) return fail(v, "unknown tag %u", c.tag);
      const core_functype *ft = &v->m->types[v->m->tags[c.tag]];
      want = core_functype_params(ft);
      nwant = ft->nparams;
    }
    vframe *f = label_frame(v, c.label);
    if (!f) return false;
    const core_valtype *ts;
    uint32_t n;
    label_types(f, &ts, &n);
    bool ref = c.kind == CORE_CATCH_REF || c.kind == CORE_CATCH_ALL_REF;
    if (n != nwant + ref || (nwant && memcmp(ts, want, nwant) != 0) || (ref && ts[nwant] != CORE_EXNREF))
      return fail(v, "type mismatch: catch label types differ from the caught values");
  }
  return true;
}

/* ---- one instruction ----------------------------------------------------- */

static bool check_instr(vctx *v, const core_instr *in, const uint8_t *bytes) {
  core_module *m = v->m;
  const core_opinfo *info = &core_opinfos[in->op];

  if (info->imm == CORE_IMM_MEMARG || info->imm == CORE_IMM_MEMARG_LANE) {
    if (!check_memory(v, in->imm.memarg.memory)) return false;
    if (in->imm.memarg.align > info->align) return fail(v, "alignment must not be larger than natural");
    if (info->imm == CORE_IMM_MEMARG_LANE && in->imm.memarg.lane >= (16u >> info->align))
      return fail(v, "invalid lane index");
  } else if (info->imm == CORE_IMM_LANE) {
    if (in->imm.lane >= shape_lanes(info->name)) return fail(v, "invalid lane index");
  } else if (info->imm == CORE_IMM_SHUFFLE) {
    for (int i = 0; i < 16; i++)
      if (in->imm.bytes[i] >= 32) return fail(v, "invalid lane index");
  }
  if ((info->code >> 8) == 0xFD) m->uses |= KUMI_FEATURE_SIMD;
  if (info->sig[0] != '*') return apply_sig(v, info->sig);

  switch (in->op) {
  case CORE_OP_UNREACHABLE:
    set_unreachable(v);
    return true;

  case CORE_OP_BLOCK:
  case CORE_OP_LOOP:
  case CORE_OP_IF: {
    const core_valtype *ps, *rs;
    uint32_t np, nr;
    if (!resolve_blocktype(v, in, &ps, &np, &rs, &nr)) return false;
    if (in->op == CORE_OP_IF && !pop_val(v, CORE_I32, NULL)) return false;
    if (!pop_vals(v, ps, np)) return false;
    uint8_t kind = in->op == CORE_OP_BLOCK ? FRAME_BLOCK : in->op == CORE_OP_LOOP ? FRAME_LOOP : FRAME_IF;
    return push_ctrl(v, kind, ps, np, rs, nr);
  }

  case CORE_OP_TRY_TABLE: {
    const core_valtype *ps, *rs;
    uint32_t np, nr;
    if (!resolve_blocktype(v, in, &ps, &np, &rs, &nr)) return false;
    if (!check_catches(v, in, bytes)) return false;
    if (!pop_vals(v, ps, np)) return false;
    return push_ctrl(v, FRAME_BLOCK, ps, np, rs, nr);
  }

  case CORE_OP_THROW: {
    uint32_t x = in->imm.index;
    if (x >= m->ntags) return fail(v, "unknown tag %u", x);
    const core_functype *ft = &m->types[m->tags[x]];
    if (!pop_vals(v, core_functype_params(ft), ft->nparams)) return false;
    set_unreachable(v);
    return true;
  }

  case CORE_OP_THROW_REF:
    if (!pop_val(v, CORE_EXNREF, NULL)) return false;
    set_unreachable(v);
    return true;

  case CORE_OP_ELSE: {
    vframe f;
    if (top_frame(v)->kind != FRAME_IF) return fail_kind(v, KUMI_ERR_MALFORMED, "else without if");
    if (!pop_ctrl(v, &f)) return false;
    return push_ctrl(v, FRAME_ELSE, f.params, f.nparams, f.results, f.nresults);
  }

  case CORE_OP_END: {
    vframe f;
    if (!pop_ctrl(v, &f)) return false;
    if (f.kind == FRAME_IF) {
      /* `if` without `else` behaves as if with an empty else branch, which
       * must turn the parameters into the results. */
      if (!push_ctrl(v, FRAME_ELSE, f.params, f.nparams, f.results, f.nresults)) return false;
      if (!pop_ctrl(v, &f)) return false;
    }
    if (f.kind == FRAME_FUNC) return true;
    return push_vals(v, f.results, f.nresults);
  }

  case CORE_OP_BR: {
    vframe *f = label_frame(v, in->imm.index);
    if (!f) return false;
    const core_valtype *ts;
    uint32_t n;
    label_types(f, &ts, &n);
    if (!pop_vals(v, ts, n)) return false;
    set_unreachable(v);
    return true;
  }

  case CORE_OP_BR_IF: {
    vframe *f = label_frame(v, in->imm.index);
    if (!f) return false;
    const core_valtype *ts;
    uint32_t n;
    label_types(f, &ts, &n);
    if (!pop_val(v, CORE_I32, NULL)) return false;
    if (!pop_vals(v, ts, n)) return false;
    return push_vals(v, ts, n);
  }

  case CORE_OP_BR_TABLE: {
    if (!pop_val(v, CORE_I32, NULL)) return false;
    vframe *df = label_frame(v, in->imm.br_table.default_label);
    if (!df) return false;
    const core_valtype *dts;
    uint32_t dn;
    label_types(df, &dts, &dn);
    uint32_t pos = in->imm.br_table.pos;
    for (uint32_t i = 0; i < in->imm.br_table.count; i++) {
      uint32_t l = core_br_table_next(bytes, &pos);
      vframe *f = label_frame(v, l);
      if (!f) return false;
      const core_valtype *ts;
      uint32_t n;
      label_types(f, &ts, &n);
      if (n != dn) return fail(v, "type mismatch: br_table targets have different arities");
      if (!peek_vals(v, ts, n)) return false;
    }
    if (!pop_vals(v, dts, dn)) return false;
    set_unreachable(v);
    return true;
  }

  case CORE_OP_RETURN: {
    const vframe *f = &v->ctrls.items[0];
    if (!pop_vals(v, f->results, f->nresults)) return false;
    set_unreachable(v);
    return true;
  }

  case CORE_OP_CALL: {
    uint32_t x = in->imm.index;
    if (x >= m->nfuncs) return fail(v, "unknown function %u", x);
    const core_functype *ft = &m->types[m->funcs[x].type];
    if (!pop_vals(v, core_functype_params(ft), ft->nparams)) return false;
    return push_vals(v, core_functype_results(ft), ft->nresults);
  }

  case CORE_OP_CALL_INDIRECT: {
    uint32_t t = in->imm.call_indirect.table, ti = in->imm.call_indirect.type;
    if (!check_table(v, t)) return false;
    if (m->tables[t].elem != CORE_FUNCREF) return fail(v, "type mismatch: call_indirect on a table of %s",
                                                       type_name(m->tables[t].elem));
    if (ti >= m->ntypes) return fail(v, "unknown type %u", ti);
    const core_functype *ft = &m->types[ti];
    if (!pop_val(v, CORE_I32, NULL)) return false;
    if (!pop_vals(v, core_functype_params(ft), ft->nparams)) return false;
    return push_vals(v, core_functype_results(ft), ft->nresults);
  }

  case CORE_OP_RETURN_CALL: {
    uint32_t x = in->imm.index;
    if (x >= m->nfuncs) return fail(v, "unknown function %u", x);
    const core_functype *ft = &m->types[m->funcs[x].type];
    m->uses |= KUMI_FEATURE_TAIL_CALL;
    if (!check_tail_results(v, ft) || !pop_vals(v, core_functype_params(ft), ft->nparams)) return false;
    set_unreachable(v);
    return true;
  }

  case CORE_OP_RETURN_CALL_INDIRECT: {
    uint32_t t = in->imm.call_indirect.table, ti = in->imm.call_indirect.type;
    if (!check_table(v, t)) return false;
    if (m->tables[t].elem != CORE_FUNCREF)
      return fail(v, "type mismatch: return_call_indirect on a table of %s", type_name(m->tables[t].elem));
    if (ti >= m->ntypes) return fail(v, "unknown type %u", ti);
    const core_functype *ft = &m->types[ti];
    m->uses |= KUMI_FEATURE_TAIL_CALL;
    if (!check_tail_results(v, ft) || !pop_val(v, CORE_I32, NULL)) return false;
    if (!pop_vals(v, core_functype_params(ft), ft->nparams)) return false;
    set_unreachable(v);
    return true;
  }

  case CORE_OP_DROP:
    return pop_val(v, CORE_UNKNOWN, NULL);

  case CORE_OP_SELECT: {
    core_valtype t1, t2;
    if (!pop_val(v, CORE_I32, NULL)) return false;
    if (!pop_val(v, CORE_UNKNOWN, &t1)) return false;
    if (!pop_val(v, CORE_UNKNOWN, &t2)) return false;
    /* Without a type annotation only numeric (or vector) operands. */
    if (core_is_reftype(t1) || core_is_reftype(t2))
      return fail(v, "type mismatch: select without a type on %s", type_name(core_is_reftype(t1) ? t1 : t2));
    if (t1 != t2 && t1 != CORE_UNKNOWN && t2 != CORE_UNKNOWN)
      return fail(v, "type mismatch: select operands %s and %s", type_name(t2), type_name(t1));
    return push_val(v, t1 == CORE_UNKNOWN ? t2 : t1);
  }

  case CORE_OP_SELECT_T: {
    if (in->imm.select_t.count != 1) return fail(v, "invalid result arity");
    core_valtype t = in->imm.select_t.type;
    if (!single_type(t)) return fail(v, "invalid value type");
    if (t == CORE_V128) m->uses |= KUMI_FEATURE_SIMD;
    if (!pop_val(v, CORE_I32, NULL)) return false;
    if (!pop_val(v, t, NULL) || !pop_val(v, t, NULL)) return false;
    return push_val(v, t);
  }

  case CORE_OP_LOCAL_GET:
  case CORE_OP_LOCAL_SET:
  case CORE_OP_LOCAL_TEE: {
    uint32_t x = in->imm.index;
    if (x >= v->nlocals) return fail(v, "unknown local %u", x);
    core_valtype t = local_type(v, x);
    if (in->op == CORE_OP_LOCAL_GET) return push_val(v, t);
    if (!pop_val(v, t, NULL)) return false;
    return in->op == CORE_OP_LOCAL_TEE ? push_val(v, t) : true;
  }

  case CORE_OP_GLOBAL_GET:
  case CORE_OP_GLOBAL_SET: {
    uint32_t x = in->imm.index;
    if (x >= m->nglobals) return fail(v, "unknown global %u", x);
    const core_globaltype *gt = &m->globals[x].type;
    if (in->op == CORE_OP_GLOBAL_GET) return push_val(v, gt->type);
    if (!gt->mut) return fail(v, "global is immutable");
    return pop_val(v, gt->type, NULL);
  }

  case CORE_OP_TABLE_GET:
  case CORE_OP_TABLE_SET: {
    uint32_t x = in->imm.index;
    if (!check_table(v, x)) return false;
    core_valtype t = m->tables[x].elem;
    if (in->op == CORE_OP_TABLE_GET) return pop_val(v, CORE_I32, NULL) && push_val(v, t);
    return pop_val(v, t, NULL) && pop_val(v, CORE_I32, NULL);
  }

  case CORE_OP_MEMORY_SIZE:
    return check_memory(v, in->imm.index) && push_val(v, CORE_I32);
  case CORE_OP_MEMORY_GROW:
    return check_memory(v, in->imm.index) && pop_val(v, CORE_I32, NULL) && push_val(v, CORE_I32);

  case CORE_OP_REF_NULL:
    if (!core_is_reftype(in->imm.heaptype)) return fail(v, "malformed reference type");
    return push_val(v, in->imm.heaptype);

  case CORE_OP_REF_IS_NULL: {
    core_valtype t;
    if (!pop_val(v, CORE_UNKNOWN, &t)) return false;
    if (t != CORE_UNKNOWN && !core_is_reftype(t))
      return fail(v, "type mismatch: ref.is_null on %s", type_name(t));
    return push_val(v, CORE_I32);
  }

  case CORE_OP_REF_FUNC: {
    uint32_t x = in->imm.index;
    if (x >= m->nfuncs) return fail(v, "unknown function %u", x);
    if (!m->declared_refs[x]) return fail(v, "undeclared function reference");
    return push_val(v, CORE_FUNCREF);
  }

  case CORE_OP_MEMORY_INIT:
    return check_memory(v, in->imm.pair.b) && check_data(v, in->imm.pair.a) && pop_i32s(v, 3);
  case CORE_OP_DATA_DROP:
    return check_data(v, in->imm.index);
  case CORE_OP_MEMORY_COPY:
    return check_memory(v, in->imm.pair.a) && check_memory(v, in->imm.pair.b) && pop_i32s(v, 3);
  case CORE_OP_MEMORY_FILL:
    return check_memory(v, in->imm.index) && pop_i32s(v, 3);

  case CORE_OP_TABLE_INIT: {
    uint32_t e = in->imm.pair.a, t = in->imm.pair.b;
    if (!check_table(v, t) || !check_elem(v, e)) return false;
    if (m->elems[e].type != m->tables[t].elem)
      return fail(v, "type mismatch: table.init of %s elements into a table of %s", type_name(m->elems[e].type),
                  type_name(m->tables[t].elem));
    return pop_i32s(v, 3);
  }
  case CORE_OP_ELEM_DROP:
    return check_elem(v, in->imm.index);
  case CORE_OP_TABLE_COPY: {
    uint32_t d = in->imm.pair.a, s = in->imm.pair.b;
    if (!check_table(v, d) || !check_table(v, s)) return false;
    if (m->tables[d].elem != m->tables[s].elem)
      return fail(v, "type mismatch: table.copy from a table of %s to a table of %s", type_name(m->tables[s].elem),
                  type_name(m->tables[d].elem));
    return pop_i32s(v, 3);
  }
  case CORE_OP_TABLE_GROW: {
    if (!check_table(v, in->imm.index)) return false;
    core_valtype t = m->tables[in->imm.index].elem;
    return pop_val(v, CORE_I32, NULL) && pop_val(v, t, NULL) && push_val(v, CORE_I32);
  }
  case CORE_OP_TABLE_SIZE:
    return check_table(v, in->imm.index) && push_val(v, CORE_I32);
  case CORE_OP_TABLE_FILL: {
    if (!check_table(v, in->imm.index)) return false;
    core_valtype t = m->tables[in->imm.index].elem;
    return pop_val(v, CORE_I32, NULL) && pop_val(v, t, NULL) && pop_val(v, CORE_I32, NULL);
  }

  default:
    return fail(v, "%s is not supported", info->name);
  }
}

/* ---- function bodies ----------------------------------------------------- */

static bool check_body(vctx *v, uint32_t fidx) {
  core_module *m = v->m;
  v->fn = &m->funcs[fidx];
  v->ft = &m->types[v->fn->type];
  v->nlocals = v->ft->nparams + v->fn->nlocals;
  v->vals.len = 0;
  v->ctrls.len = 0;
  v->off = v->fn->body_start;
  if (!push_ctrl(v, FRAME_FUNC, NULL, 0, core_functype_results(v->ft), v->ft->nresults)) return false;

  size_t pos = v->fn->body_start, end = v->fn->body_end;
  core_instr in;
  while (v->ctrls.len > 0) {
    if (pos >= end) {
      v->off = (uint32_t)pos;
      return fail_kind(v, KUMI_ERR_MALFORMED, "END opcode expected");
    }
    kumi_error *e = core_read_instr_with(v->a, m->bytes, &pos, end, m->features, &in);
    if (e) {
      v->err = e;
      return false;
    }
    v->off = in.offset;
    if (!check_instr(v, &in, m->bytes)) return false;
  }
  if (pos != end) {
    v->off = (uint32_t)pos;
    return fail_kind(v, KUMI_ERR_MALFORMED, "section size mismatch: code after the end of the function");
  }
  return true;
}

/* ---- module-level rules -------------------------------------------------- */

/* Validates the constant expression e of type expect. It may read imported
 * immutable globals and, with extended-const, add, subtract and multiply
 * i32 and i64 values. Functions it references join declared_refs (C.refs).
 * The operand types are kept on a small stack; every instruction takes at
 * least one byte, so the expression's length bounds its depth and a deeper
 * expression spills to the heap. */
#define CONST_STACK 16
static kumi_error *check_const_expr(core_module *m, core_expr e, core_valtype expect) {
  core_valtype local[CONST_STACK], *stack = local;
  size_t cap = e.end - e.start, sp = 0;
  if (cap > CONST_STACK && !(stack = kb_alloc(m->alloc, cap))) return kb_error_oom();
  kumi_error *err = NULL;
  size_t pos = e.start;
  core_instr in;
  for (;;) {
    if (pos >= e.end) {
      err = module_malformed(m, pos, "END opcode expected");
      break;
    }
    if ((err = core_read_instr_with(m->alloc, m->bytes, &pos, e.end, m->features, &in))) break;
    if (in.op == CORE_OP_END) {
      if (pos != e.end) err = module_malformed(m, pos, "END opcode expected");
      else if (sp != 1 || stack[0] != expect)
        err = module_error(m, in.offset, "type mismatch: constant expression must produce one %s", type_name(expect));
      break;
    }
    core_valtype t = CORE_UNKNOWN;
    switch (in.op) {
    case CORE_OP_I32_CONST: t = CORE_I32; break;
    case CORE_OP_I64_CONST: t = CORE_I64; break;
    case CORE_OP_F32_CONST: t = CORE_F32; break;
    case CORE_OP_F64_CONST: t = CORE_F64; break;
    case CORE_OP_V128_CONST: t = CORE_V128; break;
    case CORE_OP_REF_NULL:
      if (!core_is_reftype(in.imm.heaptype)) err = module_error(m, in.offset, "malformed reference type");
      t = in.imm.heaptype;
      break;
    case CORE_OP_REF_FUNC:
      if (in.imm.index >= m->nfuncs) {
        err = module_error(m, in.offset, "unknown function %u", in.imm.index);
        break;
      }
      m->declared_refs[in.imm.index] = 1;
      t = CORE_FUNCREF;
      break;
    case CORE_OP_GLOBAL_GET: {
      uint32_t x = in.imm.index;
      if (x >= m->nimported_globals) err = module_error(m, in.offset, "unknown global %u", x);
      else if (m->globals[x].type.mut) err = module_error(m, in.offset, "constant expression required");
      else t = m->globals[x].type.type;
      break;
    }
    case CORE_OP_I32_ADD:
    case CORE_OP_I32_SUB:
    case CORE_OP_I32_MUL:
    case CORE_OP_I64_ADD:
    case CORE_OP_I64_SUB:
    case CORE_OP_I64_MUL:
      if (!(m->features & KUMI_FEATURE_EXTENDED_CONST)) {
        err = module_error(m, in.offset, "constant expression required");
        break;
      }
      m->uses |= KUMI_FEATURE_EXTENDED_CONST;
      t = core_opinfos[in.op].sig[0] == 'i' ? CORE_I32 : CORE_I64;
      for (int k = 0; k < 2 && !err; k++) {
        if (sp == 0)
          err = module_error(m, in.offset, "type mismatch: %s expected %s, found an empty stack",
                             core_opinfos[in.op].name, type_name(t));
        else if (stack[--sp] != t)
          err = module_error(m, in.offset, "type mismatch: %s expected %s, found %s", core_opinfos[in.op].name,
                             type_name(t), type_name(stack[sp]));
      }
      break;
    default:
      err = module_error(m, in.offset, "constant expression required");
      break;
    }
    if (err) break;
    stack[sp++] = t; /* sp < cap: each instruction pushes at most one and takes a byte */
  }
  if (stack != local) kb_free(m->alloc, stack, cap);
  return err;
}

static kumi_error *check_limits(core_module *m, const core_limits *l, uint64_t bound, const char *too_big) {
  if (l->min > bound || (l->has_max && l->max > bound)) return module_error(m, KUMI_NO_OFFSET, "%s", too_big);
  if (l->has_max && l->min > l->max)
    return module_error(m, KUMI_NO_OFFSET, "size minimum must not be greater than maximum");
  return NULL;
}

static kumi_error *check_types_and_limits(core_module *m) {
  kumi_error *e;
  for (uint32_t i = 0; i < m->nfuncs; i++)
    if (m->funcs[i].type >= m->ntypes)
      return module_error(m, i < m->nimported_funcs ? KUMI_NO_OFFSET : m->funcs[i].body_start, "unknown type %u",
                          m->funcs[i].type);
  for (uint32_t i = 0; i < m->ntables; i++) {
    if (!core_is_reftype(m->tables[i].elem)) return module_error(m, KUMI_NO_OFFSET, "malformed reference type");
    if ((e = check_limits(m, &m->tables[i].limits, UINT32_MAX, "table size must be at most 2^32-1"))) return e;
  }
  for (uint32_t i = 0; i < m->ntags; i++) {
    if (m->tags[i] >= m->ntypes) return module_error(m, KUMI_NO_OFFSET, "unknown type %u", m->tags[i]);
    if (m->types[m->tags[i]].nresults) return module_error(m, KUMI_NO_OFFSET, "non-empty tag result type");
  }
  if (m->nmemories > 1 && !(m->features & KUMI_FEATURE_MULTI_MEMORY))
    return module_error(m, KUMI_NO_OFFSET, "multiple memories");
  for (uint32_t i = 0; i < m->nmemories; i++)
    if ((e = check_limits(m, &m->memories[i].limits, CORE_MAX_PAGES, "memory size must be at most 65536 pages (4GiB)")))
      return e;
  return NULL;
}

static kumi_error *check_elems(core_module *m) {
  kumi_error *e;
  for (uint32_t i = 0; i < m->nelems; i++) {
    core_elem *el = &m->elems[i];
    if (!core_is_reftype(el->type)) return module_error(m, el->offset_in_module, "malformed reference type");
    if (el->mode == CORE_SEG_ACTIVE) {
      if (el->table >= m->ntables) return module_error(m, el->offset_in_module, "unknown table %u", el->table);
      if (m->tables[el->table].elem != el->type)
        return module_error(m, el->offset_in_module, "type mismatch: %s elements for a table of %s",
                            type_name(el->type), type_name(m->tables[el->table].elem));
      if ((e = check_const_expr(m, el->offset, CORE_I32))) return e;
    }
    for (uint32_t j = 0; j < el->count; j++) {
      if (el->funcs) {
        uint32_t x = el->funcs[j];
        if (x >= m->nfuncs) return module_error(m, el->offset_in_module, "unknown function %u", x);
        m->declared_refs[x] = 1;
      } else if ((e = check_const_expr(m, el->exprs[j], el->type))) {
        return e;
      }
    }
  }
  return NULL;
}

static kumi_error *check_datas(core_module *m) {
  kumi_error *e;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    core_data *d = &m->datas[i];
    if (d->mode != CORE_SEG_ACTIVE) continue;
    if (d->memory >= m->nmemories) return module_error(m, d->offset.start, "unknown memory %u", d->memory);
    if ((e = check_const_expr(m, d->offset, CORE_I32))) return e;
  }
  return NULL;
}

static kumi_error *check_start(core_module *m) {
  if (!m->has_start) return NULL;
  if (m->start >= m->nfuncs) return module_error(m, KUMI_NO_OFFSET, "unknown function %u", m->start);
  const core_functype *ft = &m->types[m->funcs[m->start].type];
  if (ft->nparams != 0 || ft->nresults != 0) return module_error(m, KUMI_NO_OFFSET, "start function must have type [] -> []");
  return NULL;
}

static kumi_error *check_exports(core_module *m) {
  static const char *const kind_names[] = {"function", "table", "memory", "global", "tag"};
  kb_map names;
  kb_map_init(&names, m->alloc);
  kumi_error *e = NULL;
  for (uint32_t i = 0; i < m->nexports && !e; i++) {
    const core_export *ex = &m->exports[i];
    uint32_t n = 0;
    switch (ex->kind) {
    case CORE_EXTERN_FUNC: n = m->nfuncs; break;
    case CORE_EXTERN_TABLE: n = m->ntables; break;
    case CORE_EXTERN_MEMORY: n = m->nmemories; break;
    case CORE_EXTERN_GLOBAL: n = m->nglobals; break;
    case CORE_EXTERN_TAG: n = m->ntags; break;
    default: e = module_error(m, KUMI_NO_OFFSET, "malformed export kind"); continue;
    }
    if (ex->index >= n) {
      e = module_error(m, KUMI_NO_OFFSET, "unknown %s %u", kind_names[ex->kind], ex->index);
      continue;
    }
    if (ex->kind == CORE_EXTERN_FUNC) m->declared_refs[ex->index] = 1;
    void *unused;
    if (kb_map_get(&names, ex->name, ex->name_len, &unused))
      e = module_error(m, KUMI_NO_OFFSET, "duplicate export name \"%.*s\"", (int)ex->name_len, ex->name);
    else if (!kb_map_put(&names, ex->name, ex->name_len, NULL))
      e = kb_error_oom();
  }
  kb_map_free(&names);
  return e;
}

/* Records SIMD in m->uses when a v128 appears in a type, a local or a
 * global (block and select types are seen in the bodies). */
static void note_v128(core_module *m) {
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const core_functype *ft = &m->types[i];
    size_t n = (size_t)ft->nparams + ft->nresults;
    if (n && memchr(ft->types, CORE_V128, n)) m->uses |= KUMI_FEATURE_SIMD;
  }
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++)
    if (m->funcs[i].nlocals && memchr(m->funcs[i].local_types, CORE_V128, m->funcs[i].nlocals))
      m->uses |= KUMI_FEATURE_SIMD;
  for (uint32_t i = 0; i < m->nglobals; i++)
    if (m->globals[i].type.type == CORE_V128) m->uses |= KUMI_FEATURE_SIMD;
}

kumi_error *core_module_validate(core_module *m) {
  kumi_error *e;
  m->uses = 0;
  note_v128(m);
  if (m->declared_refs)
    memset(m->declared_refs, 0, m->nfuncs);
  else if (!(m->declared_refs = kb_arena_alloc(&m->arena, m->nfuncs ? m->nfuncs : 1)))
    return kb_error_oom();

  if ((e = check_types_and_limits(m))) return e;
  for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
    if ((e = check_const_expr(m, m->globals[i].init, m->globals[i].type.type))) return e;
  if ((e = check_elems(m))) return e;
  if ((e = check_datas(m))) return e;
  if ((e = check_start(m))) return e;
  if ((e = check_exports(m))) return e;

  /* Bodies last: ref.func in code needs the complete C.refs. */
  vctx v = {.m = m, .a = m->alloc};
  bool ok = true;
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs && ok; i++) ok = check_body(&v, i);
  kb_vec_free(v.a, &v.vals);
  kb_vec_free(v.a, &v.ctrls);
  return ok ? NULL : v.err;
}
