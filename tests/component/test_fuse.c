/* Fused calls (abi_fuse.h) against the cval path: for generated function
 * types and values, a call from instance A (canon lower) to instance B
 * (canon lift) through abi_fuse_call must do what abi_canon_lower_call
 * around abi_canon_lift_call does: B receives the same values (byte for
 * byte, flat values and memory, when A's strings are UTF-8 so both paths
 * call B's realloc alike), A gets the same result (byte for byte when B's
 * strings are UTF-8), post-return runs once with the same values, and on
 * corrupted inputs, failing or misbehaving reallocs and garbage results
 * both paths fail with the same error. Two separate memories, every pair of
 * string encodings, 32- and 64-bit memories, spilled and flat parameters
 * and results. Then resource handles (own transfer, borrow lending, the
 * borrow scope), allocation failure, and shape mismatches; stream and
 * future handles through the abi_fuse_ends hooks (their order, a refusal
 * without them), and a component passing a stream<u8> and a
 * future<string> to another through a lowered call (wat/fuse_streams.wat),
 * the ends used on both sides after. */
#include "component/abi_fuse.h"
#include "component/abi_handles.h"
#include "component/inst.h"
#include "text/text.h"

#define TEST_MAX_REPORTS 19
#include "../test.h"

#include "abi_gen.h"

/* ---- guest memories ------------------------------------------------------------------ */

/* A memory with a bump realloc that can be told to fail or misbehave at
 * its fail_at-th call. */
typedef struct gmem {
  mem m;
  int calls, fail_at;
  int bad; /* at fail_at: 0 an error, 1 a misaligned pointer, 2 an out-of-bounds pointer */
  bool handles; /* handle hooks over hh */
  abi_handle_hooks hh;
} gmem;

static kumi_error *glift(void *ud, const comp_type *t, uint32_t index, uint32_t *out) {
  return abi_hook_lift_handle(&((gmem *)ud)->hh, t, index, out);
}
static kumi_error *glower(void *ud, const comp_type *t, uint32_t value, uint32_t *out) {
  return abi_hook_lower_handle(&((gmem *)ud)->hh, t, value, out);
}

static kumi_error *grealloc(void *ud, uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size,
                            uint64_t *ret) {
  gmem *g = ud;
  if (g->calls++ == g->fail_at) {
    if (g->bad == 0) return kb_error(kb_default_allocator(), KUMI_ERR_TRAP, KUMI_NO_OFFSET, "guest realloc failed");
    *ret = g->bad == 1 ? 16 * 1024 + 1 : g->m.size - 2;
    return NULL;
  }
  return bump(&g->m, old_ptr, old_size, align, new_size, ret);
}

enum { MEM_SIZE = 1 << 16 };

static void gmem_init(gmem *g) {
  memset(g, 0, sizeof *g);
  g->m.data = calloc(1, MEM_SIZE);
  g->m.size = MEM_SIZE;
  g->m.next = 16;
  g->fail_at = -1;
}

static abi_cx gcx(gmem *g, const comp_types *ts, const kumi_allocator *a, bool mem64, uint8_t enc) {
  abi_cx cx = make_cx(&g->m, ts, a, mem64, enc);
  cx.hooks.realloc = grealloc;
  if (g->handles) {
    cx.hooks.lift_handle = glift;
    cx.hooks.lower_handle = glower;
  }
  cx.hooks.ud = g;
  return cx;
}

/* ---- one side of a call: what the guest in B saw and did ------------------------------------ */

typedef struct guest {
  abi_cx *cx; /* B's context of the path being run */
  const comp_type *ft;
  const kumi_cval *result; /* what B returns (NULL: nothing) */
  uint64_t corrupt;        /* non-zero: corrupt the result with this seed */
  int drop_borrows;        /* handle tests: drop the borrows lent to B first */
  abi_table *btable;
  /* recorded */
  kumi_val args[ABI_MAX_FLAT_PARAMS + 1];
  size_t nargs;
  uint8_t *bmem; /* B's memory when called */
  kumi_cval got[16];
  bool lifted;
  int post_returns;
  kumi_val post_args[2];
  size_t npost;
  /* the cval path's callee context */
  abi_cx *bcx;
  abi_table *bt;
  abi_scope *scope;
} guest;

static uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  return x;
}

static kumi_error *guest_call(void *ud, const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults) {
  guest *g = ud;
  g->nargs = nargs <= ABI_MAX_FLAT_PARAMS + 1 ? nargs : 0;
  if (g->nargs) memcpy(g->args, args, g->nargs * sizeof *args);
  memcpy(g->bmem, g->cx->mem, MEM_SIZE);
  if (!g->btable) {
    comp_vt pt[16];
    for (uint32_t i = 0; i < g->ft->n && i < 16; i++) pt[i] = g->ft->fields[i].type;
    abi_iter it = {args, nargs, 0};
    kumi_error *e = abi_lift_flat_values(g->cx, ABI_MAX_FLAT_PARAMS, pt, g->ft->n, &it, g->got);
    g->lifted = !e;
    if (e) kumi_error_free(e);
  } else if (g->drop_borrows) {
    for (uint32_t i = 1; i < g->btable->slots.len; i++) {
      abi_handle *h = abi_table_get(g->btable, i);
      if (h && !h->own) {
        bool dtor;
        uint32_t rep;
        kumi_error *e = abi_resource_drop(g->btable, h->rid, i, &dtor, &rep);
        if (e) return e;
      }
    }
  }
  if (!g->result) return nresults == 0 ? NULL : kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "result count");
  size_t before = (size_t)((gmem *)g->cx->hooks.ud)->m.next;
  abi_vals out = {0};
  kumi_error *e = abi_lower_flat_values(g->cx, ABI_MAX_FLAT_RESULTS, &g->ft->result, g->result, 1, NULL, &out);
  if (!e && out.len != nresults) e = kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "result count %zu", out.len);
  if (!e) {
    if (nresults) memcpy(results, out.items, nresults * sizeof *results);
    if (g->corrupt) {
      uint64_t r = mix(g->corrupt);
      size_t after = (size_t)((gmem *)g->cx->hooks.ud)->m.next;
      if (r % 3 == 0 && nresults) {
        kumi_val *v = &results[0];
        uint64_t x = (r >> 8) % 4 ? (r >> 16) % 300 : mix(r);
        if (v->kind == KUMI_I32) v->of.i32 = (int32_t)x;
        else if (v->kind == KUMI_I64) v->of.i64 = (int64_t)x;
        else if (v->kind == KUMI_F32) v->of.f32_bits = (uint32_t)x;
        else v->of.f64_bits = x;
      } else if (after > before) {
        g->cx->mem[before + (r >> 8) % (after - before)] = (uint8_t)(r >> 40);
      }
    }
  }
  kb_vec_free(g->cx->alloc, &out);
  return e;
}

static kumi_error *guest_post_return(void *ud, const kumi_val *args, size_t nargs, kumi_val *r, size_t nr) {
  (void)r;
  (void)nr;
  guest *g = ud;
  g->post_returns++;
  g->npost = nargs <= 2 ? nargs : 0;
  if (g->npost) memcpy(g->post_args, args, g->npost * sizeof *args);
  return NULL;
}

