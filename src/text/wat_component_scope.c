/* Components in the text format (see wat_component.h): scopes and their
 * index spaces, emission into sections or declarators, identifier and
 * index references (with the abbreviations that make aliases), names and
 * name attributes, inline exports, and the finished component binary with
 * its `component-name` section. */
#include "wat_component.h"

/* ---- scopes ---- */

void wc_scope_init(wc_parser *p, wc_scope *s, int kind, const text_token *id) {
  memset(s, 0, sizeof *s);
  s->parent = p->sc;
  s->kind = kind;
  s->id = id;
  s->sec = -1;
  for (int k = 0; k < CS_COUNT; k++) kb_map_init(&s->names[k], WC(p)->a);
  kb_map_init(&s->functypes, WC(p)->a);
  tb_init(&s->out, WC(p)->a);
  tb_init(&s->sec_buf, WC(p)->a);
  tb_init(&s->decls, WC(p)->a);
  tb_init(&s->trailing, WC(p)->a);
}

void wc_scope_free(wc_scope *s) {
  kb_vec_free(s->out.alloc, &s->pending);
  kb_vec_free(s->out.alloc, &s->named);
  for (int k = 0; k < CS_COUNT; k++) kb_map_free(&s->names[k]);
  kb_map_free(&s->functypes);
  tb_free(&s->out);
  tb_free(&s->sec_buf);
  tb_free(&s->decls);
  tb_free(&s->trailing);
}

bool wc_fail_oom(wc_parser *p, text_buf *b) {
  if (b && !b->oom) return true;
  return wat_oom(WC(p));
}

static void flush(wc_scope *s) {
  if (s->sec < 0) return;
  text_buf c;
  tb_init(&c, s->out.alloc);
  tb_u32(&c, s->sec_n);
  tb_bytes(&c, s->sec_buf.data, s->sec_buf.len);
  tb_byte(&s->out, (uint8_t)s->sec);
  tb_blob(&s->out, &c);
  if (c.oom) s->out.oom = true;
  tb_free(&c);
  s->sec_buf.len = 0;
  s->sec_n = 0;
  s->sec = -1;
}

bool wc_emit(wc_parser *p, int sec, const text_buf *item) {
  wc_scope *s = p->sc;
  if (item->oom) return wat_oom(WC(p));
  if (s->kind == SC_COMPONENT) {
    if (sec == 1 || sec == 4 || sec == 9) {
      flush(s);
      tb_byte(&s->out, (uint8_t)sec);
      tb_blob(&s->out, item);
    } else {
      if (s->sec != sec) flush(s);
      s->sec = sec;
      s->sec_n++;
      tb_bytes(&s->sec_buf, item->data, item->len);
    }
    return !s->out.oom && !s->sec_buf.oom ? true : wat_oom(WC(p));
  }
  int d = -1;
  if (s->kind == SC_MODTYPE) {
    d = sec == 10 ? 0x00 : sec == 3 ? 0x01 : sec == 6 ? 0x02 : sec == 11 ? 0x03 : -1;
  } else {
    d = sec == 3 ? 0x00 : sec == 7 ? 0x01 : sec == 6 ? 0x02 : sec == 11 ? 0x04 : -1;
    if (sec == 10 && s->kind == SC_COMPTYPE) d = 0x03;
  }
  if (d < 0) return wat_fail(WC(p), WC(p)->i, "definition not allowed in a type");
  if (s->ndecls == UINT32_MAX) return wat_fail(WC(p), WC(p)->i, "too many declarations");
  s->ndecls++;
  tb_byte(&s->decls, (uint8_t)d);
  tb_bytes(&s->decls, item->data, item->len);
  return s->decls.oom ? wat_oom(WC(p)) : true;
}

const char *const wc_space_names[CS_COUNT] = {
    "core func", "core table", "core memory", "core global", "core tag", "core type", "core module",
    "core instance", "func", "value", "type", "component", "instance"};

