/* Components in the text format (see wat_component.h): the definitions
 * other than types and canonical functions (core modules and instances,
 * components, instances, aliases, imports, exports, start), the fields of
 * a component, and the entry points. Scopes, references and names are in
 * wat_component_scope.c. */
#include "wat_component.h"

#include <stdio.h>

/* ---- aliases ---- */

/* The alias target after `alias`: `export i "n"`, `core export i "n"` or
 * `outer c i`, for sort cs. */
bool wc_alias_target(wc_parser *p, int cs, text_buf *b) {
  wat_parser *w = WC(p);
  if (wat_is_kw(wat_tok(w), "outer")) {
    w->i++;
    uint32_t count = 0, index = 0;
    wc_scope *target = NULL;
    const text_token *t = wat_tok(w);
    if (t->kind == TK_NAT) {
      uint64_t v;
      const char *why = text_nat(t->str, t->slen, 32, &v);
      if (why) return wat_fail(w, w->i, "%s", why);
      count = (uint32_t)v;
      target = p->sc;
      for (uint32_t k = 0; k < count && target; k++) target = target->parent;
    } else if (t->kind == TK_ID) {
      for (target = p->sc; target; target = target->parent, count++)
        if (target->id && target->id->slen == t->slen && memcmp(target->id->str, t->str, t->slen) == 0) break;
      if (!target) return wat_fail(w, w->i, "unknown outer scope $%.*s", (int)t->slen, t->str);
    } else {
      return wat_fail(w, w->i, "unexpected token, expected an outer scope");
    }
    w->i++;
    t = wat_tok(w);
    if (t->kind == TK_ID) {
      void *v;
      if (!target || !kb_map_get(&target->names[cs], (const char *)t->str, t->slen, &v))
        return wat_fail(w, w->i, "unknown %s $%.*s", wc_space_names[cs], (int)t->slen, t->str);
      index = (uint32_t)((uintptr_t)v - 1);
      w->i++;
    } else {
      wc_scope *save = p->sc;
      bool ok = wc_index(p, cs, &index);
      p->sc = save;
      if (!ok) return false;
    }
    if (p->sc->kind == SC_MODTYPE) {
      tb_byte(b, 0x10);
      tb_byte(b, 0x01);
    } else {
      wc_put_sort(b, cs);
      tb_byte(b, 0x02);
    }
    tb_u32(b, count);
    tb_u32(b, index);
    return true;
  }
  bool core = wat_is_kw(wat_tok(w), "core");
  if (core) w->i++;
  if (!wat_is_kw(wat_tok(w), "export")) return wat_fail(w, w->i, "unexpected token, expected export or outer");
  w->i++;
  wc_put_sort(b, cs);
  tb_byte(b, core ? 0x01 : 0x00);
  uint32_t inst;
  if (!wc_index(p, core ? CS_CINST : CS_INST, &inst)) return false;
  tb_u32(b, inst);
  return wc_name(p, b);
}

/* `(alias target (sort id?))` at the cursor. */
bool wc_alias(wc_parser *p) {
  wat_parser *w = WC(p);
  size_t start = w->i;
  w->i += 2;
  /* The sort comes last: find it first. */
  size_t k = w->i;
  while (w->t[k].kind != TK_LPAR && w->t[k].kind != TK_RPAR && w->t[k].kind != TK_EOF) k++;
  if (w->t[k].kind != TK_LPAR) return wat_fail(w, k, "unexpected token, expected (sort id?)");
  size_t save = w->i;
  w->i = k + 1;
  int cs = wc_sort(p);
  if (cs < 0) return wat_fail(w, k + 1, "unexpected token, expected a sort");
  if (p->sc->kind == SC_MODTYPE && cs == CS_TYPE) cs = CS_CTYPE; /* module types hold core types */
  size_t id = wc_opt_id(p);
  if (!wat_expect_rpar(w)) return false;
  size_t end = w->i;
  w->i = save;
  text_buf b;
  tb_init(&b, w->a);
  bool ok = wc_alias_target(p, cs, &b);
  if (ok && w->i != k) ok = wat_fail(w, w->i, "unexpected token");
  w->i = end;
  ok = ok && wat_expect_rpar(w) && wc_emit(p, 6, &b) && wc_bind(p, cs, id, NULL);
  tb_free(&b);
  (void)start;
  return ok;
}

