/* Canonical definitions (CanonicalABI.md, Canonical Definitions): canonopt
 * validation, flattening of component function types into core function
 * types for lift and lower, the core signatures of every built-in, and the
 * Canonical ABI size bound on defined types. */
#include "validate.h"

#include <stdio.h>

/* ---- ABI size ------------------------------------------------------------------- */

#define ABI_LIMIT ((uint64_t)1 << 28)
#define ABI_SAT ((uint64_t)1 << 40)

static void prim_abi(uint8_t p, uint64_t *size, uint8_t *align) {
  switch (p) {
  case COMP_BOOL: case COMP_S8: case COMP_U8: *size = 1; *align = 1; return;
  case COMP_S16: case COMP_U16: *size = 2; *align = 2; return;
  case COMP_S64: case COMP_U64: case COMP_F64: *size = 8; *align = 8; return;
  case COMP_STRING: *size = 16; *align = 8; return;
  default: *size = 4; *align = 4; return;
  }
}

static void vt_abi(const comp_types *ts, comp_vt v, uint64_t *size, uint8_t *align) {
  if (v.prim) {
    prim_abi(v.prim, size, align);
  } else {
    const comp_type *t = comp_ty(ts, v.id);
    *size = t->abi_size;
    *align = t->abi_align;
  }
}

static uint64_t align_to(uint64_t x, uint8_t a) { return (x + a - 1) / a * a; }
static uint64_t sat(uint64_t x) { return x > ABI_SAT ? ABI_SAT : x; }

bool v_check_abi_size(vstate *s, comp_tid id, uint32_t off) {
  vctx *v = s->v;
  comp_type *t = comp_ty(&v->ts, id);
  uint64_t size = 0, es;
  uint8_t align = 1, ea;
  if (comp_is_prim(t->dkind)) {
    prim_abi(t->dkind, &size, &align);
  } else {
    switch (t->dkind) {
    case 0x72: case 0x6f: /* record, tuple */
      for (uint32_t i = 0; i < t->n; i++) {
        vt_abi(&v->ts, t->fields[i].type, &es, &ea);
        size = sat(align_to(size, ea) + es);
        if (ea > align) align = ea;
      }
      size = align_to(size, align);
      break;
    case 0x71: case 0x6d: case 0x6b: case 0x6a: { /* variant, enum, option, result */
      uint64_t ncases = t->dkind == 0x6b || t->dkind == 0x6a ? 2 : t->n;
      uint8_t dsize = ncases <= 256 ? 1 : ncases <= 65536 ? 2 : 4;
      uint64_t payload = 0;
      uint8_t palign = 1;
      comp_vt cases[2];
      bool has[2];
      uint32_t n = 0;
      if (t->dkind == 0x6b) { has[0] = false; has[1] = true; cases[1] = t->a; n = 2; }
      if (t->dkind == 0x6a) { has[0] = t->has_a; cases[0] = t->a; has[1] = t->has_b; cases[1] = t->b; n = 2; }
      for (uint32_t i = 0; i < (t->dkind == 0x71 ? t->n : n); i++) {
        bool h = t->dkind == 0x71 ? t->fields[i].has_type : has[i];
        if (!h) continue;
        vt_abi(&v->ts, t->dkind == 0x71 ? t->fields[i].type : cases[i], &es, &ea);
        if (es > payload) payload = es;
        if (ea > palign) palign = ea;
      }
      align = dsize > palign ? dsize : palign;
      size = sat(align_to(align_to(dsize, palign) + payload, align));
      break;
    }
    case 0x6e: size = t->n <= 8 ? 1 : t->n <= 16 ? 2 : 4; align = (uint8_t)size; break;
    case 0x70: case 0x63: size = 16; align = 8; break;
    case 0x67:
      if (t->len > ABI_LIMIT * 4) return vfail(v, off, "fixed-length list element count exceeds limit of 1073741824");
      vt_abi(&v->ts, t->a, &es, &ea);
      size = sat(es * t->len);
      align = ea;
      break;
    default: size = 4; align = 4; break; /* own, borrow, stream, future */
    }
  }
  t->abi_size = size;
  t->abi_align = align;
  if (size >= ABI_LIMIT) return vfail(v, off, "type exceeds maximum byte size of the canonical ABI (2^28 bytes)");
  return true;
}

