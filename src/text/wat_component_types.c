/* Type definitions of the component text format (see wat_component.h):
 * defined value types, function, component, instance and resource types,
 * core function and module types, type uses and extern descriptions.
 * Binary valtypes are a primitive or a type index, so an inline defined
 * type (e.g. `(list u8)` as a parameter type) is emitted as its own type
 * definition first and referred to by index. */
#include "wat_component.h"

static const struct {
  const char *name;
  uint8_t code;
} prims[] = {{"bool", 0x7f}, {"s8", 0x7e},     {"u8", 0x7d},     {"s16", 0x7c},    {"u16", 0x7b},
             {"s32", 0x7a},  {"u32", 0x79},    {"s64", 0x78},    {"u64", 0x77},    {"f32", 0x76},
             {"f64", 0x75},  {"float32", 0x76}, {"float64", 0x75}, {"char", 0x74},  {"string", 0x73},
             {"error-context", 0x64}};

static int prim_code(const text_token *t) {
  for (size_t k = 0; k < sizeof prims / sizeof prims[0]; k++)
    if (wat_is_kw(t, prims[k].name)) return prims[k].code;
  return -1;
}

static bool deftype(wc_parser *p, text_buf *b);

/* Emits the type definition in `def` into the current scope; its index. */
static bool emit_type(wc_parser *p, int sec, int cs, const text_buf *def, size_t id, uint32_t *index) {
  return wc_emit(p, sec, def) && wc_bind(p, cs, id, index);
}

bool wc_valtype(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  const text_token *t = wat_tok(w);
  int code = prim_code(t);
  if (code >= 0) {
    tb_byte(b, (uint8_t)code);
    w->i++;
    return true;
  }
  uint32_t index = 0;
  if (t->kind == TK_LPAR) {
    if (p->depth >= 200) return wat_fail(w, w->i, "types nested too deeply");
    p->depth++;
    text_buf d;
    tb_init(&d, w->a);
    bool ok = deftype(p, &d) && emit_type(p, 7, CS_TYPE, &d, SIZE_MAX, &index);
    tb_free(&d);
    p->depth--;
    if (!ok) return false;
  } else if (!wc_index(p, CS_TYPE, &index)) {
    return false;
  }
  tb_s64(b, index);
  return true;
}

/* `valtype?` before ')' (an optional payload). */
static bool opt_valtype(wc_parser *p, text_buf *b) {
  if (wat_tok(WC(p))->kind == TK_RPAR) {
    tb_byte(b, 0x00);
    return true;
  }
  tb_byte(b, 0x01);
  return wc_valtype(p, b);
}

static bool label(wc_parser *p, text_buf *b) { return wc_name(p, b); }

/* The parameters and result of a function type from the cursor. */
static bool functype_body(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  bool async = wat_is_kw(wat_tok(w), "async");
  if (async) w->i++;
  tb_byte(b, async ? 0x43 : 0x40);
  text_buf ps;
  tb_init(&ps, w->a);
  uint32_t n = 0;
  bool ok = true;
  while (ok && wat_at_form(w, "param")) {
    w->i += 2;
    ok = label(p, &ps) && wc_valtype(p, &ps) && wat_expect_rpar(w);
    n++;
  }
  tb_u32(b, n);
  tb_bytes(b, ps.data, ps.len);
  tb_free(&ps);
  if (!ok) return false;
  if (wat_at_form(w, "result") && w->t[w->i + 2].kind != TK_STRING) {
    w->i += 2;
    tb_byte(b, 0x00);
    ok = wc_valtype(p, b) && wat_expect_rpar(w);
  } else {
    /* Named results: the 0x01 form. */
    text_buf rs;
    tb_init(&rs, w->a);
    uint32_t nr = 0;
    while (ok && wat_at_form(w, "result")) {
      w->i += 2;
      ok = label(p, &rs) && wc_valtype(p, &rs) && wat_expect_rpar(w);
      nr++;
    }
    tb_byte(b, 0x01);
    tb_u32(b, nr);
    tb_bytes(b, rs.data, rs.len);
    tb_free(&rs);
  }
  return ok;
}

