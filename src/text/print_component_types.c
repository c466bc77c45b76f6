/* The component printer's types (see print_component.c): core types
 * (function, module and GC types, the last read from the bytes since the
 * decoder keeps only their offset), component defined types, extern types,
 * name attributes and aliases. */
#include <inttypes.h>

#include "print_component.h"

/* ---- core types ---- */

static const char *heap_name(int64_t code) {
  switch (code) {
  case 0x70: return "func";
  case 0x6f: return "extern";
  case 0x6e: return "any";
  case 0x6d: return "eq";
  case 0x6c: return "i31";
  case 0x6b: return "struct";
  case 0x6a: return "array";
  case 0x71: return "none";
  case 0x72: return "noextern";
  case 0x73: return "nofunc";
  case 0x69: return "exn";
  case 0x74: return "noexn";
  case 0x68: return "cont";
  case 0x75: return "nocont";
  }
  return NULL;
}

bool text_cp_cvaltype(text_cprinter *p, const comp_core_valtype *t) {
  cp_put(p, " ");
  switch (t->code) {
  case 0x7f: cp_put(p, "i32"); return true;
  case 0x7e: cp_put(p, "i64"); return true;
  case 0x7d: cp_put(p, "f32"); return true;
  case 0x7c: cp_put(p, "f64"); return true;
  case 0x7b: cp_put(p, "v128"); return true;
  case COMP_CORE_REF: break;
  default: return text_cp_fail(p, "core value type");
  }
  const char *h = t->concrete ? NULL : heap_name(t->heap);
  if (!t->concrete && !h) return text_cp_fail(p, "core heap type");
  if (t->nullable && !t->shared && !t->concrete) {
    cp_putf(p, "%sref", h);
    return true;
  }
  cp_put(p, t->nullable ? "(ref null " : "(ref ");
  if (t->shared) cp_put(p, "(shared ");
  if (t->concrete) cp_putf(p, "%" PRId64, t->heap);
  else cp_put(p, h);
  if (t->shared) cp_put(p, ")");
  cp_put(p, ")");
  return true;
}

static bool cfunctype(text_cprinter *p, const comp_core_functype *f) {
  cp_put(p, "(func");
  if (f->nparams) {
    cp_put(p, " (param");
    for (uint32_t k = 0; k < f->nparams; k++)
      if (!text_cp_cvaltype(p, &f->params[k])) return false;
    cp_put(p, ")");
  }
  if (f->nresults) {
    cp_put(p, " (result");
    for (uint32_t k = 0; k < f->nresults; k++)
      if (!text_cp_cvaltype(p, &f->results[k])) return false;
    cp_put(p, ")");
  }
  cp_put(p, ")");
  return true;
}

static void climits(text_cprinter *p, const comp_core_limits *l) {
  if (l->is64) cp_put(p, " i64");
  cp_putf(p, " %" PRIu64, l->min);
  if (l->has_max) cp_putf(p, " %" PRIu64, l->max);
  if (l->shared) cp_put(p, " shared");
  if (l->has_page_size) cp_putf(p, " (pagesize %" PRIu64 ")", (uint64_t)1 << (l->page_size_log2 & 63));
}

static bool core_externtype(text_cprinter *p, const comp_core_externtype *e) {
  switch (e->kind) {
  case 0x00: cp_putf(p, " (func (type %" PRIu32 "))", e->type_idx); return true;
  case 0x01:
    cp_put(p, " (table");
    climits(p, &e->limits);
    if (!text_cp_cvaltype(p, &e->valtype)) return false;
    cp_put(p, ")");
    return true;
  case 0x02:
    cp_put(p, " (memory");
    climits(p, &e->limits);
    cp_put(p, ")");
    return true;
  case 0x03:
    cp_put(p, " (global");
    if (e->shared) cp_put(p, " shared");
    if (e->mut) cp_put(p, " (mut");
    if (!text_cp_cvaltype(p, &e->valtype)) return false;
    if (e->mut) cp_put(p, ")");
    cp_put(p, ")");
    return true;
  case 0x04: cp_putf(p, " (tag (type %" PRIu32 "))", e->type_idx); return true;
  }
  return text_cp_fail(p, "core extern type");
}

/* ---- GC core types, read from the bytes (the decoder keeps only their
 * offset: ast.h COMP_CORE_TYPE_GC) ---- */

static int64_t br_s33(text_breader *r) {
  int64_t v = 0;
  const char *why;
  if (r->bad || !kb_leb_s(r->p, r->end, &r->pos, 33, &v, &why)) r->bad = true;
  return v;
}

