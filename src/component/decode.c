/* The component binary decoder (Binary.md): bytes -> comp_ast. Checks only
 * what the encoding requires (preamble, section framing, LEB128, UTF-8,
 * opcodes, counts); every index and type rule is left to validate.c.
 * Messages follow the wording of the reference decoder where the
 * conformance suites quote it ("unexpected end-of-file", "invalid leading
 * byte (0x62) for component defined type", ...). */
#include "ast.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct reader {
  comp_ast *ast;
  const uint8_t *p;
  size_t pos, end; /* end: of the enclosing section or item */
  kumi_error *err;
  unsigned depth;
} reader;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool fail_at(reader *r, size_t offset, const char *fmt, ...) {
  if (r->err) return false;
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  r->err = kb_error(r->ast->alloc, KUMI_ERR_MALFORMED, offset, "%s", msg);
  return false;
}
#define FAIL(r, ...) fail_at((r), (r)->pos, __VA_ARGS__)

static bool oom(reader *r) {
  if (!r->err) r->err = kb_error_oom();
  return false;
}

static void *alloc_n(reader *r, size_t n, size_t size) {
  if (n == 0) n = 1;
  if (n > SIZE_MAX / size) {
    oom(r);
    return NULL;
  }
  void *p = kb_arena_alloc(&r->ast->arena, n * size);
  if (!p) oom(r);
  return p;
}

static bool rd_byte(reader *r, uint8_t *b) {
  *b = 0;
  if (r->pos >= r->end) return FAIL(r, "unexpected end-of-file");
  *b = r->p[r->pos++];
  return true;
}

static bool peek_byte(reader *r, uint8_t *b) {
  *b = 0;
  if (r->pos >= r->end) return FAIL(r, "unexpected end-of-file");
  *b = r->p[r->pos];
  return true;
}

static bool leb_fail(reader *r, size_t at, const char *why) {
  if (strcmp(why, "unexpected end") == 0) return fail_at(r, at, "unexpected end-of-file");
  return fail_at(r, at, "%s", why);
}

static bool rd_u32(reader *r, uint32_t *v) {
  uint64_t x = 0;
  const char *why;
  size_t at = r->pos;
  *v = 0;
  if (!kb_leb_u(r->p, r->end, &r->pos, 32, &x, &why)) return leb_fail(r, at, why);
  *v = (uint32_t)x;
  return true;
}

static bool rd_u64(reader *r, uint64_t *v) {
  const char *why;
  *v = 0;
  size_t at = r->pos;
  if (!kb_leb_u(r->p, r->end, &r->pos, 64, v, &why)) return leb_fail(r, at, why);
  return true;
}

static bool rd_s33(reader *r, int64_t *v) {
  const char *why;
  *v = 0;
  size_t at = r->pos;
  if (!kb_leb_s(r->p, r->end, &r->pos, 33, v, &why)) return leb_fail(r, at, why);
  return true;
}

/* A vector count: every item takes at least one byte, so a count larger
 * than what is left cannot be satisfied. */
static bool rd_count(reader *r, uint32_t *n) {
  if (!rd_u32(r, n)) return false;
  if (*n > r->end - r->pos) return FAIL(r, "unexpected end-of-file");
  return true;
}

static bool rd_name(reader *r, comp_str *out) {
  uint32_t n;
  if (!rd_u32(r, &n)) return false;
  if (n > r->end - r->pos) return FAIL(r, "unexpected end-of-file");
  if (!kb_utf8_valid(r->p + r->pos, n)) return FAIL(r, "malformed UTF-8 encoding");
  char *s = kb_arena_strndup(&r->ast->arena, (const char *)r->p + r->pos, n);
  if (!s) return oom(r);
  out->s = s;
  out->len = n;
  r->pos += n;
  return true;
}

static bool rd_bool(reader *r, uint8_t *flag) {
  if (!rd_byte(r, flag)) return false;
  if (*flag > 1) return fail_at(r, r->pos - 1, "invalid boolean value");
  return true;
}

static bool bad_byte(reader *r, uint8_t b, const char *what) {
  return fail_at(r, r->pos - 1, "invalid leading byte (0x%x) for %s", b, what);
}

/* A byte the encoding fixes at 0x00; what names it in the error. */
static bool rd_zero(reader *r, const char *what) {
  uint8_t z;
  if (!rd_byte(r, &z)) return false;
  return z == 0 || bad_byte(r, z, what);
}

bool comp_is_prim(uint8_t b) { return (b >= COMP_STRING && b <= COMP_BOOL) || b == COMP_ERROR_CONTEXT; }

static bool rd_valtype(reader *r, comp_valtype *vt) {
  uint8_t b;
  if (!peek_byte(r, &b)) return false;
  if (comp_is_prim(b)) {
    r->pos++;
    vt->prim = b;
    vt->idx = 0;
    return true;
  }
  int64_t v;
  if (!rd_s33(r, &v)) return false;
  vt->prim = 0;
  /* A negative s33 that is not a primitive can never be a valid index. */
  vt->idx = v < 0 || v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
  return true;
}

static bool rd_opt_valtype(reader *r, bool *has, comp_valtype *vt) {
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  if (b == 0) {
    *has = false;
    return true;
  }
  if (b != 1) return bad_byte(r, b, "optional component value type");
  *has = true;
  return rd_valtype(r, vt);
}