/* A component or instance type's declarators in a new scope, as 0x41/0x42. */
static bool scope_type(wc_parser *p, int kind, const text_token *id, text_buf *b) {
  wat_parser *w = WC(p);
  if (p->depth >= 200) return wat_fail(w, w->i, "types nested too deeply");
  p->depth++;
  wc_scope s;
  wc_scope_init(p, &s, kind, id);
  p->sc = &s;
  bool ok = kind == SC_MODTYPE ? false : wc_type_scope_decls(p);
  p->sc = s.parent;
  if (ok) {
    tb_byte(b, kind == SC_COMPTYPE ? 0x41 : 0x42);
    tb_u32(b, s.ndecls);
    tb_bytes(b, s.decls.data, s.decls.len);
  }
  wc_scope_free(&s);
  p->depth--;
  return ok;
}

static bool module_type(wc_parser *p, text_buf *b);

/* The defined type at the cursor: a primitive keyword or a form. */
static bool deftype(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  const text_token *id = p->type_id; /* only for the outermost type of a definition */
  p->type_id = NULL;
  const text_token *t = wat_tok(w);
  int code = prim_code(t);
  if (code >= 0) {
    tb_byte(b, (uint8_t)code);
    w->i++;
    return true;
  }
  if (t->kind != TK_LPAR) return wat_fail(w, w->i, "unexpected token, expected a type");
  const text_token *kw = &w->t[w->i + 1];
  w->i += 2;
  bool ok = true;
  text_buf items;
  tb_init(&items, w->a);
  uint32_t n = 0;
  if (wat_is_kw(kw, "record")) {
    while (ok && wat_at_form(w, "field")) {
      w->i += 2;
      ok = label(p, &items) && wc_valtype(p, &items) && wat_expect_rpar(w);
      n++;
    }
    tb_byte(b, 0x72);
  } else if (wat_is_kw(kw, "variant")) {
    kb_map ids;
    kb_map_init(&ids, w->a);
    while (ok && wat_at_form(w, "case")) {
      w->i += 2;
      size_t cid = wc_opt_id(p);
      void *old;
      if (cid != SIZE_MAX && kb_map_get(&ids, (const char *)w->t[cid].str, w->t[cid].slen, &old)) {
        ok = wat_fail(w, cid, "duplicate variant case identifier");
        break;
      }
      if (cid != SIZE_MAX && !kb_map_put(&ids, (const char *)w->t[cid].str, w->t[cid].slen, NULL)) {
        ok = wat_oom(w);
        break;
      }
      ok = label(p, &items);
      if (ok && wat_tok(w)->kind != TK_RPAR && !wat_at_form(w, "refines")) {
        tb_byte(&items, 0x01);
        ok = wc_valtype(p, &items);
      } else {
        tb_byte(&items, 0x00);
      }
      if (ok && wat_at_form(w, "refines")) ok = wat_fail(w, w->i, "unsupported: refines");
      tb_byte(&items, 0x00);
      ok = ok && wat_expect_rpar(w);
      n++;
    }
    kb_map_free(&ids);
    tb_byte(b, 0x71);
  } else if (wat_is_kw(kw, "list")) {
    ok = wc_valtype(p, &items);
    if (ok && wat_tok(w)->kind == TK_NAT) {
      uint64_t len;
      const char *why = text_nat(wat_tok(w)->str, wat_tok(w)->slen, 32, &len);
      if (why) ok = wat_fail(w, w->i, "%s", why);
      w->i++;
      tb_byte(b, 0x67);
      tb_bytes(b, items.data, items.len);
      tb_u32(b, (uint32_t)len);
    } else {
      tb_byte(b, 0x70);
      tb_bytes(b, items.data, items.len);
    }
    items.len = 0;
    n = UINT32_MAX;
  } else if (wat_is_kw(kw, "tuple")) {
    while (ok && wat_tok(w)->kind != TK_RPAR) {
      ok = wc_valtype(p, &items);
      n++;
    }
    tb_byte(b, 0x6f);
  } else if (wat_is_kw(kw, "flags") || wat_is_kw(kw, "enum")) {
    while (ok && wat_tok(w)->kind == TK_STRING) {
      ok = label(p, &items);
      n++;
    }
    tb_byte(b, wat_is_kw(kw, "flags") ? 0x6e : 0x6d);
  } else if (wat_is_kw(kw, "option")) {
    tb_byte(b, 0x6b);
    ok = wc_valtype(p, b);
    n = UINT32_MAX;
  } else if (wat_is_kw(kw, "result")) {
    tb_byte(b, 0x6a);
    if (wat_tok(w)->kind != TK_RPAR && !wat_at_form(w, "error")) {
      tb_byte(b, 0x01);
      ok = wc_valtype(p, b);
    } else {
      tb_byte(b, 0x00);
    }
    if (ok && wat_at_form(w, "error")) {
      w->i += 2;
      tb_byte(b, 0x01);
      ok = wc_valtype(p, b) && wat_expect_rpar(w);
    } else {
      tb_byte(b, 0x00);
    }
    n = UINT32_MAX;
  } else if (wat_is_kw(kw, "own") || wat_is_kw(kw, "borrow")) {
    uint32_t x = 0;
    ok = wc_index(p, CS_TYPE, &x);
    tb_byte(b, wat_is_kw(kw, "own") ? 0x69 : 0x68);
    tb_u32(b, x);
    n = UINT32_MAX;
  } else if (wat_is_kw(kw, "stream") || wat_is_kw(kw, "future")) {
    tb_byte(b, wat_is_kw(kw, "stream") ? 0x66 : 0x65);
    ok = opt_valtype(p, b);
    n = UINT32_MAX;
  } else if (wat_is_kw(kw, "map")) {
    tb_byte(b, 0x63);
    ok = wc_valtype(p, b) && wc_valtype(p, b);
    n = UINT32_MAX;
  } else if (wat_is_kw(kw, "func")) {
    ok = functype_body(p, b);
    n = UINT32_MAX;
  } else if (wat_is_kw(kw, "component") || wat_is_kw(kw, "instance")) {
    ok = scope_type(p, wat_is_kw(kw, "component") ? SC_COMPTYPE : SC_INSTTYPE, id, b);
    n = UINT32_MAX;
  } else if (wat_is_kw(kw, "resource")) {
    tb_byte(b, 0x3f);
    ok = wat_expect_form(w, "rep");
    uint8_t rep = 0;
    ok = ok && wat_valtype(w, &rep) && wat_expect_rpar(w);
    tb_byte(b, rep);
    if (ok && wat_at_form(w, "dtor")) {
      w->i += 2;
      uint32_t f = 0;
      ok = wc_ref(p, CS_CFUNC, wat_tok(w)->kind == TK_LPAR, &f) && wat_expect_rpar(w);
      tb_byte(b, 0x01);
      tb_u32(b, f);
    } else {
      tb_byte(b, 0x00);
    }
    n = UINT32_MAX;
  } else {
    ok = wat_fail(w, w->i - 1, "unexpected token, expected a type");
  }
  if (ok && n != UINT32_MAX) {
    tb_u32(b, n);
    tb_bytes(b, items.data, items.len);
  }
  tb_free(&items);
  return ok && wat_expect_rpar(w);
}

