/* Canonical ABI layout: elem_size, alignment, discriminants, flattening
 * and flatten_functype (CanonicalABI.md, Alignment / Element Size /
 * Flattening). Pointer-sized values are 4 or 8 bytes (mem64). */
#include "abi.h"

#define SIZE_SAT ((uint64_t)1 << 62)
#define COUNT_SAT (UINT64_MAX / 2)

uint8_t abi_resolve(const comp_types *ts, comp_vt v, const comp_type **t) {
  if (v.prim) {
    *t = NULL;
    return v.prim;
  }
  const comp_type *d = comp_ty(ts, v.id);
  *t = d;
  if (comp_is_prim(d->dkind)) return d->dkind;
  return 0;
}

uint32_t abi_ncases(const comp_type *t) {
  return t->dkind == 0x6b || t->dkind == 0x6a ? 2 : t->n;
}

uint32_t abi_disc_size(const comp_type *t) {
  uint32_t n = abi_ncases(t);
  return n <= 256 ? 1 : n <= 65536 ? 2 : 4;
}

bool abi_case_type(const comp_type *t, uint32_t i, comp_vt *out) {
  switch (t->dkind) {
  case 0x71:
    if (i < t->n && t->fields[i].has_type) {
      *out = t->fields[i].type;
      return true;
    }
    return false;
  case 0x6b:
    if (i == 1) {
      *out = t->a;
      return true;
    }
    return false;
  case 0x6a:
    if (i == 0 && t->has_a) {
      *out = t->a;
      return true;
    }
    if (i == 1 && t->has_b) {
      *out = t->b;
      return true;
    }
    return false;
  default: return false; /* enum */
  }
}

uint32_t abi_flags_size(uint32_t n) { return n <= 8 ? 1 : n <= 16 ? 2 : 4; }

static uint64_t align_up(uint64_t x, uint64_t a) { return x >= SIZE_SAT ? SIZE_SAT : (x + a - 1) / a * a; }
static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b >= SIZE_SAT ? SIZE_SAT : a + b; }

static uint32_t prim_size(uint8_t p, bool mem64) {
  switch (p) {
  case COMP_BOOL: case COMP_S8: case COMP_U8: return 1;
  case COMP_S16: case COMP_U16: return 2;
  case COMP_S64: case COMP_U64: case COMP_F64: return 8;
  case COMP_STRING: return mem64 ? 16 : 8;
  default: return 4;
  }
}

static uint32_t max_case_align(const comp_types *ts, const comp_type *t, bool mem64) {
  uint32_t a = 1;
  if (t->dkind == 0x6d) return 1;
  uint32_t n = abi_ncases(t);
  for (uint32_t i = 0; i < n; i++) {
    comp_vt c;
    if (abi_case_type(t, i, &c)) {
      uint32_t ca = abi_align(ts, c, mem64);
      if (ca > a) a = ca;
    }
  }
  return a;
}

uint32_t abi_align(const comp_types *ts, comp_vt v, bool mem64) {
  const comp_type *t;
  uint8_t p = abi_resolve(ts, v, &t);
  if (p) return p == COMP_STRING ? (mem64 ? 8 : 4) : prim_size(p, mem64);
  switch (t->dkind) {
  case 0x70: case 0x63: return mem64 ? 8 : 4;
  case 0x67: return abi_align(ts, t->a, mem64);
  case 0x72: case 0x6f: {
    uint32_t a = 1;
    for (uint32_t i = 0; i < t->n; i++) {
      uint32_t fa = abi_align(ts, t->fields[i].type, mem64);
      if (fa > a) a = fa;
    }
    return a;
  }
  case 0x71: case 0x6d: case 0x6b: case 0x6a: {
    uint32_t d = abi_disc_size(t), c = max_case_align(ts, t, mem64);
    return d > c ? d : c;
  }
  case 0x6e: return abi_flags_size(t->n);
  default: return 4; /* own, borrow, stream, future */
  }
}