/* ---- flattening ------------------------------------------------------------------ */

#define FLAT_CAP 17
typedef struct flat {
  uint8_t t[FLAT_CAP];
  uint32_t n;    /* values stored (<= FLAT_CAP) */
  uint64_t total; /* the real count, saturated */
} flat;

static void fpush(flat *f, uint8_t t) {
  if (f->n < FLAT_CAP) f->t[f->n++] = t;
  if (f->total < ABI_SAT) f->total++;
}

static uint8_t join(uint8_t a, uint8_t b) {
  if (a == b) return a;
  if ((a == 0x7f && b == 0x7d) || (a == 0x7d && b == 0x7f)) return 0x7f;
  return 0x7e;
}

static void flatten(const comp_types *ts, comp_vt v, uint8_t ptr, flat *out);

static void flatten_variant_case(const comp_types *ts, bool has, comp_vt v, uint8_t ptr, flat *acc) {
  if (!has) return;
  flat c = {{0}, 0, 0};
  flatten(ts, v, ptr, &c);
  for (uint32_t i = 0; i < c.n; i++) {
    if (i < acc->n) acc->t[i] = join(acc->t[i], c.t[i]);
    else fpush(acc, c.t[i]);
  }
  if (c.total > acc->total) acc->total = c.total;
}

static void flatten(const comp_types *ts, comp_vt v, uint8_t ptr, flat *out) {
  if (v.prim) {
    switch (v.prim) {
    case COMP_S64: case COMP_U64: fpush(out, 0x7e); return;
    case COMP_F32: fpush(out, 0x7d); return;
    case COMP_F64: fpush(out, 0x7c); return;
    case COMP_STRING: fpush(out, ptr); fpush(out, ptr); return;
    default: fpush(out, 0x7f); return;
    }
  }
  const comp_type *t = comp_ty(ts, v.id);
  switch (t->dkind) {
  case 0x72: case 0x6f:
    for (uint32_t i = 0; i < t->n; i++) flatten(ts, t->fields[i].type, ptr, out);
    return;
  case 0x70: case 0x63: fpush(out, ptr); fpush(out, ptr); return;
  case 0x67: {
    flat e = {{0}, 0, 0};
    flatten(ts, t->a, ptr, &e);
    uint64_t total = e.total * t->len;
    for (uint64_t k = 0; k < t->len && out->n < FLAT_CAP; k++)
      for (uint32_t i = 0; i < e.n; i++) fpush(out, e.t[i]);
    if (total > out->total) out->total = total > ABI_SAT ? ABI_SAT : total;
    return;
  }
  case 0x71: case 0x6b: case 0x6a: case 0x6d: {
    fpush(out, 0x7f);
    flat acc = {{0}, 0, 0};
    if (t->dkind == 0x71) {
      for (uint32_t i = 0; i < t->n; i++) flatten_variant_case(ts, t->fields[i].has_type, t->fields[i].type, ptr, &acc);
    } else if (t->dkind == 0x6b) {
      flatten_variant_case(ts, true, t->a, ptr, &acc);
    } else if (t->dkind == 0x6a) {
      flatten_variant_case(ts, t->has_a, t->a, ptr, &acc);
      flatten_variant_case(ts, t->has_b, t->b, ptr, &acc);
    }
    uint64_t before = out->total;
    for (uint32_t i = 0; i < acc.n; i++) fpush(out, acc.t[i]);
    if (before + acc.total > out->total) out->total = before + acc.total;
    return;
  }
  default: fpush(out, 0x7f); return; /* flags, own, borrow, stream, future, error-context */
  }
}

static bool contains_ptr(const comp_types *ts, comp_vt v) {
  if (v.prim) return v.prim == COMP_STRING;
  const comp_type *t = comp_ty(ts, v.id);
  switch (t->dkind) {
  case 0x70: case 0x63: return true;
  case 0x66: case 0x65: case 0x69: case 0x68: return false;
  default:
    for (uint32_t i = 0; i < t->n; i++)
      if (t->fields[i].has_type && contains_ptr(ts, t->fields[i].type)) return true;
    return (t->has_a && contains_ptr(ts, t->a)) || (t->has_b && contains_ptr(ts, t->b));
  }
}

/* ---- options ---------------------------------------------------------------------- */