bool wc_type_def(wc_parser *p) {
  wat_parser *w = WC(p);
  if (p->sc->kind == SC_MODTYPE) return wc_core_type_def(p);
  w->i += 2;
  size_t id = wc_opt_id(p);
  if (wat_at_form(w, "alias")) return wc_alias_abbrev(p, CS_TYPE, id);
  wc_toks ex = {0};
  if (p->sc->kind != SC_COMPONENT && wat_at_form(w, "export"))
    return wat_fail(w, w->i, "unexpected token: inline export in a type");
  if (!wc_inline_exports(p, &ex)) {
    kb_vec_free(w->a, &ex);
    return false;
  }
  text_buf d;
  tb_init(&d, w->a);
  uint32_t index = 0;
  p->type_id = id == SIZE_MAX ? NULL : &w->t[id];
  bool ok = deftype(p, &d) && wat_expect_rpar(w) && emit_type(p, 7, CS_TYPE, &d, id, &index);
  tb_free(&d);
  if (!ok) {
    kb_vec_free(w->a, &ex);
    return false;
  }
  return wc_emit_inline_exports(p, &ex, CS_TYPE, index);
}

/* ---- core types ---- */

/* A core value type, reference types of the GC proposal included:
 * `i32` ... `funcref` `anyref` ... or `(ref null? heaptype)`. */