/* A function type's results (also task.return's): 0x00 and one value
 * type, or 0x01 0x00 for none. */
static bool rd_results(reader *r, bool *has_result, comp_valtype *result) {
  uint8_t k;
  if (!rd_byte(r, &k)) return false;
  if (k == 0x00) {
    *has_result = true;
    return rd_valtype(r, result);
  }
  if (k != 0x01) return bad_byte(r, k, "component function results");
  return rd_zero(r, "number of results");
}

/* A vector: its count into *n, then that many items of size bytes each,
 * each read by item; the items, or NULL (r->err set). */
static void *rd_vec(reader *r, uint32_t *n, size_t size, bool (*item)(reader *r, void *out)) {
  if (!rd_count(r, n)) return NULL;
  unsigned char *items = alloc_n(r, *n, size);
  if (!items) return NULL;
  for (uint32_t i = 0; i < *n; i++)
    if (!item(r, items + i * size)) return NULL;
  return items;
}

static bool rd_valtype_item(reader *r, void *out) { return rd_valtype(r, out); }

/* ---- core types ------------------------------------------------------------ */

static bool rd_heaptype(reader *r, comp_core_valtype *t) {
  uint8_t b;
  if (!peek_byte(r, &b)) return false;
  if (b == 0x65) { /* shared */
    r->pos++;
    t->shared = true;
    if (!peek_byte(r, &b)) return false;
  }
  int64_t v;
  size_t at = r->pos;
  if (!rd_s33(r, &v)) return false;
  if (v >= 0) {
    t->concrete = true;
    t->heap = v;
    return true;
  }
  uint8_t code = (uint8_t)(v & 0x7f);
  switch (code) {
  case 0x70: case 0x6f: case 0x6e: case 0x6d: case 0x6c: case 0x6b: case 0x6a:
  case 0x71: case 0x72: case 0x73: case 0x69: case 0x74: case 0x68: case 0x75:
    t->heap = code;
    return true;
  default:
    return fail_at(r, at, "invalid heap type");
  }
}

static bool rd_core_valtype(reader *r, comp_core_valtype *t) {
  uint8_t b;
  memset(t, 0, sizeof *t);
  if (!rd_byte(r, &b)) return false;
  switch (b) {
  case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x7b:
    t->code = b;
    return true;
  case 0x70: case 0x6f: case 0x6e: case 0x6d: case 0x6c: case 0x6b: case 0x6a:
  case 0x71: case 0x72: case 0x73: case 0x69: case 0x74: case 0x68: case 0x75:
    t->code = COMP_CORE_REF;
    t->nullable = true;
    t->heap = b;
    return true;
  case 0x63: case 0x64:
    t->code = COMP_CORE_REF;
    t->nullable = b == 0x63;
    return rd_heaptype(r, t);
  default:
    return fail_at(r, r->pos - 1, "invalid value type");
  }
}

static bool rd_core_valtype_item(reader *r, void *out) { return rd_core_valtype(r, out); }

static bool rd_core_valtypes(reader *r, uint32_t *n, comp_core_valtype **out) {
  return (*out = rd_vec(r, n, sizeof **out, rd_core_valtype_item)) != NULL;
}

static bool rd_limits(reader *r, comp_core_limits *l, bool table) {
  uint8_t flags;
  if (!rd_byte(r, &flags)) return false;
  if (flags & ~0x0f) return fail_at(r, r->pos - 1, "invalid %s limits flags", table ? "table" : "memory");
  l->has_max = flags & 1;
  l->shared = (flags & 2) != 0;
  l->is64 = (flags & 4) != 0;
  l->has_page_size = (flags & 8) != 0;
  if (l->is64) {
    if (!rd_u64(r, &l->min)) return false;
    if (l->has_max && !rd_u64(r, &l->max)) return false;
  } else {
    uint32_t v;
    if (!rd_u32(r, &v)) return false;
    l->min = v;
    if (l->has_max) {
      if (!rd_u32(r, &v)) return false;
      l->max = v;
    }
  }
  if (l->has_page_size && !rd_u32(r, &l->page_size_log2)) return false;
  return true;
}

static bool rd_core_externtype(reader *r, comp_core_externtype *e) {
  uint8_t b;
  memset(e, 0, sizeof *e);
  if (!rd_byte(r, &b)) return false;
  e->kind = b;
  switch (b) {
  case 0x00:
    return rd_u32(r, &e->type_idx);
  case 0x01:
    if (!rd_core_valtype(r, &e->valtype)) return false;
    if (e->valtype.code != COMP_CORE_REF) return FAIL(r, "malformed reference type");
    return rd_limits(r, &e->limits, true);
  case 0x02:
    return rd_limits(r, &e->limits, false);
  case 0x03: {
    if (!rd_core_valtype(r, &e->valtype)) return false;
    uint8_t m;
    if (!rd_byte(r, &m)) return false;
    if (m > 3) return fail_at(r, r->pos - 1, "malformed mutability");
    e->mut = m & 1;
    e->shared = (m & 2) != 0;
    return true;
  }
  case 0x04:
    return rd_zero(r, "tag attribute") && rd_u32(r, &e->type_idx);
  default:
    return bad_byte(r, b, "external kind");
  }
}