bool wc_bind(wc_parser *p, int cs, size_t k, uint32_t *index) {
  wc_scope *s = p->sc;
  if (s->count[cs] == UINT32_MAX) return wat_fail(WC(p), WC(p)->i, "too many definitions");
  uint32_t x = s->count[cs]++;
  if (index) *index = x;
  if (k == SIZE_MAX) return true;
  const text_token *t = &WC(p)->t[k];
  if (t->kind != TK_ID) return true;
  void *old;
  if (kb_map_get(&s->names[cs], (const char *)t->str, t->slen, &old))
    return wat_fail(WC(p), k, "duplicate %s identifier $%.*s", wc_space_names[cs], (int)t->slen, t->str);
  if (!kb_map_put(&s->names[cs], (const char *)t->str, t->slen, (void *)(uintptr_t)(x + 1))) return wat_oom(WC(p));
  wc_named nm = {cs, x, t};
  if (s->kind == SC_COMPONENT && !kb_vec_push(WC(p)->a, &s->named, nm)) return wat_oom(WC(p));
  return true;
}

size_t wc_opt_id(wc_parser *p) {
  if (wat_tok(WC(p))->kind != TK_ID) return SIZE_MAX;
  return WC(p)->i++;
}

const uint8_t wc_core_sort_byte[8] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x12};

void wc_put_sort(text_buf *b, int cs) {
  if (cs < CS_FUNC) {
    tb_byte(b, 0x00);
    tb_byte(b, wc_core_sort_byte[cs]);
  } else {
    tb_byte(b, (uint8_t)(cs - CS_FUNC + 1));
  }
}

/* An alias of an outer definition, emitted into the current scope. */
static bool outer_alias(wc_parser *p, int cs, uint32_t count, uint32_t index, uint32_t *out) {
  text_buf b;
  tb_init(&b, WC(p)->a);
  if (p->sc->kind == SC_MODTYPE) {
    tb_byte(&b, 0x10);
    tb_byte(&b, 0x01);
  } else {
    wc_put_sort(&b, cs);
    tb_byte(&b, 0x02);
  }
  tb_u32(&b, count);
  tb_u32(&b, index);
  bool ok = wc_emit(p, 6, &b) && wc_bind(p, cs, SIZE_MAX, out);
  tb_free(&b);
  return ok;
}

bool wc_index(wc_parser *p, int cs, uint32_t *out) {
  const text_token *t = wat_tok(WC(p));
  if (t->kind == TK_NAT) {
    uint64_t v;
    const char *why = text_nat(t->str, t->slen, 32, &v);
    if (why) return wat_fail(WC(p), WC(p)->i, "%s", why);
    *out = (uint32_t)v;
    WC(p)->i++;
    return true;
  }
  if (t->kind != TK_ID) return wat_fail(WC(p), WC(p)->i, "unexpected token, expected a %s index", wc_space_names[cs]);
  void *v;
  if (kb_map_get(&p->sc->names[cs], (const char *)t->str, t->slen, &v)) {
    *out = (uint32_t)((uintptr_t)v - 1);
    WC(p)->i++;
    return true;
  }
  /* An identifier of an enclosing scope: types, modules and components
   * can be aliased from there (an implicit `alias outer`). */
  bool outer_ok = (cs == CS_TYPE || cs == CS_CTYPE || cs == CS_CMODULE || cs == CS_COMP) && p->sc->kind != SC_MODTYPE;
  uint32_t depth = 0;
  for (wc_scope *s = p->sc->parent; outer_ok && s; s = s->parent) {
    depth++;
    if (!kb_map_get(&s->names[cs], (const char *)t->str, t->slen, &v)) continue;
    if (!outer_alias(p, cs, depth, (uint32_t)((uintptr_t)v - 1), out)) return false;
    if (!kb_map_put(&p->sc->names[cs], (const char *)t->str, t->slen, (void *)(uintptr_t)(*out + 1)))
      return wat_oom(WC(p));
    wc_named nm = {cs, *out, t};
    if (p->sc->kind == SC_COMPONENT && !kb_vec_push(WC(p)->a, &p->sc->named, nm)) return wat_oom(WC(p));
    WC(p)->i++;
    return true;
  }
  return wat_fail(WC(p), WC(p)->i, "unknown %s $%.*s", wc_space_names[cs], (int)t->slen, t->str);
}