static bool core_val_type(wc_parser *p, text_buf *b) {
  static const struct {
    const char *name;
    uint8_t code;
  } kws[] = {{"i32", 0x7f},     {"i64", 0x7e},       {"f32", 0x7d},       {"f64", 0x7c},
             {"v128", 0x7b},    {"funcref", 0x70},   {"externref", 0x6f}, {"anyref", 0x6e},
             {"eqref", 0x6d},   {"i31ref", 0x6c},    {"structref", 0x6b}, {"arrayref", 0x6a},
             {"exnref", 0x69},  {"nullref", 0x71},   {"nullexternref", 0x72}, {"nullfuncref", 0x73}},
    heaps[] = {{"func", 0x70}, {"extern", 0x6f}, {"any", 0x6e},  {"eq", 0x6d},     {"i31", 0x6c},
               {"struct", 0x6b}, {"array", 0x6a}, {"exn", 0x69}, {"none", 0x71}, {"noextern", 0x72},
               {"nofunc", 0x73}, {"noexn", 0x74}};
  wat_parser *w = WC(p);
  for (size_t k = 0; k < sizeof kws / sizeof kws[0]; k++)
    if (wat_is_kw(wat_tok(w), kws[k].name)) {
      tb_byte(b, kws[k].code);
      w->i++;
      return true;
    }
  if (!wat_at_form(w, "ref")) return wat_fail(w, w->i, "unexpected token, expected a value type");
  w->i += 2;
  bool null = wat_is_kw(wat_tok(w), "null");
  if (null) w->i++;
  tb_byte(b, null ? 0x63 : 0x64);
  for (size_t k = 0; k < sizeof heaps / sizeof heaps[0]; k++)
    if (wat_is_kw(wat_tok(w), heaps[k].name)) {
      tb_byte(b, heaps[k].code);
      w->i++;
      return wat_expect_rpar(w);
    }
  uint32_t x = 0;
  if (!wc_index(p, CS_CTYPE, &x)) return false;
  tb_s64(b, x);
  return wat_expect_rpar(w);
}

/* `(param id? t*)* (result t*)*` as 0x60 vec vec. */
bool wc_core_functype(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  text_buf ps, rs;
  tb_init(&ps, w->a);
  tb_init(&rs, w->a);
  uint32_t np = 0, nr = 0;
  bool ok = true;
  while (ok && wat_at_form(w, "param")) {
    w->i += 2;
    bool named = wat_tok(w)->kind == TK_ID;
    if (named) w->i++;
    while (ok && wat_tok(w)->kind != TK_RPAR) {
      ok = core_val_type(p, &ps);
      np++;
      if (named) break;
    }
    ok = ok && wat_expect_rpar(w);
  }
  while (ok && wat_at_form(w, "result")) {
    w->i += 2;
    while (ok && wat_tok(w)->kind != TK_RPAR) {
      ok = core_val_type(p, &rs);
      nr++;
    }
    ok = ok && wat_expect_rpar(w);
  }
  tb_byte(b, 0x60);
  tb_u32(b, np);
  tb_bytes(b, ps.data, ps.len);
  tb_u32(b, nr);
  tb_bytes(b, rs.data, rs.len);
  tb_free(&ps);
  tb_free(&rs);
  return ok;
}

