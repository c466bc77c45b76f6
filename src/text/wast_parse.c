/* The .wast script parser (see wast.h). A script is a sequence of
 * commands; each is recognised by its keyword, and module and component
 * forms are only delimited here (parsed on demand by text_wast_module).
 * Component values are read into text_wast_cval trees. */
#include "wast.h"
#include "wat.h"
#include "wat_component.h"

#include <inttypes.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

typedef struct wp {
  text_wast_script *sc;
  size_t i;
  kumi_error *err;
} wp;

static bool fail(wp *p, size_t k, const char *what) {
  if (!p->err) {
    size_t pos = k < p->sc->ntoks ? p->sc->toks[k].pos : p->sc->len;
    p->err = text_error_at(p->sc->a, p->sc->src, p->sc->len, pos, "%s", what);
  }
  return false;
}

static bool oom(wp *p) {
  if (!p->err) p->err = kb_error_oom();
  return false;
}

static const text_token *tok(const wp *p) { return &p->sc->toks[p->i < p->sc->ntoks ? p->i : p->sc->ntoks - 1]; }

static bool at_form(const wp *p, const char *kw) {
  return tok(p)->kind == TK_LPAR && p->i + 1 < p->sc->ntoks && wat_is_kw(&p->sc->toks[p->i + 1], kw);
}

static bool expect_rpar(wp *p) {
  if (tok(p)->kind != TK_RPAR) return fail(p, p->i, "expected ')'");
  p->i++;
  return true;
}

/* Index just past the balanced form starting at '(' k, or SIZE_MAX. */
static size_t form_end(const wp *p, size_t k) {
  size_t depth = 0;
  for (; k < p->sc->ntoks; k++) {
    uint8_t kind = p->sc->toks[k].kind;
    if (kind == TK_EOF) return SIZE_MAX;
    if (kind == TK_LPAR) depth++;
    if (kind == TK_RPAR && --depth == 0) return k + 1;
  }
  return SIZE_MAX;
}

/* "$name" of an identifier token, in the arena. */
static bool id_name(wp *p, const text_token *t, text_wast_bytes *out) {
  uint8_t *b = kb_arena_alloc(&p->sc->ar, (size_t)t->slen + 1);
  if (!b) return oom(p);
  b[0] = '$';
  if (t->slen) memcpy(b + 1, t->str, t->slen);
  out->p = b;
  out->len = t->slen + 1;
  return true;
}

static bool string(wp *p, text_wast_bytes *out, const char *what) {
  const text_token *t = tok(p);
  if (t->kind != TK_STRING) return fail(p, p->i, what);
  out->p = t->str ? t->str : (const uint8_t *)"";
  out->len = t->slen;
  p->i++;
  return true;
}

/* ---- values ------------------------------------------------------------ */

typedef KB_VEC(text_wast_value) valvec;

static bool keyword_text(const text_token *t, const char *kw) {
  size_t n = strlen(kw);
  return t->len == n && t->kind != TK_STRING && t->kind != TK_ID && memcmp(t->str, kw, n) == 0;
}

/* A number or NaN pattern for a lane of `bits` bits (float when fp). */
static bool lane(wp *p, text_wast_value *v, unsigned k, unsigned bits, bool fp, bool pattern) {
  const text_token *t = tok(p);
  if (t->kind != TK_NAT && t->kind != TK_INT && t->kind != TK_FLOAT && t->kind != TK_KEYWORD &&
      t->kind != TK_RESERVED)
    return fail(p, p->i, "expected a number");
  if (fp && pattern && keyword_text(t, "nan:canonical")) {
    v->nan[k] = 1;
  } else if (fp && pattern && keyword_text(t, "nan:arithmetic")) {
    v->nan[k] = 2;
  } else {
    const char *why;
    if (!fp) {
      why = t->kind == TK_NAT || t->kind == TK_INT ? text_int(t->str, t->len, bits, &v->lanes[k]) : "malformed number";
    } else if (bits == 32) {
      uint32_t u = 0;
      why = text_f32(p->sc->a, t->str, t->len, &u);
      v->lanes[k] = u;
    } else {
      why = text_f64(p->sc->a, t->str, t->len, &v->lanes[k]);
    }
    if (why) return fail(p, p->i, why);
  }
  p->i++;
  return true;
}