/* `(sort id? (alias target))`: the abbreviation, at the cursor after the
 * identifier; cs is the sort. */
bool wc_alias_abbrev(wc_parser *p, int cs, size_t id) {
  wat_parser *w = WC(p);
  w->i += 2; /* ( alias */
  text_buf b;
  tb_init(&b, w->a);
  bool ok = wc_alias_target(p, cs, &b) && wat_expect_rpar(w) && wat_expect_rpar(w) && wc_emit(p, 6, &b) &&
            wc_bind(p, cs, id, NULL);
  tb_free(&b);
  return ok;
}

/* ---- imports and exports ---- */

bool wc_import(wc_parser *p) {
  wat_parser *w = WC(p);
  w->i += 2;
  text_buf b;
  tb_init(&b, w->a);
  bool ok = wc_name_attrs(p, &b) && wc_externdesc(p, &b, true) && wat_expect_rpar(w) && wc_emit(p, 10, &b);
  tb_free(&b);
  return ok;
}

static bool export_field(wc_parser *p) {
  wat_parser *w = WC(p);
  w->i += 2;
  size_t id = wc_opt_id(p);
  text_buf b;
  tb_init(&b, w->a);
  bool ok = wc_name_attrs(p, &b);
  if (ok && p->sc->kind != SC_COMPONENT) {
    ok = wc_externdesc(p, &b, true) && wat_expect_rpar(w) && wc_emit(p, 11, &b);
    tb_free(&b);
    return ok;
  }
  int cs = -1;
  uint32_t index = 0;
  if (ok) {
    size_t at = w->i + 1;
    if (wat_tok(w)->kind != TK_LPAR) {
      ok = wat_fail(w, w->i, "unexpected token, expected (sort index)");
    } else {
      size_t save = w->i;
      w->i++;
      cs = wc_sort(p);
      w->i = save;
      if (cs < 0) ok = wat_fail(w, at, "unexpected token, expected a sort");
      else ok = wc_ref(p, cs, true, &index);
    }
  }
  if (ok) {
    wc_put_sort(&b, cs);
    tb_u32(&b, index);
    if (wat_tok(w)->kind == TK_LPAR) {
      tb_byte(&b, 0x01);
      ok = wc_externdesc(p, &b, false); /* an ascribed type defines nothing */
    } else {
      tb_byte(&b, 0x00);
    }
  }
  ok = ok && wat_expect_rpar(w) && wc_emit(p, 11, &b) && wc_bind(p, cs, id, NULL);
  tb_free(&b);
  return ok;
}

/* True at `(import "name" attr*)` with a single name: an inline import. */
static bool at_inline_import(const wat_parser *w) {
  if (!wat_at_form(w, "import") || w->t[w->i + 2].kind != TK_STRING) return false;
  return w->t[wc_skip_attrs(w, w->i + 3)].kind == TK_RPAR;
}

/* `(import "name" attr*)` at the cursor inside `(sort id? (export ..)*`:
 * the definition is an import, the rest of the form its description. */
static bool inline_import(wc_parser *p, int cs, size_t id, wc_toks *ex) {
  wat_parser *w = WC(p);
  w->i += 2;
  text_buf b;
  tb_init(&b, w->a);
  bool ok = wc_name_attrs(p, &b) && wat_expect_rpar(w) && wc_externdesc_body(p, &b, cs, id, true) &&
            wat_expect_rpar(w) && wc_emit(p, 10, &b);
  tb_free(&b);
  if (!ok) {
    kb_vec_free(w->a, ex);
    return false;
  }
  return wc_emit_inline_exports(p, ex, cs, p->sc->count[cs] - 1);
}