/* The cval path's host function: canon lift into B (as inst.c call_func). */
static kumi_error *host_lift(void *ud, const kumi_cval *args, size_t nargs, kumi_cval *result) {
  (void)nargs;
  guest *g = ud;
  kumi_cval scratch = kumi_cval_bool(false);
  kumi_error *e = abi_canon_lift_call(g->bcx, g->ft, args, result ? result : &scratch, guest_call, guest_post_return, g);
  if (!e && g->bt) {
    e = abi_scope_end(g->bt, g->scope);
    if (e && result) kumi_cval_free(NULL, result);
  }
  kumi_cval_free(NULL, &scratch);
  return e;
}

static kumi_error *fz_returned(void *ud) {
  guest *g = ud;
  return g->bt ? abi_scope_end(g->bt, g->scope) : NULL;
}

/* ---- running both paths ------------------------------------------------------------------- */

typedef struct outcome {
  abi_table ta, tb; /* handle tests: the tables after */
  uint32_t borrows; /* B's scope */
  kumi_error *err;
  kumi_val results[2];
  size_t nresults;
  uint8_t *amem; /* A's memory after */
  guest g;
} outcome;

static void outcome_free(outcome *o, size_t nparams) {
  if (o->err) kumi_error_free(o->err);
  if (o->ta.alloc) abi_table_free(&o->ta);
  if (o->tb.alloc) abi_table_free(&o->tb);
  free(o->amem);
  free(o->g.bmem);
  if (o->g.lifted)
    for (size_t i = 0; i < nparams; i++) kumi_cval_free(NULL, &o->g.got[i]);
}

static bool vals_equal(const kumi_val *a, const kumi_val *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (a[i].kind != b[i].kind) return false;
    if (a[i].kind == KUMI_I32 ? a[i].of.i32 != b[i].of.i32
        : a[i].kind == KUMI_I64 ? a[i].of.i64 != b[i].of.i64
        : a[i].kind == KUMI_F32 ? a[i].of.f32_bits != b[i].of.f32_bits
                                : a[i].of.f64_bits != b[i].of.f64_bits)
      return false;
  }
  return true;
}

typedef struct callcase {
  const comp_types *tsa, *tsb;
  const comp_type *fta, *ftb;
  bool mem64a, mem64b;
  uint8_t enca, encb;
  const kumi_cval *params;
  const kumi_cval *result;
  /* A's memory and core arguments after lowering the parameters */
  const uint8_t *amem;
  uint64_t anext;
  const kumi_val *aargs;
  size_t naargs, nres;
  /* failure injection */
  int afail, afail_bad, bfail, bfail_bad;
  uint64_t corrupt;
  /* handle tests: A's and B's tables before the call (NULL: no handles) */
  const abi_table *ta, *tb;
  bool drop_borrows;
  const kumi_allocator *alloc; /* NULL: the default */
} callcase;

static bool table_clone(const abi_table *t, const kumi_allocator *a, abi_table *out) {
  if (!abi_table_init(out, a)) return false;
  out->slots.len = 0;
  for (size_t i = 0; i < t->slots.len; i++)
    if (!kb_vec_push(a, &out->slots, t->slots.items[i])) return false;
  for (size_t i = 0; i < t->free.len; i++)
    if (!kb_vec_push(a, &out->free, t->free.items[i])) return false;
  return true;
}

static bool table_equal(const abi_table *x, const abi_table *y) {
  if (x->slots.len != y->slots.len || x->free.len != y->free.len) return false;
  for (size_t i = 1; i < x->slots.len; i++) {
    const abi_handle *a = &x->slots.items[i], *b = &y->slots.items[i];
    if (a->live != b->live) return false;
    if (a->live && (a->rid != b->rid || a->rep != b->rep || a->own != b->own || a->num_lends != b->num_lends ||
                    (a->scope == NULL) != (b->scope == NULL)))
      return false;
  }
  for (size_t i = 0; i < x->free.len; i++)
    if (x->free.items[i] != y->free.items[i]) return false;
  return true;
}

static void run_path(const callcase *c, bool fused, outcome *o) {
  memset(o, 0, sizeof *o);
  gmem am, bm;
  gmem_init(&am);
  gmem_init(&bm);
  memcpy(am.m.data, c->amem, MEM_SIZE);
  am.m.next = c->anext;
  am.fail_at = c->afail;
  am.bad = c->afail_bad;
  bm.fail_at = c->bfail;
  bm.bad = c->bfail_bad;
  const kumi_allocator *al = c->alloc ? c->alloc : kb_default_allocator();
  abi_lends lends = {0};
  abi_scope scope = {0};
  if (c->ta) {
    if (!table_clone(c->ta, al, &o->ta) || !table_clone(c->tb, al, &o->tb)) {
      o->err = kb_error_oom();
      free(am.m.data);
      free(bm.m.data);
      return;
    }
    am.handles = bm.handles = true;
    am.hh = (abi_handle_hooks){c->tsa, &o->ta, NULL, &lends, NULL, NULL};
    bm.hh = (abi_handle_hooks){c->tsb, &o->tb, &scope, NULL, NULL, NULL};
  }
  abi_cx acx = gcx(&am, c->tsa, al, c->mem64a, c->enca);
  abi_cx bcx = gcx(&bm, c->tsb, al, c->mem64b, c->encb);
  guest *g = &o->g;
  if (c->ta) {
    g->btable = &o->tb;
    g->bt = &o->tb;
    g->scope = &scope;
    g->drop_borrows = c->drop_borrows;
  }
  g->cx = &bcx;
  g->bcx = &bcx;
  g->ft = c->ftb;
  g->result = c->ftb->has_result ? c->result : NULL;
  g->corrupt = c->corrupt;
  g->bmem = calloc(1, MEM_SIZE);
  if (fused) {
    abi_fuse_callee fns = {NULL, guest_call, fz_returned, guest_post_return, NULL, g};
    o->err = abi_fuse_call(&acx, &bcx, c->fta, c->ftb, c->aargs, c->naargs, o->results, c->nres, &fns);
    o->nresults = c->nres;
  } else {
    abi_vals res = {0};
    o->err = abi_canon_lower_call(&acx, c->fta, c->aargs, c->naargs, &res, host_lift, g);
    o->nresults = res.len <= 2 ? res.len : 0;
    if (o->nresults) memcpy(o->results, res.items, o->nresults * sizeof *res.items);
    kb_vec_free(al, &res);
  }
  if (c->ta) abi_release_lends(&o->ta, &lends);
  o->borrows = scope.num_borrows;
  o->amem = am.m.data;
  free(bm.m.data);
}

/* A's result, lifted from what the call left in A. */
static kumi_error *a_result(const callcase *c, const outcome *o, kumi_cval *out) {
  gmem am;
  gmem_init(&am);
  memcpy(am.m.data, o->amem, MEM_SIZE);
  abi_cx acx = gcx(&am, c->tsa, kb_default_allocator(), c->mem64a, c->enca);
  kumi_error *e;
  if (c->nres) {
    abi_iter it = {o->results, o->nresults, 0};
    e = abi_lift_flat_values(&acx, ABI_MAX_FLAT_RESULTS, &c->fta->result, 1, &it, out);
  } else {
    const kumi_val *rp = &c->aargs[c->naargs - 1];
    e = abi_load(&acx, c->fta->result, rp->kind == KUMI_I64 ? (uint64_t)rp->of.i64 : (uint32_t)rp->of.i32, out);
  }
  free(am.m.data);
  return e;
}

