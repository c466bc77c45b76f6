/* Fused component-to-component calls (abi_fuse.h): the check pass mirrors
 * abi_lift_flat / abi_load / abi_lift_flat_values (abi_mem.c) and the copy
 * pass mirrors abi_lower_flat / abi_store / abi_lower_flat_values, check by
 * check and message by message, so a fused call fails exactly where the
 * cval path fails. Keep them in step with abi_mem.c. */
#include "abi_fuse.h"
#include "abi_bits.h"

/* A flat sequence being produced (bounded: at most MAX_FLAT_PARAMS + 1). */
typedef struct fz_out {
  kumi_val *v;
  size_t n, cap;
} fz_out;

/* Handles lifted out of the source in the check pass, lowered into the
 * destination in the copy pass, in the same order. */
typedef struct fz_queue {
  uint32_t *v;
  size_t n, cap, head;
  uint32_t inl[8];
} fz_queue;

/* A memo of the layout of defined types (abi_size and abi_align walk the
 * type every time), direct-mapped by tid. */
typedef struct fz_lay {
  comp_tid id; /* 0: empty */
  uint32_t align;
  uint64_t size;
} fz_lay;
#define FZ_LAY 16

/* One direction of the transfer: s is lifted from, d lowered into; lay[0]
 * holds s's layouts, lay[1] d's. */
typedef struct fz {
  abi_cx *s, *d;
  const abi_fuse_ends *ends; /* stream and future handles (NULL: none may occur) */
  fz_queue q;
  fz_lay lay[2][FZ_LAY];
} fz;

#define FZ_FLAT_CAP 32 /* flat counts in the flat paths are at most MAX_FLAT_PARAMS */

/* The bits a scalar of prim type has after lifting x (the kumi_cval
 * constructors of abi_mem.c's int_val) and lowering it again (int_bits). */
static uint64_t norm(uint8_t p, uint64_t x) {
  switch (p) {
  case COMP_BOOL: return x != 0;
  case COMP_S8: return (uint64_t)(int64_t)(int8_t)x;
  case COMP_U8: return (uint8_t)x;
  case COMP_S16: return (uint64_t)(int64_t)(int16_t)x;
  case COMP_U16: return (uint16_t)x;
  case COMP_S32: return (uint64_t)(int64_t)(int32_t)x;
  case COMP_U32: case COMP_CHAR: case COMP_ERROR_CONTEXT: return (uint32_t)x;
  case COMP_F32: return abi_canon32((uint32_t)x);
  case COMP_F64: return abi_canon64(x);
  default: return x;
  }
}

static kumi_error *arg_error(const abi_cx *cx, const char *msg) {
  kumi_error *e = kb_error(cx->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "%s", msg);
  return e ? e : kb_error_oom();
}

static uint64_t align_to(uint64_t x, uint32_t a) { return (x + a - 1) / a * a; }

static void refresh(abi_cx *cx) {
  if (cx->hooks.memory) cx->hooks.memory(cx->hooks.ud, &cx->mem, &cx->mem_size);
}

static const fz_lay *layout(fz *f, int side, comp_vt vt, fz_lay *tmp) {
  const abi_cx *cx = side ? f->d : f->s;
  if (vt.prim) {
    uint32_t n = vt.prim == COMP_STRING ? (cx->mem64 ? 8 : 4) : abi_prim_bytes(vt.prim);
    tmp->align = n;
    tmp->size = vt.prim == COMP_STRING ? 2 * (uint64_t)n : n;
    return tmp;
  }
  fz_lay *l = &f->lay[side][vt.id % FZ_LAY];
  if (l->id != vt.id) {
    l->id = vt.id;
    l->size = abi_size(cx->ts, vt, cx->mem64);
    l->align = abi_align(cx->ts, vt, cx->mem64);
  }
  return l;
}

static uint64_t lsize(fz *f, int side, comp_vt vt) {
  fz_lay tmp;
  return layout(f, side, vt, &tmp)->size;
}

static uint32_t lalign(fz *f, int side, comp_vt vt) {
  fz_lay tmp;
  return layout(f, side, vt, &tmp)->align;
}

/* ---- the handle queue --------------------------------------------------------------- */

static kumi_error *q_push(fz *f, uint32_t h) {
  fz_queue *q = &f->q;
  if (!q->v) {
    q->v = q->inl;
    q->cap = sizeof q->inl / sizeof q->inl[0];
  }
  if (q->n == q->cap) {
    size_t nc = q->cap * 2;
    uint32_t *nv = kb_alloc(f->s->alloc, nc * sizeof *nv);
    if (!nv) return kb_error_oom();
    memcpy(nv, q->v, q->n * sizeof *nv);
    if (q->v != q->inl) kb_free(f->s->alloc, q->v, q->cap * sizeof *nv);
    q->v = nv;
    q->cap = nc;
  }
  q->v[q->n++] = h;
  return NULL;
}

static void q_free(fz *f) {
  if (f->q.v && f->q.v != f->q.inl) kb_free(f->s->alloc, f->q.v, f->q.cap * sizeof *f->q.v);
  memset(&f->q, 0, sizeof f->q);
}

/* ---- shapes --------------------------------------------------------------------------- */