/* ---- component values --------------------------------------------------- */

static const char *const cval_kws[][2] = {
    {"bool.const", "bool"},   {"s8.const", "s8"},       {"u8.const", "u8"},         {"s16.const", "s16"},
    {"u16.const", "u16"},     {"s32.const", "s32"},     {"u32.const", "u32"},       {"s64.const", "s64"},
    {"u64.const", "u64"},     {"char.const", "char"},   {"str.const", "string"},    {"list.const", "list"},
    {"record.const", "record"}, {"tuple.const", "tuple"}, {"variant.const", "variant"}, {"enum.const", "enum"},
    {"flags.const", "flags"}, {"option.some", "option"}, {"option.none", "option"},  {"result.ok", "result"},
    {"result.err", "result"}};

/* The manifest type of a component value keyword, or NULL. f32/f64 count
 * only inside another component value (at top level they are core values
 * of the same JSON shape). */
static const char *cval_type(const text_token *kw, bool nested) {
  for (size_t k = 0; k < sizeof cval_kws / sizeof cval_kws[0]; k++)
    if (keyword_text(kw, cval_kws[k][0])) return cval_kws[k][1];
  if (nested && keyword_text(kw, "f32.const")) return "f32";
  if (nested && keyword_text(kw, "f64.const")) return "f64";
  return NULL;
}

static bool cval_text(wp *p, text_wast_cval *v, const char *s) {
  size_t n = strlen(s);
  uint8_t *b = kb_arena_alloc(&p->sc->ar, n + 1);
  if (!b) return oom(p);
  memcpy(b, s, n + 1);
  v->text.p = b;
  v->text.len = (uint32_t)n;
  return true;
}

static bool cval_body(wp *p, text_wast_cval *v, const text_token *kw, size_t kwi, unsigned depth);

/* A component value form `(kw ...)` at the cursor. */
static bool cval(wp *p, text_wast_cval *v, unsigned depth) {
  memset(v, 0, sizeof *v);
  if (tok(p)->kind != TK_LPAR) return fail(p, p->i, "expected a component value");
  p->i++;
  size_t kwi = p->i;
  const text_token *kw = tok(p);
  p->i++;
  return cval_body(p, v, kw, kwi, depth) && expect_rpar(p);
}

/* Values up to ')' into v->items. */
static bool cval_items(wp *p, text_wast_cval *v, unsigned depth, bool fields) {
  KB_VEC(text_wast_cval) items = {0};
  bool ok = true;
  while (ok && tok(p)->kind == TK_LPAR) {
    text_wast_cval it;
    if (fields) {
      /* (field "name" kw rest...): the value form without its parentheses. */
      memset(&it, 0, sizeof it);
      if (!at_form(p, "field")) {
        ok = fail(p, p->i, "expected (field \"name\" value)");
        break;
      }
      p->i += 2;
      text_wast_bytes label;
      ok = string(p, &label, "expected a field name");
      size_t kwi = p->i;
      const text_token *kw = tok(p);
      p->i++;
      ok = ok && cval_body(p, &it, kw, kwi, depth + 1) && expect_rpar(p);
      it.label = label;
    } else {
      ok = cval(p, &it, depth + 1);
    }
    ok = ok && (kb_vec_push(p->sc->a, &items, it) || oom(p));
  }
  if (ok && items.len) {
    v->items = kb_arena_alloc(&p->sc->ar, items.len * sizeof *items.items);
    if (!v->items) ok = oom(p);
    else memcpy(v->items, items.items, items.len * sizeof *items.items);
    v->nitems = (uint32_t)items.len;
  }
  kb_vec_free(p->sc->a, &items);
  return ok;
}

/* One optional payload value before ')'. */
static bool cval_payload(wp *p, text_wast_cval *v, unsigned depth) {
  if (tok(p)->kind == TK_RPAR) {
    v->none = true;
    return true;
  }
  v->items = kb_arena_alloc(&p->sc->ar, sizeof *v->items);
  if (!v->items) return oom(p);
  v->nitems = 1;
  return cval(p, v->items, depth + 1);
}