/* The head of `(sort id? (export "n")* ...`: skips the skip tokens of
 * `(sort`, reads the identifier (*id, SIZE_MAX if none) and the inline
 * exports (*ex; freed on failure). */
static bool def_head(wc_parser *p, size_t skip, size_t *id, wc_toks *ex) {
  wat_parser *w = WC(p);
  w->i += skip;
  *id = wc_opt_id(p);
  *ex = (wc_toks){0};
  if (wc_inline_exports(p, ex)) return true;
  kb_vec_free(w->a, ex);
  return false;
}

/* The end of a definition with inline exports ex: ok, the definition (of
 * sort cs, at index) went well; ex is consumed either way. */
static bool def_exports(wc_parser *p, bool ok, wc_toks *ex, int cs, uint32_t index) {
  if (!ok) {
    kb_vec_free(WC(p)->a, ex);
    return false;
  }
  return wc_emit_inline_exports(p, ex, cs, index);
}

/* A definition of sort cs given as `(alias ...)` or `(import "n")` after
 * its head: true when it is one (*ok: the outcome), false when the
 * definition's own body follows. */
static bool alias_or_import(wc_parser *p, int cs, size_t id, wc_toks *ex, bool *ok) {
  wat_parser *w = WC(p);
  if (wat_at_form(w, "alias")) {
    bool aliased = wc_alias_abbrev(p, cs, id);
    *ok = def_exports(p, aliased, ex, cs, p->sc->count[cs] - 1);
    return true;
  }
  if (!at_inline_import(w)) return false;
  *ok = inline_import(p, cs, id, ex);
  return true;
}

/* A vector of n items (already encoded in items, which is freed) into b. */
static void put_items(text_buf *b, uint32_t n, text_buf *items) {
  tb_u32(b, n);
  tb_bytes(b, items->data, items->len);
  tb_free(items);
}

/* ---- core modules and instances ---- */

static size_t form_end(const wat_parser *w, size_t k) {
  size_t depth = 0;
  for (; k < w->n; k++) {
    if (w->t[k].kind == TK_EOF) return SIZE_MAX;
    if (w->t[k].kind == TK_LPAR) depth++;
    if (w->t[k].kind == TK_RPAR && --depth == 0) return k + 1;
  }
  return SIZE_MAX;
}

/* `(core module id? (export "n")* field*)`: the core module parser gets the
 * form's tokens as `(module id? field*)`. */
static bool core_module_def(wc_parser *p) {
  wat_parser *w = WC(p);
  size_t start = w->i;
  size_t end = form_end(w, start);
  if (end == SIZE_MAX) return wat_fail(w, start, "unclosed parenthesis");
  size_t id;
  wc_toks ex;
  if (!def_head(p, 3, &id, &ex)) return false;
  if (at_inline_import(w)) return inline_import(p, CS_CMODULE, id, &ex);
  size_t body = w->i;
  size_t n = 2 + (id != SIZE_MAX ? 1 : 0) + (end - body) + 1;
  text_token *copy = kb_alloc(w->a, n * sizeof *copy);
  if (!copy) {
    kb_vec_free(w->a, &ex);
    return wat_oom(w);
  }
  size_t c = 0;
  copy[c++] = w->t[start];
  copy[c++] = w->t[start + 2];
  if (id != SIZE_MAX) copy[c++] = w->t[id];
  memcpy(copy + c, w->t + body, (end - body) * sizeof *copy);
  c += end - body;
  copy[c++] = w->t[w->n - 1];
  text_buf mod;
  tb_init(&mod, w->a);
  size_t i = 0, name_tok;
  kumi_error *e = wat_parse_module_form(w->a, w->src, w->srclen, copy, c, &i, &mod, &name_tok);
  kb_free(w->a, copy, n * sizeof *copy);
  bool ok = true;
  if (e) {
    if (!w->err) w->err = e;
    else kumi_error_free(e);
    ok = false;
  }
  uint32_t index = 0;
  ok = ok && wc_emit(p, 1, &mod) && wc_bind(p, CS_CMODULE, id, &index);
  tb_free(&mod);
  w->i = end;
  return def_exports(p, ok, &ex, CS_CMODULE, index);
}