static int n_calls, n_traps;

/* Runs both paths and compares. exact_b / exact_a: the realloc sequences
 * are the same, so bytes and pointers must be. clean: the inputs are the
 * generated values, which must arrive. */
static void compare(const callcase *c, const char *what, bool clean) {
  bool exact_b = c->enca == ABI_UTF8, exact_a = exact_b && c->encb == ABI_UTF8;
  outcome r, f;
  run_path(c, false, &r);
  run_path(c, true, &f);
  n_calls++;
  if (r.err || f.err) {
    n_traps++;
    const char *rm = r.err ? kumi_error_message(r.err) : "(ok)", *fm = f.err ? kumi_error_message(f.err) : "(ok)";
    /* A's realloc can only differ from the cval path in the order against
     * post-return, which never fails here. */
    /* with a non-UTF-8 source the fused path asks realloc for the spec's
     * sizes (a worst case first), the cval path for those of a UTF-8
     * copy: a memory that holds one may not hold the other */
    bool sizes = !exact_a && (strstr(rm, "out of memory") || strstr(fm, "out of memory"));
    CHECKF(sizes || (r.err && f.err && kumi_error_kind_of(r.err) == kumi_error_kind_of(f.err) && strcmp(rm, fm) == 0),
           "%s: cval path: %s; fused: %s", what, rm, fm);
    CHECKF(!clean || c->afail >= 0 || c->bfail >= 0, "%s: clean call failed: %s", what, rm);
    goto done;
  }
  /* B got the same */
  CHECKF(c->ta || (r.g.lifted && f.g.lifted), "%s: B could not lift its arguments", what);
  if (c->ta) CHECKF(r.borrows == f.borrows, "%s: B's borrow scopes differ", what);
  if (r.g.lifted && f.g.lifted) {
    bool same = true;
    for (uint32_t i = 0; i < c->ftb->n; i++) same = same && kumi_cval_equal(&r.g.got[i], &f.g.got[i]);
    CHECKF(same, "%s: B's arguments differ", what);
    if (clean) {
      bool want = true;
      for (uint32_t i = 0; i < c->ftb->n; i++) want = want && kumi_cval_equal(&c->params[i], &f.g.got[i]);
      CHECKF(want, "%s: B's arguments are not the values passed", what);
    }
  }
  if (exact_b) {
    CHECKF(r.g.nargs == f.g.nargs && vals_equal(r.g.args, f.g.args, r.g.nargs), "%s: B's flat arguments differ",
           what);
    CHECKF(memcmp(r.g.bmem, f.g.bmem, MEM_SIZE) == 0, "%s: B's memory differs", what);
    CHECKF(r.g.npost == f.g.npost && vals_equal(r.g.post_args, f.g.post_args, r.g.npost),
           "%s: post-return arguments differ", what);
  }
  CHECKF(r.g.post_returns == 1 && f.g.post_returns == 1, "%s: post-return ran %d and %d times", what,
         r.g.post_returns, f.g.post_returns);
  /* A got the same */
  CHECKF(r.nresults == f.nresults, "%s: result counts differ", what);
  if (exact_a) {
    CHECKF(vals_equal(r.results, f.results, r.nresults), "%s: A's flat results differ", what);
    CHECKF(memcmp(r.amem, f.amem, MEM_SIZE) == 0, "%s: A's memory differs", what);
  }
  if (c->fta->has_result) {
    kumi_cval rv, fv;
    kumi_error *e1 = a_result(c, &r, &rv), *e2 = a_result(c, &f, &fv);
    /* a corrupted return pointer may make the call overwrite its own
     * result, which is only the same when A's reallocs are the same */
    CHECKF((!e1 && !e2) || (!clean && !exact_a), "%s: A's result does not lift: %s / %s (clean %d)", what,
           e1 ? kumi_error_message(e1) : "", e2 ? kumi_error_message(e2) : "", clean);
    if (!e1 && !e2) {
      CHECKF(kumi_cval_equal(&rv, &fv), "%s: A's results differ", what);
      if (clean && !c->corrupt && !c->ta) CHECKF(kumi_cval_equal(&fv, c->result), "%s: A's result is not B's", what);
    }
    if (!e1) kumi_cval_free(NULL, &rv);
    else kumi_error_free(e1);
    if (!e2) kumi_cval_free(NULL, &fv);
    else kumi_error_free(e2);
  }
done:
  if (c->ta) {
    CHECKF(table_equal(&r.ta, &f.ta), "%s: A's handle tables differ", what);
    CHECKF(table_equal(&r.tb, &f.tb), "%s: B's handle tables differ", what);
  }
  outcome_free(&r, c->ftb->n);
  outcome_free(&f, c->ftb->n);
}

/* ---- generated function types ------------------------------------------------------------------ */

typedef struct env {
  comp_types ts, ts2;
  abi_typestr_cx p, p2;
} env;

static void gen_func(sbuf *b, uint32_t np, bool result) {
  char tmp[32];
  sput(b, "func(");
  for (uint32_t i = 0; i < np; i++) {
    snprintf(tmp, sizeof tmp, "%sp%u: ", i ? ", " : "", i);
    sput(b, tmp);
    gen_type(b, 3);
  }
  sput(b, ")");
  if (result) {
    sput(b, " -> ");
    gen_type(b, 3);
  }
}

/* Lowers the parameters into A: the core arguments, with the return
 * pointer when the result spills. */
static bool setup_a(callcase *c, gmem *am, abi_table *ta, abi_vals *aargs) {
  if (ta) {
    /* own handles go into A's table as owns, borrows as borrows A holds */
    am->handles = true;
    am->hh = (abi_handle_hooks){c->tsa, ta, NULL, NULL, NULL, NULL};
  }
  abi_cx acx = gcx(am, c->tsa, kb_default_allocator(), c->mem64a, c->enca);
  comp_vt pt[16];
  for (uint32_t i = 0; i < c->fta->n; i++) pt[i] = c->fta->fields[i].type;
  kumi_error *e = abi_lower_flat_values(&acx, ABI_MAX_FLAT_PARAMS, pt, c->params, c->fta->n, NULL, aargs);
  CHECKF(!e, "lowering into A: %s", e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    return false;
  }
  c->nres = 0;
  if (c->fta->has_result) {
    uint64_t rc = abi_flat_count(c->tsa, c->fta->result);
    if (rc > ABI_MAX_FLAT_RESULTS) {
      uint64_t rp = 0;
      uint32_t al = abi_align(c->tsa, c->fta->result, c->mem64a);
      bump(&am->m, 0, 0, al, abi_size(c->tsa, c->fta->result, c->mem64a), &rp);
      kb_vec_push(kb_default_allocator(), aargs, c->mem64a ? kumi_val_i64((int64_t)rp) : kumi_val_i32((int32_t)rp));
    } else {
      c->nres = (size_t)rc;
    }
  }
  c->amem = am->m.data;
  c->anext = am->m.next;
  c->aargs = aargs->items;
  c->naargs = aargs->len;
  return true;
}