uint64_t abi_payload_offset(const comp_types *ts, const comp_type *t, bool mem64) {
  return align_up(abi_disc_size(t), max_case_align(ts, t, mem64));
}

uint64_t abi_size(const comp_types *ts, comp_vt v, bool mem64) {
  const comp_type *t;
  uint8_t p = abi_resolve(ts, v, &t);
  if (p) return prim_size(p, mem64);
  switch (t->dkind) {
  case 0x70: case 0x63: return mem64 ? 16 : 8;
  case 0x67: {
    uint64_t e = abi_size(ts, t->a, mem64);
    if (e && t->len > SIZE_SAT / e) return SIZE_SAT;
    return e * t->len;
  }
  case 0x72: case 0x6f: {
    uint64_t s = 0;
    uint32_t a = 1;
    for (uint32_t i = 0; i < t->n; i++) {
      uint32_t fa = abi_align(ts, t->fields[i].type, mem64);
      if (fa > a) a = fa;
      s = sat_add(align_up(s, fa), abi_size(ts, t->fields[i].type, mem64));
    }
    return align_up(s, a);
  }
  case 0x71: case 0x6d: case 0x6b: case 0x6a: {
    uint64_t payload = 0;
    uint32_t n = t->dkind == 0x6d ? 0 : abi_ncases(t);
    for (uint32_t i = 0; i < n; i++) {
      comp_vt c;
      if (abi_case_type(t, i, &c)) {
        uint64_t cs = abi_size(ts, c, mem64);
        if (cs > payload) payload = cs;
      }
    }
    uint64_t s = sat_add(abi_payload_offset(ts, t, mem64), payload);
    return align_up(s, abi_align(ts, v, mem64));
  }
  case 0x6e: return abi_flags_size(t->n);
  default: return 4;
  }
}

/* ---- flattening --------------------------------------------------------------- */

uint64_t abi_flat_count(const comp_types *ts, comp_vt v) {
  const comp_type *t;
  uint8_t p = abi_resolve(ts, v, &t);
  if (p) return p == COMP_STRING ? 2 : 1;
  switch (t->dkind) {
  case 0x70: case 0x63: return 2;
  case 0x67: {
    uint64_t e = abi_flat_count(ts, t->a);
    if (e && t->len > COUNT_SAT / e) return COUNT_SAT;
    return e * t->len;
  }
  case 0x72: case 0x6f: {
    uint64_t s = 0;
    for (uint32_t i = 0; i < t->n; i++) {
      s += abi_flat_count(ts, t->fields[i].type);
      if (s > COUNT_SAT) s = COUNT_SAT;
    }
    return s;
  }
  case 0x71: case 0x6b: case 0x6a: {
    uint64_t m = 0;
    uint32_t n = abi_ncases(t);
    for (uint32_t i = 0; i < n; i++) {
      comp_vt c;
      if (abi_case_type(t, i, &c)) {
        uint64_t k = abi_flat_count(ts, c);
        if (k > m) m = k;
      }
    }
    return m >= COUNT_SAT ? COUNT_SAT : m + 1;
  }
  default: return 1; /* enum, flags, handles */
  }
}

static uint8_t join(uint8_t a, uint8_t b) {
  if (a == b) return a;
  if ((a == ABI_I32 && b == ABI_F32) || (a == ABI_F32 && b == ABI_I32)) return ABI_I32;
  return ABI_I64;
}