/* A core value type (decode.c's rd_core_valtype, leniently). */
static comp_core_valtype br_core_valtype(text_breader *r) {
  comp_core_valtype t;
  memset(&t, 0, sizeof t);
  uint8_t b = text_br_byte(r);
  if (b >= 0x7b && b <= 0x7f) {
    t.code = b;
  } else if (b == 0x63 || b == 0x64) {
    t.code = COMP_CORE_REF;
    t.nullable = b == 0x63;
    if (r->pos < r->end && r->p[r->pos] == 0x65) {
      r->pos++;
      t.shared = true;
    }
    int64_t v = br_s33(r);
    t.concrete = v >= 0;
    t.heap = v >= 0 ? v : (v & 0x7f);
  } else {
    t.code = COMP_CORE_REF;
    t.nullable = true;
    t.heap = b;
  }
  return t;
}

static bool gc_fieldtype(text_cprinter *p, text_breader *r) {
  uint8_t b = r->pos < r->end ? r->p[r->pos] : 0;
  bool ok = true;
  const char *packed = b == 0x78 ? "i8" : b == 0x77 ? "i16" : NULL;
  comp_core_valtype t;
  if (packed) r->pos++;
  else t = br_core_valtype(r);
  bool mut = text_br_byte(r) == 1;
  if (mut) cp_put(p, " (mut");
  if (packed) cp_put(p, " "), cp_put(p, packed);
  else ok = text_cp_cvaltype(p, &t);
  if (mut) cp_put(p, ")");
  return ok;
}

static bool gc_comptype(text_cprinter *p, text_breader *r) {
  uint8_t b = text_br_byte(r);
  bool shared = b == 0x65, ok = true;
  if (shared) {
    cp_put(p, "(shared ");
    b = text_br_byte(r);
  }
  switch (b) {
  case 0x60:
    cp_put(p, "(func");
    for (int k = 0; k < 2 && ok; k++) {
      uint32_t n = text_br_u32(r);
      if (n && !r->bad) cp_put(p, k ? " (result" : " (param");
      for (uint32_t j = 0; j < n && ok && !r->bad; j++) {
        comp_core_valtype t = br_core_valtype(r);
        ok = text_cp_cvaltype(p, &t);
      }
      if (n && !r->bad) cp_put(p, ")");
    }
    break;
  case 0x5f: {
    cp_put(p, "(struct");
    uint32_t n = text_br_u32(r);
    for (uint32_t j = 0; j < n && ok && !r->bad; j++) {
      cp_put(p, " (field");
      ok = gc_fieldtype(p, r);
      cp_put(p, ")");
    }
    break;
  }
  case 0x5e:
    cp_put(p, "(array");
    ok = gc_fieldtype(p, r);
    break;
  default: return text_cp_fail(p, "core composite type");
  }
  cp_put(p, ")");
  if (shared) cp_put(p, ")");
  return ok && !r->bad;
}

/* A sub type; non_final_prefixed: the 0x00 0x50 form of a top-level core
 * type definition. */
static bool gc_subtype(text_cprinter *p, text_breader *r) {
  uint8_t b = r->pos < r->end ? r->p[r->pos] : 0;
  if (b != 0x50 && b != 0x4f) return gc_comptype(p, r);
  r->pos++;
  cp_put(p, b == 0x4f ? "(sub final" : "(sub");
  uint32_t n = text_br_u32(r);
  for (uint32_t k = 0; k < n && !r->bad; k++) cp_u32(p, text_br_u32(r));
  cp_put(p, " ");
  if (!gc_comptype(p, r)) return false;
  cp_put(p, ")");
  return true;
}

/* The GC core type at the root binary's offset t->offset, after `(core
 * type` (or `(type` in a module type): ` $id? <subtype>` or ` (rec (type
 * $id? <subtype>)*)`, binding one core type index per type in sc. */
bool text_cp_gc_deftype(text_cprinter *p, text_cscope *sc, const comp_core_type *t) {
  text_breader r = {p->ast->bytes, t->offset, p->ast->len, false};
  bool ok = true;
  if (r.pos < r.end && r.p[r.pos] == 0x4e) {
    r.pos++;
    cp_put(p, " (rec");
    uint32_t n = text_br_u32(&r);
    for (uint32_t k = 0; k < n && ok && !r.bad; k++) {
      cp_put(p, " (type");
      text_cp_bind(p, sc, COMP_SORT_CORE_TYPE);
      cp_put(p, " ");
      ok = gc_subtype(p, &r);
      cp_put(p, ")");
    }
    cp_put(p, ")");
  } else {
    if (r.pos < r.end && r.p[r.pos] == 0x00) r.pos++; /* 0x00 0x50: a non-final sub type */
    text_cp_bind(p, sc, COMP_SORT_CORE_TYPE);
    cp_put(p, " ");
    ok = gc_subtype(p, &r);
  }
  if (r.bad && !p->err) text_cp_fail(p, "malformed GC core type");
  return ok && !r.bad;
}