static bool compat(const comp_types *ta, comp_vt va, const comp_types *tb, comp_vt vb, int depth) {
  if (depth > 1000) return false;
  const comp_type *a, *b;
  uint8_t pa = abi_resolve(ta, va, &a), pb = abi_resolve(tb, vb, &b);
  if (pa || pb) return pa == pb;
  if (ta == tb && a->canon == b->canon) return true;
  if (a->dkind != b->dkind) return false;
  switch (a->dkind) {
  case 0x72: case 0x6f: case 0x71:
    if (a->n != b->n) return false;
    for (uint32_t i = 0; i < a->n; i++) {
      if (a->dkind == 0x71 && a->fields[i].has_type != b->fields[i].has_type) return false;
      if ((a->dkind != 0x71 || a->fields[i].has_type) &&
          !compat(ta, a->fields[i].type, tb, b->fields[i].type, depth + 1))
        return false;
    }
    return true;
  case 0x67: return a->len == b->len && compat(ta, a->a, tb, b->a, depth + 1);
  case 0x70: case 0x6b: return compat(ta, a->a, tb, b->a, depth + 1);
  case 0x6a:
    return a->has_a == b->has_a && a->has_b == b->has_b && (!a->has_a || compat(ta, a->a, tb, b->a, depth + 1)) &&
           (!a->has_b || compat(ta, a->b, tb, b->b, depth + 1));
  case 0x63: return compat(ta, a->a, tb, b->a, depth + 1) && compat(ta, a->b, tb, b->b, depth + 1);
  case 0x6e: case 0x6d: return a->n == b->n;
  default: return true; /* own, borrow, stream, future: a handle number */
  }
}

bool abi_fuse_compatible(const comp_types *tsa, const comp_type *fa, const comp_types *tsb, const comp_type *fb) {
  if (fa->kind != CT_FUNC || fb->kind != CT_FUNC || fa->async || fb->async) return false;
  if (tsa == tsb && fa->canon && fa->canon == fb->canon) return true;
  if (fa->n != fb->n || fa->has_result != fb->has_result) return false;
  for (uint32_t i = 0; i < fa->n; i++)
    if (!compat(tsa, fa->fields[i].type, tsb, fb->fields[i].type, 0)) return false;
  return !fa->has_result || compat(tsa, fa->result, tsb, fb->result, 0);
}

/* Does a value of vt carry a stream or future handle? */
static bool has_end(const comp_types *ts, comp_vt vt, int depth) {
  const comp_type *t;
  if (abi_resolve(ts, vt, &t) || !t) return false;
  if (depth > 1000) return true; /* deeper than anything real: refused as if it had one */
  switch (t->dkind) {
  case 0x66: case 0x65: return true;
  case 0x72: case 0x6f: case 0x71:
    for (uint32_t i = 0; i < t->n; i++)
      if ((t->dkind != 0x71 || t->fields[i].has_type) && has_end(ts, t->fields[i].type, depth + 1)) return true;
    return false;
  case 0x70: case 0x67: case 0x6b: return has_end(ts, t->a, depth + 1);
  case 0x63: return has_end(ts, t->a, depth + 1) || has_end(ts, t->b, depth + 1);
  case 0x6a: return (t->has_a && has_end(ts, t->a, depth + 1)) || (t->has_b && has_end(ts, t->b, depth + 1));
  default: return false;
  }
}

bool abi_fuse_has_ends(const comp_types *ts, const comp_type *ft) {
  for (uint32_t i = 0; i < ft->n; i++)
    if (has_end(ts, ft->fields[i].type, 0)) return true;
  return ft->has_result && has_end(ts, ft->result, 0);
}

/* Loading a value of this type can neither trap nor call a hook: the check
 * pass skips it. */
static bool plain(const comp_types *ts, comp_vt vt) {
  const comp_type *t;
  uint8_t p = abi_resolve(ts, vt, &t);
  if (p) return p != COMP_CHAR && p != COMP_STRING;
  switch (t->dkind) {
  case 0x67: return plain(ts, t->a);
  case 0x72: case 0x6f:
    for (uint32_t i = 0; i < t->n; i++)
      if (!plain(ts, t->fields[i].type)) return false;
    return true;
  case 0x6e: return true;
  default: return false;
  }
}

/* The value's bytes come through a lift and a lower unchanged: integers in
 * a layout without padding (the same in 32- and 64-bit memories). *size
 * receives the size. */
static bool bytewise(const comp_types *ts, comp_vt vt, uint64_t *size) {
  const comp_type *t;
  uint8_t p = abi_resolve(ts, vt, &t);
  if (p) {
    *size = abi_prim_bytes(p);
    return p == COMP_S8 || p == COMP_U8 || p == COMP_S16 || p == COMP_U16 || p == COMP_S32 || p == COMP_U32 ||
           p == COMP_S64 || p == COMP_U64;
  }
  if (t->dkind == 0x67) {
    uint64_t es;
    if (!bytewise(ts, t->a, &es)) return false;
    *size = es * t->len;
    return true;
  }
  if (t->dkind != 0x72 && t->dkind != 0x6f) return false;
  uint64_t s = 0;
  uint32_t al = 1;
  for (uint32_t i = 0; i < t->n; i++) {
    uint64_t fs;
    if (!bytewise(ts, t->fields[i].type, &fs)) return false;
    uint32_t fa = abi_align(ts, t->fields[i].type, false);
    if (s % fa) return false;
    if (fa > al) al = fa;
    s += fs;
  }
  *size = s;
  return s % al == 0;
}