/* One inline export after `(export`, appended to items. */
typedef bool (*export_item_fn)(wc_parser *p, text_buf *items);

/* `(export ...)*` up to ')': an instance of inline exports (0x01, the
 * count, the items) into b, each read by item. */
static bool exports_instance(wc_parser *p, text_buf *b, export_item_fn item) {
  wat_parser *w = WC(p);
  text_buf items;
  tb_init(&items, w->a);
  uint32_t n = 0;
  bool ok = true;
  while (ok && wat_at_form(w, "export")) {
    w->i += 2;
    ok = item(p, &items);
    n++;
  }
  tb_byte(b, 0x01);
  put_items(b, n, &items);
  return ok;
}

/* A core inline export: `"n" (core-sort idx))`. */
static bool core_export_item(wc_parser *p, text_buf *items) {
  wat_parser *w = WC(p);
  if (!wc_name(p, items)) return false;
  if (wat_tok(w)->kind != TK_LPAR) return wat_fail(w, w->i, "unexpected token, expected (sort index)");
  /* (func $f): core sorts are written without `core` here. */
  static const char *const core[] = {"func", "table", "memory", "global", "tag", "type", "module", "instance"};
  int cs = -1;
  size_t kw = w->i + 1;
  for (int k = 0; k < 8; k++)
    if (wat_is_kw(&w->t[kw], core[k])) cs = k;
  if (cs < 0) return wat_fail(w, kw, "unexpected token, expected a core sort");
  w->i += 2;
  uint32_t index = 0;
  bool ok = wc_ref(p, cs, false, &index) && wat_expect_rpar(w) && wat_expect_rpar(w);
  tb_byte(items, wc_core_sort_byte[cs]);
  tb_u32(items, index);
  return ok;
}

/* The core inline exports `(export "n" (core-sort idx))*` up to ')'. */
static bool core_inline_instance(wc_parser *p, text_buf *b) { return exports_instance(p, b, core_export_item); }

/* An anonymous core instance of inline exports, emitted; its index. */
static bool anon_core_instance(wc_parser *p, uint32_t *index) {
  text_buf b;
  tb_init(&b, WC(p)->a);
  bool ok = core_inline_instance(p, &b) && wc_emit(p, 2, &b) && wc_bind(p, CS_CINST, SIZE_MAX, index);
  tb_free(&b);
  return ok;
}

static bool core_instance(wc_parser *p) {
  wat_parser *w = WC(p);
  w->i += 3;
  size_t id = wc_opt_id(p);
  text_buf b;
  tb_init(&b, w->a);
  bool ok = true;
  if (wat_at_form(w, "instantiate")) {
    w->i += 2;
    uint32_t m = 0;
    ok = wc_ref(p, CS_CMODULE, wat_tok(w)->kind == TK_LPAR, &m);
    text_buf args;
    tb_init(&args, w->a);
    uint32_t n = 0;
    while (ok && wat_at_form(w, "with")) {
      w->i += 2;
      ok = wc_name(p, &args);
      uint32_t inst = 0;
      if (ok && wat_at_form(w, "instance") && w->t[w->i + 2].kind == TK_LPAR) {
        w->i += 2;
        ok = anon_core_instance(p, &inst) && wat_expect_rpar(w);
      } else if (ok) {
        if (!wat_expect_form(w, "instance")) {
          ok = false;
        } else {
          ok = wc_ref(p, CS_CINST, false, &inst) && wat_expect_rpar(w);
        }
      }
      ok = ok && wat_expect_rpar(w);
      tb_byte(&args, 0x12);
      tb_u32(&args, inst);
      n++;
    }
    ok = ok && wat_expect_rpar(w);
    tb_byte(&b, 0x00);
    tb_u32(&b, m);
    put_items(&b, n, &args);
  } else {
    ok = core_inline_instance(p, &b);
  }
  ok = ok && wat_expect_rpar(w) && wc_emit(p, 2, &b) && wc_bind(p, CS_CINST, id, NULL);
  tb_free(&b);
  return ok;
}