int wc_sort(wc_parser *p) {
  static const char *const core[] = {"func", "table", "memory", "global", "tag", "type", "module", "instance"};
  static const char *const comp[] = {"func", "value", "type", "component", "instance"};
  const text_token *t = wat_tok(WC(p));
  if (wat_is_kw(t, "core")) {
    for (int k = 0; k < 8; k++)
      if (wat_is_kw(&WC(p)->t[WC(p)->i + 1], core[k])) {
        WC(p)->i += 2;
        return k;
      }
    return -1;
  }
  for (int k = 0; k < 5; k++)
    if (wat_is_kw(t, comp[k])) {
      WC(p)->i++;
      return CS_FUNC + k;
    }
  return -1;
}

bool wc_name(wc_parser *p, text_buf *b) {
  const text_token *t = wat_tok(WC(p));
  if (t->kind != TK_STRING) return wat_fail(WC(p), WC(p)->i, "unexpected token, expected a string");
  if (!kb_utf8_valid(t->str, t->slen)) return wat_fail(WC(p), WC(p)->i, "malformed UTF-8 encoding");
  tb_name(b, t->str, t->slen);
  WC(p)->i++;
  return true;
}

/* An export alias of instance inst's export `name` (token k) into cs. */
static bool export_alias(wc_parser *p, int cs, uint32_t inst, size_t k, uint32_t *out) {
  text_buf b;
  tb_init(&b, WC(p)->a);
  wc_put_sort(&b, cs);
  tb_byte(&b, cs < CS_FUNC && cs != CS_CMODULE ? 0x01 : 0x00);
  tb_u32(&b, inst);
  size_t save = WC(p)->i;
  WC(p)->i = k;
  bool ok = wc_name(p, &b);
  WC(p)->i = save;
  ok = ok && wc_emit(p, 6, &b) && wc_bind(p, cs, SIZE_MAX, out);
  tb_free(&b);
  return ok;
}

bool wc_ref(wc_parser *p, int cs, bool paren, uint32_t *out) {
  wat_parser *w = WC(p);
  if (paren) {
    if (wat_tok(w)->kind != TK_LPAR) return wat_fail(w, w->i, "unexpected token, expected (%s ...)", wc_space_names[cs]);
    w->i++;
    size_t at = w->i;
    /* Core sorts may be written without `core` here: (func $i "f"). */
    bool bare = cs < CS_FUNC && !wat_is_kw(wat_tok(w), "core") &&
                wat_is_kw(wat_tok(w), wc_space_names[cs] + 5);
    if (bare) w->i++;
    else if (wc_sort(p) != cs) return wat_fail(w, at, "unexpected token, expected %s", wc_space_names[cs]);
  }
  if ((wat_tok(w)->kind == TK_ID || wat_tok(w)->kind == TK_NAT) && w->t[w->i + 1].kind == TK_STRING) {
    /* Core modules are exported by component instances. */
    int inst_cs = cs < CS_FUNC && cs != CS_CMODULE ? CS_CINST : CS_INST;
    uint32_t inst;
    if (!wc_index(p, inst_cs, &inst)) return false;
    while (wat_tok(w)->kind == TK_STRING) {
      bool last = w->t[w->i + 1].kind != TK_STRING;
      if (!last && inst_cs == CS_CINST) return wat_fail(w, w->i + 1, "unexpected token");
      if (!export_alias(p, last ? cs : CS_INST, inst, w->i, last ? out : &inst)) return false;
      w->i++;
    }
  } else if (!wc_index(p, cs, out)) {
    return false;
  }
  return !paren || wat_expect_rpar(w);
}