/* The flat types of vt in buf (FZ_FLAT_CAP entries). */
static kumi_error *flat_types(const abi_cx *cx, comp_vt vt, uint8_t *buf, size_t *n) {
  if (abi_flat_count(cx->ts, vt) > FZ_FLAT_CAP) return arg_error(cx, "too many flat values for a flat transfer");
  if (!abi_flatten(cx->alloc, cx->ts, vt, cx->mem64, buf, FZ_FLAT_CAP, n)) return kb_error_oom();
  return NULL;
}

/* ---- pass 1: the lift checks on the source ------------------------------------------------ */

static kumi_error *next(const abi_cx *cx, abi_iter *it, uint64_t *x) {
  if (it->i >= it->n) return arg_error(cx, "too few core values to lift");
  *x = abi_val_bits(&it->v[it->i++]);
  return NULL;
}

static kumi_error *lift_handle(fz *f, const comp_type *t, uint64_t x) {
  uint32_t h = (uint32_t)x;
  if ((t->dkind == 0x69 || t->dkind == 0x68) && f->s->hooks.lift_handle) {
    kumi_error *e = f->s->hooks.lift_handle(f->s->hooks.ud, t, (uint32_t)x, &h);
    if (e) return e;
  } else if (t->dkind == 0x66 || t->dkind == 0x65) {
    /* abi_fuse_call_ends refused the call when it has no hooks */
    if (!f->ends) return arg_error(f->s, "unsupported: fused call passing streams or futures");
    kumi_error *e = f->ends->check(f->ends->ud, f->s, t, h);
    if (e) return e;
  }
  return q_push(f, h);
}

static kumi_error *chk_mem(fz *f, comp_vt vt, uint64_t ptr);

/* load_list_from_range's checks, then the elements. */
static kumi_error *chk_list(fz *f, const comp_type *t, uint64_t b, uint64_t n) {
  abi_cx *cx = f->s;
  kumi_error *e;
  if (t->dkind == 0x63) {
    uint64_t ks = lsize(f, 0, t->a), vs = lsize(f, 0, t->b);
    uint32_t ka = lalign(f, 0, t->a), va = lalign(f, 0, t->b);
    uint32_t al = ka > va ? ka : va;
    uint64_t voff = align_to(ks, va), es = align_to(voff + vs, al);
    if (n && es > ABI_MAX_BYTE_LENGTH / n) return abi_trap(cx, "list byte length exceeds the limit");
    if (b % al) return abi_trap(cx, "unaligned list pointer");
    if (!abi_in_range(cx, b, n * es)) return abi_trap(cx, "list out of bounds");
    for (uint64_t i = 0; i < n; i++)
      if ((e = chk_mem(f, t->a, b + i * es)) || (e = chk_mem(f, t->b, b + i * es + voff))) return e;
    return NULL;
  }
  uint64_t es = lsize(f, 0, t->a);
  if (n && es > ABI_MAX_BYTE_LENGTH / n) return abi_trap(cx, "list byte length exceeds the limit");
  if (b % lalign(f, 0, t->a)) return abi_trap(cx, "unaligned list pointer");
  if (!abi_in_range(cx, b, n * es)) return abi_trap(cx, "list out of bounds");
  if (plain(cx->ts, t->a)) return NULL;
  for (uint64_t i = 0; i < n; i++)
    if ((e = chk_mem(f, t->a, b + i * es))) return e;
  return NULL;
}

/* abi_load's checks. */
static kumi_error *chk_mem(fz *f, comp_vt vt, uint64_t ptr) {
  abi_cx *cx = f->s;
  const comp_type *t;
  uint8_t p = abi_resolve(cx->ts, vt, &t);
  if (!abi_in_range(cx, ptr, lsize(f, 0, vt))) return abi_trap(cx, "out of bounds load");
  unsigned ps = cx->mem64 ? 8 : 4;
  kumi_error *e;
  if (p == COMP_STRING) return abi_check_string_range(cx, abi_rd(cx, ptr, ps), abi_rd(cx, ptr + ps, ps));
  if (p) {
    if (p == COMP_CHAR && !abi_char_ok(abi_rd(cx, ptr, 4))) return abi_trap(cx, "invalid char");
    return NULL;
  }
  switch (t->dkind) {
  case 0x67: {
    if (plain(cx->ts, t->a)) return NULL;
    uint64_t es = lsize(f, 0, t->a);
    for (uint32_t i = 0; i < t->len; i++)
      if ((e = chk_mem(f, t->a, ptr + i * es))) return e;
    return NULL;
  }
  case 0x70: case 0x63: return chk_list(f, t, abi_rd(cx, ptr, ps), abi_rd(cx, ptr + ps, ps));
  case 0x72: case 0x6f:
    for (uint32_t i = 0; i < t->n; i++) {
      comp_vt ft = t->fields[i].type;
      ptr = align_to(ptr, lalign(f, 0, ft));
      if ((e = chk_mem(f, ft, ptr))) return e;
      ptr += lsize(f, 0, ft);
    }
    return NULL;
  case 0x71: case 0x6d: case 0x6b: case 0x6a: {
    uint64_t c = abi_rd(cx, ptr, abi_disc_size(t));
    if (c >= abi_ncases(t)) return abi_trap(cx, "variant discriminant out of range");
    comp_vt ct;
    if (abi_case_type(t, (uint32_t)c, &ct)) return chk_mem(f, ct, ptr + abi_payload_offset(cx->ts, t, cx->mem64));
    return NULL;
  }
  case 0x6e: return NULL;
  default: return lift_handle(f, t, abi_rd(cx, ptr, 4));
  }
}