/* A core type use `(type idx)` or an inline function type; its index. */
static bool core_func_typeuse(wc_parser *p, uint32_t *type) {
  wat_parser *w = WC(p);
  if (wat_at_form(w, "type")) {
    w->i += 2;
    if (!wc_index(p, CS_CTYPE, type) || !wat_expect_rpar(w)) return false;
    if (!wat_at_form(w, "param") && !wat_at_form(w, "result")) return true;
    /* An inline signature after the index only repeats it. */
    text_buf d;
    tb_init(&d, w->a);
    bool ok = wc_core_functype(p, &d);
    tb_free(&d);
    return ok;
  }
  /* An inline signature in a module type refers to the first equal
   * explicitly defined function type of the scope (as wasm-tools encodes
   * it); otherwise it defines a new type, even when an earlier inline one
   * was equal. */
  text_buf d;
  tb_init(&d, w->a);
  bool ok = wc_core_functype(p, &d);
  void *v;
  if (ok && !d.oom && kb_map_get(&p->sc->functypes, (const char *)d.data, d.len, &v)) {
    *type = (uint32_t)((uintptr_t)v - 1);
  } else {
    ok = ok && emit_type(p, 3, CS_CTYPE, &d, SIZE_MAX, type);
  }
  tb_free(&d);
  return ok;
}

/* `i64? min max? shared?` of a memory or table type (flags: 1 max,
 * 2 shared, 4 64-bit). */
static bool limits(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  uint64_t mn = 0, mx = 0;
  uint8_t flags = 0;
  if (wat_is_kw(wat_tok(w), "i64")) {
    flags |= 4;
    w->i++;
  } else if (wat_is_kw(wat_tok(w), "i32")) {
    w->i++;
  }
  unsigned bits = flags & 4 ? 64 : 32;
  if (wat_tok(w)->kind != TK_NAT) return wat_fail(w, w->i, "unexpected token, expected a limit");
  const char *why = text_nat(wat_tok(w)->str, wat_tok(w)->slen, bits, &mn);
  if (why) return wat_fail(w, w->i, "%s", why);
  w->i++;
  if (wat_tok(w)->kind == TK_NAT) {
    why = text_nat(wat_tok(w)->str, wat_tok(w)->slen, bits, &mx);
    if (why) return wat_fail(w, w->i, "%s", why);
    w->i++;
    flags |= 1;
  }
  if (wat_is_kw(wat_tok(w), "shared")) {
    flags |= 2;
    w->i++;
  }
  tb_byte(b, flags);
  tb_u64(b, mn);
  if (flags & 1) tb_u64(b, mx);
  return true;
}

/* A core extern description `(func|memory|table|global|tag id? ...)`. */
static bool core_externdesc(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  if (wat_tok(w)->kind != TK_LPAR) return wat_fail(w, w->i, "unexpected token, expected an import description");
  const text_token *kw = &w->t[w->i + 1];
  w->i += 2;
  wc_opt_id(p);
  bool ok = true;
  if (wat_is_kw(kw, "func") || wat_is_kw(kw, "tag")) {
    uint32_t type = 0;
    ok = core_func_typeuse(p, &type);
    if (wat_is_kw(kw, "tag")) {
      tb_byte(b, 0x04);
      tb_byte(b, 0x00);
    } else {
      tb_byte(b, 0x00);
    }
    tb_u32(b, type);
  } else if (wat_is_kw(kw, "memory")) {
    tb_byte(b, 0x02);
    ok = limits(p, b);
  } else if (wat_is_kw(kw, "table")) {
    tb_byte(b, 0x01);
    text_buf l;
    tb_init(&l, w->a);
    ok = limits(p, &l) && core_val_type(p, b);
    tb_bytes(b, l.data, l.len);
    tb_free(&l);
  } else if (wat_is_kw(kw, "global")) {
    tb_byte(b, 0x03);
    bool mut = wat_at_form(w, "mut");
    if (mut) w->i += 2;
    ok = core_val_type(p, b) && (!mut || wat_expect_rpar(w));
    tb_byte(b, mut ? 1 : 0);
  } else {
    ok = wat_fail(w, w->i - 1, "unexpected token, expected an import description");
  }
  return ok && wat_expect_rpar(w);
}