/* ---- names ---- */

/* The token after the name attributes `(implements "..")`... that start
 * at k (each exactly `( kw string )`). */
size_t wc_skip_attrs(const wat_parser *w, size_t k) {
  while (w->t[k].kind == TK_LPAR &&
         (wat_is_kw(&w->t[k + 1], "implements") || wat_is_kw(&w->t[k + 1], "versionsuffix") ||
          wat_is_kw(&w->t[k + 1], "external-id")) &&
         w->t[k + 2].kind == TK_STRING && w->t[k + 3].kind == TK_RPAR)
    k += 4;
  return k;
}

bool wc_name_attrs(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  if (wat_at_form(w, "interface")) {
    /* The legacy form of an interface name: (interface "ns:pkg/name"),
     * written as a plain name (as wasm-tools does). */
    w->i += 2;
    tb_byte(b, 0x00);
    return wc_name(p, b) && wat_expect_rpar(w);
  }
  const text_token *nt = wat_tok(w);
  if (nt->kind != TK_STRING) return wat_fail(w, w->i, "unexpected token, expected a name");
  size_t name_at = w->i;
  w->i++;
  text_buf attrs;
  tb_init(&attrs, w->a);
  uint32_t n = 0;
  bool ok = true;
  unsigned seen = 0;
  for (;;) {
    int kind = wat_at_form(w, "implements") ? 0 : wat_at_form(w, "versionsuffix") ? 1
               : wat_at_form(w, "external-id") ? 2 : -1;
    if (kind < 0) break;
    if (seen & (1u << kind)) {
      ok = wat_fail(w, w->i + 1, "unexpected token: duplicate %.*s", (int)w->t[w->i + 1].slen, w->t[w->i + 1].str);
      break;
    }
    seen |= 1u << kind;
    w->i += 2;
    tb_byte(&attrs, (uint8_t)kind);
    n++;
    ok = wc_name(p, &attrs) && wat_expect_rpar(w);
    if (!ok) break;
  }
  size_t save = w->i;
  w->i = name_at;
  if (ok) {
    tb_byte(b, n ? 0x02 : 0x00);
    ok = wc_name(p, b);
  }
  w->i = save;
  if (ok && n) {
    tb_u32(b, n);
    tb_bytes(b, attrs.data, attrs.len);
  }
  tb_free(&attrs);
  return ok;
}

bool wc_inline_exports(wc_parser *p, wc_toks *out) {
  wat_parser *w = WC(p);
  while (wat_at_form(w, "export") && w->t[w->i + 2].kind == TK_STRING) {
    /* `(export "n" (sort ...))` is an export field, not an inline export. */
    size_t k = wc_skip_attrs(w, w->i + 3);
    if (w->t[k].kind != TK_RPAR) break;
    if (!kb_vec_push(w->a, out, w->i + 2)) return wat_oom(w);
    w->i = k + 1;
  }
  return true;
}

bool wc_emit_inline_exports(wc_parser *p, wc_toks *ex, int cs, uint32_t index) {
  wat_parser *w = WC(p);
  bool ok = true;
  if (ex->len && p->sc->kind != SC_COMPONENT) ok = wat_fail(w, ex->items[0], "unexpected token: inline export in a type");
  for (size_t k = 0; ok && k < ex->len; k++) {
    wc_pending_export e = {ex->items[k], cs, index};
    if (!kb_vec_push(w->a, &p->sc->pending, e)) ok = wat_oom(w);
  }
  kb_vec_free(w->a, ex);
  return ok;
}