typedef struct vopts {
  uint8_t encoding; /* 0 none, else 1 + binary code */
  bool has_memory, memory64;
  uint32_t memory;
  bool has_realloc, has_post_return, async, has_callback, has_core_type, gc;
  uint32_t realloc, post_return, callback;
} vopts;

static const char *enc_name(uint8_t code) {
  return code == 0 ? "utf8" : code == 1 ? "utf16" : "latin1-utf16";
}

static bool cabi_memory(vstate *s, uint32_t idx, uint32_t off, bool *is64) {
  comp_core_ext m;
  if (!v_core_memory(s, idx, off, &m)) return false;
  if (m.limits.is64 && !s->v->f.cm64) return vfail(s->v, off, "64-bit memories require the `cm64` feature to be enabled");
  if (m.limits.shared) return vfail(s->v, off, "mismatch in the shared flag for memories");
  *is64 = m.limits.is64;
  return true;
}

static bool check_options(vstate *s, const comp_canon *c, vopts *o) {
  vctx *v = s->v;
  uint32_t off = c->offset;
  memset(o, 0, sizeof *o);
  for (uint32_t i = 0; i < c->nopts; i++) {
    const comp_canonopt *op = &c->opts[i];
    switch (op->kind) {
    case 0x00: case 0x01: case 0x02:
      if (o->encoding)
        return vfail(v, off, "canonical encoding option `%s` conflicts with option `%s`", enc_name(o->encoding - 1), enc_name(op->kind));
      o->encoding = (uint8_t)(op->kind + 1);
      break;
    case 0x03:
      if (o->has_memory) return vfail(v, off, "canonical option `memory` is specified more than once");
      if (!cabi_memory(s, op->idx, off, &o->memory64)) return false;
      o->has_memory = true;
      o->memory = op->idx;
      break;
    case 0x04:
      if (o->has_realloc) return vfail(v, off, "canonical option `realloc` is specified more than once");
      o->has_realloc = true;
      o->realloc = op->idx;
      break;
    case 0x05:
      if (o->has_post_return) return vfail(v, off, "canonical option `post-return` is specified more than once");
      o->has_post_return = true;
      o->post_return = op->idx;
      break;
    case 0x06:
      if (o->async) return vfail(v, off, "canonical option `async` is specified more than once");
      if (!v->f.async) return vfail(v, off, "canonical option `async` requires the component model async feature");
      o->async = true;
      break;
    case 0x07:
      if (o->has_callback) return vfail(v, off, "canonical option `callback` is specified more than once");
      o->has_callback = true;
      o->callback = op->idx;
      break;
    case 0x08:
      if (o->has_core_type) return vfail(v, off, "canonical option `core type` is specified more than once");
      if (!v->f.cm_gc) return vfail(v, off, "canonical option `core type` requires the component model gc feature");
      o->has_core_type = true;
      break;
    case 0x09:
      if (o->gc) return vfail(v, off, "canonical option `gc` is specified more than once");
      if (!v->f.cm_gc) return vfail(v, off, "canonical option `gc` requires the `cm-gc` feature");
      o->gc = true;
      break;
    default:
      return vfail(v, off, "unknown canonical option");
    }
  }
  if (!o->async && o->has_callback) return vfail(v, off, "cannot specify callback without async");
  if (o->async && o->has_post_return) return vfail(v, off, "cannot specify post-return function in async");
  if (o->has_core_type && !o->gc) return vfail(v, off, "cannot specify `core-type` without `gc`");
  if (o->gc) return vfail(v, off, "the GC-based canonical ABI is not supported");
  if (o->has_realloc) {
    if (!o->has_memory) return vfail(v, off, "canonical option `realloc` requires `memory` to also be specified");
    comp_tid ft;
    if (!v_core_func(s, o->realloc, off, &ft)) return false;
    const comp_type *f = comp_ty(&v->ts, ft);
    uint8_t addr = o->memory64 ? 0x7e : 0x7f;
    bool ok = f->kind == CT_CORE_FUNC && f->core.nparams == 4 && f->core.nresults == 1 && f->core.results[0].code == addr;
    for (uint32_t i = 0; ok && i < 4; i++) ok = f->core.params[i].code == addr;
    if (!ok) return vfail(v, off, "canonical option `realloc` uses a core function with an incorrect signature");
  }
  return true;
}