/* ---- components and instances ---- */

static bool fields(wc_parser *p);
static kumi_error *parse_component_text(const kumi_allocator *a, const char *src, size_t len, bool quoted,
                                        text_buf *out);

/* The body of `(component id? ...)` from the cursor (after the id) up to
 * and including ')', as a new scope; the binary into out. */
static bool component_body(wc_parser *p, const text_token *id, text_buf *out) {
  wat_parser *w = WC(p);
  if (wat_is_kw(wat_tok(w), "binary") || wat_is_kw(wat_tok(w), "quote")) {
    bool quote = wat_is_kw(wat_tok(w), "quote");
    w->i++;
    return wat_binary_or_quote(w, quote, "component", parse_component_text, out) && wat_expect_rpar(w);
  }
  if (p->depth >= 100) return wat_fail(w, w->i, "components nested too deeply");
  p->depth++;
  wc_scope s;
  wc_scope_init(p, &s, SC_COMPONENT, id);
  p->sc = &s;
  bool ok = fields(p) && wc_emit_pending_exports(p) && wat_expect_rpar(w);
  p->sc = s.parent;
  if (ok) wc_finish_component(&s, out);
  wc_scope_free(&s);
  p->depth--;
  return ok;
}

static bool nested_component(wc_parser *p) {
  wat_parser *w = WC(p);
  size_t id;
  wc_toks ex;
  if (!def_head(p, 2, &id, &ex)) return false;
  if (at_inline_import(w)) return inline_import(p, CS_COMP, id, &ex);
  text_buf b;
  tb_init(&b, w->a);
  uint32_t index = 0;
  bool ok = component_body(p, id == SIZE_MAX ? NULL : &w->t[id], &b) &&
            wc_emit(p, 4, &b) && wc_bind(p, CS_COMP, id, &index);
  tb_free(&b);
  return def_exports(p, ok, &ex, CS_COMP, index);
}

/* A component inline export: `"n" attr* sortidx)`. */
static bool export_item(wc_parser *p, text_buf *items) {
  wat_parser *w = WC(p);
  if (!wc_name_attrs(p, items)) return false;
  size_t save = w->i;
  int cs = -1;
  if (wat_tok(w)->kind == TK_LPAR) {
    w->i++;
    cs = wc_sort(p);
  }
  w->i = save;
  if (cs < 0) return wat_fail(w, w->i, "unexpected token, expected (sort index)");
  uint32_t index = 0;
  bool ok = wc_ref(p, cs, true, &index) && wat_expect_rpar(w);
  wc_put_sort(items, cs);
  tb_u32(items, index);
  return ok;
}

/* Inline exports of a component instance `(export "n" sortidx)*` up to ')'. */
static bool inline_instance(wc_parser *p, text_buf *b) { return exports_instance(p, b, export_item); }