static kumi_error *chk_flat(fz *f, comp_vt vt, abi_iter *it);

/* The payload values of a variant case, coerced from the joined flat types
 * to the case's own (lift_variant): co[0..*n). */
static kumi_error *case_values(const abi_cx *cx, comp_vt vt, comp_vt ct, const abi_iter *it, kumi_val *co,
                               size_t *n) {
  uint8_t joined[FZ_FLAT_CAP], want[FZ_FLAT_CAP];
  size_t nj, nw;
  kumi_error *e = flat_types(cx, vt, joined, &nj);
  if (!e) e = flat_types(cx, ct, want, &nw);
  if (e) return e;
  for (size_t j = 0; j < nw; j++) {
    uint8_t have = joined[1 + j];
    uint64_t x = abi_val_bits(&it->v[it->i + j]);
    if (have == ABI_I64 && (want[j] == ABI_I32 || want[j] == ABI_F32)) x &= UINT32_MAX;
    co[j] = abi_mkval(want[j], x);
  }
  *n = nw;
  return NULL;
}

/* The number of payload slots of a variant-like type (joined count - 1),
 * checked against what is left of it. */
static kumi_error *variant_slots(const abi_cx *cx, comp_vt vt, const abi_iter *it, size_t *k) {
  uint64_t c = abi_flat_count(cx->ts, vt);
  if (c > FZ_FLAT_CAP) return arg_error(cx, "too many flat values for a flat transfer");
  *k = (size_t)c - 1;
  if (it->n - it->i < *k) return arg_error(cx, "too few core values to lift");
  return NULL;
}

static kumi_error *chk_variant(fz *f, comp_vt vt, const comp_type *t, abi_iter *it) {
  abi_cx *cx = f->s;
  uint64_t c = 0;
  kumi_error *e = next(cx, it, &c);
  if (e) return e;
  c &= UINT32_MAX;
  if (c >= abi_ncases(t)) return abi_trap(cx, "variant discriminant out of range");
  size_t k = 0;
  if ((e = variant_slots(cx, vt, it, &k))) return e;
  comp_vt ct;
  if (abi_case_type(t, (uint32_t)c, &ct)) {
    kumi_val co[FZ_FLAT_CAP];
    size_t nc;
    if ((e = case_values(cx, vt, ct, it, co, &nc))) return e;
    abi_iter sub = {co, nc, 0};
    if ((e = chk_flat(f, ct, &sub))) return e;
  }
  it->i += k;
  return NULL;
}

/* abi_lift_flat's checks. */
static kumi_error *chk_flat(fz *f, comp_vt vt, abi_iter *it) {
  abi_cx *cx = f->s;
  const comp_type *t;
  uint8_t p = abi_resolve(cx->ts, vt, &t);
  uint64_t x = 0, y = 0;
  kumi_error *e;
  if (p == COMP_STRING || (!p && (t->dkind == 0x70 || t->dkind == 0x63))) {
    if ((e = next(cx, it, &x)) || (e = next(cx, it, &y))) return e;
    if (!cx->mem64) x &= UINT32_MAX, y &= UINT32_MAX;
    if (p) return abi_check_string_range(cx, x, y);
    return chk_list(f, t, x, y);
  }
  if (p) {
    if ((e = next(cx, it, &x))) return e;
    if (p != COMP_S64 && p != COMP_U64 && p != COMP_F64) x &= UINT32_MAX;
    if (p == COMP_CHAR && !abi_char_ok(x)) return abi_trap(cx, "invalid char");
    return NULL;
  }
  switch (t->dkind) {
  case 0x67: case 0x72: case 0x6f: {
    size_t n = t->dkind == 0x67 ? t->len : t->n;
    for (size_t i = 0; i < n; i++)
      if ((e = chk_flat(f, t->dkind == 0x67 ? t->a : t->fields[i].type, it))) return e;
    return NULL;
  }
  case 0x71: case 0x6b: case 0x6a: return chk_variant(f, vt, t, it);
  case 0x6d:
    if ((e = next(cx, it, &x))) return e;
    x &= UINT32_MAX;
    if (x >= t->n) return abi_trap(cx, "enum discriminant out of range");
    return NULL;
  case 0x6e: return next(cx, it, &x);
  default:
    if ((e = next(cx, it, &x))) return e;
    return lift_handle(f, t, x);
  }
}

/* ---- pass 2: the lowering into the destination -------------------------------------------- */

/* The destination's realloc; the source's memory is looked up again after
 * it (guest code ran). */
static kumi_error *d_realloc(fz *f, uint32_t align, uint64_t size, uint64_t *ptr) {
  kumi_error *e = abi_realloc(f->d, 0, 0, align, size, ptr);
  refresh(f->s);
  return e;
}