static bool require_memory(vctx *v, const vopts *o, uint32_t off) {
  return o->has_memory ? true : vfail(v, off, "canonical option `memory` is required");
}

static bool require_realloc(vctx *v, const vopts *o, uint32_t off) {
  if (!require_memory(v, o, off)) return false;
  return o->has_realloc ? true : vfail(v, off, "canonical option `realloc` is required");
}

static bool check_lower_opts(vctx *v, const vopts *o, uint32_t off) {
  if (o->has_post_return) return vfail(v, off, "canonical option `post-return` cannot be specified for lowerings");
  if (o->async && o->has_callback) return vfail(v, off, "canonical option `callback` cannot be specified for lowerings");
  return true;
}

/* ---- lift and lower ----------------------------------------------------------------- */

static void fmt_types(char *buf, size_t n, const uint8_t *t, uint32_t len) {
  size_t o = 0;
  o += (size_t)snprintf(buf + o, n - o, "[");
  for (uint32_t i = 0; i < len && o < n; i++)
    o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", core_valtype_name(t[i]));
  if (o < n) snprintf(buf + o, n - o, "]");
}

/* The core signature of a component function type under o (flatten_functype)
 * with the options that lifting/lowering requires. */
static bool flat_sig(vstate *s, comp_tid ft, const vopts *o, bool lift, uint32_t off, uint8_t *params, uint32_t *np,
                     uint8_t *results, uint32_t *nr) {
  vctx *v = s->v;
  const comp_type *f = comp_ty(&v->ts, ft);
  uint8_t ptr = o->memory64 ? 0x7e : 0x7f;
  flat pf = {{0}, 0, 0}, rf = {{0}, 0, 0};
  bool params_ptr = false, result_ptr = false;
  for (uint32_t i = 0; i < f->n; i++) {
    flatten(&v->ts, f->fields[i].type, ptr, &pf);
    if (contains_ptr(&v->ts, f->fields[i].type)) params_ptr = true;
  }
  if (f->has_result) {
    flatten(&v->ts, f->result, ptr, &rf);
    result_ptr = contains_ptr(&v->ts, f->result);
  }
  *np = *nr = 0;
  if (lift) {
    if (params_ptr && !require_realloc(v, o, off)) return false;
    if (pf.total > 16 && !require_realloc(v, o, off)) return false;
    if (result_ptr && !require_memory(v, o, off)) return false;
    if (rf.total > (o->async ? 16u : 1u) && !require_memory(v, o, off)) return false;
    if (pf.total > 16) params[(*np)++] = ptr;
    else for (uint32_t i = 0; i < pf.n; i++) params[(*np)++] = pf.t[i];
    if (!o->async) {
      if (rf.total > 1) results[(*nr)++] = ptr;
      else for (uint32_t i = 0; i < rf.n; i++) results[(*nr)++] = rf.t[i];
    } else if (o->has_callback) {
      results[(*nr)++] = 0x7f;
    }
  } else {
    uint32_t maxp = o->async ? 4 : 16;
    if (params_ptr && !require_memory(v, o, off)) return false;
    if (pf.total > maxp && !require_memory(v, o, off)) return false;
    if (result_ptr && !require_realloc(v, o, off)) return false;
    if (rf.total > (o->async ? 0u : 1u) && !require_memory(v, o, off)) return false;
    if (pf.total > maxp) params[(*np)++] = ptr;
    else for (uint32_t i = 0; i < pf.n; i++) params[(*np)++] = pf.t[i];
    if (!o->async) {
      if (rf.total > 1) params[(*np)++] = ptr;
      else for (uint32_t i = 0; i < rf.n; i++) results[(*nr)++] = rf.t[i];
    } else {
      if (rf.total > 0) params[(*np)++] = ptr;
      results[(*nr)++] = 0x7f;
    }
  }
  return true;
}

static bool core_func_is(const comp_type *f, const uint8_t *p, uint32_t np, const uint8_t *r, uint32_t nr) {
  if (f->kind != CT_CORE_FUNC || f->core.nparams != np || f->core.nresults != nr) return false;
  for (uint32_t i = 0; i < np; i++)
    if (f->core.params[i].code != p[i]) return false;
  for (uint32_t i = 0; i < nr; i++)
    if (f->core.results[i].code != r[i]) return false;
  return true;
}