/* Module type declarators up to ')', in a new scope, as 0x50 vec. */
static bool module_type(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  wc_scope s;
  wc_scope_init(p, &s, SC_MODTYPE, NULL);
  p->sc = &s;
  bool ok = true;
  while (ok && wat_tok(w)->kind == TK_LPAR) {
    const text_token *kw = &w->t[w->i + 1];
    text_buf d;
    tb_init(&d, w->a);
    if (wat_is_kw(kw, "import")) {
      w->i += 2;
      ok = wc_name(p, &d) && wc_name(p, &d) && core_externdesc(p, &d) && wat_expect_rpar(w) && wc_emit(p, 10, &d);
    } else if (wat_is_kw(kw, "export")) {
      w->i += 2;
      ok = wc_name(p, &d) && core_externdesc(p, &d) && wat_expect_rpar(w) && wc_emit(p, 11, &d);
    } else if (wat_is_kw(kw, "type") || (wat_is_kw(kw, "core") && wat_is_kw(&w->t[w->i + 2], "type"))) {
      ok = wc_core_type_def(p);
    } else if (wat_is_kw(kw, "alias")) {
      ok = wc_alias(p);
    } else if (wat_is_kw(kw, "rec")) {
      ok = wc_core_rec(p);
    } else {
      ok = wat_fail(w, w->i + 1, "unexpected token, expected a module type declaration");
    }
    tb_free(&d);
  }
  p->sc = s.parent;
  if (ok) {
    tb_byte(b, 0x50);
    tb_u32(b, s.ndecls);
    tb_bytes(b, s.decls.data, s.decls.len);
  }
  wc_scope_free(&s);
  return ok;
}

/* A GC field type `t`, `i8`, `i16` or `(mut t)`. */
static bool field_type(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  bool mut = wat_at_form(w, "mut");
  if (mut) w->i += 2;
  bool ok = true;
  if (wat_is_kw(wat_tok(w), "i8") || wat_is_kw(wat_tok(w), "i16")) {
    tb_byte(b, wat_is_kw(wat_tok(w), "i8") ? 0x78 : 0x77);
    w->i++;
  } else {
    ok = core_val_type(p, b);
  }
  tb_byte(b, mut ? 1 : 0);
  return ok && (!mut || wat_expect_rpar(w));
}

/* A composite type form `(func ...)`, `(struct ...)` or `(array ...)`. */
static bool comp_type(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  bool ok = true;
  if (wat_at_form(w, "func")) {
    w->i += 2;
    ok = wc_core_functype(p, b);
  } else if (wat_at_form(w, "struct")) {
    w->i += 2;
    text_buf fs;
    tb_init(&fs, w->a);
    uint32_t n = 0;
    while (ok && wat_at_form(w, "field")) {
      w->i += 2;
      bool named = wat_tok(w)->kind == TK_ID;
      if (named) w->i++;
      while (ok && wat_tok(w)->kind != TK_RPAR) {
        ok = field_type(p, &fs);
        n++;
        if (named) break;
      }
      ok = ok && wat_expect_rpar(w);
    }
    tb_byte(b, 0x5f);
    tb_u32(b, n);
    tb_bytes(b, fs.data, fs.len);
    tb_free(&fs);
  } else if (wat_at_form(w, "array")) {
    w->i += 2;
    tb_byte(b, 0x5e);
    ok = field_type(p, b);
  } else {
    return wat_fail(w, w->i, "unexpected token, expected (func, (struct or (array");
  }
  return ok && wat_expect_rpar(w);
}

/* A sub type: `(sub final? idx* comptype)` or a composite type (final, no
 * supertypes). top: a type of its own, where a non-final sub type is
 * prefixed by 0x00 (Binary.md, core:deftype). */
