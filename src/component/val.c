/* Component values (kumi_cval, include/kumi.h): constructors, deep free,
 * equality and cloning. Every allocation goes through the allocator given
 * (NULL: kb_default_allocator). */
#include "../base/base.h"

static const kumi_allocator *alloc_of(const kumi_allocator *a) { return a ? a : kb_default_allocator(); }

/* A value of the kind with every payload field zero. */
static kumi_cval blank(kumi_cvalkind kind) {
  kumi_cval v;
  memset(&v, 0, sizeof v);
  v.kind = kind;
  return v;
}

kumi_cval kumi_cval_bool(bool b) {
  kumi_cval v = blank(KUMI_CV_BOOL);
  v.of.b = b;
  return v;
}

kumi_cval kumi_cval_int(kumi_cvalkind kind, int64_t x) {
  kumi_cval v = blank(kind);
  switch (kind) {
  case KUMI_CV_S8: v.of.s = (int8_t)x; break;
  case KUMI_CV_S16: v.of.s = (int16_t)x; break;
  case KUMI_CV_S32: v.of.s = (int32_t)x; break;
  case KUMI_CV_S64: v.of.s = x; break;
  case KUMI_CV_U8: v.of.u = (uint8_t)x; break;
  case KUMI_CV_U16: v.of.u = (uint16_t)x; break;
  case KUMI_CV_U32: v.of.u = (uint32_t)x; break;
  default: v.of.u = (uint64_t)x; break;
  }
  return v;
}

kumi_cval kumi_cval_f32(uint32_t bits) {
  kumi_cval v = blank(KUMI_CV_F32);
  v.of.f32_bits = bits;
  return v;
}

kumi_cval kumi_cval_f64(uint64_t bits) {
  kumi_cval v = blank(KUMI_CV_F64);
  v.of.f64_bits = bits;
  return v;
}

kumi_cval kumi_cval_char(uint32_t c) {
  kumi_cval v = blank(KUMI_CV_CHAR);
  v.of.ch = c;
  return v;
}

kumi_cval kumi_cval_flags(uint32_t bits) {
  kumi_cval v = blank(KUMI_CV_FLAGS);
  v.of.flags = bits;
  return v;
}

kumi_cval kumi_cval_handle(kumi_cvalkind kind, uint32_t h) {
  kumi_cval v = blank(kind);
  v.of.handle = h;
  return v;
}

bool kumi_cval_string(const kumi_allocator *a, const char *s, size_t len, kumi_cval *out) {
  *out = kumi_cval_bool(false);
  if (!kb_utf8_valid((const uint8_t *)s, len)) return false;
  char *p = kb_alloc(alloc_of(a), len + 1);
  if (!p) return false;
  if (len) memcpy(p, s, len);
  p[len] = 0;
  out->kind = KUMI_CV_STRING;
  out->of.str.ptr = p;
  out->of.str.len = len;
  return true;
}

bool kumi_cval_agg(const kumi_allocator *a, kumi_cvalkind kind, size_t n, kumi_cval *out) {
  *out = kumi_cval_bool(false);
  kumi_cval *items = NULL;
  if (n) {
    if (n > SIZE_MAX / sizeof *items) return false;
    items = kb_alloc(alloc_of(a), n * sizeof *items);
    if (!items) return false;
    for (size_t i = 0; i < n; i++) items[i] = kumi_cval_bool(false);
  }
  out->kind = kind;
  out->of.agg.items = items;
  out->of.agg.len = n;
  return true;
}

bool kumi_cval_case(const kumi_allocator *a, kumi_cvalkind kind, uint32_t index, const kumi_cval *payload,
                    kumi_cval *out) {
  *out = kumi_cval_bool(false);
  kumi_cval *p = NULL;
  if (payload) {
    p = kb_alloc(alloc_of(a), sizeof *p);
    if (!p) return false;
    *p = *payload;
  }
  out->kind = kind;
  out->of.var.index = index;
  out->of.var.payload = p;
  return true;
}