static bool canon_lift(vstate *s, const comp_canon *c) {
  vctx *v = s->v;
  uint32_t off = c->offset;
  comp_tid ft, core;
  if (!v_type(s, c->type, off, &ft)) return false;
  if (comp_ty(&v->ts, ft)->kind != CT_FUNC) return vfail(v, off, "type index %u is not a function type", c->type);
  if (!v_core_func(s, c->func, off, &core)) return false;
  vopts o;
  if (!check_options(s, c, &o)) return false;
  const comp_type *cf = comp_ty(&v->ts, core);
  if (o.has_post_return) {
    comp_tid pr;
    if (!v_core_func(s, o.post_return, off, &pr)) return false;
    const comp_type *p = comp_ty(&v->ts, pr);
    bool ok = p->kind == CT_CORE_FUNC && cf->kind == CT_CORE_FUNC && p->core.nresults == 0 && p->core.nparams == cf->core.nresults;
    for (uint32_t i = 0; ok && i < p->core.nparams; i++) ok = core_valtype_equal(&p->core.params[i], &cf->core.results[i]);
    if (!ok) return vfail(v, off, "canonical option `post-return` uses a core function with an incorrect signature");
  }
  if (o.async && !o.has_callback && !v->f.async_stackful)
    return vfail(v, off, "requires the component model async stackful feature");
  if (o.has_callback) {
    comp_tid cb;
    if (!v_core_func(s, o.callback, off, &cb)) return false;
    static const uint8_t p3[3] = {0x7f, 0x7f, 0x7f}, r1[1] = {0x7f};
    const comp_type *f = comp_ty(&v->ts, cb);
    if (!core_func_is(f, p3, 3, r1, 1) && !core_func_is(f, p3, 1, r1, 1))
      return vfail(v, off, "canonical option `callback` uses a core function with an incorrect signature");
  }
  if (o.async && !comp_ty(&v->ts, ft)->async) return vfail(v, off, "the `async` canonical option requires an async function type");
  uint8_t p[FLAT_CAP + 2], r[FLAT_CAP + 2];
  uint32_t np, nr;
  if (!flat_sig(s, ft, &o, true, off, p, &np, r, &nr)) return false;
  if (!core_func_is(cf, p, np, r, nr)) {
    char want[200], got[200];
    if (cf->kind != CT_CORE_FUNC) return vfail(v, off, "core function %u is not a plain function type", c->func);
    uint8_t gp[64], gr[64];
    uint32_t gnp = cf->core.nparams < 64 ? cf->core.nparams : 64, gnr = cf->core.nresults < 64 ? cf->core.nresults : 64;
    for (uint32_t i = 0; i < gnp; i++) gp[i] = cf->core.params[i].code == COMP_CORE_REF ? (uint8_t)cf->core.params[i].heap : cf->core.params[i].code;
    for (uint32_t i = 0; i < gnr; i++) gr[i] = cf->core.results[i].code == COMP_CORE_REF ? (uint8_t)cf->core.results[i].heap : cf->core.results[i].code;
    if (!core_func_is(cf, p, np, cf->core.nresults ? gr : r, cf->core.nresults)) {
      fmt_types(want, sizeof want, p, np);
      fmt_types(got, sizeof got, gp, gnp);
      return vfail(v, off, "lowered parameter types `%s` do not match parameter types `%s` of core function %u", want, got, c->func);
    }
    fmt_types(want, sizeof want, r, nr);
    fmt_types(got, sizeof got, gr, gnr);
    return vfail(v, off, "lowered result types `%s` do not match result types `%s` of core function %u", want, got, c->func);
  }
  return kb_vec_push(v->a, &s->funcs, ft) ? true : voom(v);
}

static bool push_core(vstate *s, uint32_t np, const uint8_t *p, uint32_t nr, const uint8_t *r) {
  comp_tid id = comp_types_core_func(&s->v->ts, np, p, nr, r);
  if (!id || !kb_vec_push(s->v->a, &s->core_funcs, id)) return voom(s->v);
  return true;
}