static kumi_error *lower_handle(fz *f, const comp_type *t, uint32_t *out) {
  if (f->q.head >= f->q.n) return arg_error(f->d, "handle queue out of step");
  uint32_t h = f->q.v[f->q.head++];
  *out = h;
  if ((t->dkind == 0x69 || t->dkind == 0x68) && f->d->hooks.lower_handle)
    return f->d->hooks.lower_handle(f->d->hooks.ud, t, h, out);
  if (t->dkind == 0x66 || t->dkind == 0x65) {
    if (!f->ends) return arg_error(f->d, "unsupported: fused call passing streams or futures");
    return f->ends->move(f->ends->ud, f->s, f->d, t, h, out);
  }
  return NULL;
}

static kumi_error *cp_mem(fz *f, comp_vt vs, comp_vt vd, uint64_t sp, uint64_t dp);

static kumi_error *cp_string(fz *f, uint64_t sp, uint64_t sn, uint64_t *b, uint64_t *n) {
  return abi_store_string_from(f->d, f->s, sp, sn, true, b, n);
}

/* Stores the list (or map) of n elements at sb in the source into a fresh
 * allocation of the destination (abi_store / store_map): *b. */
static kumi_error *cp_list(fz *f, const comp_type *ts_, const comp_type *td, uint64_t sb, uint64_t n, uint64_t *b) {
  abi_cx *s = f->s, *d = f->d;
  kumi_error *e;
  if (td->dkind == 0x63) {
    uint64_t ks = lsize(f, 1, td->a), vs = lsize(f, 1, td->b);
    uint32_t ka = lalign(f, 1, td->a), va = lalign(f, 1, td->b);
    uint32_t al = ka > va ? ka : va;
    uint64_t voff = align_to(ks, va), es = align_to(voff + vs, al);
    uint64_t sks = lsize(f, 0, ts_->a), svs = lsize(f, 0, ts_->b);
    uint32_t ska = lalign(f, 0, ts_->a), sva = lalign(f, 0, ts_->b);
    uint32_t sal = ska > sva ? ska : sva;
    uint64_t svoff = align_to(sks, sva), ses = align_to(svoff + svs, sal);
    if (n && es > UINT32_MAX / n) return abi_trap(d, "list too large to store");
    if ((e = d_realloc(f, al, n * es, b))) return e;
    if (*b % al) return abi_trap(d, "unaligned pointer returned by realloc");
    if (!abi_in_range(d, *b, n * es)) return abi_trap(d, "realloc returned an out-of-bounds pointer");
    for (uint64_t i = 0; i < n; i++) {
      if ((e = cp_mem(f, ts_->a, td->a, sb + i * ses, *b + i * es))) return e;
      if ((e = cp_mem(f, ts_->b, td->b, sb + i * ses + svoff, *b + i * es + voff))) return e;
    }
    return NULL;
  }
  uint64_t es = lsize(f, 1, td->a), ses = lsize(f, 0, ts_->a);
  uint32_t al = lalign(f, 1, td->a);
  if (n && es > UINT32_MAX / n) return abi_trap(d, "list too large to store");
  if ((e = d_realloc(f, al, n * es, b))) return e;
  if (*b % al) return abi_trap(d, "unaligned pointer returned by realloc");
  if (!abi_in_range(d, *b, n * es)) return abi_trap(d, "realloc returned an out-of-bounds pointer");
  uint64_t bs;
  if (bytewise(d->ts, td->a, &bs) && bs == es && es == ses) {
    if (!abi_in_range(s, sb, n * es)) return abi_trap(s, "list out of bounds");
    if (n && es) memmove(d->mem + *b, s->mem + sb, (size_t)(n * es));
    return NULL;
  }
  for (uint64_t i = 0; i < n; i++)
    if ((e = cp_mem(f, ts_->a, td->a, sb + i * ses, *b + i * es))) return e;
  return NULL;
}