static bool instance_def(wc_parser *p) {
  wat_parser *w = WC(p);
  size_t id;
  wc_toks ex;
  bool ok = true;
  if (!def_head(p, 2, &id, &ex)) return false;
  if (alias_or_import(p, CS_INST, id, &ex, &ok)) return ok;
  text_buf b;
  tb_init(&b, w->a);
  if (wat_at_form(w, "instantiate")) {
    w->i += 2;
    uint32_t c = 0;
    ok = wc_ref(p, CS_COMP, wat_tok(w)->kind == TK_LPAR, &c);
    text_buf args;
    tb_init(&args, w->a);
    uint32_t n = 0;
    while (ok && wat_at_form(w, "with")) {
      w->i += 2;
      ok = wc_name(p, &args);
      if (!ok) break;
      size_t save = w->i;
      int cs = -1;
      if (wat_tok(w)->kind == TK_LPAR) {
        w->i++;
        cs = wc_sort(p);
      }
      uint32_t index = 0;
      if (cs == CS_INST && wat_tok(w)->kind == TK_LPAR) {
        /* (with "n" (instance (export ...)*)): an anonymous instance. */
        text_buf ib;
        tb_init(&ib, w->a);
        ok = inline_instance(p, &ib) && wat_expect_rpar(w) && wc_emit(p, 5, &ib) &&
             wc_bind(p, CS_INST, SIZE_MAX, &index);
        tb_free(&ib);
      } else {
        w->i = save;
        if (cs < 0) ok = wat_fail(w, w->i, "unexpected token, expected (sort index)");
        else ok = wc_ref(p, cs, true, &index);
      }
      ok = ok && wat_expect_rpar(w);
      wc_put_sort(&args, cs < 0 ? 0 : cs);
      tb_u32(&args, index);
      n++;
    }
    ok = ok && wat_expect_rpar(w);
    tb_byte(&b, 0x00);
    tb_u32(&b, c);
    put_items(&b, n, &args);
  } else {
    ok = inline_instance(p, &b);
  }
  uint32_t index = 0;
  ok = ok && wat_expect_rpar(w) && wc_emit(p, 5, &b) && wc_bind(p, CS_INST, id, &index);
  tb_free(&b);
  return def_exports(p, ok, &ex, CS_INST, index);
}

/* `(start f (value v)* (result (value id?))*)`. */
static bool start_def(wc_parser *p) {
  wat_parser *w = WC(p);
  if (p->sc->has_start) return wat_fail(w, w->i, "component cannot have more than one start function");
  p->sc->has_start = true;
  w->i += 2;
  text_buf b;
  tb_init(&b, w->a);
  uint32_t f = 0;
  bool ok = wc_index(p, CS_FUNC, &f);
  tb_u32(&b, f);
  text_buf args;
  tb_init(&args, w->a);
  uint32_t n = 0, r = 0;
  while (ok && wat_at_form(w, "value")) {
    w->i += 2;
    uint32_t v = 0;
    ok = wc_index(p, CS_VALUE, &v) && wat_expect_rpar(w);
    tb_u32(&args, v);
    n++;
  }
  KB_VEC(size_t) ids = {0};
  while (ok && wat_at_form(w, "result")) {
    w->i += 2;
    ok = wat_expect_form(w, "value");
    size_t id = ok ? wc_opt_id(p) : SIZE_MAX;
    ok = ok && wat_expect_rpar(w) && wat_expect_rpar(w) && (kb_vec_push(w->a, &ids, id) || wat_oom(w));
    r++;
  }
  put_items(&b, n, &args);
  tb_u32(&b, r);
  ok = ok && wat_expect_rpar(w) && wc_emit(p, 9, &b);
  for (size_t k = 0; ok && k < ids.len; k++) {
    size_t before = p->sc->named.len;
    ok = wc_bind(p, CS_VALUE, ids.items[k], NULL);
    p->sc->named.len = before; /* wasm-tools does not name start results */
  }
  kb_vec_free(w->a, &ids);
  tb_free(&b);
  return ok;
}


/* `(func id? (export ..)* ...)`: an alias, or `canon lift` with its type
 * first. */
static bool func_def(wc_parser *p) {
  wat_parser *w = WC(p);
  size_t id;
  wc_toks ex;
  bool ok;
  if (!def_head(p, 2, &id, &ex)) return false;
  if (alias_or_import(p, CS_FUNC, id, &ex, &ok)) return ok;
  uint32_t type = 0, index = 0;
  ok = wc_typeuse(p, CS_FUNC, &type);
  if (ok && !wat_at_form(w, "canon")) ok = wat_fail(w, w->i, "unexpected token, expected (canon lift ...)");
  ok = ok && wc_canon(p, true, CS_FUNC, id, true, type, &index) && wat_expect_rpar(w);
  return def_exports(p, ok, &ex, CS_FUNC, index);
}