static bool sub_type(wc_parser *p, text_buf *b, bool top) {
  wat_parser *w = WC(p);
  if (!wat_at_form(w, "sub")) return comp_type(p, b);
  w->i += 2;
  bool final = wat_is_kw(wat_tok(w), "final");
  if (final) w->i++;
  text_buf xs;
  tb_init(&xs, w->a);
  uint32_t n = 0;
  bool ok = true;
  while (ok && (wat_tok(w)->kind == TK_ID || wat_tok(w)->kind == TK_NAT)) {
    uint32_t x = 0;
    ok = wc_index(p, CS_CTYPE, &x);
    tb_u32(&xs, x);
    n++;
  }
  /* A final type without supertypes is written as its composite type. */
  if (!final || n) {
    if (!final && top) tb_byte(b, 0x00);
    tb_byte(b, final ? 0x4f : 0x50);
    tb_u32(b, n);
    tb_bytes(b, xs.data, xs.len);
  }
  tb_free(&xs);
  return ok && comp_type(p, b) && wat_expect_rpar(w);
}

/* `rec (type id? subtype)*` (the cursor after its '('): one definition
 * holding several types. Every type's identifier is bound first, so the
 * types can refer to each other. close: the ')'s to take after it. */
static bool rec_type(wc_parser *p, int close) {
  wat_parser *w = WC(p);
  w->i++;
  bool ok = true;
  uint32_t n = 0;
  for (size_t k = w->i; ok && w->t[k].kind == TK_LPAR && wat_is_kw(&w->t[k + 1], "type");) {
    ok = wc_bind(p, CS_CTYPE, w->t[k + 2].kind == TK_ID ? k + 2 : SIZE_MAX, NULL);
    n++;
    size_t depth = 0;
    for (; w->t[k].kind != TK_EOF; k++) {
      if (w->t[k].kind == TK_LPAR) depth++;
      if (w->t[k].kind == TK_RPAR && --depth == 0) break;
    }
    if (w->t[k].kind == TK_EOF) ok = wat_fail(w, k, "unclosed parenthesis");
    k++;
  }
  text_buf b;
  tb_init(&b, w->a);
  tb_byte(&b, 0x4e);
  tb_u32(&b, n);
  while (ok && wat_at_form(w, "type")) {
    w->i += 2;
    wc_opt_id(p);
    ok = sub_type(p, &b, false) && wat_expect_rpar(w);
  }
  while (ok && close-- > 0) ok = wat_expect_rpar(w);
  ok = ok && wc_emit(p, 3, &b);
  tb_free(&b);
  return ok;
}

bool wc_core_rec(wc_parser *p) {
  WC(p)->i += wat_is_kw(&WC(p)->t[WC(p)->i + 1], "core") ? 2 : 1;
  return rec_type(p, 1);
}

bool wc_core_type_def(wc_parser *p) {
  wat_parser *w = WC(p);
  w->i += wat_is_kw(&w->t[w->i + 1], "core") ? 3 : 2;
  if (wat_at_form(w, "rec")) {
    w->i++;
    return rec_type(p, 2);
  }
  size_t id = wc_opt_id(p);
  text_buf d;
  tb_init(&d, w->a);
  bool ok;
  uint32_t index = 0;
  if (wat_at_form(w, "module")) {
    w->i += 2;
    if (p->sc->kind == SC_MODTYPE) ok = wat_fail(w, w->i - 1, "module types cannot nest");
    else ok = module_type(p, &d) && wat_expect_rpar(w);
    ok = ok && wat_expect_rpar(w) && emit_type(p, 3, CS_CTYPE, &d, id, &index);
  } else {
    /* Bound first: a type may refer to itself. In module types, a non-final
     * sub type has no 0x00 prefix (as wasm-tools encodes it). */
    ok = wc_bind(p, CS_CTYPE, id, &index) && sub_type(p, &d, p->sc->kind != SC_MODTYPE) && wat_expect_rpar(w) &&
         wc_emit(p, 3, &d);
  }
  void *v;
  if (ok && !d.oom && d.len && d.data[0] == 0x60 && !kb_map_get(&p->sc->functypes, (const char *)d.data, d.len, &v))
    ok = kb_map_put(&p->sc->functypes, (const char *)d.data, d.len, (void *)(uintptr_t)(index + 1)) || wat_oom(w);
  tb_free(&d);
  return ok;
}