static void one_func(env *E, int k) {
  sbuf b = {0};
  sput(&b, "");
  /* mostly a few parameters; sometimes enough to spill */
  uint32_t np = below(4) ? below(4) : 5 + below(4);
  gen_func(&b, np, below(4) != 0);
  comp_tid fa, fb;
  char err[200];
  bool ok = abi_typestr_parse_func(&E->p, b.items, b.len, &fa, err, sizeof err);
  CHECKF(ok, "generated %s: %s", b.items, err);
  /* the callee's type: the same store, or the same text in another */
  bool other = k & 1;
  if (ok) ok = abi_typestr_parse_func(other ? &E->p2 : &E->p, b.items, b.len, &fb, err, sizeof err);
  if (!ok) {
    kb_vec_free(kb_default_allocator(), &b);
    return;
  }
  const comp_types *tsb = other ? &E->ts2 : &E->ts;
  const comp_type *fta = comp_ty(&E->ts, fa), *ftb = comp_ty(tsb, fb);
  CHECKF(abi_fuse_compatible(&E->ts, fta, tsb, ftb), "%s: not compatible with itself", b.items);
  kumi_cval params[8], result = kumi_cval_bool(false);
  for (uint32_t i = 0; i < fta->n; i++) gen_value(&E->ts, fta->fields[i].type, &params[i], 3);
  if (fta->has_result) gen_value(&E->ts, fta->result, &result, 3);
  for (int mode = 0; mode < 9; mode++) {
    callcase c;
    memset(&c, 0, sizeof c);
    c.tsa = &E->ts;
    c.tsb = tsb;
    c.fta = fta;
    c.ftb = ftb;
    c.enca = (uint8_t)(mode / 3);
    c.encb = (uint8_t)(mode % 3);
    c.mem64a = below(4) == 0;
    c.mem64b = below(4) == 0;
    c.params = params;
    c.result = &result;
    c.afail = c.bfail = -1;
    gmem am;
    gmem_init(&am);
    abi_vals aargs = {0};
    if (!setup_a(&c, &am, NULL, &aargs)) {
      free(am.m.data);
      kb_vec_free(kb_default_allocator(), &aargs);
      continue;
    }
    char what[600];
    snprintf(what, sizeof what, "%.400s [enc %u->%u, mem64 %d/%d]", b.items, c.enca, c.encb, c.mem64a, c.mem64b);
    compare(&c, what, true);

    /* corrupt A: a flat argument or a byte of A's memory */
    uint8_t *saved = malloc(MEM_SIZE);
    memcpy(saved, am.m.data, MEM_SIZE);
    for (int round = 0; round < 3; round++) {
      memcpy(am.m.data, saved, MEM_SIZE);
      kumi_val keep = {0};
      size_t ai = 0;
      if (below(2) && aargs.len) {
        ai = below((uint32_t)aargs.len);
        keep = aargs.items[ai];
        uint64_t x = below(3) ? below(300) : rnd();
        kumi_val *v = &aargs.items[ai];
        if (v->kind == KUMI_I32) v->of.i32 = (int32_t)x;
        else if (v->kind == KUMI_I64) v->of.i64 = (int64_t)(below(2) ? x : (uint32_t)x);
        else if (v->kind == KUMI_F32) v->of.f32_bits = (uint32_t)x;
        else v->of.f64_bits = x;
      } else if (am.m.next > 16) {
        am.m.data[16 + below((uint32_t)(am.m.next - 16))] = (uint8_t)(below(2) ? below(4) : rnd());
      }
      compare(&c, what, false);
      if (keep.kind) aargs.items[ai] = keep;
    }
    memcpy(am.m.data, saved, MEM_SIZE);
    free(saved);

    /* B's realloc fails or misbehaves (the same calls in both paths when
     * A's strings are UTF-8) */
    if (c.enca == ABI_UTF8) {
      c.bfail = (int)below(4);
      c.bfail_bad = (int)below(3);
      compare(&c, what, false);
      c.bfail = -1;
      /* B returns garbage */
      c.corrupt = rnd() | 1;
      compare(&c, what, false);
      c.corrupt = 0;
    }
    /* A's realloc, for the result */
    if (c.encb == ABI_UTF8 && fta->has_result) {
      c.afail = (int)below(3);
      c.afail_bad = (int)below(3);
      compare(&c, what, false);
    }
    free(am.m.data);
    kb_vec_free(kb_default_allocator(), &aargs);
  }
  for (uint32_t i = 0; i < fta->n; i++) kumi_cval_free(NULL, &params[i]);
  kumi_cval_free(NULL, &result);
  kb_vec_free(kb_default_allocator(), &b);
}

/* ---- resource handles ------------------------------------------------------------------------ */

/* A value of type vt with handles: own/borrow hold fresh reps. */
static void gen_hvalue(const comp_types *ts, comp_vt vt, kumi_cval *out, uint32_t *rep, int budget) {
  const comp_type *t;
  uint8_t p = abi_resolve(ts, vt, &t);
  if (p) {
    gen_value(ts, vt, out, budget);
    return;
  }
  switch (t->dkind) {
  case 0x69: *out = kumi_cval_handle(KUMI_CV_OWN, (*rep)++); return;
  case 0x68: *out = kumi_cval_handle(KUMI_CV_BORROW, (*rep)++); return;
  case 0x70: {
    size_t n = below(5);
    kumi_cval_agg(NULL, KUMI_CV_LIST, n, out);
    for (size_t i = 0; i < n; i++) gen_hvalue(ts, t->a, &out->of.agg.items[i], rep, budget - 1);
    return;
  }
  case 0x72: case 0x6f:
    kumi_cval_agg(NULL, t->dkind == 0x72 ? KUMI_CV_RECORD : KUMI_CV_TUPLE, t->n, out);
    for (uint32_t i = 0; i < t->n; i++) gen_hvalue(ts, t->fields[i].type, &out->of.agg.items[i], rep, budget - 1);
    return;
  case 0x6b: case 0x71: case 0x6a: {
    uint32_t c = below(abi_ncases(t));
    comp_vt ct;
    kumi_cvalkind k = t->dkind == 0x6b ? KUMI_CV_OPTION : t->dkind == 0x71 ? KUMI_CV_VARIANT : KUMI_CV_RESULT;
    if (abi_case_type(t, c, &ct)) {
      kumi_cval pv;
      gen_hvalue(ts, ct, &pv, rep, budget - 1);
      kumi_cval_case(NULL, k, c, &pv, out);
    } else {
      kumi_cval_case(NULL, k, c, NULL, out);
    }
    return;
  }
  default: gen_value(ts, vt, out, budget); return;
  }
}

/* Calls of function type fs with handles in both paths on copies of the
 * same two tables. */