static bool cval_body(wp *p, text_wast_cval *v, const text_token *kw, size_t kwi, unsigned depth) {
  memset(v, 0, sizeof *v);
  if (depth > 100) return fail(p, kwi, "value nested too deeply");
  v->type = cval_type(kw, true);
  if (!v->type) return fail(p, kwi, "expected a component value");
  const text_token *t = tok(p);
  char buf[32];
  if (strcmp(v->type, "bool") == 0) {
    if (keyword_text(t, "true")) v->b = true;
    else if (!keyword_text(t, "false")) return fail(p, p->i, "expected true or false");
    p->i++;
    return true;
  }
  if (v->type[0] == 'f' && (v->type[1] == '3' || v->type[1] == '6')) {
    uint64_t bits = 0;
    const char *why;
    if (v->type[1] == '3') {
      uint32_t u = 0;
      why = text_f32(p->sc->a, t->str, t->len, &u);
      bits = u;
    } else {
      why = text_f64(p->sc->a, t->str, t->len, &bits);
    }
    if (t->kind != TK_NAT && t->kind != TK_INT && t->kind != TK_FLOAT && !why) why = "expected a number";
    if (why) return fail(p, p->i, why);
    p->i++;
    snprintf(buf, sizeof buf, "%" PRIu64, bits);
    return cval_text(p, v, buf);
  }
  if ((v->type[0] == 's' || v->type[0] == 'u') && v->type[1] >= '0' && v->type[1] <= '9') {
    unsigned bits = (unsigned)strtoul(v->type + 1, NULL, 10);
    uint64_t x = 0;
    if (t->kind != TK_NAT && t->kind != TK_INT) return fail(p, p->i, "expected an integer");
    const char *why = text_int(t->str, t->len, bits, &x);
    if (why) return fail(p, p->i, why);
    bool neg = t->str[0] == '-';
    if (v->type[0] == 'u' && neg) return fail(p, p->i, "constant out of range");
    if (v->type[0] == 's') {
      /* text_int accepts 0..2^N-1 too: a signed value must fit. */
      int64_t sx = bits == 64 ? (int64_t)x : (int64_t)(x << (64 - bits)) >> (64 - bits);
      if (!neg && sx < 0) return fail(p, p->i, "constant out of range");
      snprintf(buf, sizeof buf, "%" PRId64, sx);
    } else {
      snprintf(buf, sizeof buf, "%" PRIu64, x);
    }
    p->i++;
    return cval_text(p, v, buf);
  }
  if (strcmp(v->type, "string") == 0 || strcmp(v->type, "char") == 0 || strcmp(v->type, "enum") == 0)
    return string(p, &v->text, "expected a string");
  if (strcmp(v->type, "list") == 0 || strcmp(v->type, "tuple") == 0) return cval_items(p, v, depth, false);
  if (strcmp(v->type, "record") == 0) return cval_items(p, v, depth, true);
  if (strcmp(v->type, "flags") == 0) {
    KB_VEC(text_wast_cval) items = {0};
    bool ok = true;
    while (ok && tok(p)->kind == TK_STRING) {
      text_wast_cval it;
      memset(&it, 0, sizeof it);
      it.type = "string";
      ok = string(p, &it.text, "expected a flag") && (kb_vec_push(p->sc->a, &items, it) || oom(p));
    }
    if (ok && items.len) {
      v->items = kb_arena_alloc(&p->sc->ar, items.len * sizeof *items.items);
      if (!v->items) ok = oom(p);
      else memcpy(v->items, items.items, items.len * sizeof *items.items);
      v->nitems = (uint32_t)items.len;
    }
    kb_vec_free(p->sc->a, &items);
    return ok;
  }
  if (strcmp(v->type, "variant") == 0)
    return string(p, &v->text, "expected a case name") && cval_payload(p, v, depth);
  if (strcmp(v->type, "option") == 0) {
    if (keyword_text(kw, "option.none")) {
      v->none = true;
      return true;
    }
    v->items = kb_arena_alloc(&p->sc->ar, sizeof *v->items);
    if (!v->items) return oom(p);
    v->nitems = 1;
    return cval(p, v->items, depth + 1);
  }
  /* result.ok / result.err */
  if (!cval_text(p, v, keyword_text(kw, "result.ok") ? "Ok" : "Err")) return false;
  return cval_payload(p, v, depth);
}

static bool value(wp *p, text_wast_value *v, bool pattern);