/* `(core func|memory|... id? (alias ...))` or `(core func id? (canon ...))`. */
static bool core_item_def(wc_parser *p, int cs) {
  wat_parser *w = WC(p);
  w->i += 3;
  size_t id = wc_opt_id(p);
  if (wat_at_form(w, "alias")) return wc_alias_abbrev(p, cs, id);
  if (cs == CS_CFUNC && wat_at_form(w, "canon")) {
    uint32_t index;
    return wc_canon(p, true, CS_CFUNC, id, false, 0, &index) && wat_expect_rpar(w);
  }
  return wat_fail(w, w->i, "unexpected token, expected (alias ...)");
}

/* One definition at the cursor (a '(' form). */
static bool field(wc_parser *p) {
  wat_parser *w = WC(p);
  const text_token *kw = &w->t[w->i + 1];
  if (wat_tok(w)->kind != TK_LPAR) return wat_fail(w, w->i, "unexpected token");
  if (wat_is_kw(kw, "core")) {
    const text_token *k2 = &w->t[w->i + 2];
    if (wat_is_kw(k2, "module")) return core_module_def(p);
    if (wat_is_kw(k2, "instance")) return core_instance(p);
    if (wat_is_kw(k2, "type")) return wc_core_type_def(p);
    if (wat_is_kw(k2, "rec")) return wc_core_rec(p);
    static const char *const items[] = {"func", "table", "memory", "global", "tag"};
    for (int k = 0; k < 5; k++)
      if (wat_is_kw(k2, items[k])) return core_item_def(p, k);
    return wat_fail(w, w->i + 2, "unexpected token");
  }
  if (wat_is_kw(kw, "component")) return nested_component(p);
  if (wat_is_kw(kw, "instance")) return instance_def(p);
  if (wat_is_kw(kw, "alias")) return wc_alias(p);
  if (wat_is_kw(kw, "type")) return wc_type_def(p);
  if (wat_is_kw(kw, "canon")) {
    uint32_t index;
    return wc_canon(p, false, -1, SIZE_MAX, false, 0, &index);
  }
  if (wat_is_kw(kw, "start")) return start_def(p);
  if (wat_is_kw(kw, "import")) return wc_import(p);
  if (wat_is_kw(kw, "export")) return export_field(p);
  if (wat_is_kw(kw, "func")) return func_def(p);
  if (wat_is_kw(kw, "value")) return wat_fail(w, w->i + 1, "unsupported: value definitions");
  if (kw->kind == TK_KEYWORD) return wat_fail(w, w->i + 1, "unexpected token %.*s", (int)kw->slen, kw->str);
  return wat_fail(w, w->i + 1, "unexpected token");
}

bool wc_type_scope_decls(wc_parser *p) {
  wat_parser *w = WC(p);
  while (wat_tok(w)->kind == TK_LPAR) {
    const text_token *kw = &w->t[w->i + 1];
    bool ok;
    if (wat_is_kw(kw, "core") && wat_is_kw(&w->t[w->i + 2], "type")) ok = wc_core_type_def(p);
    else if (wat_is_kw(kw, "core") && wat_is_kw(&w->t[w->i + 2], "rec")) ok = wc_core_rec(p);
    else if (wat_is_kw(kw, "type")) ok = wc_type_def(p);
    else if (wat_is_kw(kw, "alias")) ok = wc_alias(p);
    else if (wat_is_kw(kw, "import") && p->sc->kind == SC_COMPTYPE) ok = wc_import(p);
    else if (wat_is_kw(kw, "export")) ok = export_field(p);
    else ok = wat_fail(w, w->i + 1, "unexpected token, expected a declaration");
    if (!ok) return false;
  }
  return true;
}

static bool fields(wc_parser *p) {
  while (wat_tok(WC(p))->kind == TK_LPAR)
    if (!wc_customs(p, false) || !field(p)) return false;
  return wc_customs(p, true);
}

/* ---- entry points ---- */

static void parser_init(wc_parser *p, const kumi_allocator *a, const char *src, size_t len, const text_token *toks,
                        size_t n) {
  memset(p, 0, sizeof *p);
  WC(p)->a = a;
  WC(p)->src = src;
  WC(p)->srclen = len;
  WC(p)->t = toks;
  WC(p)->n = n;
}