/* ---- type uses and extern descriptions ---- */

bool wc_typeuse(wc_parser *p, int cs, uint32_t *type) {
  wat_parser *w = WC(p);
  bool core = cs == CS_CMODULE;
  if (wat_at_form(w, "type") && (w->t[w->i + 2].kind == TK_NAT || w->t[w->i + 2].kind == TK_ID) &&
      w->t[w->i + 3].kind == TK_RPAR) {
    w->i += 2;
    return wc_index(p, core ? CS_CTYPE : CS_TYPE, type) && wat_expect_rpar(w);
  }
  text_buf d;
  tb_init(&d, w->a);
  bool ok;
  if (cs == CS_FUNC) ok = functype_body(p, &d);
  else if (cs == CS_COMP) ok = scope_type(p, SC_COMPTYPE, NULL, &d);
  else if (cs == CS_INST) ok = scope_type(p, SC_INSTTYPE, NULL, &d);
  else ok = module_type(p, &d);
  ok = ok && emit_type(p, core ? 3 : 7, core ? CS_CTYPE : CS_TYPE, &d, SIZE_MAX, type);
  tb_free(&d);
  return ok;
}

bool wc_externdesc(wc_parser *p, text_buf *b, bool bind) {
  wat_parser *w = WC(p);
  if (wat_tok(w)->kind != TK_LPAR) return wat_fail(w, w->i, "unexpected token, expected an extern description");
  w->i++;
  size_t at = w->i;
  int cs = wc_sort(p);
  if (cs < 0 || (cs < CS_FUNC && cs != CS_CMODULE))
    return wat_fail(w, at, "unexpected token, expected an extern description");
  size_t id = wc_opt_id(p);
  return wc_externdesc_body(p, b, cs, id, bind) && wat_expect_rpar(w);
}

bool wc_externdesc_body(wc_parser *p, text_buf *b, int cs, size_t id, bool bind) {
  wat_parser *w = WC(p);
  size_t at = w->i;
  uint32_t x = 0;
  bool ok = true;
  switch (cs) {
  case CS_CMODULE:
    ok = wc_typeuse(p, cs, &x);
    tb_byte(b, 0x00);
    tb_byte(b, 0x11);
    tb_u32(b, x);
    break;
  case CS_FUNC: case CS_COMP: case CS_INST:
    ok = wc_typeuse(p, cs, &x);
    tb_byte(b, cs == CS_FUNC ? 0x01 : cs == CS_COMP ? 0x04 : 0x05);
    tb_u32(b, x);
    break;
  case CS_VALUE:
    /* The value type follows directly, as wasm-tools writes it (and kumi's
     * decoder reads it), not after a valuebound byte. */
    tb_byte(b, 0x02);
    if (wat_at_form(w, "eq")) {
      ok = wat_fail(w, w->i, "unsupported: (value (eq ...))");
    } else if (wat_at_form(w, "type")) {
      w->i += 2;
      ok = wc_index(p, CS_TYPE, &x) && wat_expect_rpar(w);
      tb_s64(b, x);
    } else {
      ok = wc_valtype(p, b);
    }
    break;
  case CS_TYPE:
    tb_byte(b, 0x03);
    if (wat_at_form(w, "eq")) {
      w->i += 2;
      tb_byte(b, 0x00);
      ok = wc_index(p, CS_TYPE, &x) && wat_expect_rpar(w);
      tb_u32(b, x);
    } else if (wat_at_form(w, "sub")) {
      w->i += 2;
      tb_byte(b, 0x01);
      ok = wat_is_kw(wat_tok(w), "resource") ? (w->i++, wat_expect_rpar(w))
                                              : wat_fail(w, w->i, "unexpected token, expected resource");
    } else {
      ok = wat_fail(w, w->i, "unexpected token, expected (eq ...) or (sub resource)");
    }
    break;
  default:
    return wat_fail(w, at, "unexpected token, expected an extern description");
  }
  if (ok && bind) ok = wc_bind(p, cs, id, NULL);
  return ok;
}