/* `(either v*)`: alternatives. */
static bool either(wp *p, text_wast_value *v) {
  valvec alts = {0};
  bool ok = true;
  while (ok && tok(p)->kind == TK_LPAR) {
    text_wast_value a;
    ok = value(p, &a, true) && (kb_vec_push(p->sc->a, &alts, a) || oom(p));
  }
  if (ok && alts.len) {
    v->alts = kb_arena_alloc(&p->sc->ar, alts.len * sizeof *alts.items);
    if (!v->alts) ok = oom(p);
    else memcpy(v->alts, alts.items, alts.len * sizeof *alts.items);
    v->nalts = (uint32_t)alts.len;
  }
  kb_vec_free(p->sc->a, &alts);
  return ok;
}

static const char *ref_type_name(wp *p, const text_token *t) {
  static const char *const names[][2] = {{"func", "funcref"}, {"extern", "externref"}, {"any", "anyref"},
                                         {"eq", "eqref"},     {"i31", "i31ref"},        {"struct", "structref"},
                                         {"array", "arrayref"}, {"exn", "exnref"},      {"none", "nullref"},
                                         {"nofunc", "nullfuncref"}, {"noextern", "nullexternref"}};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (keyword_text(t, names[k][0])) return names[k][1];
  fail(p, p->i, "unknown heap type");
  return NULL;
}

/* One value form `(t.const ...)`, `(ref.null t)`, `(ref.extern n)`, ...;
 * pattern allows NaN patterns and reference patterns (expected results). */
static bool value(wp *p, text_wast_value *v, bool pattern) {
  memset(v, 0, sizeof *v);
  v->nlanes = 1;
  if (tok(p)->kind != TK_LPAR) return fail(p, p->i, "expected a value");
  p->i++;
  const text_token *kw = tok(p);
  size_t kwi = p->i;
  if (cval_type(kw, false)) {
    p->i--;
    v->type = "component";
    v->cval = kb_arena_alloc(&p->sc->ar, sizeof *v->cval);
    if (!v->cval) return oom(p);
    return cval(p, v->cval, 0);
  }
  p->i++;
  if (keyword_text(kw, "i32.const") || keyword_text(kw, "i64.const") || keyword_text(kw, "f32.const") ||
      keyword_text(kw, "f64.const")) {
    static const char *const types[] = {"i32", "i64", "f32", "f64"};
    for (unsigned k = 0; k < 4; k++)
      if (memcmp(kw->str, types[k], 3) == 0) v->type = types[k];
    bool fp = kw->str[0] == 'f';
    unsigned bits = kw->str[1] == '3' ? 32 : 64;
    if (!lane(p, v, 0, bits, fp, pattern)) return false;
  } else if (keyword_text(kw, "v128.const")) {
    static const struct {
      const char *shape, *lane;
      unsigned n, bits;
      bool fp;
    } shapes[] = {{"i8x16", "i8", 16, 8, false},  {"i16x8", "i16", 8, 16, false}, {"i32x4", "i32", 4, 32, false},
                  {"i64x2", "i64", 2, 64, false}, {"f32x4", "f32", 4, 32, true},  {"f64x2", "f64", 2, 64, true}};
    size_t s = 0;
    while (s < 6 && !keyword_text(tok(p), shapes[s].shape)) s++;
    if (s == 6) return fail(p, p->i, "expected a v128 shape");
    p->i++;
    v->type = "v128";
    v->lane_type = shapes[s].lane;
    v->nlanes = (uint8_t)shapes[s].n;
    for (unsigned k = 0; k < shapes[s].n; k++)
      if (!lane(p, v, k, shapes[s].bits, shapes[s].fp, pattern)) return false;
  } else if (keyword_text(kw, "ref.null")) {
    v->type = ref_type_name(p, tok(p));
    if (!v->type) return false;
    p->i++;
    v->is_null = true;
  } else if (keyword_text(kw, "ref.extern") || keyword_text(kw, "ref.host")) {
    /* (ref.host n) is a host reference seen as an anyref (GC proposal). */
    v->type = kw->str[4] == 'h' ? "anyref" : "externref";
    if (tok(p)->kind == TK_NAT) {
      const char *why = text_nat(tok(p)->str, tok(p)->len, 64, &v->lanes[0]);
      if (why) return fail(p, p->i, why);
      p->i++;
    } else if (pattern) {
      v->no_value = true;
    } else {
      return fail(p, p->i, "expected a number");
    }
  } else if (pattern && keyword_text(kw, "ref.func")) {
    v->type = "funcref";
    v->no_value = true;
    if (tok(p)->kind != TK_RPAR) p->i++; /* an index: any non-null funcref */
  } else if (pattern && keyword_text(kw, "either")) {
    v->type = "either";
    if (!either(p, v)) return false;
  } else if (kw->kind == TK_KEYWORD) {
    /* A value of a proposal kumi does not run (ref.i31, ref.struct, ...):
     * keep its name so the runner skips it. */
    char *name = kb_arena_strndup(&p->sc->ar, (const char *)kw->str, kw->len);
    if (!name) return oom(p);
    v->type = name;
    size_t end = form_end(p, kwi - 1);
    if (end == SIZE_MAX) return fail(p, kwi, "unbalanced parentheses");
    p->i = end - 1;
  } else {
    return fail(p, kwi, "expected a value");
  }
  return expect_rpar(p);
}