static void handle_cases(env *E, const char *fs, int rounds) {
  comp_tid fid;
  char err[200];
  if (!abi_typestr_parse_func(&E->p, fs, strlen(fs), &fid, err, sizeof err)) {
    CHECKF(false, "%s: %s", fs, err);
    return;
  }
  const comp_type *ft = comp_ty(&E->ts, fid);
  const kumi_allocator *al = kb_default_allocator();
  for (int round = 0; round < rounds; round++) {
    uint32_t rep = 100;
    kumi_cval params[12], result = kumi_cval_bool(false);
    for (uint32_t i = 0; i < ft->n; i++) gen_hvalue(&E->ts, ft->fields[i].type, &params[i], &rep, 3);
    if (ft->has_result) gen_hvalue(&E->ts, ft->result, &result, &rep, 3);
    abi_table ta, tb;
    abi_table_init(&ta, al);
    abi_table_init(&tb, al);
    /* some handles already there, one slot free in each */
    for (uint32_t i = 0; i < 3; i++) {
      uint32_t ix;
      kumi_error *e1 = abi_resource_new(&ta, 12345, 7 + i, &ix), *e2 = abi_resource_new(&tb, 12345, 7 + i, &ix);
      CHECK(!e1 && !e2);
    }
    bool dtor;
    uint32_t r0;
    kumi_error *e1 = abi_resource_drop(&ta, 12345, 2, &dtor, &r0), *e2 = abi_resource_drop(&tb, 12345, 1, &dtor, &r0);
    CHECK(!e1 && !e2);
    callcase c;
    memset(&c, 0, sizeof c);
    c.tsa = c.tsb = &E->ts;
    c.fta = c.ftb = ft;
    c.enca = c.encb = ABI_UTF8;
    c.params = params;
    c.result = &result;
    c.afail = c.bfail = -1;
    c.ta = &ta;
    c.tb = &tb;
    c.drop_borrows = round % 4 != 3;
    gmem am;
    gmem_init(&am);
    abi_vals aargs = {0};
    char what[300];
    snprintf(what, sizeof what, "%s (round %d)", fs, round);
    if (setup_a(&c, &am, &ta, &aargs)) {
      compare(&c, what, c.drop_borrows);
      /* a corrupted handle index or memory byte */
      if (aargs.len) {
        size_t ai = below((uint32_t)aargs.len);
        kumi_val keep = aargs.items[ai];
        if (keep.kind == KUMI_I32) aargs.items[ai].of.i32 = (int32_t)below(12);
        compare(&c, what, false);
        aargs.items[ai] = keep;
      }
      c.bfail = (int)below(3);
      compare(&c, what, false);
      c.bfail = -1;
      c.corrupt = rnd() | 1;
      compare(&c, what, false);
      c.corrupt = 0;
      if (ft->has_result) {
        c.afail = (int)below(2);
        compare(&c, what, false);
        c.afail = -1;
      }
      /* allocation failure in the fused call: no leak, no crash */
      for (long n = 0; n < 40; n++) {
        test_alloc ac;
        kumi_allocator a = test_alloc_init(&ac, n);
        c.alloc = &a;
        outcome o;
        run_path(&c, true, &o);
        bool failed = o.err != NULL;
        outcome_free(&o, 0);
        CHECKF(test_alloc_clean(&ac), "%s: leak with allocation failing after %ld", what, n);
        c.alloc = NULL;
        if (!failed) break;
      }
    }
    free(am.m.data);
    kb_vec_free(al, &aargs);
    abi_table_free(&ta);
    abi_table_free(&tb);
    for (uint32_t i = 0; i < ft->n; i++) kumi_cval_free(NULL, &params[i]);
    kumi_cval_free(NULL, &result);
  }
}

/* ---- shapes and contract errors ---------------------------------------------------------------------- */

static void shape_cases(env *E) {
  static const char *const pairs[][2] = {
      {"func(a: u32) -> u32", "func(a: u32) -> u32"},
      {"func(a: record{x: u8, y: string})", "func(b: record{p: u8, q: string})"},
      {"func(a: u32) -> u32", "func(a: s32) -> u32"},
      {"func(a: u32)", "func(a: u32, b: u32)"},
      {"func(a: u32) -> u32", "func(a: u32)"},
      {"func(a: list<u8>)", "func(a: list<u8, 3>)"},
      {"func(a: list<u8, 2>)", "func(a: list<u8, 3>)"},
      {"func(a: variant{x(u8), y})", "func(a: variant{x, y(u8)})"},
      {"func(a: flags{a, b})", "func(a: flags{a, b, c})"},
      {"func(a: enum{a, b})", "func(a: enum{a, b})"},
      {"func(a: result<u8>)", "func(a: result<_, u8>)"},
      {"func(a: option<string>) -> map<string, u8>", "func(a: option<string>) -> map<string, u8>"},
      {"async func(a: u32) -> u32", "async func(a: u32) -> u32"},
      {"func(a: own<R>)", "func(a: borrow<R>)"},
  };
  static const bool want[] = {true, true, false, false, false, false, false, false, false, true, false, true, false, false};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    comp_tid fa, fb;
    char err[200];
    bool ok = abi_typestr_parse_func(&E->p, pairs[i][0], strlen(pairs[i][0]), &fa, err, sizeof err) &&
              abi_typestr_parse_func(&E->p2, pairs[i][1], strlen(pairs[i][1]), &fb, err, sizeof err);
    CHECKF(ok, "%s / %s: %s", pairs[i][0], pairs[i][1], err);
    if (!ok) continue;
    const comp_type *ta = comp_ty(&E->ts, fa), *tb = comp_ty(&E->ts2, fb);
    CHECKF(abi_fuse_compatible(&E->ts, ta, &E->ts2, tb) == want[i], "compatible(%s, %s)", pairs[i][0], pairs[i][1]);
    if (want[i]) continue;
    /* an incompatible pair is refused before anything runs */
    gmem am, bm;
    gmem_init(&am);
    gmem_init(&bm);
    abi_cx acx = gcx(&am, &E->ts, kb_default_allocator(), false, ABI_UTF8), bcx = gcx(&bm, &E->ts2, kb_default_allocator(), false, ABI_UTF8);
    guest g;
    memset(&g, 0, sizeof g);
    abi_fuse_callee fns = {NULL, guest_call, NULL, guest_post_return, NULL, &g};
    kumi_val args[2] = {kumi_val_i32(1), kumi_val_i32(2)}, res[1];
    kumi_error *e = abi_fuse_call(&acx, &bcx, ta, tb, args, 2, res, 0, &fns);
    CHECKF(e && kumi_error_kind_of(e) == KUMI_ERR_ARG && g.post_returns == 0 && am.calls == 0 && bm.calls == 0,
           "mismatched fused call %s / %s", pairs[i][0], pairs[i][1]);
    if (e) kumi_error_free(e);
    free(am.m.data);
    free(bm.m.data);
  }
  {
    comp_tid fa;
    char e2[200];
    bool ok = abi_typestr_parse_func(&E->p, "async func()", 12, &fa, e2, sizeof e2);
    CHECKF(ok && !abi_fuse_compatible(&E->ts, comp_ty(&E->ts, fa), &E->ts, comp_ty(&E->ts, fa)),
           "an async function type is not fused");
  }
  /* a wrong result count and a missing return pointer are argument errors */
  comp_tid fid;
  char err[200];
  const char *fs = "func(a: u32) -> string";
  if (abi_typestr_parse_func(&E->p, fs, strlen(fs), &fid, err, sizeof err)) {
    const comp_type *ft = comp_ty(&E->ts, fid);
    gmem am, bm;
    gmem_init(&am);
    gmem_init(&bm);
    abi_cx acx = gcx(&am, &E->ts, kb_default_allocator(), false, ABI_UTF8), bcx = gcx(&bm, &E->ts, kb_default_allocator(), false, ABI_UTF8);
    int entered = 0;
    guest g;
    memset(&g, 0, sizeof g);
    (void)entered;
    abi_fuse_callee fns = {NULL, guest_call, NULL, guest_post_return, NULL, &g};
    kumi_val args[1] = {kumi_val_i32(1)}, res[1];
    kumi_error *e = abi_fuse_call(&acx, &bcx, ft, ft, args, 1, res, 1, &fns);
    CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_ARG);
    if (e) kumi_error_free(e);
    e = abi_fuse_call(&acx, &bcx, ft, ft, args, 1, res, 0, &fns);
    CHECKF(e && kumi_error_kind_of(e) == KUMI_ERR_ARG && strstr(kumi_error_message(e), "return pointer"),
           "missing return pointer: %s", e ? kumi_error_message(e) : "ok");
    if (e) kumi_error_free(e);
    free(am.m.data);
    free(bm.m.data);
  }
}