/* abi_store of the value loaded from the source at sp, into dp. */
static kumi_error *cp_mem(fz *f, comp_vt vs, comp_vt vd, uint64_t sp, uint64_t dp) {
  abi_cx *s = f->s, *d = f->d;
  const comp_type *ts_, *td;
  abi_resolve(s->ts, vs, &ts_);
  uint8_t p = abi_resolve(d->ts, vd, &td);
  uint64_t size = lsize(f, 1, vd);
  if (!abi_in_range(d, dp, size)) return abi_trap(d, "out of bounds store");
  if (!abi_in_range(s, sp, lsize(f, 0, vs))) return abi_trap(s, "out of bounds load");
  unsigned sps = s->mem64 ? 8 : 4, dps = d->mem64 ? 8 : 4;
  kumi_error *e;
  if (p == COMP_STRING) {
    uint64_t b, n;
    if ((e = cp_string(f, abi_rd(s, sp, sps), abi_rd(s, sp + sps, sps), &b, &n))) return e;
    if (!abi_in_range(d, dp, size)) return abi_trap(d, "out of bounds store");
    abi_wr(d, dp, b, dps);
    abi_wr(d, dp + dps, n, dps);
    return NULL;
  }
  if (p) {
    unsigned nb = abi_prim_bytes(p);
    abi_wr(d, dp, norm(p, abi_rd(s, sp, nb)), nb);
    return NULL;
  }
  switch (td->dkind) {
  case 0x67: {
    uint64_t es = lsize(f, 1, td->a), ses = lsize(f, 0, ts_->a), bs;
    if (bytewise(d->ts, td->a, &bs) && bs == es && es == ses) {
      if (size) memmove(d->mem + dp, s->mem + sp, (size_t)size);
      return NULL;
    }
    for (uint32_t i = 0; i < td->len; i++)
      if ((e = cp_mem(f, ts_->a, td->a, sp + i * ses, dp + i * es))) return e;
    return NULL;
  }
  case 0x70: case 0x63: {
    uint64_t b, n = abi_rd(s, sp + sps, sps);
    if ((e = cp_list(f, ts_, td, abi_rd(s, sp, sps), n, &b))) return e;
    if (!abi_in_range(d, dp, size)) return abi_trap(d, "out of bounds store");
    abi_wr(d, dp, b, dps);
    abi_wr(d, dp + dps, n, dps);
    return NULL;
  }
  case 0x72: case 0x6f:
    for (uint32_t i = 0; i < td->n; i++) {
      comp_vt fs = ts_->fields[i].type, fd = td->fields[i].type;
      sp = align_to(sp, lalign(f, 0, fs));
      dp = align_to(dp, lalign(f, 1, fd));
      if ((e = cp_mem(f, fs, fd, sp, dp))) return e;
      sp += lsize(f, 0, fs);
      dp += lsize(f, 1, fd);
    }
    return NULL;
  case 0x71: case 0x6d: case 0x6b: case 0x6a: {
    uint32_t ds = abi_disc_size(td);
    uint64_t c = abi_rd(s, sp, ds);
    abi_wr(d, dp, c, ds);
    comp_vt cs, cd;
    if (abi_case_type(ts_, (uint32_t)c, &cs) && abi_case_type(td, (uint32_t)c, &cd))
      return cp_mem(f, cs, cd, sp + abi_payload_offset(s->ts, ts_, s->mem64),
                    dp + abi_payload_offset(d->ts, td, d->mem64));
    return NULL;
  }
  case 0x6e: {
    uint32_t fs = abi_flags_size(td->n);
    abi_wr(d, dp, abi_rd(s, sp, fs) & abi_flags_mask(td->n), fs);
    return NULL;
  }
  default: {
    uint32_t h;
    if ((e = lower_handle(f, td, &h))) return e;
    abi_wr(d, dp, h, 4);
    return NULL;
  }
  }
}

static kumi_error *push(fz *f, fz_out *out, uint8_t type, uint64_t bits) {
  if (out->n >= out->cap) return arg_error(f->d, "flat argument count mismatch");
  out->v[out->n++] = abi_mkval(type, bits);
  return NULL;
}

static kumi_error *cp_flat(fz *f, comp_vt vs, comp_vt vd, abi_iter *it, fz_out *out);

/* lift_variant then lower_variant. */
static kumi_error *cp_variant(fz *f, comp_vt vs, comp_vt vd, const comp_type *ts_, const comp_type *td, abi_iter *it,
                              fz_out *out) {
  abi_cx *s = f->s, *d = f->d;
  uint64_t c = 0;
  kumi_error *e = next(s, it, &c);
  if (e) return e;
  c &= UINT32_MAX;
  size_t k = 0;
  if ((e = variant_slots(s, vs, it, &k))) return e;
  if ((e = push(f, out, ABI_I32, c))) return e;
  size_t start = out->n;
  comp_vt cs, cd;
  if (abi_case_type(ts_, (uint32_t)c, &cs) && abi_case_type(td, (uint32_t)c, &cd)) {
    kumi_val co[FZ_FLAT_CAP];
    size_t nc;
    if ((e = case_values(s, vs, cs, it, co, &nc))) return e;
    abi_iter sub = {co, nc, 0};
    if ((e = cp_flat(f, cs, cd, &sub, out))) return e;
  }
  uint8_t joined[FZ_FLAT_CAP];
  size_t nj;
  if ((e = flat_types(d, vd, joined, &nj))) return e;
  for (size_t j = 0; j + 1 < nj; j++) {
    uint8_t want = joined[1 + j];
    if (start + j < out->n) {
      kumi_val *hv = &out->v[start + j];
      *hv = abi_mkval(want, abi_val_bits(hv));
    } else if ((e = push(f, out, want, 0))) {
      return e;
    }
  }
  it->i += k;
  return NULL;
}