static bool values(wp *p, bool pattern, text_wast_value **out, uint32_t *n) {
  valvec vs = {0};
  bool ok = true;
  while (ok && tok(p)->kind == TK_LPAR) {
    text_wast_value v;
    ok = value(p, &v, pattern) && (kb_vec_push(p->sc->a, &vs, v) || oom(p));
  }
  *out = NULL;
  *n = 0;
  if (ok && vs.len) {
    *out = kb_arena_alloc(&p->sc->ar, vs.len * sizeof *vs.items);
    if (!*out) ok = oom(p);
    else memcpy(*out, vs.items, vs.len * sizeof *vs.items);
    *n = (uint32_t)vs.len;
  }
  kb_vec_free(p->sc->a, &vs);
  return ok;
}

/* ---- commands ---------------------------------------------------------- */

/* `(invoke $id? "name" arg*)` or `(get $id? "name")`. */
static bool action(wp *p, text_wast_cmd *c) {
  bool invoke = at_form(p, "invoke");
  if (!invoke && !at_form(p, "get")) return fail(p, p->i, "expected an action (invoke or get)");
  p->i += 2;
  c->has_action = true;
  c->action_type = invoke ? "invoke" : "get";
  if (tok(p)->kind == TK_ID) {
    if (!id_name(p, tok(p), &c->action_module)) return false;
    p->i++;
  }
  if (!string(p, &c->field, "expected an export name")) return false;
  if (invoke && !values(p, false, &c->args, &c->nargs)) return false;
  return expect_rpar(p);
}

/* A module form at the cursor: recorded and skipped. `(module definition
 * $x? ...)` and `(module instance $i $x)` set *kind. */
static bool module_form(wp *p, text_wast_cmd *c, const char **kind) {
  if (!at_form(p, "module") && !at_form(p, "component")) return fail(p, p->i, "expected a module");
  size_t start = p->i;
  size_t end = form_end(p, start);
  if (end == SIZE_MAX) return fail(p, start, "unbalanced parentheses");
  c->has_module = true;
  c->module_tok = start;
  *kind = "module";
  size_t k = start + 2;
  if (wat_is_kw(&p->sc->toks[k], "definition")) {
    *kind = "module_definition";
    k++;
  } else if (wat_is_kw(&p->sc->toks[k], "instance")) {
    *kind = "module_instance";
    c->has_module = false;
    k++;
    if (p->sc->toks[k].kind == TK_ID && !id_name(p, &p->sc->toks[k++], &c->name)) return false;
    if (p->sc->toks[k].kind == TK_ID && !id_name(p, &p->sc->toks[k++], &c->as)) return false;
  }
  if (p->sc->toks[k].kind == TK_ID && !c->name.p && !id_name(p, &p->sc->toks[k], &c->name)) return false;
  p->i = end;
  return true;
}

static bool command_(wp *p, text_wast_cmd *c);

/* A command; *inner gets the token of its inner form (module or action),
 * or SIZE_MAX. */
static bool command(wp *p, text_wast_cmd *c, size_t *inner) {
  size_t start = p->i;
  bool ok = command_(p, c);
  *inner = SIZE_MAX;
  if (ok && p->sc->toks[start].kind == TK_LPAR && p->sc->toks[start + 2].kind == TK_LPAR &&
      !wat_is_kw(&p->sc->toks[start + 1], "module") && !wat_is_kw(&p->sc->toks[start + 1], "component"))
    *inner = start + 2;
  return ok;
}