/* enter, returned and leave run in their places: leave once whenever enter
 * succeeded, nothing after a failing enter. */
typedef struct seq {
  guest g;
  char log[16];
  int n;
  bool fail_enter;
} seq;
static kumi_error *seq_enter(void *ud) {
  seq *s = ud;
  s->log[s->n++] = 'e';
  return s->fail_enter ? kb_error(kb_default_allocator(), KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot enter") : NULL;
}
static kumi_error *seq_call(void *ud, const kumi_val *a, size_t na, kumi_val *r, size_t nr) {
  seq *s = ud;
  s->log[s->n++] = 'c';
  return guest_call(&s->g, a, na, r, nr);
}
static kumi_error *seq_returned(void *ud) {
  seq *s = ud;
  s->log[s->n++] = 'r';
  return NULL;
}
static kumi_error *seq_post(void *ud, const kumi_val *a, size_t na, kumi_val *r, size_t nr) {
  seq *s = ud;
  s->log[s->n++] = 'p';
  return guest_post_return(&s->g, a, na, r, nr);
}
static void seq_leave(void *ud) {
  seq *s = ud;
  s->log[s->n++] = 'l';
}

static void sequence_cases(env *E) {
  comp_tid fid;
  char err[200];
  const char *fs = "func(a: string, c: char) -> string";
  if (!abi_typestr_parse_func(&E->p, fs, strlen(fs), &fid, err, sizeof err)) {
    CHECKF(false, "%s", err);
    return;
  }
  const comp_type *ft = comp_ty(&E->ts, fid);
  kumi_cval res;
  kumi_cval_string(NULL, "out", 3, &res);
  for (int k = 0; k < 3; k++) {
    gmem am, bm;
    gmem_init(&am);
    gmem_init(&bm);
    abi_cx acx = gcx(&am, &E->ts, kb_default_allocator(), false, ABI_UTF8), bcx = gcx(&bm, &E->ts, kb_default_allocator(), false, ABI_UTF16);
    memcpy(am.m.data + 64, "hi", 2);
    /* k 1: a bad char (fails the check pass); k 2: enter fails */
    kumi_val args[4] = {kumi_val_i32(64), kumi_val_i32(2), kumi_val_i32(k == 1 ? 0xD800 : 'x'), kumi_val_i32(128)};
    seq s;
    memset(&s, 0, sizeof s);
    s.g.cx = &bcx;
    s.g.ft = ft;
    s.g.result = &res;
    s.g.bmem = calloc(1, MEM_SIZE);
    s.fail_enter = k == 2;
    abi_fuse_callee fns = {seq_enter, seq_call, seq_returned, seq_post, seq_leave, &s};
    kumi_error *e = abi_fuse_call(&acx, &bcx, ft, ft, args, 4, NULL, 0, &fns);
    const char *want = k == 0 ? "ecrpl" : k == 1 ? "" : "e";
    CHECKF((k == 0) == !e && strcmp(s.log, want) == 0, "sequence %d: %s (%s)", k, s.log,
           e ? kumi_error_message(e) : "ok");
    CHECKF(k != 1 || (e && strstr(kumi_error_message(e), "invalid char")), "sequence: the char trap");
    if (k == 0 && !e) {
      kumi_cval got;
      kumi_error *e2 = abi_load(&acx, ft->result, 128, &got);
      CHECK(!e2 && kumi_cval_equal(&got, &res));
      if (!e2) kumi_cval_free(NULL, &got);
      else kumi_error_free(e2);
      CHECK(s.g.lifted && s.g.got[0].of.str.len == 2 && memcmp(s.g.got[0].of.str.ptr, "hi", 2) == 0);
    }
    if (s.g.lifted)
      for (int i = 0; i < 2; i++) kumi_cval_free(NULL, &s.g.got[i]);
    if (e) kumi_error_free(e);
    free(s.g.bmem);
    free(am.m.data);
    free(bm.m.data);
  }
  kumi_cval_free(NULL, &res);
}


/* ---- strings: the check pass against load_string_from_range, and the
 * direct store against the store of the loaded copy ---------------------------------------------- */

static void string_cases(env *E) {
  static const uint32_t units[] = {'a', 0x7f, 0xe9, 0xff, 0x100, 0x3042, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xFFFF};
  static const uint8_t bytes[] = {'a', 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef,
                                  0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f, 0x90};
  int agree = 0;
  for (int k = 0; k < 6000; k++) {
    uint8_t enc = (uint8_t)(k % 3);
    bool mem64 = k % 7 == 0;
    gmem sm, dm;
    gmem_init(&sm);
    gmem_init(&dm);
    abi_cx src = gcx(&sm, &E->ts, kb_default_allocator(), mem64, enc);
    uint64_t n = below(4) ? below(8) : below(40), ptr = 64 + (below(8) == 0), tagged = n;
    bool wide = enc == ABI_UTF16 || (enc == ABI_LATIN1_UTF16 && below(2));
    for (uint64_t i = 0; i < n; i++) {
      if (wide) {
        uint32_t u = below(3) ? units[below(sizeof units / sizeof units[0])] : (uint32_t)rnd() & 0xffff;
        sm.m.data[ptr + 2 * i] = (uint8_t)u;
        sm.m.data[ptr + 2 * i + 1] = (uint8_t)(u >> 8);
      } else {
        sm.m.data[ptr + i] = below(3) ? bytes[below(sizeof bytes)] : (uint8_t)rnd();
      }
    }
    if (enc == ABI_LATIN1_UTF16 && wide) tagged |= (uint64_t)1 << (mem64 ? 63 : 31);
    if (below(50) == 0) tagged = (uint64_t)1 << 29;
    kumi_cval v;
    kumi_error *el = abi_load_string_range(&src, ptr, tagged, &v), *ec = abi_check_string_range(&src, ptr, tagged);
    const char *ml = el ? kumi_error_message(el) : "(ok)", *mc = ec ? kumi_error_message(ec) : "(ok)";
    CHECKF(strcmp(ml, mc) == 0, "string check (enc %u, %llu units): load %s, check %s", enc,
           (unsigned long long)n, ml, mc);
    agree += !el;
    if (!el) {
      for (uint8_t de = 0; de < 3; de++) {
        dm.m.next = 16;
        abi_cx dst = gcx(&dm, &E->ts, kb_default_allocator(), k % 5 == 0, de);
        uint64_t p1, n1, p2, n2;
        abi_str s8 = {(const uint8_t *)v.of.str.ptr, ABI_UTF8, false, v.of.str.len};
        kumi_error *e1 = abi_store_string_range(&dst, &s8, &p1, &n1);
        kumi_cval got1 = kumi_cval_bool(false), got2 = kumi_cval_bool(false);
        if (!e1) e1 = abi_load_string_range(&dst, p1, n1, &got1);
        kumi_error *e2 = abi_store_string_from(&dst, &src, ptr, tagged, k & 1, &p2, &n2);
        if (!e2) e2 = abi_load_string_range(&dst, p2, n2, &got2);
        CHECKF(!e1 && !e2 && kumi_cval_equal(&got1, &got2) && kumi_cval_equal(&got2, &v),
               "string store %u -> %u: %s / %s", enc, de, e1 ? kumi_error_message(e1) : "ok",
               e2 ? kumi_error_message(e2) : "ok");
        /* the encoding chosen for latin1+utf16 depends on the contents only */
        CHECKF(de != ABI_LATIN1_UTF16 || (n1 >> (dst.mem64 ? 63 : 31)) == (n2 >> (dst.mem64 ? 63 : 31)),
               "latin1+utf16 form from %u", enc);
        kumi_cval_free(NULL, &got1);
        kumi_cval_free(NULL, &got2);
        if (e1) kumi_error_free(e1);
        if (e2) kumi_error_free(e2);
      }
      kumi_cval_free(NULL, &v);
    }
    if (el) kumi_error_free(el);
    if (ec) kumi_error_free(ec);
    free(sm.m.data);
    free(dm.m.data);
  }
  CHECKF(agree > 600 && agree < 5400, "string cases: %d of 6000 valid", agree);
}

/* ---- streams and futures: the abi_fuse_ends hooks ------------------------------------------------ */

/* Records the hook calls ("cA1" check of index 1 in A, "mB7" move of 7
 * out of B) and the callee's; a move gives index * 10 + (1 from A, 2 from
 * B). A check of fail_at fails. */
typedef struct ends_log {
  abi_cx *a, *b;
  char log[200];
  size_t n;
  uint32_t fail_at;
  kumi_val bargs[8];
  size_t nbargs;
  uint32_t bresult;
} ends_log;

static void elog(ends_log *l, char op, const abi_cx *side, uint32_t i) {
  int k = snprintf(l->log + l->n, sizeof l->log - l->n, "%c%c%u ", op, side == l->a ? 'A' : 'B', i);
  if (k > 0 && l->n + (size_t)k < sizeof l->log) l->n += (size_t)k;
}
static kumi_error *e_check(void *ud, abi_cx *src, const comp_type *t, uint32_t i) {
  ends_log *l = ud;
  elog(l, t->dkind == 0x66 ? 'c' : 'C', src, i);
  return i == l->fail_at ? kb_error(kb_default_allocator(), KUMI_ERR_TRAP, KUMI_NO_OFFSET, "bad end") : NULL;
}
static kumi_error *e_move(void *ud, abi_cx *src, abi_cx *dst, const comp_type *t, uint32_t i, uint32_t *out) {
  ends_log *l = ud;
  elog(l, t->dkind == 0x66 ? 'm' : 'M', src, i);
  *out = i * 10 + (src == l->a ? 1 : 2);
  return dst == src ? kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "same side") : NULL;
}
static kumi_error *e_enter(void *ud) {
  ends_log *l = ud;
  l->n += (size_t)snprintf(l->log + l->n, sizeof l->log - l->n, "enter ");
  return NULL;
}
static kumi_error *e_call(void *ud, const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults) {
  ends_log *l = ud;
  l->n += (size_t)snprintf(l->log + l->n, sizeof l->log - l->n, "call ");
  l->nbargs = nargs < 8 ? nargs : 8;
  memcpy(l->bargs, args, l->nbargs * sizeof *args);
  if (nresults) results[0] = kumi_val_i32((int32_t)l->bresult);
  return NULL;
}