/* Flattens v at out[*n..); the caller has checked that the count fits. */
static bool flatten_into(const kumi_allocator *a, const comp_types *ts, comp_vt v, bool mem64, uint8_t *out,
                         size_t *n) {
  const comp_type *t;
  uint8_t p = abi_resolve(ts, v, &t);
  uint8_t ptr = mem64 ? ABI_I64 : ABI_I32;
  if (p) {
    switch (p) {
    case COMP_S64: case COMP_U64: out[(*n)++] = ABI_I64; return true;
    case COMP_F32: out[(*n)++] = ABI_F32; return true;
    case COMP_F64: out[(*n)++] = ABI_F64; return true;
    case COMP_STRING: out[(*n)++] = ptr; out[(*n)++] = ptr; return true;
    default: out[(*n)++] = ABI_I32; return true;
    }
  }
  switch (t->dkind) {
  case 0x70: case 0x63: out[(*n)++] = ptr; out[(*n)++] = ptr; return true;
  case 0x67:
    for (uint32_t k = 0; k < t->len; k++)
      if (!flatten_into(a, ts, t->a, mem64, out, n)) return false;
    return true;
  case 0x72: case 0x6f:
    for (uint32_t i = 0; i < t->n; i++)
      if (!flatten_into(a, ts, t->fields[i].type, mem64, out, n)) return false;
    return true;
  case 0x71: case 0x6b: case 0x6a: {
    out[(*n)++] = ABI_I32;
    size_t base = *n, used = 0;
    uint32_t nc = abi_ncases(t);
    for (uint32_t i = 0; i < nc; i++) {
      comp_vt c;
      if (!abi_case_type(t, i, &c)) continue;
      size_t k = (size_t)abi_flat_count(ts, c);
      if (!k) continue;
      uint8_t *tmp = kb_alloc(a, k);
      if (!tmp) return false;
      size_t m = 0;
      bool ok = flatten_into(a, ts, c, mem64, tmp, &m);
      for (size_t j = 0; ok && j < m; j++) {
        if (j < used) out[base + j] = join(out[base + j], tmp[j]);
        else out[base + used++] = tmp[j];
      }
      kb_free(a, tmp, k);
      if (!ok) return false;
    }
    *n = base + used;
    return true;
  }
  default: out[(*n)++] = ABI_I32; return true;
  }
}

bool abi_flatten(const kumi_allocator *a, const comp_types *ts, comp_vt v, bool mem64, uint8_t *out, size_t cap,
                 size_t *count) {
  uint64_t c = abi_flat_count(ts, v);
  *count = 0;
  if (c > cap) return false;
  return flatten_into(a, ts, v, mem64, out, count);
}

bool abi_flatten_functype(const kumi_allocator *a, const comp_types *ts, const comp_type *ft, const abi_sigopts *o,
                          uint8_t *params, uint32_t *np, uint8_t *results, uint32_t *nr) {
  uint8_t ptr = o->mem64 ? ABI_I64 : ABI_I32;
  uint64_t pc = 0, rc = ft->has_result ? abi_flat_count(ts, ft->result) : 0;
  for (uint32_t i = 0; i < ft->n; i++) pc += abi_flat_count(ts, ft->fields[i].type);
  *np = *nr = 0;
  uint32_t max_params = !o->async || o->lift ? ABI_MAX_FLAT_PARAMS : ABI_MAX_FLAT_ASYNC_PARAMS;
  if (pc > max_params) {
    params[(*np)++] = ptr;
  } else {
    size_t n = 0;
    for (uint32_t i = 0; i < ft->n; i++) {
      size_t k;
      if (!abi_flatten(a, ts, ft->fields[i].type, o->mem64, params + n, max_params - n, &k)) return false;
      n += k;
    }
    *np = (uint32_t)n;
  }
  if (!o->async) {
    if (rc > ABI_MAX_FLAT_RESULTS) {
      if (o->lift) results[(*nr)++] = ptr;
      else params[(*np)++] = ptr;
    } else if (rc) {
      size_t k;
      if (!abi_flatten(a, ts, ft->result, o->mem64, results, 1, &k)) return false;
      *nr = (uint32_t)k;
    }
  } else if (o->lift) {
    if (o->callback) results[(*nr)++] = ABI_I32;
  } else {
    if (rc > 0) params[(*np)++] = ptr;
    results[(*nr)++] = ABI_I32;
  }
  return true;
}