static bool command_(wp *p, text_wast_cmd *c) {
  memset(c, 0, sizeof *c);
  size_t start = p->i;
  if (tok(p)->kind != TK_LPAR) return fail(p, p->i, "expected a command");
  c->pos = tok(p)->pos;
  uint32_t col;
  text_line_col(p->sc->src, p->sc->len, c->pos, &c->line, &col);
  const text_token *kw = &p->sc->toks[p->i + 1];
  if (wat_is_kw(kw, "module") || wat_is_kw(kw, "component")) return module_form(p, c, &c->type);
  if (wat_is_kw(kw, "invoke") || wat_is_kw(kw, "get")) {
    c->type = "action";
    return action(p, c);
  }
  p->i += 2;
  if (wat_is_kw(kw, "register")) {
    c->type = "register";
    if (!string(p, &c->as, "expected a registration name")) return false;
    if (tok(p)->kind == TK_ID) {
      if (!id_name(p, tok(p), &c->name)) return false;
      p->i++;
    }
    return expect_rpar(p);
  }
  static const char *const on_action[] = {"assert_return", "assert_trap", "assert_exhaustion", "assert_exception"};
  static const char *const on_module[] = {"assert_malformed", "assert_invalid", "assert_unlinkable",
                                          "assert_uninstantiable"};
  for (size_t k = 0; k < 4; k++) {
    if (!wat_is_kw(kw, on_action[k])) continue;
    c->type = on_action[k];
    if (k == 1 && (at_form(p, "module") || at_form(p, "component"))) {
      /* assert_trap on a module: its instantiation traps. */
      const char *kind;
      c->type = "assert_uninstantiable";
      if (!module_form(p, c, &kind)) return false;
    } else if (!action(p, c)) {
      return false;
    }
    if (k == 0 && !values(p, true, &c->expected, &c->nexpected)) return false;
    if ((k == 1 || k == 2) && !string(p, &c->text, "expected a failure message")) return false;
    return expect_rpar(p);
  }
  for (size_t k = 0; k < 4; k++) {
    if (!wat_is_kw(kw, on_module[k])) continue;
    c->type = on_module[k];
    const char *kind;
    if (!module_form(p, c, &kind)) return false;
    if (!string(p, &c->text, "expected a failure message")) return false;
    return expect_rpar(p);
  }
  /* A command of a later proposal (e.g. thread, wait): kept, so the runner
   * reports it as unsupported. */
  if (kw->kind != TK_KEYWORD) return fail(p, start + 1, "expected a command keyword");
  char *name = kb_arena_strndup(&p->sc->ar, (const char *)kw->str, kw->len);
  if (!name) return oom(p);
  c->type = name;
  size_t end = form_end(p, start);
  if (end == SIZE_MAX) return fail(p, start, "unbalanced parentheses");
  p->i = end;
  return true;
}

