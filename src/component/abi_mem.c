/* Canonical ABI load/store and lift_flat/lower_flat (CanonicalABI.md,
 * Loading / Storing / Flat Lifting / Flat Lowering / Lifting and Lowering
 * Values). Memory accesses are bounds-checked on every path, even where the
 * spec only asserts, so a bad pointer from any caller is a trap. */
#include "abi.h"
#include "abi_bits.h"

#include <stdarg.h>
#include <stdio.h>

kumi_error *abi_trap(const abi_cx *cx, const char *fmt, ...) {
  char buf[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  kumi_error *e = kb_error(cx->alloc, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "canonical ABI: %s", buf);
  return e ? e : kb_error_oom();
}

static kumi_error *mismatch(const abi_cx *cx) {
  kumi_error *e = kb_error(cx->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "component value does not match its type");
  return e ? e : kb_error_oom();
}

kumi_error *abi_realloc(abi_cx *cx, uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size,
                        uint64_t *ret) {
  if (!cx->hooks.realloc) return abi_trap(cx, "no realloc to allocate with");
  kumi_error *e = cx->hooks.realloc(cx->hooks.ud, old_ptr, old_size, align, new_size, ret);
  if (e) return e;
  if (cx->hooks.memory) cx->hooks.memory(cx->hooks.ud, &cx->mem, &cx->mem_size);
  if (!cx->mem64) *ret &= UINT32_MAX;
  return NULL;
}

static kumi_cvalkind kind_of(uint8_t prim, const comp_type *t) {
  switch (prim) {
  case COMP_BOOL: return KUMI_CV_BOOL;
  case COMP_S8: return KUMI_CV_S8;
  case COMP_U8: return KUMI_CV_U8;
  case COMP_S16: return KUMI_CV_S16;
  case COMP_U16: return KUMI_CV_U16;
  case COMP_S32: return KUMI_CV_S32;
  case COMP_U32: return KUMI_CV_U32;
  case COMP_S64: return KUMI_CV_S64;
  case COMP_U64: return KUMI_CV_U64;
  case COMP_F32: return KUMI_CV_F32;
  case COMP_F64: return KUMI_CV_F64;
  case COMP_CHAR: return KUMI_CV_CHAR;
  case COMP_STRING: return KUMI_CV_STRING;
  case COMP_ERROR_CONTEXT: return KUMI_CV_ERROR_CONTEXT;
  default: break;
  }
  switch (t->dkind) {
  case 0x72: return KUMI_CV_RECORD;
  case 0x71: return KUMI_CV_VARIANT;
  case 0x70: case 0x67: return KUMI_CV_LIST;
  case 0x6f: return KUMI_CV_TUPLE;
  case 0x6e: return KUMI_CV_FLAGS;
  case 0x6d: return KUMI_CV_ENUM;
  case 0x6b: return KUMI_CV_OPTION;
  case 0x6a: return KUMI_CV_RESULT;
  case 0x69: return KUMI_CV_OWN;
  case 0x68: return KUMI_CV_BORROW;
  case 0x66: return KUMI_CV_STREAM;
  case 0x65: return KUMI_CV_FUTURE;
  case 0x63: return KUMI_CV_MAP;
  default: return KUMI_CV_BOOL;
  }
}

static kumi_cval int_val(uint8_t prim, uint64_t x) {
  switch (prim) {
  case COMP_BOOL: return kumi_cval_bool(x != 0);
  case COMP_S8: return kumi_cval_int(KUMI_CV_S8, (int64_t)x);
  case COMP_U8: return kumi_cval_int(KUMI_CV_U8, (int64_t)x);
  case COMP_S16: return kumi_cval_int(KUMI_CV_S16, (int64_t)x);
  case COMP_U16: return kumi_cval_int(KUMI_CV_U16, (int64_t)x);
  case COMP_S32: return kumi_cval_int(KUMI_CV_S32, (int64_t)x);
  case COMP_U32: return kumi_cval_int(KUMI_CV_U32, (int64_t)x);
  case COMP_S64: return kumi_cval_int(KUMI_CV_S64, (int64_t)x);
  case COMP_U64: return kumi_cval_int(KUMI_CV_U64, (int64_t)x);
  case COMP_F32: return kumi_cval_f32(abi_canon32((uint32_t)x));
  case COMP_F64: return kumi_cval_f64(abi_canon64(x));
  case COMP_CHAR: return kumi_cval_char((uint32_t)x);
  default: return kumi_cval_handle(KUMI_CV_ERROR_CONTEXT, (uint32_t)x);
  }
}

/* The bits of a scalar value of prim type (already kind-checked). */
static uint64_t int_bits(const kumi_cval *v) {
  switch (v->kind) {
  case KUMI_CV_BOOL: return v->of.b ? 1 : 0;
  case KUMI_CV_S8: case KUMI_CV_S16: case KUMI_CV_S32: case KUMI_CV_S64: return (uint64_t)v->of.s;
  case KUMI_CV_F32: return abi_canon32(v->of.f32_bits);
  case KUMI_CV_F64: return abi_canon64(v->of.f64_bits);
  case KUMI_CV_CHAR: return v->of.ch;
  case KUMI_CV_ERROR_CONTEXT: return v->of.handle;
  default: return v->of.u;
  }
}

static kumi_error *lift_handle(abi_cx *cx, const comp_type *t, uint32_t i, kumi_cval *out) {
  uint32_t h = i;
  if ((t->dkind == 0x69 || t->dkind == 0x68) && cx->hooks.lift_handle) {
    kumi_error *e = cx->hooks.lift_handle(cx->hooks.ud, t, i, &h);
    if (e) return e;
  }
  *out = kumi_cval_handle(kind_of(0, t), h);
  return NULL;
}

static kumi_error *lower_handle(abi_cx *cx, const comp_type *t, const kumi_cval *v, uint32_t *out) {
  *out = v->of.handle;
  if ((t->dkind == 0x69 || t->dkind == 0x68) && cx->hooks.lower_handle)
    return cx->hooks.lower_handle(cx->hooks.ud, t, v->of.handle, out);
  return NULL;
}

/* ---- load ------------------------------------------------------------------- */

static kumi_error *load_list_range(abi_cx *cx, comp_vt et, uint64_t ptr, uint64_t n, kumi_cval *out) {
  uint64_t es = abi_size(cx->ts, et, cx->mem64);
  if (!kumi_cval_agg(cx->alloc, KUMI_CV_LIST, (size_t)n, out)) return kb_error_oom();
  for (uint64_t i = 0; i < n; i++) {
    kumi_error *e = abi_load(cx, et, ptr + i * es, &out->of.agg.items[i]);
    if (e) {
      kumi_cval_free(cx->alloc, out);
      return e;
    }
  }
  return NULL;
}

static kumi_error *load_fields(abi_cx *cx, const comp_type *t, uint64_t ptr, kumi_cvalkind kind, kumi_cval *out) {
  if (!kumi_cval_agg(cx->alloc, kind, t->n, out)) return kb_error_oom();
  for (uint32_t i = 0; i < t->n; i++) {
    comp_vt ft = t->fields[i].type;
    ptr = (ptr + abi_align(cx->ts, ft, cx->mem64) - 1) / abi_align(cx->ts, ft, cx->mem64) * abi_align(cx->ts, ft, cx->mem64);
    kumi_error *e = abi_load(cx, ft, ptr, &out->of.agg.items[i]);
    if (e) {
      kumi_cval_free(cx->alloc, out);
      return e;
    }
    ptr += abi_size(cx->ts, ft, cx->mem64);
  }
  return NULL;
}

/* load_list_from_range for list<T> (t->a) and map<K, V>, which is
 * list<tuple<K, V>>: the length, alignment and bounds checks, then the
 * elements. */
static kumi_error *load_list_from_range(abi_cx *cx, const comp_type *t, uint64_t b, uint64_t n, kumi_cval *out) {
  if (t->dkind == 0x63) {
    uint64_t ks = abi_size(cx->ts, t->a, cx->mem64), vs = abi_size(cx->ts, t->b, cx->mem64);
    uint32_t ka = abi_align(cx->ts, t->a, cx->mem64), va = abi_align(cx->ts, t->b, cx->mem64);
    uint32_t al = ka > va ? ka : va;
    uint64_t voff = (ks + va - 1) / va * va, es = (voff + vs + al - 1) / al * al;
    if (n && es > ABI_MAX_BYTE_LENGTH / n) return abi_trap(cx, "list byte length exceeds the limit");
    if (b % al) return abi_trap(cx, "unaligned list pointer");
    if (!abi_in_range(cx, b, n * es)) return abi_trap(cx, "list out of bounds");
    if (!kumi_cval_agg(cx->alloc, KUMI_CV_MAP, (size_t)n, out)) return kb_error_oom();
    for (uint64_t i = 0; i < n; i++) {
      kumi_cval *it = &out->of.agg.items[i];
      kumi_error *e = NULL;
      if (!kumi_cval_agg(cx->alloc, KUMI_CV_TUPLE, 2, it)) e = kb_error_oom();
      else if (!(e = abi_load(cx, t->a, b + i * es, &it->of.agg.items[0])))
        e = abi_load(cx, t->b, b + i * es + voff, &it->of.agg.items[1]);
      if (e) {
        kumi_cval_free(cx->alloc, out);
        return e;
      }
    }
    return NULL;
  }
  uint64_t es = abi_size(cx->ts, t->a, cx->mem64);
  if (n && es > ABI_MAX_BYTE_LENGTH / n) return abi_trap(cx, "list byte length exceeds the limit");
  if (b % abi_align(cx->ts, t->a, cx->mem64)) return abi_trap(cx, "unaligned list pointer");
  if (!abi_in_range(cx, b, n * es)) return abi_trap(cx, "list out of bounds");
  return load_list_range(cx, t->a, b, n, out);
}

kumi_error *abi_load(abi_cx *cx, comp_vt vt, uint64_t ptr, kumi_cval *out) {
  const comp_type *t;
  uint8_t p = abi_resolve(cx->ts, vt, &t);
  *out = kumi_cval_bool(false);
  uint64_t size = abi_size(cx->ts, vt, cx->mem64);
  if (!abi_in_range(cx, ptr, size)) return abi_trap(cx, "out of bounds load");
  unsigned ps = cx->mem64 ? 8 : 4;
  if (p == COMP_STRING) return abi_load_string_range(cx, abi_rd(cx, ptr, ps), abi_rd(cx, ptr + ps, ps), out);
  if (p) {
    uint64_t x = abi_rd(cx, ptr, abi_prim_bytes(p));
    if (p == COMP_CHAR && !abi_char_ok(x)) return abi_trap(cx, "invalid char");
    *out = int_val(p, x);
    return NULL;
  }
  switch (t->dkind) {
  case 0x67: return load_list_range(cx, t->a, ptr, t->len, out);
  case 0x70: case 0x63: return load_list_from_range(cx, t, abi_rd(cx, ptr, ps), abi_rd(cx, ptr + ps, ps), out);
  case 0x72: return load_fields(cx, t, ptr, KUMI_CV_RECORD, out);
  case 0x6f: return load_fields(cx, t, ptr, KUMI_CV_TUPLE, out);
  case 0x71: case 0x6d: case 0x6b: case 0x6a: {
    uint32_t ds = abi_disc_size(t);
    uint64_t c = abi_rd(cx, ptr, ds);
    if (c >= abi_ncases(t)) return abi_trap(cx, "variant discriminant out of range");
    comp_vt ct;
    kumi_cval pv, *pp = NULL;
    if (abi_case_type(t, (uint32_t)c, &ct)) {
      kumi_error *e = abi_load(cx, ct, ptr + abi_payload_offset(cx->ts, t, cx->mem64), &pv);
      if (e) return e;
      pp = &pv;
    }
    if (!kumi_cval_case(cx->alloc, kind_of(0, t), (uint32_t)c, pp, out)) {
      if (pp) kumi_cval_free(cx->alloc, pp);
      return kb_error_oom();
    }
    return NULL;
  }
  case 0x6e:
    *out = kumi_cval_flags((uint32_t)abi_rd(cx, ptr, abi_flags_size(t->n)) & abi_flags_mask(t->n));
    return NULL;
  default: return lift_handle(cx, t, (uint32_t)abi_rd(cx, ptr, 4), out);
  }
}

/* ---- store ------------------------------------------------------------------ */

static kumi_error *store_elems(abi_cx *cx, comp_vt et, const kumi_cval *items, size_t n, uint64_t ptr) {
  uint64_t es = abi_size(cx->ts, et, cx->mem64);
  for (size_t i = 0; i < n; i++) {
    kumi_error *e = abi_store(cx, et, &items[i], ptr + i * es);
    if (e) return e;
  }
  return NULL;
}

static kumi_error *store_map(abi_cx *cx, const comp_type *t, const kumi_cval *v, uint64_t *bp) {
  uint64_t ks = abi_size(cx->ts, t->a, cx->mem64), vs = abi_size(cx->ts, t->b, cx->mem64);
  uint32_t ka = abi_align(cx->ts, t->a, cx->mem64), va = abi_align(cx->ts, t->b, cx->mem64);
  uint32_t al = ka > va ? ka : va;
  uint64_t voff = (ks + va - 1) / va * va, es = (voff + vs + al - 1) / al * al;
  uint64_t n = v->of.agg.len;
  if (n && es > UINT32_MAX / n) return abi_trap(cx, "list too large to store");
  kumi_error *e = abi_realloc(cx, 0, 0, al, n * es, bp);
  if (e) return e;
  if (*bp % al) return abi_trap(cx, "unaligned pointer returned by realloc");
  if (!abi_in_range(cx, *bp, n * es)) return abi_trap(cx, "realloc returned an out-of-bounds pointer");
  for (uint64_t i = 0; i < n; i++) {
    const kumi_cval *kv = &v->of.agg.items[i];
    if (kv->kind != KUMI_CV_TUPLE || kv->of.agg.len != 2) return mismatch(cx);
    if ((e = abi_store(cx, t->a, &kv->of.agg.items[0], *bp + i * es))) return e;
    if ((e = abi_store(cx, t->b, &kv->of.agg.items[1], *bp + i * es + voff))) return e;
  }
  return NULL;
}

kumi_error *abi_store(abi_cx *cx, comp_vt vt, const kumi_cval *v, uint64_t ptr) {
  const comp_type *t;
  uint8_t p = abi_resolve(cx->ts, vt, &t);
  if (v->kind != kind_of(p, t)) return mismatch(cx);
  uint64_t size = abi_size(cx->ts, vt, cx->mem64);
  if (!abi_in_range(cx, ptr, size)) return abi_trap(cx, "out of bounds store");
  unsigned ps = cx->mem64 ? 8 : 4;
  kumi_error *e;
  if (p == COMP_STRING) {
    abi_str s = {(const uint8_t *)v->of.str.ptr, ABI_UTF8, cx->mem64, v->of.str.len};
    uint64_t b, n;
    if ((e = abi_store_string_range(cx, &s, &b, &n))) return e;
    if (!abi_in_range(cx, ptr, size)) return abi_trap(cx, "out of bounds store");
    abi_wr(cx, ptr, b, ps);
    abi_wr(cx, ptr + ps, n, ps);
    return NULL;
  }
  if (p) {
    if (p == COMP_CHAR && !abi_char_ok(v->of.ch)) return mismatch(cx);
    abi_wr(cx, ptr, int_bits(v), abi_prim_bytes(p));
    return NULL;
  }
  switch (t->dkind) {
  case 0x67:
    if (v->of.agg.len != t->len) return mismatch(cx);
    return store_elems(cx, t->a, v->of.agg.items, v->of.agg.len, ptr);
  case 0x70: case 0x63: {
    uint64_t b, n = v->of.agg.len;
    if (t->dkind == 0x63) {
      if ((e = store_map(cx, t, v, &b))) return e;
    } else {
      uint64_t es = abi_size(cx->ts, t->a, cx->mem64);
      uint32_t al = abi_align(cx->ts, t->a, cx->mem64);
      if (n && es > UINT32_MAX / n) return abi_trap(cx, "list too large to store");
      if ((e = abi_realloc(cx, 0, 0, al, n * es, &b))) return e;
      if (b % al) return abi_trap(cx, "unaligned pointer returned by realloc");
      if (!abi_in_range(cx, b, n * es)) return abi_trap(cx, "realloc returned an out-of-bounds pointer");
      if ((e = store_elems(cx, t->a, v->of.agg.items, (size_t)n, b))) return e;
    }
    if (!abi_in_range(cx, ptr, size)) return abi_trap(cx, "out of bounds store");
    abi_wr(cx, ptr, b, ps);
    abi_wr(cx, ptr + ps, n, ps);
    return NULL;
  }
  case 0x72: case 0x6f:
    if (v->of.agg.len != t->n) return mismatch(cx);
    for (uint32_t i = 0; i < t->n; i++) {
      comp_vt ft = t->fields[i].type;
      uint32_t fa = abi_align(cx->ts, ft, cx->mem64);
      ptr = (ptr + fa - 1) / fa * fa;
      if ((e = abi_store(cx, ft, &v->of.agg.items[i], ptr))) return e;
      ptr += abi_size(cx->ts, ft, cx->mem64);
    }
    return NULL;
  case 0x71: case 0x6d: case 0x6b: case 0x6a: {
    uint32_t c = v->of.var.index;
    if (c >= abi_ncases(t)) return mismatch(cx);
    comp_vt ct;
    bool has = abi_case_type(t, c, &ct);
    if (has != (v->of.var.payload != NULL)) return mismatch(cx);
    abi_wr(cx, ptr, c, abi_disc_size(t));
    if (has) return abi_store(cx, ct, v->of.var.payload, ptr + abi_payload_offset(cx->ts, t, cx->mem64));
    return NULL;
  }
  case 0x6e: abi_wr(cx, ptr, v->of.flags & abi_flags_mask(t->n), abi_flags_size(t->n)); return NULL;
  default: {
    uint32_t h;
    if ((e = lower_handle(cx, t, v, &h))) return e;
    abi_wr(cx, ptr, h, 4);
    return NULL;
  }
  }
}

/* ---- flat lifting ------------------------------------------------------------- */

static kumi_error *next(abi_cx *cx, abi_iter *it, uint64_t *x) {
  if (it->i >= it->n) {
    kumi_error *e = kb_error(cx->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "too few core values to lift");
    return e ? e : kb_error_oom();
  }
  *x = abi_val_bits(&it->v[it->i++]);
  return NULL;
}

/* The flat types of a variant-like type, in a fresh allocation of *n bytes. */
static kumi_error *variant_flat(abi_cx *cx, comp_vt vt, uint8_t **types, size_t *n) {
  uint64_t c = abi_flat_count(cx->ts, vt);
  if (c > ((uint64_t)1 << 24)) return abi_trap(cx, "variant too large to flatten");
  *types = kb_alloc(cx->alloc, (size_t)c);
  if (!*types) return kb_error_oom();
  if (!abi_flatten(cx->alloc, cx->ts, vt, cx->mem64, *types, (size_t)c, n)) {
    kb_free(cx->alloc, *types, (size_t)c);
    return kb_error_oom();
  }
  return NULL;
}

static kumi_error *lift_variant(abi_cx *cx, comp_vt vt, const comp_type *t, abi_iter *it, kumi_cval *out) {
  uint64_t c = 0;
  kumi_error *e = next(cx, it, &c);
  if (e) return e;
  c &= UINT32_MAX;
  if (c >= abi_ncases(t)) return abi_trap(cx, "variant discriminant out of range");
  uint8_t *joined;
  size_t nj;
  if ((e = variant_flat(cx, vt, &joined, &nj))) return e;
  size_t k = nj - 1; /* payload slots */
  if (it->n - it->i < k) {
    kb_free(cx->alloc, joined, nj);
    e = kb_error(cx->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "too few core values to lift");
    return e ? e : kb_error_oom();
  }
  comp_vt ct;
  kumi_cval pv, *pp = NULL;
  if (abi_case_type(t, (uint32_t)c, &ct)) {
    uint64_t m = abi_flat_count(cx->ts, ct);
    uint8_t *want = kb_alloc(cx->alloc, (size_t)m + 1);
    kumi_val *co = kb_alloc(cx->alloc, ((size_t)m + 1) * sizeof *co);
    size_t nm = 0;
    if (!want || !co || !abi_flatten(cx->alloc, cx->ts, ct, cx->mem64, want, (size_t)m, &nm)) {
      e = kb_error_oom();
    } else {
      for (size_t j = 0; j < nm; j++) {
        uint8_t have = joined[1 + j];
        uint64_t x = abi_val_bits(&it->v[it->i + j]);
        if (have == ABI_I64 && (want[j] == ABI_I32 || want[j] == ABI_F32)) x &= UINT32_MAX;
        co[j] = abi_mkval(want[j], x);
      }
      abi_iter sub = {co, nm, 0};
      if (!(e = abi_lift_flat(cx, ct, &sub, &pv))) pp = &pv;
    }
    kb_free(cx->alloc, want, (size_t)m + 1);
    kb_free(cx->alloc, co, ((size_t)m + 1) * sizeof *co);
  }
  kb_free(cx->alloc, joined, nj);
  if (e) return e;
  it->i += k;
  if (!kumi_cval_case(cx->alloc, kind_of(0, t), (uint32_t)c, pp, out)) {
    if (pp) kumi_cval_free(cx->alloc, pp);
    return kb_error_oom();
  }
  return NULL;
}

kumi_error *abi_lift_flat(abi_cx *cx, comp_vt vt, abi_iter *it, kumi_cval *out) {
  const comp_type *t;
  uint8_t p = abi_resolve(cx->ts, vt, &t);
  *out = kumi_cval_bool(false);
  uint64_t x = 0, y = 0;
  kumi_error *e;
  if (p == COMP_STRING || (!p && (t->dkind == 0x70 || t->dkind == 0x63))) {
    if ((e = next(cx, it, &x)) || (e = next(cx, it, &y))) return e;
    if (!cx->mem64) x &= UINT32_MAX, y &= UINT32_MAX;
    if (p) return abi_load_string_range(cx, x, y, out);
    return load_list_from_range(cx, t, x, y, out);
  }
  if (p) {
    if ((e = next(cx, it, &x))) return e;
    if (p != COMP_S64 && p != COMP_U64 && p != COMP_F64) x &= UINT32_MAX;
    if (p == COMP_CHAR && !abi_char_ok(x)) return abi_trap(cx, "invalid char");
    *out = int_val(p, x);
    return NULL;
  }
  switch (t->dkind) {
  case 0x67: case 0x72: case 0x6f: {
    size_t n = t->dkind == 0x67 ? t->len : t->n;
    if (!kumi_cval_agg(cx->alloc, kind_of(0, t), n, out)) return kb_error_oom();
    for (size_t i = 0; i < n; i++) {
      if ((e = abi_lift_flat(cx, t->dkind == 0x67 ? t->a : t->fields[i].type, it, &out->of.agg.items[i]))) {
        kumi_cval_free(cx->alloc, out);
        return e;
      }
    }
    return NULL;
  }
  case 0x71: case 0x6b: case 0x6a: return lift_variant(cx, vt, t, it, out);
  case 0x6d:
    if ((e = next(cx, it, &x))) return e;
    x &= UINT32_MAX;
    if (x >= t->n) return abi_trap(cx, "enum discriminant out of range");
    if (!kumi_cval_case(cx->alloc, KUMI_CV_ENUM, (uint32_t)x, NULL, out)) return kb_error_oom();
    return NULL;
  case 0x6e:
    if ((e = next(cx, it, &x))) return e;
    *out = kumi_cval_flags((uint32_t)x & abi_flags_mask(t->n));
    return NULL;
  default:
    if ((e = next(cx, it, &x))) return e;
    return lift_handle(cx, t, (uint32_t)x, out);
  }
}

/* ---- flat lowering ------------------------------------------------------------- */

static kumi_error *push(abi_cx *cx, abi_vals *out, uint8_t type, uint64_t bits) {
  return kb_vec_push(cx->alloc, out, abi_mkval(type, bits)) ? NULL : kb_error_oom();
}

static kumi_error *lower_variant(abi_cx *cx, comp_vt vt, const comp_type *t, const kumi_cval *v, abi_vals *out) {
  uint32_t c = v->of.var.index;
  if (c >= abi_ncases(t)) return mismatch(cx);
  comp_vt ct;
  bool has = abi_case_type(t, c, &ct);
  if (has != (v->of.var.payload != NULL)) return mismatch(cx);
  kumi_error *e = push(cx, out, ABI_I32, c);
  if (e) return e;
  uint8_t *joined;
  size_t nj;
  if ((e = variant_flat(cx, vt, &joined, &nj))) return e;
  size_t start = out->len;
  if (has) e = abi_lower_flat(cx, ct, v->of.var.payload, out);
  for (size_t j = 0; !e && j + 1 < nj; j++) {
    uint8_t want = joined[1 + j];
    if (start + j < out->len) {
      kumi_val *hv = &out->items[start + j];
      *hv = abi_mkval(want, abi_val_bits(hv)); /* i32/f32 bits zero-extend into i64 */
    } else {
      e = push(cx, out, want, 0);
    }
  }
  kb_free(cx->alloc, joined, nj);
  return e;
}

kumi_error *abi_lower_flat(abi_cx *cx, comp_vt vt, const kumi_cval *v, abi_vals *out) {
  const comp_type *t;
  uint8_t p = abi_resolve(cx->ts, vt, &t);
  if (v->kind != kind_of(p, t)) return mismatch(cx);
  uint8_t ptr = cx->mem64 ? ABI_I64 : ABI_I32;
  kumi_error *e;
  if (p == COMP_STRING) {
    abi_str s = {(const uint8_t *)v->of.str.ptr, ABI_UTF8, cx->mem64, v->of.str.len};
    uint64_t b, n;
    if ((e = abi_store_string_range(cx, &s, &b, &n))) return e;
    if ((e = push(cx, out, ptr, b))) return e;
    return push(cx, out, ptr, n);
  }
  if (p) {
    if (p == COMP_CHAR && !abi_char_ok(v->of.ch)) return mismatch(cx);
    uint8_t ct = p == COMP_S64 || p == COMP_U64 ? ABI_I64 : p == COMP_F32 ? ABI_F32 : p == COMP_F64 ? ABI_F64 : ABI_I32;
    uint64_t bits = int_bits(v);
    if (ct == ABI_I32) bits &= UINT32_MAX;
    return push(cx, out, ct, bits);
  }
  switch (t->dkind) {
  case 0x70: case 0x63: {
    uint64_t b, n = v->of.agg.len;
    if (t->dkind == 0x63) {
      if ((e = store_map(cx, t, v, &b))) return e;
    } else {
      uint64_t es = abi_size(cx->ts, t->a, cx->mem64);
      uint32_t al = abi_align(cx->ts, t->a, cx->mem64);
      if (n && es > UINT32_MAX / n) return abi_trap(cx, "list too large to store");
      if ((e = abi_realloc(cx, 0, 0, al, n * es, &b))) return e;
      if (b % al) return abi_trap(cx, "unaligned pointer returned by realloc");
      if (!abi_in_range(cx, b, n * es)) return abi_trap(cx, "realloc returned an out-of-bounds pointer");
      if ((e = store_elems(cx, t->a, v->of.agg.items, (size_t)n, b))) return e;
    }
    if ((e = push(cx, out, ptr, b))) return e;
    return push(cx, out, ptr, n);
  }
  case 0x67: case 0x72: case 0x6f: {
    size_t n = t->dkind == 0x67 ? t->len : t->n;
    if (v->of.agg.len != n) return mismatch(cx);
    for (size_t i = 0; i < n; i++)
      if ((e = abi_lower_flat(cx, t->dkind == 0x67 ? t->a : t->fields[i].type, &v->of.agg.items[i], out))) return e;
    return NULL;
  }
  case 0x71: case 0x6b: case 0x6a: return lower_variant(cx, vt, t, v, out);
  case 0x6d:
    if (v->of.var.index >= t->n || v->of.var.payload) return mismatch(cx);
    return push(cx, out, ABI_I32, v->of.var.index);
  case 0x6e: return push(cx, out, ABI_I32, v->of.flags & abi_flags_mask(t->n));
  default: {
    uint32_t h;
    if ((e = lower_handle(cx, t, v, &h))) return e;
    return push(cx, out, ABI_I32, h);
  }
  }
}

/* ---- values ---------------------------------------------------------------------- */

/* The layout of tuple<ts...>: alignment, size, and the flat count. */
static void tuple_layout(const abi_cx *cx, const comp_vt *ts, size_t n, uint32_t *align, uint64_t *size,
                         uint64_t *flat) {
  uint64_t s = 0, f = 0;
  uint32_t a = 1;
  for (size_t i = 0; i < n; i++) {
    uint32_t fa = abi_align(cx->ts, ts[i], cx->mem64);
    if (fa > a) a = fa;
    s = (s + fa - 1) / fa * fa + abi_size(cx->ts, ts[i], cx->mem64);
    f += abi_flat_count(cx->ts, ts[i]);
  }
  *align = a;
  *size = (s + a - 1) / a * a;
  *flat = f;
}

kumi_error *abi_lift_flat_values(abi_cx *cx, uint32_t max_flat, const comp_vt *ts, size_t n, abi_iter *it,
                                 kumi_cval *out) {
  uint32_t align;
  uint64_t size, flat;
  tuple_layout(cx, ts, n, &align, &size, &flat);
  for (size_t i = 0; i < n; i++) out[i] = kumi_cval_bool(false);
  kumi_error *e = NULL;
  if (flat > max_flat) {
    uint64_t ptr = 0;
    if ((e = next(cx, it, &ptr))) return e;
    if (!cx->mem64) ptr &= UINT32_MAX;
    if (ptr % align) return abi_trap(cx, "unaligned pointer to spilled values");
    if (!abi_in_range(cx, ptr, size)) return abi_trap(cx, "spilled values out of bounds");
    uint64_t off = ptr;
    for (size_t i = 0; !e && i < n; i++) {
      uint32_t fa = abi_align(cx->ts, ts[i], cx->mem64);
      off = (off + fa - 1) / fa * fa;
      e = abi_load(cx, ts[i], off, &out[i]);
      off += abi_size(cx->ts, ts[i], cx->mem64);
    }
  } else {
    for (size_t i = 0; !e && i < n; i++) e = abi_lift_flat(cx, ts[i], it, &out[i]);
  }
  if (e)
    for (size_t i = 0; i < n; i++) kumi_cval_free(cx->alloc, &out[i]);
  return e;
}

kumi_error *abi_lower_flat_values(abi_cx *cx, uint32_t max_flat, const comp_vt *ts, const kumi_cval *vs, size_t n,
                                  const uint64_t *retptr, abi_vals *out) {
  uint32_t align;
  uint64_t size, flat;
  tuple_layout(cx, ts, n, &align, &size, &flat);
  kumi_error *e;
  if (flat <= max_flat) {
    for (size_t i = 0; i < n; i++)
      if ((e = abi_lower_flat(cx, ts[i], &vs[i], out))) return e;
    return NULL;
  }
  uint64_t ptr = 0;
  if (!retptr) {
    if ((e = abi_realloc(cx, 0, 0, align, size, &ptr))) return e;
    if ((e = push(cx, out, cx->mem64 ? ABI_I64 : ABI_I32, ptr))) return e;
  } else {
    ptr = cx->mem64 ? *retptr : (*retptr & UINT32_MAX);
  }
  if (ptr % align) return abi_trap(cx, "unaligned pointer for spilled values");
  if (!abi_in_range(cx, ptr, size)) return abi_trap(cx, "spilled values out of bounds");
  uint64_t off = ptr;
  for (size_t i = 0; i < n; i++) {
    uint32_t fa = abi_align(cx->ts, ts[i], cx->mem64);
    off = (off + fa - 1) / fa * fa;
    if ((e = abi_store(cx, ts[i], &vs[i], off))) return e;
    off += abi_size(cx->ts, ts[i], cx->mem64);
  }
  return NULL;
}