/* abi_lower_flat of the value lifted from the source's flat values. */
static kumi_error *cp_flat(fz *f, comp_vt vs, comp_vt vd, abi_iter *it, fz_out *out) {
  abi_cx *s = f->s, *d = f->d;
  const comp_type *ts_, *td;
  abi_resolve(s->ts, vs, &ts_);
  uint8_t p = abi_resolve(d->ts, vd, &td);
  uint8_t ptr = d->mem64 ? ABI_I64 : ABI_I32;
  uint64_t x = 0, y = 0;
  kumi_error *e;
  if (p == COMP_STRING || (!p && (td->dkind == 0x70 || td->dkind == 0x63))) {
    if ((e = next(s, it, &x)) || (e = next(s, it, &y))) return e;
    if (!s->mem64) x &= UINT32_MAX, y &= UINT32_MAX;
    uint64_t b, n = y;
    if (p) e = cp_string(f, x, y, &b, &n);
    else e = cp_list(f, ts_, td, x, y, &b);
    if (e || (e = push(f, out, ptr, b))) return e;
    return push(f, out, ptr, n);
  }
  if (p) {
    if ((e = next(s, it, &x))) return e;
    if (p != COMP_S64 && p != COMP_U64 && p != COMP_F64) x &= UINT32_MAX;
    uint8_t ct = p == COMP_S64 || p == COMP_U64 ? ABI_I64 : p == COMP_F32 ? ABI_F32 : p == COMP_F64 ? ABI_F64 : ABI_I32;
    uint64_t bits = norm(p, x);
    if (ct == ABI_I32) bits &= UINT32_MAX;
    return push(f, out, ct, bits);
  }
  switch (td->dkind) {
  case 0x67: case 0x72: case 0x6f: {
    size_t n = td->dkind == 0x67 ? td->len : td->n;
    for (size_t i = 0; i < n; i++) {
      comp_vt cs = td->dkind == 0x67 ? ts_->a : ts_->fields[i].type;
      comp_vt cd = td->dkind == 0x67 ? td->a : td->fields[i].type;
      if ((e = cp_flat(f, cs, cd, it, out))) return e;
    }
    return NULL;
  }
  case 0x71: case 0x6b: case 0x6a: return cp_variant(f, vs, vd, ts_, td, it, out);
  case 0x6d:
    if ((e = next(s, it, &x))) return e;
    return push(f, out, ABI_I32, x & UINT32_MAX);
  case 0x6e:
    if ((e = next(s, it, &x))) return e;
    return push(f, out, ABI_I32, (uint32_t)x & abi_flags_mask(td->n));
  default: {
    if ((e = next(s, it, &x))) return e;
    uint32_t h;
    if ((e = lower_handle(f, td, &h))) return e;
    return push(f, out, ABI_I32, h);
  }
  }
}

/* ---- values ---------------------------------------------------------------------------------- */

/* The layout of the tuple of n types taken from fields (params) or one. */
static void tuple_layout(const abi_cx *cx, const comp_vt *one, const comp_field *fields, size_t n, uint32_t *align,
                         uint64_t *size) {
  uint64_t s = 0;
  uint32_t a = 1;
  for (size_t i = 0; i < n; i++) {
    comp_vt t = one ? *one : fields[i].type;
    uint32_t fa = abi_align(cx->ts, t, cx->mem64);
    if (fa > a) a = fa;
    s = align_to(s, fa) + abi_size(cx->ts, t, cx->mem64);
  }
  *align = a;
  *size = align_to(s, a);
}

/* A list of n value types: the parameters of a function (fields) or its
 * result (one). */
typedef struct fz_types {
  const comp_vt *one;
  const comp_field *fields;
  size_t n;
} fz_types;

static comp_vt ty_at(const fz_types *t, size_t i) { return t->one ? *t->one : t->fields[i].type; }

/* lift_flat_values' checks on the source: flat or spilled behind a pointer
 * (*sptr). */
static kumi_error *chk_values(fz *f, const fz_types *st, bool spilled, abi_iter *it, uint64_t *sptr) {
  abi_cx *s = f->s;
  kumi_error *e;
  if (!spilled) {
    for (size_t i = 0; i < st->n; i++)
      if ((e = chk_flat(f, ty_at(st, i), it))) return e;
    return NULL;
  }
  uint32_t align;
  uint64_t size, ptr = 0;
  tuple_layout(s, st->one, st->fields, st->n, &align, &size);
  if ((e = next(s, it, &ptr))) return e;
  if (!s->mem64) ptr &= UINT32_MAX;
  if (ptr % align) return abi_trap(s, "unaligned pointer to spilled values");
  if (!abi_in_range(s, ptr, size)) return abi_trap(s, "spilled values out of bounds");
  *sptr = ptr;
  for (size_t i = 0; i < st->n; i++) {
    comp_vt t = ty_at(st, i);
    ptr = align_to(ptr, lalign(f, 0, t));
    if ((e = chk_mem(f, t, ptr))) return e;
    ptr += lsize(f, 0, t);
  }
  return NULL;
}

/* lower_flat_values into the destination: flat into out, or spilled at
 * *retptr (NULL: a fresh allocation whose pointer goes to out). */
static kumi_error *cp_values(fz *f, const fz_types *st, const fz_types *dt, bool spilled, const kumi_val *sflat,
                             size_t nsflat, uint64_t sptr, const uint64_t *retptr, fz_out *out) {
  abi_cx *d = f->d;
  kumi_error *e;
  if (!spilled) {
    abi_iter it = {sflat, nsflat, 0};
    for (size_t i = 0; i < dt->n; i++)
      if ((e = cp_flat(f, ty_at(st, i), ty_at(dt, i), &it, out))) return e;
    return NULL;
  }
  uint32_t align;
  uint64_t size, ptr;
  tuple_layout(d, dt->one, dt->fields, dt->n, &align, &size);
  if (!retptr) {
    if ((e = d_realloc(f, align, size, &ptr))) return e;
    if ((e = push(f, out, d->mem64 ? ABI_I64 : ABI_I32, ptr))) return e;
  } else {
    ptr = d->mem64 ? *retptr : (*retptr & UINT32_MAX);
  }
  if (ptr % align) return abi_trap(d, "unaligned pointer for spilled values");
  if (!abi_in_range(d, ptr, size)) return abi_trap(d, "spilled values out of bounds");
  for (size_t i = 0; i < dt->n; i++) {
    comp_vt ts_ = ty_at(st, i), td = ty_at(dt, i);
    sptr = align_to(sptr, lalign(f, 0, ts_));
    ptr = align_to(ptr, lalign(f, 1, td));
    if ((e = cp_mem(f, ts_, td, sptr, ptr))) return e;
    sptr += lsize(f, 0, ts_);
    ptr += lsize(f, 1, td);
  }
  return NULL;
}