/* `(component id? ...)` at the cursor into out. */
static bool component_form(wc_parser *p, text_buf *out, size_t *name_tok) {
  wat_parser *w = WC(p);
  if (!wat_expect_form(w, "component")) return false;
  size_t id = wc_opt_id(p);
  if (name_tok) *name_tok = id;
  return component_body(p, id == SIZE_MAX ? NULL : &w->t[id], out);
}

kumi_error *wat_parse_component_form(const kumi_allocator *a, const char *src, size_t len, const text_token *toks,
                                     size_t ntoks, size_t *i, text_buf *out, size_t *name_tok) {
  wc_parser p;
  parser_init(&p, a, src, len, toks, ntoks);
  WC(&p)->i = *i;
  if (component_form(&p, out, name_tok)) *i = WC(&p)->i;
  if (!WC(&p)->err && out->oom) return kb_error_oom();
  return WC(&p)->err;
}

static kumi_error *parse_component_tokens(const kumi_allocator *a, kb_arena *ar, const char *src, size_t len,
                                          const text_token *toks, size_t ntoks, bool quoted, text_buf *out) {
  (void)ar;
  wc_parser p;
  parser_init(&p, a, src, len, toks, ntoks);
  WC(&p)->quoted = quoted;
  bool ok;
  if (wat_at_form(WC(&p), "component")) {
    ok = component_form(&p, out, NULL);
  } else {
    /* Bare definitions: the whole text is one component's body. */
    wc_scope s;
    wc_scope_init(&p, &s, SC_COMPONENT, NULL);
    p.sc = &s;
    ok = fields(&p) && wc_emit_pending_exports(&p);
    p.sc = NULL;
    if (ok) wc_finish_component(&s, out);
    wc_scope_free(&s);
  }
  if (ok && wat_tok(WC(&p))->kind != TK_EOF) wat_fail(WC(&p), WC(&p)->i, "unexpected token");
  kumi_error *e = WC(&p)->err;
  if (!e && out->oom) e = kb_error_oom();
  return e;
}

static kumi_error *parse_component_text(const kumi_allocator *a, const char *src, size_t len, bool quoted,
                                        text_buf *out) {
  return wat_lex_parse(a, src, len, quoted, out, parse_component_tokens);
}

kumi_error *text_parse_component(const kumi_allocator *a, const char *src, size_t len, uint8_t **out,
                                 size_t *out_len) {
  text_buf b;
  tb_init(&b, a);
  return wat_finish_out(a, parse_component_text(a, src, len, false, &b), &b, out, out_len);
}

/* True when the first form of the text is `(component`. */
bool text_is_component(const char *src, size_t len) {
  size_t i = 0;
  for (;;) {
    while (i < len && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r')) i++;
    if (i + 1 < len && src[i] == ';' && src[i + 1] == ';') {
      while (i < len && src[i] != '\n') i++;
      continue;
    }
    if (i + 1 < len && src[i] == '(' && src[i + 1] == ';') {
      /* block comments nest */
      unsigned depth = 0;
      while (i + 1 < len) {
        if (src[i] == '(' && src[i + 1] == ';') {
          depth++;
          i += 2;
        } else if (src[i] == ';' && src[i + 1] == ')') {
          i += 2;
          if (--depth == 0) break;
        } else {
          i++;
        }
      }
      if (depth) return false;
      continue;
    }
    break;
  }
  if (i >= len || src[i] != '(') return false;
  i++;
  while (i < len && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r')) i++;
  if (len - i < 9 || memcmp(src + i, "component", 9) != 0) return false;
  return len - i == 9 || !((src[i + 9] >= 'a' && src[i + 9] <= 'z') || src[i + 9] == '-' || src[i + 9] == '.');
}

kumi_error *text_parse_any(const kumi_allocator *a, const char *src, size_t len, uint8_t **out, size_t *out_len) {
  if (text_is_component(src, len)) return text_parse_component(a, src, len, out, out_len);
  return text_parse_wat(a, src, len, out, out_len);
}