static bool canon_lower(vstate *s, const comp_canon *c) {
  vctx *v = s->v;
  uint32_t off = c->offset;
  comp_tid ft;
  if (!v_func(s, c->func, off, &ft)) return false;
  vopts o;
  if (!check_options(s, c, &o) || !check_lower_opts(v, &o, off)) return false;
  if (o.async && !comp_ty(&v->ts, ft)->async) return vfail(v, off, "the `async` canonical option requires an async function type");
  uint8_t p[FLAT_CAP + 2], r[FLAT_CAP + 2];
  uint32_t np, nr;
  if (!flat_sig(s, ft, &o, false, off, p, &np, r, &nr)) return false;
  return push_core(s, np, p, nr, r);
}

/* ---- built-ins ------------------------------------------------------------------------ */

static const uint8_t I32 = 0x7f, I64 = 0x7e;

static bool feature(vctx *v, bool on, uint32_t off, const char *what, const char *feat) {
  return on ? true : vfail(v, off, "`%s` requires the component model %s feature", what, feat);
}

/* types[idx] must be (stream T?) (want 0x66) or (future T?) (0x65). */
static bool stream_or_future(vstate *s, uint32_t idx, uint8_t want, const char *what, uint32_t off, comp_tid *out) {
  comp_tid t = 0;
  if (!v_type(s, idx, off, &t)) return false;
  const comp_type *ty = comp_ty(&s->v->ts, t);
  if (ty->kind != CT_DEFINED) return vfail(s->v, off, "type index %u is not a defined type", idx);
  if (ty->dkind != want) return vfail(s->v, off, "`%s` requires a %s type", what, want == 0x66 ? "stream" : "future");
  *out = t;
  return true;
}

static bool context_type(vstate *s, const comp_canon *c, const char *what) {
  vctx *v = s->v;
  uint32_t off = c->offset;
  if (!feature(v, v->f.async, off, what, "async")) return false;
  uint8_t t = c->valtype.code;
  if (t == I64) {
    if (!v->f.cm64) return vfail(v, off, "64-bit `%s` requires the component model 64-bit feature", what);
  } else if (t != I32) {
    return vfail(v, off, "`%s` only supports `i32` or `i64`", what);
  }
  if (s->context_type && s->context_type != t) return vfail(v, off, "`%s` type must match previous context type", what);
  s->context_type = t;
  if (c->idx > 0) {
    if (!v->f.threading) return vfail(v, off, "`%s` immediate must be zero: %u", what, c->idx);
    if (c->idx > 1) return vfail(v, off, "`%s` immediate must be zero or one: %u", what, c->idx);
  }
  return true;
}

static const char *stream_op_name(uint8_t op) {
  switch (op) {
  case 0x0e: return "stream.new"; case 0x0f: return "stream.read"; case 0x10: return "stream.write";
  case 0x11: return "stream.cancel-read"; case 0x12: return "stream.cancel-write";
  case 0x13: return "stream.drop-readable"; case 0x14: return "stream.drop-writable";
  case 0x15: return "future.new"; case 0x16: return "future.read"; case 0x17: return "future.write";
  case 0x18: return "future.cancel-read"; case 0x19: return "future.cancel-write";
  case 0x1a: return "future.drop-readable"; case 0x1b: return "future.drop-writable";
  }
  return "?";
}

static bool stream_builtin(vstate *s, const comp_canon *c) {
  vctx *v = s->v;
  uint32_t off = c->offset;
  const char *name = stream_op_name(c->op);
  bool is_stream = c->op <= 0x14;
  if (!feature(v, v->f.async, off, name, "async")) return false;
  comp_tid t = 0;
  if (!stream_or_future(s, c->type, is_stream ? 0x66 : 0x65, name, off, &t)) return false;
  const comp_type *ty = comp_ty(&v->ts, t);
  switch (c->op) {
  case 0x0e: case 0x15: return push_core(s, 0, NULL, 1, &I64);
  case 0x0f: case 0x10: case 0x16: case 0x17: {
    bool read = c->op == 0x0f || c->op == 0x16;
    vopts o;
    if (!check_options(s, c, &o)) return false;
    if (!o.async && !v->f.async_builtins)
      return vfail(v, off, "synchronous `%s` requires the component model more async builtins feature", name);
    if (ty->has_a && !require_memory(v, &o, off)) return false;
    if (read && ty->has_a && contains_ptr(&v->ts, ty->a) && !require_realloc(v, &o, off)) return false;
    if (!check_lower_opts(v, &o, off)) return false;
    static const uint8_t p3[3] = {0x7f, 0x7f, 0x7f};
    return push_core(s, is_stream ? 3 : 2, p3, 1, &I32);
  }
  case 0x11: case 0x12: case 0x18: case 0x19:
    if (c->flag && !v->f.async_builtins)
      return vfail(v, off, "async `%s` requires the component model more async builtins feature", name);
    return push_core(s, 1, &I32, 1, &I32);
  default:
    return push_core(s, 1, &I32, 0, NULL);
  }
}