/* A core type's body: `(func ...)` or `(module ...)`. */
bool text_cp_core_deftype(text_cprinter *p, const comp_core_type *t) {
  if (t->kind == COMP_CORE_TYPE_FUNC) return cfunctype(p, &t->func);
  if (t->kind == COMP_CORE_TYPE_GC) {
    /* gc_deftype writes a leading space after `(type`; drop ours. */
    if (p->out->len && p->out->data[p->out->len - 1] == ' ') p->out->len--;
    return text_cp_gc_deftype(p, NULL, t);
  }
  cp_put(p, "(module");
  p->indent++;
  for (uint32_t k = 0; k < t->ndecls; k++) {
    const comp_core_moduledecl *d = &t->decls[k];
    cp_newline(p);
    switch (d->kind) {
    case 0x00:
      cp_put(p, "(import");
      cp_str(p, d->module);
      cp_str(p, d->name);
      if (!core_externtype(p, &d->ext)) return false;
      cp_put(p, ")");
      break;
    case 0x01:
      cp_put(p, "(type ");
      if (!text_cp_core_deftype(p, d->type)) return false;
      cp_put(p, ")");
      break;
    case 0x02: cp_putf(p, "(alias outer %" PRIu32 " %" PRIu32 " (type))", d->outer_count, d->outer_idx); break;
    case 0x03:
      cp_put(p, "(export");
      cp_str(p, d->name);
      if (!core_externtype(p, &d->ext)) return false;
      cp_put(p, ")");
      break;
    default: return text_cp_fail(p, "module type declaration");
    }
  }
  p->indent--;
  cp_put(p, ")");
  return true;
}

/* ---- component types ---- */

void text_cp_valtype(text_cprinter *p, comp_valtype t) {
  if (t.prim) {
    cp_put(p, " ");
    cp_put(p, comp_prim_name(t.prim));
  } else {
    cp_u32(p, t.idx);
  }
}

void text_cp_extname(text_cprinter *p, const comp_extname *n) {
  cp_str(p, n->name);
  if (n->nimplements) cp_put(p, " (implements"), cp_str(p, n->implements), cp_put(p, ")");
  if (n->nversionsuffix) cp_put(p, " (versionsuffix"), cp_str(p, n->versionsuffix), cp_put(p, ")");
  if (n->nexternal_id) cp_put(p, " (external-id"), cp_str(p, n->external_id), cp_put(p, ")");
}

/* An externtype with an optional binding: `(func $id? (type i))`, ... */
void text_cp_externtype(text_cprinter *p, text_cscope *sc, const comp_externtype *e) {
  static const comp_sort sorts[] = {COMP_SORT_CORE_MODULE, COMP_SORT_FUNC,      COMP_SORT_VALUE,
                                    COMP_SORT_TYPE,        COMP_SORT_COMPONENT, COMP_SORT_INSTANCE};
  comp_sort s = sorts[e->kind < 6 ? e->kind : 1];
  cp_put(p, " (");
  text_cp_sort_kw(p, s);
  if (sc) text_cp_bind(p, sc, s);
  switch (e->kind) {
  case 0x02:
    text_cp_valtype(p, e->valtype);
    break;
  case 0x03:
    if (e->bound == 0) cp_putf(p, " (eq %" PRIu32 ")", e->idx);
    else cp_put(p, " (sub resource)");
    break;
  default: cp_putf(p, " (type %" PRIu32 ")", e->idx); break;
  }
  cp_put(p, ")");
}

bool text_cp_alias_body(text_cprinter *p, text_cscope *sc, const comp_alias *al) {
  switch (al->kind) {
  case 0x00: cp_put(p, "(alias export"); cp_u32(p, al->instance); cp_str(p, al->name); break;
  case 0x01: cp_put(p, "(alias core export"); cp_u32(p, al->instance); cp_str(p, al->name); break;
  case 0x02: cp_putf(p, "(alias outer %" PRIu32 " %" PRIu32, al->count, al->idx); break;
  default: return text_cp_fail(p, "alias kind");
  }
  cp_put(p, " (");
  text_cp_sort_kw(p, al->sort);
  if (sc) text_cp_bind(p, sc, al->sort);
  cp_put(p, "))");
  return true;
}