void kumi_cval_free(const kumi_allocator *a, kumi_cval *v) {
  a = alloc_of(a);
  switch (v->kind) {
  case KUMI_CV_STRING: kb_free(a, v->of.str.ptr, v->of.str.len + 1); break;
  case KUMI_CV_LIST: case KUMI_CV_RECORD: case KUMI_CV_TUPLE: case KUMI_CV_MAP:
    for (size_t i = 0; i < v->of.agg.len; i++) kumi_cval_free(a, &v->of.agg.items[i]);
    kb_free(a, v->of.agg.items, v->of.agg.len * sizeof *v->of.agg.items);
    break;
  case KUMI_CV_VARIANT: case KUMI_CV_ENUM: case KUMI_CV_OPTION: case KUMI_CV_RESULT:
    if (v->of.var.payload) {
      kumi_cval_free(a, v->of.var.payload);
      kb_free(a, v->of.var.payload, sizeof *v->of.var.payload);
    }
    break;
  default: break;
  }
  *v = kumi_cval_bool(false);
}

bool kumi_cval_equal(const kumi_cval *x, const kumi_cval *y) {
  if (x->kind != y->kind) return false;
  switch (x->kind) {
  case KUMI_CV_BOOL: return x->of.b == y->of.b;
  case KUMI_CV_S8: case KUMI_CV_S16: case KUMI_CV_S32: case KUMI_CV_S64: return x->of.s == y->of.s;
  case KUMI_CV_U8: case KUMI_CV_U16: case KUMI_CV_U32: case KUMI_CV_U64: return x->of.u == y->of.u;
  case KUMI_CV_F32: return x->of.f32_bits == y->of.f32_bits;
  case KUMI_CV_F64: return x->of.f64_bits == y->of.f64_bits;
  case KUMI_CV_CHAR: return x->of.ch == y->of.ch;
  case KUMI_CV_FLAGS: return x->of.flags == y->of.flags;
  case KUMI_CV_STRING:
    return x->of.str.len == y->of.str.len && (x->of.str.len == 0 || memcmp(x->of.str.ptr, y->of.str.ptr, x->of.str.len) == 0);
  case KUMI_CV_LIST: case KUMI_CV_RECORD: case KUMI_CV_TUPLE: case KUMI_CV_MAP:
    if (x->of.agg.len != y->of.agg.len) return false;
    for (size_t i = 0; i < x->of.agg.len; i++)
      if (!kumi_cval_equal(&x->of.agg.items[i], &y->of.agg.items[i])) return false;
    return true;
  case KUMI_CV_VARIANT: case KUMI_CV_ENUM: case KUMI_CV_OPTION: case KUMI_CV_RESULT:
    if (x->of.var.index != y->of.var.index) return false;
    if (!x->of.var.payload || !y->of.var.payload) return !x->of.var.payload && !y->of.var.payload;
    return kumi_cval_equal(x->of.var.payload, y->of.var.payload);
  default: return x->of.handle == y->of.handle;
  }
}

bool kumi_cval_clone(const kumi_allocator *a, const kumi_cval *v, kumi_cval *out) {
  switch (v->kind) {
  case KUMI_CV_STRING: return kumi_cval_string(a, v->of.str.ptr, v->of.str.len, out);
  case KUMI_CV_LIST: case KUMI_CV_RECORD: case KUMI_CV_TUPLE: case KUMI_CV_MAP:
    if (!kumi_cval_agg(a, v->kind, v->of.agg.len, out)) return false;
    for (size_t i = 0; i < v->of.agg.len; i++)
      if (!kumi_cval_clone(a, &v->of.agg.items[i], &out->of.agg.items[i])) {
        kumi_cval_free(a, out);
        return false;
      }
    return true;
  case KUMI_CV_VARIANT: case KUMI_CV_ENUM: case KUMI_CV_OPTION: case KUMI_CV_RESULT: {
    if (!v->of.var.payload) return kumi_cval_case(a, v->kind, v->of.var.index, NULL, out);
    kumi_cval p;
    if (!kumi_cval_clone(a, v->of.var.payload, &p)) return false;
    if (!kumi_cval_case(a, v->kind, v->of.var.index, &p, out)) {
      kumi_cval_free(a, &p);
      return false;
    }
    return true;
  }
  default: *out = *v; return true;
  }
}