static uint64_t flat_sum(const comp_types *ts, const fz_types *t) {
  uint64_t c = 0;
  for (size_t i = 0; i < t->n; i++) {
    c += abi_flat_count(ts, ty_at(t, i));
    if (c > ABI_MAX_FLAT_PARAMS) return c;
  }
  return c;
}

/* ---- the call ---------------------------------------------------------------------------------- */

kumi_error *abi_fuse_call(abi_cx *caller, abi_cx *callee, const comp_type *caller_ft, const comp_type *callee_ft,
                          const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults,
                          const abi_fuse_callee *fns) {
  return abi_fuse_call_ends(caller, callee, caller_ft, callee_ft, args, nargs, results, nresults, fns, NULL);
}

kumi_error *abi_fuse_call_ends(abi_cx *caller, abi_cx *callee, const comp_type *caller_ft,
                               const comp_type *callee_ft, const kumi_val *args, size_t nargs, kumi_val *results,
                               size_t nresults, const abi_fuse_callee *fns, const abi_fuse_ends *ends) {
  abi_cx *a = caller, *b = callee;
  if (!abi_fuse_compatible(a->ts, caller_ft, b->ts, callee_ft))
    return arg_error(a, "unsupported: fused call between function types of different shapes");
  if (ends && (!ends->check || !ends->move)) ends = NULL;
  /* without hooks a stream or future handle would reach the other side
   * as a number of the wrong table: refused before anything happens */
  if (!ends && (abi_fuse_has_ends(a->ts, caller_ft) || abi_fuse_has_ends(b->ts, callee_ft)))
    return arg_error(a, "unsupported: fused call passing streams or futures without end hooks");
  fz_types pa = {NULL, caller_ft->fields, caller_ft->n}, pb = {NULL, callee_ft->fields, callee_ft->n};
  fz_types ra = {&caller_ft->result, NULL, caller_ft->has_result}, rb = {&callee_ft->result, NULL, callee_ft->has_result};
  uint64_t pflat = flat_sum(a->ts, &pa), rflat = caller_ft->has_result ? abi_flat_count(a->ts, caller_ft->result) : 0;
  bool pspill = pflat > ABI_MAX_FLAT_PARAMS, rspill = rflat > ABI_MAX_FLAT_RESULTS;
  if (nresults != (rspill ? 0 : rflat)) return arg_error(a, "lowered call result count mismatch");

  /* arguments, pass 1: A's lift checks (canon lower's lift_flat_values) */
  fz fa;
  memset(&fa, 0, sizeof fa);
  fa.s = a;
  fa.d = b;
  fa.ends = ends;
  abi_iter it = {args, nargs, 0};
  uint64_t sptr = 0, retptr = 0;
  kumi_error *e = chk_values(&fa, &pa, pspill, &it, &sptr);
  if (!e && rspill) {
    if (it.i >= nargs) e = arg_error(a, "missing return pointer");
    else retptr = args[it.i].kind == KUMI_I64 ? (uint64_t)args[it.i].of.i64 : (uint32_t)args[it.i].of.i32;
  }
  if (!e && fns->enter) e = fns->enter(fns->ud);
  if (e) {
    q_free(&fa);
    return e;
  }

  /* arguments, pass 2: lowered into B (canon lift's lower_flat_values) */
  kumi_val bargs[ABI_MAX_FLAT_PARAMS + 1], bres[ABI_MAX_FLAT_RESULTS + 1];
  fz_out bout = {bargs, 0, ABI_MAX_FLAT_PARAMS + 1};
  refresh(b);
  refresh(a);
  e = cp_values(&fa, &pa, &pb, pspill, args, nargs, sptr, NULL, &bout);
  q_free(&fa);
  if (!e && bout.n != (pspill ? 1 : pflat)) e = arg_error(b, "flat argument count mismatch");
  size_t nr = rspill ? 1 : (size_t)rflat;
  if (!e) e = fns->call(fns->ud, bargs, bout.n, bres, nr);

  /* the result: B's lift checks, Task.return_, lowered into A */
  fz fb;
  memset(&fb, 0, sizeof fb);
  fb.s = b;
  fb.d = a;
  fb.ends = ends;
  if (!e) {
    refresh(b);
    refresh(a);
    abi_iter rit = {bres, nr, 0};
    uint64_t rsptr = 0;
    e = chk_values(&fb, &rb, rspill, &rit, &rsptr);
    if (!e && fns->returned) e = fns->returned(fns->ud);
    if (!e) {
      fz_out aout = {results, 0, nresults};
      e = cp_values(&fb, &rb, &ra, rspill, bres, nr, rsptr, rspill ? &retptr : NULL, &aout);
      if (!e && aout.n != nresults) e = arg_error(a, "lowered call result count mismatch");
    }
    q_free(&fb);
    if (!e && fns->post_return) e = fns->post_return(fns->ud, bres, nr, NULL, 0);
  }
  if (fns->leave) fns->leave(fns->ud);
  return e;
}