static void stream_cases(env *E) {
  const char *fs = "func(s: stream<u8>, f: future<string>, t: string) -> stream<u8>";
  const char *fl = "func(a: list<stream<u8>>, b: option<future<u32>>)";
  comp_tid fid, lid;
  char err[200];
  if (!abi_typestr_parse_func(&E->p, fs, strlen(fs), &fid, err, sizeof err) ||
      !abi_typestr_parse_func(&E->p, fl, strlen(fl), &lid, err, sizeof err)) {
    CHECKF(false, "%s", err);
    return;
  }
  const comp_type *ft = comp_ty(&E->ts, fid), *lt = comp_ty(&E->ts, lid);
  CHECK(abi_fuse_has_ends(&E->ts, ft) && abi_fuse_has_ends(&E->ts, lt));
  for (int k = 0; k < 4; k++) {
    gmem am, bm;
    gmem_init(&am);
    gmem_init(&bm);
    abi_cx acx = gcx(&am, &E->ts, kb_default_allocator(), false, ABI_UTF8),
           bcx = gcx(&bm, &E->ts, kb_default_allocator(), false, ABI_UTF8);
    memcpy(am.m.data + 64, "tag", 3);
    ends_log l;
    memset(&l, 0, sizeof l);
    l.a = &acx;
    l.b = &bcx;
    l.fail_at = k == 2 ? 4 : UINT32_MAX;
    l.bresult = 7;
    abi_fuse_callee fns = {e_enter, e_call, NULL, NULL, NULL, &l};
    abi_fuse_ends ends = {e_check, e_move, &l};
    kumi_val args[4] = {kumi_val_i32(3), kumi_val_i32(4), kumi_val_i32(64), kumi_val_i32(3)}, res[1] = {kumi_val_i32(0)};
    kumi_error *e;
    if (k == 0) {
      /* k 0: no hooks: refused before anything runs */
      e = abi_fuse_call(&acx, &bcx, ft, ft, args, 4, res, 1, &fns);
      CHECKF(e && kumi_error_kind_of(e) == KUMI_ERR_ARG && strstr(kumi_error_message(e), "unsupported") && l.n == 0 &&
                 bm.calls == 0,
             "a fused call passing streams without hooks is refused: %s [%s]", e ? kumi_error_message(e) : "ok",
             l.log);
    } else if (k == 1 || k == 2) {
      /* k 1: checks in lift order before enter, moves in the same order
       * after it, then the result's; k 2: a failing check stops the call
       * before enter and before any move */
      e = abi_fuse_call_ends(&acx, &bcx, ft, ft, args, 4, res, 1, &fns, &ends);
      if (k == 1) {
        CHECKF(!e && strcmp(l.log, "cA3 CA4 enter mA3 MA4 call cB7 mB7 ") == 0, "stream hooks in order: %s (%s)",
               l.log, e ? kumi_error_message(e) : "ok");
        CHECKF(!e && l.nbargs == 4 && l.bargs[0].of.i32 == 31 && l.bargs[1].of.i32 == 41 && l.bargs[3].of.i32 == 3 &&
                   res[0].of.i32 == 72,
               "the moved handles reach B and A: %d %d -> %d", (int)l.bargs[0].of.i32, (int)l.bargs[1].of.i32,
               (int)res[0].of.i32);
      } else {
        CHECKF(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP && strcmp(l.log, "cA3 CA4 ") == 0 && bm.calls == 0,
               "a failing end check stops the call: %s", l.log);
      }
    } else {
      /* k 3: handles inside a list in memory and an option */
      am.m.data[128] = 5, am.m.data[132] = 6, am.m.data[136] = 9;
      kumi_val la[4] = {kumi_val_i32(128), kumi_val_i32(3), kumi_val_i32(1), kumi_val_i32(8)};
      e = abi_fuse_call_ends(&acx, &bcx, lt, lt, la, 4, NULL, 0, &fns, &ends);
      bool ok = !e && strcmp(l.log, "cA5 cA6 cA9 CA8 enter mA5 mA6 mA9 MA8 call ") == 0 && l.nbargs == 4 &&
                l.bargs[1].of.i32 == 3 && l.bargs[2].of.i32 == 1 && l.bargs[3].of.i32 == 81;
      uint32_t lp = ok ? (uint32_t)l.bargs[0].of.i32 : 0;
      CHECKF(ok && bm.m.data[lp] == 51 && bm.m.data[lp + 4] == 61 && bm.m.data[lp + 8] == 91,
             "stream handles in a list and an option: %s (%s)", l.log, e ? kumi_error_message(e) : "ok");
    }
    if (e) kumi_error_free(e);
    free(am.m.data);
    free(bm.m.data);
  }
}