static bool rd_core_type(reader *r, comp_core_type **out);

/* A GC composite type: only its shape is checked. */
static bool skip_gc_comptype(reader *r) {
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  if (b == 0x65) { /* shared */
    if (!rd_byte(r, &b)) return false;
  }
  comp_core_valtype t;
  uint32_t n;
  switch (b) {
  case 0x60:
    for (int k = 0; k < 2; k++) {
      if (!rd_count(r, &n)) return false;
      for (uint32_t i = 0; i < n; i++)
        if (!rd_core_valtype(r, &t)) return false;
    }
    return true;
  case 0x5f:
  case 0x5e: {
    uint32_t nfields = 1;
    if (b == 0x5f && !rd_count(r, &nfields)) return false;
    for (uint32_t i = 0; i < nfields; i++) {
      uint8_t s;
      if (!peek_byte(r, &s)) return false;
      if (s == 0x78 || s == 0x77) r->pos++;
      else if (!rd_core_valtype(r, &t)) return false;
      uint8_t m;
      if (!rd_byte(r, &m)) return false;
      if (m > 1) return fail_at(r, r->pos - 1, "malformed mutability");
    }
    return true;
  }
  default:
    return bad_byte(r, b, "core composite type");
  }
}

static bool skip_gc_subtype(reader *r, uint8_t first) {
  uint32_t n, idx;
  if (first == 0x50 || first == 0x4f) {
    if (!rd_count(r, &n)) return false;
    for (uint32_t i = 0; i < n; i++)
      if (!rd_u32(r, &idx)) return false;
  } else {
    r->pos--; /* first is the composite type's own opcode */
  }
  return skip_gc_comptype(r);
}

static bool rd_moduledecl(reader *r, void *out) {
  comp_core_moduledecl *d = out;
  d->offset = (uint32_t)r->pos;
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  d->kind = b;
  switch (b) {
  case 0x00:
    return rd_name(r, &d->module) && rd_name(r, &d->name) && rd_core_externtype(r, &d->ext);
  case 0x01:
    return rd_core_type(r, &d->type);
  case 0x02: {
    uint8_t s, k;
    if (!rd_byte(r, &s)) return false;
    if (s != 0x10) return bad_byte(r, s, "outer alias kind");
    if (!rd_byte(r, &k)) return false;
    if (k != 0x01) return bad_byte(r, k, "outer alias target");
    return rd_u32(r, &d->outer_count) && rd_u32(r, &d->outer_idx);
  }
  case 0x03:
    return rd_name(r, &d->name) && rd_core_externtype(r, &d->ext);
  default:
    return bad_byte(r, b, "type definition");
  }
}

static bool rd_moduletype(reader *r, comp_core_type *t) {
  if (++r->depth > COMP_MAX_NESTING) return FAIL(r, "nesting too deep");
  if (!(t->decls = rd_vec(r, &t->ndecls, sizeof *t->decls, rd_moduledecl))) return false;
  r->depth--;
  return true;
}