/* The component's inline exports, at its end. */
bool wc_emit_pending_exports(wc_parser *p) {
  wat_parser *w = WC(p);
  size_t save = w->i;
  bool ok = true;
  for (size_t k = 0; ok && k < p->sc->pending.len; k++) {
    const wc_pending_export *e = &p->sc->pending.items[k];
    text_buf b;
    tb_init(&b, w->a);
    w->i = e->tok;
    ok = wc_name_attrs(p, &b);
    wc_put_sort(&b, e->cs);
    tb_u32(&b, e->index);
    tb_byte(&b, 0x00);
    ok = ok && wc_emit(p, 11, &b) && wc_bind(p, e->cs, SIZE_MAX, NULL);
    tb_free(&b);
  }
  w->i = save;
  return ok;
}

/* The `component-name` custom section of the scope's identifiers (as
 * wasm-tools writes it): the component's own name (subsection 0), then per
 * sort, in the order of the sort codes, a name map (subsection 1). */
static void name_section(wc_scope *s, text_buf *out) {
  if (!s->id && !s->named.len) return;
  text_buf c, sub;
  tb_init(&c, out->alloc);
  tb_init(&sub, out->alloc);
  tb_name(&c, "component-name", 14);
  if (s->id) {
    tb_name(&sub, s->id->str, s->id->slen);
    tb_byte(&c, 0x00);
    tb_blob(&c, &sub);
  }
  for (int cs = 0; cs < CS_COUNT; cs++) {
    uint32_t n = 0;
    for (size_t k = 0; k < s->named.len; k++) n += s->named.items[k].cs == cs;
    if (!n) continue;
    sub.len = 0;
    wc_put_sort(&sub, cs);
    tb_u32(&sub, n);
    for (size_t k = 0; k < s->named.len; k++) {
      const wc_named *nm = &s->named.items[k];
      if (nm->cs != cs) continue;
      tb_u32(&sub, nm->index);
      tb_name(&sub, nm->id->str, nm->id->slen);
    }
    tb_byte(&c, 0x01);
    tb_blob(&c, &sub);
  }
  tb_byte(out, 0x00);
  tb_blob(out, &c);
  if (c.oom || sub.oom) out->oom = true;
  tb_free(&c);
  tb_free(&sub);
}

/* The component binary of the scope: preamble, sections, names. */
void wc_finish_component(wc_scope *s, text_buf *out) {
  static const uint8_t preamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
  flush(s);
  tb_bytes(out, preamble, 8);
  tb_bytes(out, s->out.data, s->out.len);
  if (s->out.oom) out->oom = true;
  if (!s->custom_names) name_section(s, out);
  tb_bytes(out, s->trailing.data, s->trailing.len);
  if (s->trailing.oom) out->oom = true;
}

bool wc_customs(wc_parser *p, bool trailing) {
  wat_parser *w = WC(p);
  wc_scope *s = p->sc;
  size_t from = w->i ? w->t[w->i - 1].pos + w->t[w->i - 1].len : 0, to = wat_tok(w)->pos;
  kb_arena ar;
  kb_arena_init(&ar, w->a);
  bool ok = true;
  while (ok && from < to) {
    text_custom c;
    bool found;
    kumi_error *e = text_next_custom(&ar, w->src, &from, to, &c, &found);
    if (!e && found && c.has_place)
      e = text_error_at(w->a, w->src, w->srclen, c.pos, "unsupported: placement of a custom section in a component");
    if (e) {
      if (!w->err) w->err = e;
      else kumi_error_free(e);
      ok = false;
      break;
    }
    if (!found) break;
    if (c.name_len == 14 && memcmp(c.name, "component-name", 14) == 0) s->custom_names = true;
    if (!trailing) flush(s);
    text_buf *dst = trailing ? &s->trailing : &s->out, b;
    tb_init(&b, w->a);
    tb_name(&b, c.name, c.name_len);
    tb_bytes(&b, c.bytes, c.len);
    tb_byte(dst, 0);
    tb_blob(dst, &b);
    if (b.oom) dst->oom = true;
    tb_free(&b);
    if (dst->oom) ok = wat_oom(w);
  }
  kb_arena_free(&ar);
  return ok;
}