/* ---- streams and futures through a fused call, end to end ------------------------------------------- */

/* wat/fuse_streams.wat: A makes a stream<u8> and a future<string>, starts
 * writing both (BLOCKED), and passes their readable ends, with a UTF-16
 * tag string "h\u00e9", to B's take (its own memory, UTF-8) through a sync lower;
 * B reads both in full through the handles it got, drops them and returns
 * how many times its realloc ran before it read; A then gets its writers'
 * events (the stream's DROPPED | 4 << 4 after B's drop, the future's
 * COMPLETED), and reads the stream<u8> B's give returns. Any wrong handle
 * or event is `unreachable` (a trap).
 * Which path the runtime took shows in B's realloc count: the fused path
 * stores the UTF-16 tag with the spec's utf16 -> utf8 sequence (one byte a
 * unit, the worst case at the first non-ASCII unit, then a shrink: 3
 * calls); the value path stores a UTF-8 copy (1 call). */
/* inst_call.c fuses calls that pass streams or futures (fused_call uses
 * abi_fuse_call_ends with comp_async_fuse_check_end / _move_end). */
#define FUSE_STREAMS_EXPECTED 1

static char *read_file_text(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
    free(s);
    s = NULL;
  }
  fclose(f);
  if (s) *len = (size_t)n;
  return s;
}

static void component_streams(void) {
  char path[1024];
  const char *here = __FILE__, *slash = strrchr(here, '/');
  snprintf(path, sizeof path, "%.*swat/fuse_streams.wat", slash ? (int)(slash - here + 1) : 0, here);
  size_t tlen = 0;
  char *text = read_file_text(path, &tlen);
  CHECKF(text != NULL, "cannot read %s", path);
  if (!text) return;
  uint8_t *bin = NULL;
  size_t blen = 0;
  kumi_error *e = text_parse_component(kb_default_allocator(), text, tlen, &bin, &blen);
  free(text);
  CHECKF(!e, "parse fuse_streams.wat: %s", e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    return;
  }
  for (int round = 0; round < 2; round++) {
    test_alloc ta;
    const kumi_allocator hook = test_alloc_init(&ta, -1);
    kumi_config config = {.allocator = &hook};
    kumi_engine *engine = kumi_engine_new(&config);
    kumi_store *st = engine ? kumi_store_new(engine, NULL) : NULL;
    kumi_component *c = st ? kumi_component_new(engine, bin, blen, &e) : NULL;
    kumi_component_instance *inst = c ? kumi_component_instantiate(st, c, &e) : NULL;
    kumi_component_func *f = inst ? kumi_component_instance_func(inst, NULL, "run") : NULL;
    kumi_cval r = kumi_cval_bool(false);
    if (f) e = kumi_component_func_call(st, f, NULL, 0, &r, 1);
    CHECKF(f && !e && r.kind == KUMI_CV_U32, "streams through a lowered call: %s", e ? kumi_error_message(e) : "");
    if (f && !e) {
      CHECKF(r.of.u == (FUSE_STREAMS_EXPECTED ? 3u : 1u), "the call took the %s path (B's realloc ran %u times)",
             r.of.u == 3 ? "fused" : "value", (unsigned)r.of.u);
      kumi_cval_free(&hook, &r);
    }
    if (e) kumi_error_free(e);
    e = NULL;
    kumi_component_instance_free(inst);
    kumi_component_free(c);
    kumi_store_free(st);
    kumi_engine_free(engine);
    CHECK(test_alloc_clean(&ta));
  }
  kb_free(kb_default_allocator(), bin, blen);
}

int main(void) {
  env E;
  comp_types_init(&E.ts, kb_default_allocator());
  comp_types_init(&E.ts2, kb_default_allocator());
  abi_typestr_init(&E.p, &E.ts);
  abi_typestr_init(&E.p2, &E.ts2);
  shape_cases(&E);
  sequence_cases(&E);
  string_cases(&E);
  stream_cases(&E);
  component_streams();
  static const char *const hfuncs[] = {
      "func(a: own<R>) -> own<R>",
      "func(a: borrow<R>, b: string) -> string",
      "func(a: list<own<R>>, b: option<borrow<R>>) -> list<own<R>>",
      "func(a: record{x: borrow<R>, y: own<S>, z: list<u32>}, b: variant{p(own<R>), q(borrow<S>), r}) -> "
      "tuple<own<S>, option<own<R>>>",
      "func(a: own<R>, b: borrow<R>, c: string, d: string, e: string, f: string, g: string, h: string, i: string, "
      "j: list<borrow<R>>) -> result<own<R>, string>",
      "func(a: tuple<own<R>, own<R>, own<R>, own<R>, own<R>, own<R>, own<R>, own<R>, own<R>, own<R>, own<R>>, "
      "b: list<tuple<own<S>, borrow<R>>>) -> list<own<S>>",
  };
  for (size_t i = 0; i < sizeof hfuncs / sizeof hfuncs[0]; i++) handle_cases(&E, hfuncs[i], 24);
  int nfuncs = 300;
  for (int k = 0; k < nfuncs; k++) one_func(&E, k);
  printf("%d calls compared, %d of them failing\n", n_calls, n_traps);
  abi_typestr_free(&E.p);
  abi_typestr_free(&E.p2);
  comp_types_free(&E.ts);
  comp_types_free(&E.ts2);
  return test_summary();
}