static bool waitable_set_wait(vstate *s, const comp_canon *c, const char *name) {
  vctx *v = s->v;
  if (!feature(v, v->f.async, c->offset, name, "async")) return false;
  bool is64 = false;
  if (!cabi_memory(s, c->idx, c->offset, &is64)) return false;
  uint8_t p[2] = {I32, is64 ? I64 : I32};
  return push_core(s, 2, p, 1, &I32);
}

bool v_canon(vstate *s, const comp_canon *c) {
  vctx *v = s->v;
  uint32_t off = c->offset;
  static const uint8_t i32x2[2] = {0x7f, 0x7f};
  switch (c->op) {
  case 0x00: return canon_lift(s, c);
  case 0x01: return canon_lower(s, c);
  case 0x02:
  case 0x04: {
    comp_tid t = 0;
    if (!v_type(s, c->type, off, &t)) return false;
    const comp_type *ty = comp_ty(&v->ts, t);
    if (ty->kind != CT_RESOURCE) return vfail(v, off, "type index %u is not a resource type", c->type);
    uint8_t rep = 0;
    for (size_t i = 0; i < s->defined_res.len; i++)
      if (s->defined_res.items[i].rid == ty->rid) rep = s->defined_res.items[i].rep;
    if (!rep) return vfail(v, off, "type %u is not a local resource", c->type);
    return c->op == 0x02 ? push_core(s, 1, &rep, 1, &I32) : push_core(s, 1, &I32, 1, &rep);
  }
  case 0x03: {
    comp_tid t = 0;
    if (!v_type(s, c->type, off, &t)) return false;
    if (comp_ty(&v->ts, t)->kind != CT_RESOURCE) return vfail(v, off, "type index %u is not a resource type", c->type);
    return push_core(s, 1, &I32, 0, NULL);
  }
  case 0x24: case 0x25:
    return feature(v, v->f.async, off, c->op == 0x24 ? "backpressure.inc" : "backpressure.dec", "async") &&
           push_core(s, 0, NULL, 0, NULL);
  case 0x09: {
    if (!feature(v, v->f.async, off, "task.return", "async")) return false;
    vopts o;
    if (!check_options(s, c, &o)) return false;
    if (o.has_realloc) return vfail(v, off, "cannot specify `realloc` option on `task.return`");
    if (o.has_post_return) return vfail(v, off, "cannot specify `post-return` option on `task.return`");
    if (!check_lower_opts(v, &o, off)) return false;
    if (o.async) return vfail(v, off, "cannot specify `async` option on `task.return`");
    /* The core signature of lowering (func (param "v" T)?). */
    uint8_t ptr = o.memory64 ? I64 : I32;
    flat pf = {{0}, 0, 0};
    if (c->has_result) {
      comp_vt vt;
      if (!v_valtype(s, c->result, off, &vt)) return false;
      flatten(&v->ts, vt, ptr, &pf);
      if (contains_ptr(&v->ts, vt) && !require_memory(v, &o, off)) return false;
    }
    if (pf.total > 16) {
      if (!require_memory(v, &o, off)) return false;
      return push_core(s, 1, &ptr, 0, NULL);
    }
    return push_core(s, pf.n, pf.t, 0, NULL);
  }
  case 0x05:
    return feature(v, v->f.async, off, "task.cancel", "async") && push_core(s, 0, NULL, 0, NULL);
  case 0x0a:
    return context_type(s, c, "context.get") && push_core(s, 0, NULL, 1, &c->valtype.code);
  case 0x0b:
    return context_type(s, c, "context.set") && push_core(s, 1, &c->valtype.code, 0, NULL);
  case 0x06:
    if (!feature(v, v->f.async, off, "subtask.cancel", "async")) return false;
    if (c->flag && !v->f.async_builtins)
      return vfail(v, off, "async `subtask.cancel` requires the component model more async builtins feature");
    return push_core(s, 1, &I32, 1, &I32);
  case 0x0d:
    return feature(v, v->f.async, off, "subtask.drop", "async") && push_core(s, 1, &I32, 0, NULL);
  case 0x0e: case 0x0f: case 0x10: case 0x11: case 0x12: case 0x13: case 0x14:
  case 0x15: case 0x16: case 0x17: case 0x18: case 0x19: case 0x1a: case 0x1b:
    return stream_builtin(s, c);
  case 0x1c:
  case 0x1d: {
    const char *name = c->op == 0x1c ? "error-context.new" : "error-context.debug-message";
    if (!v->f.error_context) return vfail(v, off, "`%s` requires the component model error-context feature", name);
    vopts o;
    if (!check_options(s, c, &o) || !require_memory(v, &o, off)) return false;
    if (c->op == 0x1d && !require_realloc(v, &o, off)) return false;
    if (o.async) return vfail(v, off, "cannot specify `async` option on `%s`", name);
    if (!check_lower_opts(v, &o, off)) return false;
    return c->op == 0x1c ? push_core(s, 2, i32x2, 1, &I32) : push_core(s, 2, i32x2, 0, NULL);
  }
  case 0x1e:
    if (!v->f.error_context) return vfail(v, off, "`error-context.drop` requires the component model error-context feature");
    return push_core(s, 1, &I32, 0, NULL);
  case 0x1f:
    return feature(v, v->f.async, off, "waitable-set.new", "async") && push_core(s, 0, NULL, 1, &I32);
  case 0x20: return waitable_set_wait(s, c, "waitable-set.wait");
  case 0x21: return waitable_set_wait(s, c, "waitable-set.poll");
  case 0x22:
    return feature(v, v->f.async, off, "waitable-set.drop", "async") && push_core(s, 1, &I32, 0, NULL);
  case 0x23:
    return feature(v, v->f.async, off, "waitable.join", "async") && push_core(s, 2, i32x2, 0, NULL);
  case 0x26:
    return feature(v, v->f.threading, off, "thread.index", "threading") && push_core(s, 0, NULL, 1, &I32);
  case 0x27: {
    if (!feature(v, v->f.threading, off, "thread.new-indirect", "threading")) return false;
    comp_tid t = 0;
    if (!v_core_type(s, c->type, off, &t)) return false;
    const comp_type *ft = comp_ty(&v->ts, t);
    if (ft->kind == CT_CORE_MODULE) return vfail(v, off, "expected a core function type");
    if (ft->kind != CT_CORE_FUNC) return vfail(v, off, "start type must be a function");
    if (ft->core.nparams != 1 || ft->core.params[0].code != I32)
      return vfail(v, off, "start function must take a single `i32` argument (currently)");
    if (ft->core.nresults) return vfail(v, off, "start function must not return any values");
    comp_core_ext tab;
    if (!v_core_table(s, c->table, off, &tab)) return false;
    if (tab.limits.is64 || tab.limits.shared || tab.valtype.code != COMP_CORE_REF || tab.valtype.concrete ||
        tab.valtype.heap != 0x70 || !tab.valtype.nullable)
      return vfail(v, off, "table is not a 32-bit table of (ref null (func))");
    return push_core(s, 2, i32x2, 1, &I32);
  }
  case 0x28:
    return feature(v, v->f.threading, off, "thread.resume-later", "threading") && push_core(s, 1, &I32, 0, NULL);
  case 0x29:
    return feature(v, v->f.threading, off, "thread.suspend", "threading") && push_core(s, 0, NULL, 1, &I32);
  case 0x0c:
    return feature(v, v->f.async, off, "thread.yield", "async") && push_core(s, 0, NULL, 1, &I32);
  case 0x2a: case 0x2b: case 0x2c: case 0x2d: {
    static const char *const names[] = {"thread.suspend-then-resume", "thread.yield-then-resume",
                                        "thread.suspend-then-promote", "thread.yield-then-promote"};
    return feature(v, v->f.threading, off, names[c->op - 0x2a], "threading") && push_core(s, 1, &I32, 1, &I32);
  }
  case 0x40: case 0x41: case 0x42:
    if (!v->f.shared_threads) return vfail(v, off, "`thread.spawn*` requires the shared-everything-threads proposal");
    return vfail(v, off, "shared-everything-threads built-ins are not supported");
  default:
    return vfail(v, off, "unknown canonical function");
  }
}