kumi_error *text_wast_parse(text_wast_script *sc, const kumi_allocator *a, const char *src, size_t len) {
  memset(sc, 0, sizeof *sc);
  sc->a = a;
  sc->src = src;
  sc->len = len;
  kb_arena_init(&sc->ar, a);
  kumi_error *e = text_lex(&sc->ar, src, len, &sc->toks, &sc->ntoks);
  if (e) return e;
  wp p = {sc, 0, NULL};
  KB_VEC(text_wast_cmd) cmds = {0};
  /* A script that is a bare module (fields without `(module ...)`) is one
   * module command, parsed from the whole source. */
  static const char *const fields[] = {"type", "import", "func", "table", "memory", "global",
                                       "export", "start", "elem", "data", "tag", "rec"};
  for (size_t k = 0; sc->ntoks > 1 && tok(&p)->kind == TK_LPAR && k < sizeof fields / sizeof fields[0]; k++) {
    if (!wat_is_kw(&sc->toks[1], fields[k])) continue;
    text_wast_cmd c;
    memset(&c, 0, sizeof c);
    c.type = "module";
    c.pos = sc->toks[0].pos;
    uint32_t col;
    text_line_col(src, len, c.pos, &c.line, &col);
    c.has_module = true;
    c.module_tok = SIZE_MAX;
    if (!kb_vec_push(a, &cmds, c)) oom(&p);
    p.i = sc->ntoks - 1;
    break;
  }
  KB_VEC(size_t) inner = {0};
  bool components = false;
  while (!p.err && tok(&p)->kind != TK_EOF) {
    text_wast_cmd c;
    size_t in;
    if (command(&p, &c, &in) && (!kb_vec_push(a, &cmds, c) || !kb_vec_push(a, &inner, in))) oom(&p);
    if (!p.err && c.has_module && c.module_tok != SIZE_MAX && wat_is_kw(&sc->toks[c.module_tok + 1], "component"))
      components = true;
  }
  /* Component scripts number an assertion by the line of its inner form
   * (the module or the action), as the manifests made from them do. */
  for (size_t k = 0; components && !p.err && k < cmds.len; k++) {
    if (inner.items[k] == SIZE_MAX) continue;
    uint32_t col;
    text_line_col(src, len, sc->toks[inner.items[k]].pos, &cmds.items[k].line, &col);
  }
  kb_vec_free(a, &inner);
  if (!p.err && cmds.len) {
    sc->cmds = kb_arena_alloc(&sc->ar, cmds.len * sizeof *cmds.items);
    if (!sc->cmds) oom(&p);
    else memcpy(sc->cmds, cmds.items, cmds.len * sizeof *cmds.items);
    sc->ncmds = cmds.len;
  }
  kb_vec_free(a, &cmds);
  return p.err;
}

void text_wast_free(text_wast_script *sc) { kb_arena_free(&sc->ar); }

kumi_error *text_wast_module(const text_wast_script *sc, const text_wast_cmd *c, uint8_t **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  if (!c->has_module) return kb_error(sc->a, KUMI_ERR_MALFORMED, c->pos, "command has no module");
  if (c->module_tok == SIZE_MAX) return text_parse_wat(sc->a, sc->src, sc->len, out, out_len);
  const text_token *toks = sc->toks;
  size_t ntoks = sc->ntoks, i = c->module_tok, name_tok;
  text_token *copy = NULL;
  size_t copy_n = 0;
  bool component = i + 1 < ntoks && wat_is_kw(&toks[i + 1], "component");
  if (i + 2 < ntoks && wat_is_kw(&toks[i + 2], "definition")) {
    /* `(module definition ...)`: the module parser gets the form's tokens
     * without `definition` (positions stay those of the script). */
    size_t end = i, depth = 0;
    for (; end < ntoks && toks[end].kind != TK_EOF; end++) {
      if (toks[end].kind == TK_LPAR) depth++;
      if (toks[end].kind == TK_RPAR && --depth == 0) break;
    }
    if (end >= ntoks || toks[end].kind == TK_EOF)
      return kb_error(sc->a, KUMI_ERR_MALFORMED, c->pos, "unbalanced parentheses");
    copy_n = end - i + 1; /* the form less `definition`, plus EOF */
    copy = kb_alloc(sc->a, copy_n * sizeof *copy);
    if (!copy) return kb_error_oom();
    memcpy(copy, toks + i, 2 * sizeof *copy);
    memcpy(copy + 2, toks + i + 3, (end - i - 2) * sizeof *copy);
    copy[copy_n - 1] = toks[ntoks - 1];
    toks = copy;
    ntoks = copy_n;
    i = 0;
  }
  text_buf b;
  tb_init(&b, sc->a);
  kumi_error *e = component ? wat_parse_component_form(sc->a, sc->src, sc->len, toks, ntoks, &i, &b, &name_tok)
                            : wat_parse_module_form(sc->a, sc->src, sc->len, toks, ntoks, &i, &b, &name_tok);
  if (copy) kb_free(sc->a, copy, copy_n * sizeof *copy);
  if (!e && b.oom) e = kb_error_oom();
  if (!e && b.len == 0) e = kb_error(sc->a, KUMI_ERR_MALFORMED, c->pos, "empty module");
  if (e) {
    tb_free(&b);
    return e;
  }
  uint8_t *r = kb_realloc(sc->a, b.data, b.cap, b.len);
  if (!r) {
    tb_free(&b);
    return kb_error_oom();
  }
  *out = r;
  *out_len = b.len;
  return NULL;
}