static bool rd_core_type(reader *r, comp_core_type **out) {
  comp_core_type *t = alloc_n(r, 1, sizeof *t);
  if (!t) return false;
  *out = t;
  t->offset = (uint32_t)r->pos;
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  switch (b) {
  case 0x60:
    t->kind = COMP_CORE_TYPE_FUNC;
    return rd_core_valtypes(r, &t->func.nparams, &t->func.params) &&
           rd_core_valtypes(r, &t->func.nresults, &t->func.results);
  case 0x50:
    t->kind = COMP_CORE_TYPE_MODULE;
    return rd_moduletype(r, t);
  case 0x00: {
    uint8_t s;
    if (!rd_byte(r, &s)) return false;
    if (s != 0x50) return bad_byte(r, s, "non-final sub type");
    t->kind = COMP_CORE_TYPE_GC;
    return skip_gc_subtype(r, 0x50);
  }
  case 0x4e: {
    t->kind = COMP_CORE_TYPE_GC;
    uint32_t n;
    if (!rd_count(r, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
      uint8_t s;
      if (!rd_byte(r, &s)) return false;
      if (!skip_gc_subtype(r, s)) return false;
    }
    return true;
  }
  case 0x4f: case 0x5f: case 0x5e: case 0x65:
    t->kind = COMP_CORE_TYPE_GC;
    return skip_gc_subtype(r, b);
  default:
    return bad_byte(r, b, "core type");
  }
}

/* ---- component types --------------------------------------------------------- */

/* A record field or function parameter: label and type. */
static bool rd_field_item(reader *r, void *out) {
  comp_labeled *l = out;
  l->has_type = true;
  return rd_name(r, &l->label) && rd_valtype(r, &l->type);
}

/* A variant case: label, optional type, and a zero byte. */
static bool rd_case_item(reader *r, void *out) {
  comp_labeled *l = out;
  return rd_name(r, &l->label) && rd_opt_valtype(r, &l->has_type, &l->type) && rd_zero(r, "zero byte required");
}

static bool rd_labeled(reader *r, uint32_t *n, comp_labeled **out, bool variant) {
  return (*out = rd_vec(r, n, sizeof **out, variant ? rd_case_item : rd_field_item)) != NULL;
}

static bool rd_label_item(reader *r, void *out) { return rd_name(r, &((comp_labeled *)out)->label); }

static bool rd_labels(reader *r, uint32_t *n, comp_labeled **out) {
  return (*out = rd_vec(r, n, sizeof **out, rd_label_item)) != NULL;
}

static bool rd_core_sort(reader *r, comp_sort *s) {
  uint8_t c;
  if (!rd_byte(r, &c)) return false;
  switch (c) {
  case 0x00: *s = COMP_SORT_CORE_FUNC; return true;
  case 0x01: *s = COMP_SORT_CORE_TABLE; return true;
  case 0x02: *s = COMP_SORT_CORE_MEMORY; return true;
  case 0x03: *s = COMP_SORT_CORE_GLOBAL; return true;
  case 0x04: *s = COMP_SORT_CORE_TAG; return true;
  case 0x10: *s = COMP_SORT_CORE_TYPE; return true;
  case 0x11: *s = COMP_SORT_CORE_MODULE; return true;
  case 0x12: *s = COMP_SORT_CORE_INSTANCE; return true;
  default: return bad_byte(r, c, "core external kind");
  }
}

static bool rd_sort(reader *r, comp_sort *s) {
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  switch (b) {
  case 0x00: return rd_core_sort(r, s);
  case 0x01: *s = COMP_SORT_FUNC; return true;
  case 0x02: *s = COMP_SORT_VALUE; return true;
  case 0x03: *s = COMP_SORT_TYPE; return true;
  case 0x04: *s = COMP_SORT_COMPONENT; return true;
  case 0x05: *s = COMP_SORT_INSTANCE; return true;
  default: return bad_byte(r, b, "component external kind");
  }
}

/* A sort in an export, instantiation argument or inline export: of the
 * core sorts only `module` can cross a component boundary. */
static bool rd_extern_sort(reader *r, comp_sort *s) {
  uint8_t b;
  if (!peek_byte(r, &b)) return false;
  if (b == 0x00 && r->pos + 1 < r->end && r->p[r->pos + 1] != 0x11) {
    r->pos++;
    return bad_byte(r, r->p[r->pos++], "component external kind");
  }
  return rd_sort(r, s);
}

static bool rd_externtype(reader *r, comp_externtype *e) {
  uint8_t b;
  memset(e, 0, sizeof *e);
  e->offset = (uint32_t)r->pos;
  if (!rd_byte(r, &b)) return false;
  e->kind = b;
  switch (b) {
  case 0x00: {
    uint8_t c;
    if (!rd_byte(r, &c)) return false;
    if (c != 0x11) return bad_byte(r, c, "component external kind");
    return rd_u32(r, &e->idx);
  }
  case 0x01: case 0x04: case 0x05:
    return rd_u32(r, &e->idx);
  case 0x02:
    /* Binary.md has a valuebound byte here; the reference encoder (and so
     * every binary in the wild) writes the value type directly. */
    e->bound = 1;
    return rd_valtype(r, &e->valtype);
  case 0x03: {
    uint8_t k;
    if (!rd_byte(r, &k)) return false;
    e->bound = k;
    if (k == 0) return rd_u32(r, &e->idx);
    if (k == 1) return true;
    return bad_byte(r, k, "type bound");
  }
  default:
    return bad_byte(r, b, "component external kind");
  }
}

static bool rd_extname(reader *r, comp_extname *n) {
  memset(n, 0, sizeof *n);
  n->offset = (uint32_t)r->pos;
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  if (b > 2) return bad_byte(r, b, "component name");
  n->tag = b;
  if (!rd_name(r, &n->name)) return false;
  if (b < 2) return true;
  uint32_t count;
  if (!rd_count(r, &count)) return false;
  for (uint32_t i = 0; i < count; i++) {
    uint8_t k;
    if (!rd_byte(r, &k)) return false;
    switch (k) {
    case 0x00:
      if (!rd_name(r, &n->implements)) return false;
      if (n->nimplements < 255) n->nimplements++;
      break;
    case 0x01:
      if (!rd_name(r, &n->versionsuffix)) return false;
      if (n->nversionsuffix < 255) n->nversionsuffix++;
      break;
    case 0x02:
      if (!rd_name(r, &n->external_id)) return false;
      if (n->nexternal_id < 255) n->nexternal_id++;
      break;
    default:
      return bad_byte(r, k, "name option");
    }
  }
  return true;
}

/* alias: the sort's bytes come first, then the target tag; which sorts are
 * allowed depends on the tag. */
static bool rd_alias(reader *r, comp_alias *a) {
  memset(a, 0, sizeof *a);
  uint8_t b1, b2 = 0, tag;
  if (!rd_byte(r, &b1)) return false;
  if (b1 == 0x00 && !rd_byte(r, &b2)) return false;
  if (!rd_byte(r, &tag)) return false;
  a->kind = tag;
  /* Re-read the sort from its bytes. */
  reader sr = *r;
  uint8_t sb[2] = {b1, b2};
  sr.p = sb;
  sr.pos = 0;
  sr.end = b1 == 0x00 ? 2 : 1;
  switch (tag) {
  case 0x00:
  case 0x01:
    if (tag == 0x01 && b1 != 0x00) return bad_byte(r, b1, "core instance export alias kind");
    if (!rd_sort(&sr, &a->sort)) {
      r->err = sr.err;
      return false;
    }
    if (!rd_u32(r, &a->instance) || !rd_name(r, &a->name)) return false;
    return true;
  case 0x02:
    if (b1 == 0x00) {
      if (b2 == 0x10) a->sort = COMP_SORT_CORE_TYPE;
      else if (b2 == 0x11) a->sort = COMP_SORT_CORE_MODULE;
      else return fail_at(r, r->pos - 2, "invalid leading byte (0x%x) for component outer alias kind", b2);
    } else if (b1 == 0x03) {
      a->sort = COMP_SORT_TYPE;
    } else if (b1 == 0x04) {
      a->sort = COMP_SORT_COMPONENT;
    } else {
      return fail_at(r, r->pos - 2, "invalid leading byte (0x%x) for component outer alias kind", b1);
    }
    return rd_u32(r, &a->count) && rd_u32(r, &a->idx);
  default:
    return bad_byte(r, tag, "alias");
  }
}

static bool rd_deftype(reader *r, comp_deftype **out);

/* A declaration of a component type (imports allowed) or instance type. */
static bool rd_decl(reader *r, comp_decl *d, bool component) {
  d->offset = (uint32_t)r->pos;
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  d->kind = b;
  switch (b) {
  case 0x00:
    return rd_core_type(r, &d->core_type);
  case 0x01:
    return rd_deftype(r, &d->type);
  case 0x02:
    return rd_alias(r, &d->alias);
  case 0x03:
    if (!component) return bad_byte(r, b, "component or instance type declaration");
    return rd_extname(r, &d->name) && rd_externtype(r, &d->ext);
  case 0x04:
    return rd_extname(r, &d->name) && rd_externtype(r, &d->ext);
  default:
    return bad_byte(r, b, "component or instance type declaration");
  }
}

static bool rd_component_decl(reader *r, void *out) { return rd_decl(r, out, true); }
static bool rd_instance_decl(reader *r, void *out) { return rd_decl(r, out, false); }

static bool rd_decls(reader *r, comp_deftype *t, bool component) {
  t->decls = rd_vec(r, &t->n, sizeof *t->decls, component ? rd_component_decl : rd_instance_decl);
  return t->decls != NULL;
}

static bool rd_deftype(reader *r, comp_deftype **out) {
  comp_deftype *t = alloc_n(r, 1, sizeof *t);
  if (!t) return false;
  *out = t;
  t->offset = (uint32_t)r->pos;
  if (++r->depth > COMP_MAX_NESTING) return FAIL(r, "nesting too deep");
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  t->kind = b;
  bool ok;
  if (comp_is_prim(b)) {
    ok = true;
  } else {
    switch (b) {
    case 0x72: ok = rd_labeled(r, &t->n, &t->items, false); break;
    case 0x71: ok = rd_labeled(r, &t->n, &t->items, true); break;
    case 0x70: ok = rd_valtype(r, &t->a); break;
    case 0x67: ok = rd_valtype(r, &t->a) && rd_u32(r, &t->len); break;
    case 0x6f: ok = (t->types = rd_vec(r, &t->n, sizeof *t->types, rd_valtype_item)) != NULL; break;
    case 0x6e: case 0x6d: ok = rd_labels(r, &t->n, &t->items); break;
    case 0x6b: ok = rd_valtype(r, &t->a); break;
    case 0x6a: ok = rd_opt_valtype(r, &t->has_a, &t->a) && rd_opt_valtype(r, &t->has_b, &t->b); break;
    case 0x69: case 0x68: ok = rd_u32(r, &t->idx); break;
    case 0x66: case 0x65: ok = rd_opt_valtype(r, &t->has_a, &t->a); break;
    case 0x63: ok = rd_valtype(r, &t->a) && rd_valtype(r, &t->b); break;
    case 0x40:
    case 0x43: ok = rd_labeled(r, &t->n, &t->items, false) && rd_results(r, &t->has_result, &t->result); break;
    case 0x41: ok = rd_decls(r, t, true); break;
    case 0x42: ok = rd_decls(r, t, false); break;
    case 0x3f: {
      ok = rd_core_valtype(r, &t->rep);
      if (!ok) break;
      uint8_t k;
      if (!rd_byte(r, &k)) return false;
      if (k == 1) {
        t->has_dtor = true;
        ok = rd_u32(r, &t->dtor);
      } else if (k != 0) {
        return bad_byte(r, k, "optional resource destructor");
      }
      break;
    }
    default:
      return bad_byte(r, b, "component defined type");
    }
  }
  r->depth--;
  return ok;
}

/* ---- canonical definitions ------------------------------------------------- */

static bool rd_canonopt(reader *r, void *out) {
  comp_canonopt *o = out;
  o->offset = (uint32_t)r->pos;
  if (!rd_byte(r, &o->kind)) return false;
  switch (o->kind) {
  case 0x00: case 0x01: case 0x02: case 0x06: case 0x09:
    return true;
  case 0x03: case 0x04: case 0x05: case 0x07: case 0x08:
    return rd_u32(r, &o->idx);
  default:
    return bad_byte(r, o->kind, "canonical option");
  }
}

static bool rd_opts(reader *r, comp_canon *c) {
  return (c->opts = rd_vec(r, &c->nopts, sizeof *c->opts, rd_canonopt)) != NULL;
}

static bool rd_canon(reader *r, comp_canon *c) {
  memset(c, 0, sizeof *c);
  c->offset = (uint32_t)r->pos;
  if (!rd_byte(r, &c->op)) return false;
  switch (c->op) {
  case 0x00:
    return rd_zero(r, "canonical function lift") && rd_u32(r, &c->func) && rd_opts(r, c) && rd_u32(r, &c->type);
  case 0x01:
    return rd_zero(r, "canonical function lower") && rd_u32(r, &c->func) && rd_opts(r, c);
  case 0x02: case 0x03: case 0x04:
  case 0x0e: case 0x13: case 0x14: case 0x15: case 0x1a: case 0x1b:
    return rd_u32(r, &c->type);
  case 0x0f: case 0x10: case 0x16: case 0x17:
    return rd_u32(r, &c->type) && rd_opts(r, c);
  case 0x11: case 0x12: case 0x18: case 0x19:
    return rd_u32(r, &c->type) && rd_bool(r, &c->flag);
  case 0x05: case 0x0d: case 0x1e: case 0x1f: case 0x22: case 0x23: case 0x24: case 0x25:
  case 0x26: case 0x28:
    return true;
  case 0x06: case 0x0c: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d:
    return rd_bool(r, &c->flag);
  case 0x09:
    return rd_results(r, &c->has_result, &c->result) && rd_opts(r, c);
  case 0x0a: case 0x0b:
    return rd_core_valtype(r, &c->valtype) && rd_u32(r, &c->idx);
  case 0x1c: case 0x1d:
    return rd_opts(r, c);
  case 0x20: case 0x21:
    return rd_bool(r, &c->flag) && rd_u32(r, &c->idx);
  case 0x27:
    return rd_u32(r, &c->type) && rd_u32(r, &c->table);
  case 0x40:
    return rd_bool(r, &c->flag) && rd_u32(r, &c->type);
  case 0x41:
    return rd_bool(r, &c->flag) && rd_u32(r, &c->type) && rd_u32(r, &c->table);
  case 0x42:
    return rd_bool(r, &c->flag);
  default:
    return bad_byte(r, c->op, "canonical function");
  }
}

/* ---- sections ----------------------------------------------------------------- */

typedef KB_VEC(comp_def) def_vec;

static comp_def *new_def(reader *r, def_vec *defs, comp_def_kind kind) {
  comp_def d;
  memset(&d, 0, sizeof d);
  d.kind = kind;
  d.offset = (uint32_t)r->pos;
  if (!kb_vec_push(r->ast->alloc, defs, d)) {
    oom(r);
    return NULL;
  }
  return &defs->items[defs->len - 1];
}

static bool rd_component_body(reader *r, comp_component *c);

static bool rd_preamble(reader *r, bool component) {
  static const uint8_t magic[4] = {0, 'a', 's', 'm'};
  size_t start = r->pos;
  if (r->end - r->pos < 8) {
    if (r->end - r->pos >= 4 && memcmp(r->p + r->pos, magic, 4) != 0)
      return fail_at(r, start, "magic header not detected");
    return fail_at(r, r->end, "unexpected end-of-file");
  }
  if (memcmp(r->p + r->pos, magic, 4) != 0) return fail_at(r, start, "magic header not detected");
  const uint8_t *v = r->p + r->pos + 4;
  bool is_component = v[2] == 1 && v[3] == 0;
  bool is_module = v[2] == 0 && v[3] == 0;
  if (component) {
    if (!is_component) {
      if (is_module && v[0] == 1 && v[1] == 0) return fail_at(r, start + 4, "expected a version header for a component");
      if (!is_module) return fail_at(r, start + 4, "unknown binary version and encoding combination: 0x%x", v[2] | v[3] << 8);
      return fail_at(r, start + 4, "unknown binary version: 0x%x", v[0] | v[1] << 8);
    }
    if (v[0] != 0x0d || v[1] != 0) return fail_at(r, start + 4, "unknown binary version: 0x%x", v[0] | v[1] << 8);
  }
  r->pos += 8;
  return true;
}

static bool rd_core_module_section(reader *r, def_vec *defs, size_t end) {
  comp_def *d = new_def(r, defs, COMP_DEF_CORE_MODULE);
  if (!d) return false;
  size_t start = r->pos;
  static const uint8_t magic[4] = {0, 'a', 's', 'm'};
  if (end - start >= 8 && memcmp(r->p + start, magic, 4) == 0 && !(r->p[start + 6] == 0 && r->p[start + 7] == 0))
    return fail_at(r, start + 4, "expected a version header for a module");
  kumi_error *err = NULL;
  core_module *m = core_module_decode(r->ast->alloc, r->p + start, end - start, &err);
  if (!m) {
    if (err && err->alloc && err->offset != KUMI_NO_OFFSET) err->offset += start;
    r->err = err ? err : kb_error_oom();
    return false;
  }
  if (!kb_vec_push(r->ast->alloc, &r->ast->modules, m)) {
    core_module_free(m);
    return oom(r);
  }
  d->u.core_module.module = m;
  d->u.core_module.start = (uint32_t)start;
  d->u.core_module.len = (uint32_t)(end - start);
  r->pos = end;
  return true;
}

static bool rd_core_arg(reader *r, void *out) {
  comp_core_arg *a = out;
  if (!rd_name(r, &a->name)) return false;
  uint8_t s;
  if (!rd_byte(r, &s)) return false;
  if (s != 0x12) return bad_byte(r, s, "instantiation arg kind");
  return rd_u32(r, &a->idx);
}

static bool rd_core_inline_export(reader *r, void *out) {
  comp_core_inline_export *e = out;
  return rd_name(r, &e->name) && rd_core_sort(r, &e->sort) && rd_u32(r, &e->idx);
}

static bool rd_arg(reader *r, void *out) {
  comp_arg *a = out;
  a->offset = (uint32_t)r->pos;
  return rd_name(r, &a->name) && rd_extern_sort(r, &a->sort) && rd_u32(r, &a->idx);
}

static bool rd_inline_export(reader *r, void *out) {
  comp_inline_export *e = out;
  return rd_extname(r, &e->name) && rd_extern_sort(r, &e->sort) && rd_u32(r, &e->idx);
}

/* A core instance: 0x00 module args (instantiate), or 0x01 exports. */
static bool rd_core_instance(reader *r, comp_def *d) {
  uint8_t k;
  if (!rd_byte(r, &k)) return false;
  if (k == 0x01) {
    d->u.core_instance.exports =
        rd_vec(r, &d->u.core_instance.n, sizeof(comp_core_inline_export), rd_core_inline_export);
    return d->u.core_instance.exports != NULL;
  }
  if (k != 0x00) return bad_byte(r, k, "core instance");
  d->u.core_instance.instantiate = true;
  if (!rd_u32(r, &d->u.core_instance.module)) return false;
  d->u.core_instance.args = rd_vec(r, &d->u.core_instance.n, sizeof(comp_core_arg), rd_core_arg);
  return d->u.core_instance.args != NULL;
}

/* An instance: 0x00 component args (instantiate), or 0x01 exports. */
static bool rd_instance(reader *r, comp_def *d) {
  uint8_t k;
  if (!rd_byte(r, &k)) return false;
  if (k == 0x01) {
    d->u.instance.exports = rd_vec(r, &d->u.instance.n, sizeof(comp_inline_export), rd_inline_export);
    return d->u.instance.exports != NULL;
  }
  if (k != 0x00) return bad_byte(r, k, "instance");
  d->u.instance.instantiate = true;
  if (!rd_u32(r, &d->u.instance.component)) return false;
  d->u.instance.args = rd_vec(r, &d->u.instance.n, sizeof(comp_arg), rd_arg);
  return d->u.instance.args != NULL;
}

static bool rd_start(reader *r, comp_def *d) {
  if (!rd_u32(r, &d->u.start.func) || !rd_count(r, &d->u.start.nargs)) return false;
  if (d->u.start.nargs > COMP_MAX_START_ARITY) return FAIL(r, "start function arguments size is out of bounds");
  d->u.start.args = alloc_n(r, d->u.start.nargs, sizeof *d->u.start.args);
  if (!d->u.start.args) return false;
  for (uint32_t j = 0; j < d->u.start.nargs; j++)
    if (!rd_u32(r, &d->u.start.args[j])) return false;
  if (!rd_u32(r, &d->u.start.nresults)) return false;
  if (d->u.start.nresults > COMP_MAX_START_ARITY) return FAIL(r, "start function results size is out of bounds");
  return true;
}

static bool rd_export(reader *r, comp_def *d) {
  if (!rd_extname(r, &d->u.export_.name) || !rd_extern_sort(r, &d->u.export_.sort) || !rd_u32(r, &d->u.export_.idx))
    return false;
  uint8_t k;
  if (!rd_byte(r, &k)) return false;
  if (k == 1) {
    d->u.export_.has_type = true;
    return rd_externtype(r, &d->u.export_.ext);
  }
  return k == 0 || bad_byte(r, k, "optional component export type");
}

static bool rd_value(reader *r, comp_def *d) {
  uint32_t len;
  if (!rd_valtype(r, &d->u.value.type) || !rd_u32(r, &len)) return false;
  if (len > r->end - r->pos) return FAIL(r, "unexpected end-of-file");
  d->u.value.start = (uint32_t)r->pos;
  d->u.value.len = len;
  r->pos += len;
  return true;
}

/* One item of a vector section: section id -> its definition kind. */
static const comp_def_kind item_kind[13] = {
    [2] = COMP_DEF_CORE_INSTANCE, [3] = COMP_DEF_CORE_TYPE, [5] = COMP_DEF_INSTANCE, [6] = COMP_DEF_ALIAS,
    [7] = COMP_DEF_TYPE,          [8] = COMP_DEF_CANON,     [10] = COMP_DEF_IMPORT,  [11] = COMP_DEF_EXPORT,
    [12] = COMP_DEF_VALUE,
};

static bool rd_item(reader *r, uint8_t id, comp_def *d) {
  switch (id) {
  case 2: return rd_core_instance(r, d);
  case 3: return rd_core_type(r, &d->u.core_type);
  case 5: return rd_instance(r, d);
  case 6: return rd_alias(r, &d->u.alias);
  case 7: return rd_deftype(r, &d->u.type);
  case 8: return rd_canon(r, &d->u.canon);
  case 10: return rd_extname(r, &d->u.import.name) && rd_externtype(r, &d->u.import.ext);
  case 11: return rd_export(r, d);
  default: return rd_value(r, d);
  }
}

static bool rd_section(reader *r, uint8_t id, def_vec *defs, size_t end) {
  switch (id) {
  case 0: { /* custom: the name must decode; the contents are not checked */
    comp_str name;
    if (!rd_name(r, &name)) return false;
    r->pos = end;
    return true;
  }
  case 1:
    return rd_core_module_section(r, defs, end);
  case 4: {
    comp_def *d = new_def(r, defs, COMP_DEF_COMPONENT);
    if (!d) return false;
    comp_component *c = alloc_n(r, 1, sizeof *c);
    if (!c) return false;
    d->u.component = c;
    if (++r->depth > COMP_MAX_NESTING) return FAIL(r, "nesting too deep");
    size_t saved_end = r->end;
    r->end = end;
    c->offset = (uint32_t)r->pos;
    bool ok = rd_preamble(r, true) && rd_component_body(r, c);
    r->end = saved_end;
    r->depth--;
    return ok;
  }
  case 9: {
    comp_def *d = new_def(r, defs, COMP_DEF_START);
    return d && rd_start(r, d);
  }
  case 2: case 3: case 5: case 6: case 7: case 8: case 10: case 11: case 12: {
    uint32_t n;
    if (!rd_count(r, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
      comp_def *d = new_def(r, defs, item_kind[id]);
      if (!d || !rd_item(r, id, d)) return false;
    }
    return true;
  }
  default:
    return fail_at(r, r->pos, "malformed section id: %u", id);
  }
}

/* Reads sections until r->end. */
static bool rd_component_body(reader *r, comp_component *c) {
  def_vec defs = {0};
  bool ok = true;
  while (ok && r->pos < r->end) {
    size_t id_at = r->pos;
    uint8_t id;
    uint32_t size;
    if (!rd_byte(r, &id)) {
      ok = false;
      break;
    }
    if (id > 12) {
      ok = fail_at(r, id_at, "malformed section id: %u", id);
      break;
    }
    if (!rd_u32(r, &size)) {
      ok = false;
      break;
    }
    if (size > r->end - r->pos) {
      ok = fail_at(r, r->pos, "unexpected end-of-file");
      break;
    }
    size_t saved_end = r->end, end = r->pos + size;
    r->end = end;
    ok = rd_section(r, id, &defs, end);
    if (ok && r->pos != end) ok = fail_at(r, r->pos, "unexpected content in the section (section size mismatch)");
    r->end = saved_end;
  }
  if (ok) {
    c->ndefs = (uint32_t)defs.len;
    c->defs = alloc_n(r, defs.len, sizeof *c->defs);
    if (c->defs && defs.len) memcpy(c->defs, defs.items, defs.len * sizeof *defs.items);
    ok = c->defs != NULL;
  }
  kb_vec_free(r->ast->alloc, &defs);
  return ok;
}

void comp_ast_free(comp_ast *ast) {
  if (!ast) return;
  for (size_t i = 0; i < ast->modules.len; i++) core_module_free(ast->modules.items[i]);
  kb_vec_free(ast->alloc, &ast->modules);
  kb_arena_free(&ast->arena);
  kb_free(ast->alloc, ast, sizeof *ast);
}

comp_ast *comp_decode(const kumi_allocator *a, const uint8_t *bytes, size_t len, kumi_error **err) {
  *err = NULL;
  comp_ast *ast = kb_zalloc(a, sizeof *ast);
  if (!ast) {
    *err = kb_error_oom();
    return NULL;
  }
  ast->alloc = a;
  kb_arena_init(&ast->arena, a);
  ast->bytes = bytes;
  ast->len = len;
  reader r;
  memset(&r, 0, sizeof r);
  r.ast = ast;
  r.p = bytes;
  r.end = len;
  comp_component *root = alloc_n(&r, 1, sizeof *root);
  if (root && rd_preamble(&r, true) && rd_component_body(&r, root)) {
    ast->root = root;
    return ast;
  }
  *err = r.err ? r.err : kb_error_oom();
  comp_ast_free(ast);
  return NULL;
}

const char *comp_prim_name(uint8_t prim) {
  switch (prim) {
  case COMP_BOOL: return "bool";
  case COMP_S8: return "s8";
  case COMP_U8: return "u8";
  case COMP_S16: return "s16";
  case COMP_U16: return "u16";
  case COMP_S32: return "s32";
  case COMP_U32: return "u32";
  case COMP_S64: return "s64";
  case COMP_U64: return "u64";
  case COMP_F32: return "f32";
  case COMP_F64: return "f64";
  case COMP_CHAR: return "char";
  case COMP_STRING: return "string";
  case COMP_ERROR_CONTEXT: return "error-context";
  }
  return "?";
}