static bool decls(text_cprinter *p, const comp_deftype *t) {
  p->indent++;
  for (uint32_t k = 0; k < t->n; k++) {
    const comp_decl *d = &t->decls[k];
    cp_newline(p);
    switch (d->kind) {
    case 0x00:
      cp_put(p, "(core type ");
      if (!text_cp_core_deftype(p, d->core_type)) return false;
      cp_put(p, ")");
      break;
    case 0x01:
      cp_put(p, "(type ");
      if (!text_cp_deftype(p, d->type)) return false;
      cp_put(p, ")");
      break;
    case 0x02:
      if (!text_cp_alias_body(p, NULL, &d->alias)) return false;
      break;
    case 0x03:
    case 0x04:
      cp_put(p, d->kind == 0x03 ? "(import" : "(export");
      text_cp_extname(p, &d->name);
      text_cp_externtype(p, NULL, &d->ext);
      cp_put(p, ")");
      break;
    default: return text_cp_fail(p, "type declaration");
    }
  }
  p->indent--;
  return true;
}

/* A type definition's body (after `(type $id? `). */
bool text_cp_deftype(text_cprinter *p, const comp_deftype *t) {
  if (comp_is_prim(t->kind)) {
    cp_put(p, comp_prim_name(t->kind));
    return true;
  }
  switch (t->kind) {
  case 0x72:
    cp_put(p, "(record");
    for (uint32_t k = 0; k < t->n; k++) {
      cp_put(p, " (field");
      cp_str(p, t->items[k].label);
      text_cp_valtype(p, t->items[k].type);
      cp_put(p, ")");
    }
    break;
  case 0x71:
    cp_put(p, "(variant");
    for (uint32_t k = 0; k < t->n; k++) {
      cp_put(p, " (case");
      cp_str(p, t->items[k].label);
      if (t->items[k].has_type) text_cp_valtype(p, t->items[k].type);
      cp_put(p, ")");
    }
    break;
  case 0x70: cp_put(p, "(list"); text_cp_valtype(p, t->a); break;
  case 0x67: cp_put(p, "(list"); text_cp_valtype(p, t->a); cp_u32(p, t->len); break;
  case 0x6f:
    cp_put(p, "(tuple");
    for (uint32_t k = 0; k < t->n; k++) text_cp_valtype(p, t->types[k]);
    break;
  case 0x6e:
  case 0x6d:
    cp_put(p, t->kind == 0x6e ? "(flags" : "(enum");
    for (uint32_t k = 0; k < t->n; k++) cp_str(p, t->items[k].label);
    break;
  case 0x6b: cp_put(p, "(option"); text_cp_valtype(p, t->a); break;
  case 0x6a:
    cp_put(p, "(result");
    if (t->has_a) text_cp_valtype(p, t->a);
    if (t->has_b) cp_put(p, " (error"), text_cp_valtype(p, t->b), cp_put(p, ")");
    break;
  case 0x69: cp_put(p, "(own"); cp_u32(p, t->idx); break;
  case 0x68: cp_put(p, "(borrow"); cp_u32(p, t->idx); break;
  case 0x66:
  case 0x65:
    cp_put(p, t->kind == 0x66 ? "(stream" : "(future");
    if (t->has_a) text_cp_valtype(p, t->a);
    break;
  case 0x63: cp_put(p, "(map"); text_cp_valtype(p, t->a); text_cp_valtype(p, t->b); break;
  case 0x40:
  case 0x43:
    cp_put(p, t->kind == 0x43 ? "(func async" : "(func");
    for (uint32_t k = 0; k < t->n; k++) {
      cp_put(p, " (param");
      cp_str(p, t->items[k].label);
      text_cp_valtype(p, t->items[k].type);
      cp_put(p, ")");
    }
    if (t->has_result) cp_put(p, " (result"), text_cp_valtype(p, t->result), cp_put(p, ")");
    break;
  case 0x41:
  case 0x42:
    cp_put(p, t->kind == 0x41 ? "(component" : "(instance");
    if (!decls(p, t)) return false;
    break;
  case 0x3f:
    cp_put(p, "(resource (rep");
    if (!text_cp_cvaltype(p, &t->rep)) return false;
    cp_put(p, ")");
    if (t->has_dtor) cp_putf(p, " (dtor (core func %" PRIu32 "))", t->dtor);
    break;
  default: return text_cp_fail(p, "type definition");
  }
  cp_put(p, ")");
  return true;
}
