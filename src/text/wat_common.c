/* Helpers of the module parser (wat.h): errors, token tests, indices in
 * the index spaces, value and reference types. Split from wat_module.c. */
#include "wat.h"

#include <stdarg.h>
#include <stdio.h>

bool wat_fail(wat_parser *p, size_t k, const char *fmt, ...) {
  if (p->err) return false;
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (k >= p->n) k = p->n - 1;
  const text_token *t = &p->t[k];
  /* A malformed token (0x1_, 0$x, ...) is what went wrong, not its place. */
  if (t->kind == TK_RESERVED && strncmp(msg, "unexpected token", 16) == 0)
    snprintf(msg, sizeof msg, "unknown operator %.*s", (int)(t->slen > 40 ? 40 : t->slen), t->str);
  p->err = text_error_at(p->a, p->src, p->srclen, t->pos, "%s", msg);
  return false;
}

bool wat_oom(wat_parser *p) {
  if (!p->err) p->err = kb_error_oom();
  return false;
}

const text_token *wat_tok(const wat_parser *p) { return &p->t[p->i]; }

bool wat_is_kw(const text_token *t, const char *kw) {
  size_t n = strlen(kw);
  return t->kind == TK_KEYWORD && t->slen == n && memcmp(t->str, kw, n) == 0;
}

bool wat_at_form(const wat_parser *p, const char *kw) {
  return p->t[p->i].kind == TK_LPAR && wat_is_kw(&p->t[p->i + 1], kw);
}

bool wat_expect_rpar(wat_parser *p) {
  if (wat_tok(p)->kind != TK_RPAR) {
    const text_token *t = wat_tok(p);
    if (t->kind == TK_KEYWORD) return wat_fail(p, p->i, "unexpected token %.*s", (int)t->slen, t->str);
    return wat_fail(p, p->i, "unexpected token, expected )");
  }
  p->i++;
  return true;
}

bool wat_expect_form(wat_parser *p, const char *kw) {
  if (!wat_at_form(p, kw)) return wat_fail(p, p->i, "unexpected token, expected (%s", kw);
  p->i += 2;
  return true;
}

bool wat_binary_or_quote(wat_parser *p, bool quote, const char *what, wat_text_parser parse, text_buf *out) {
  size_t at = p->i - 1;
  if (p->quoted) return wat_fail(p, at, "unexpected token");
  text_buf all;
  tb_init(&all, p->a);
  while (wat_tok(p)->kind == TK_STRING) {
    tb_bytes(&all, wat_tok(p)->str, wat_tok(p)->slen);
    p->i++;
  }
  bool ok = !all.oom || wat_oom(p);
  if (ok && quote) {
    kumi_error *e = parse(p->a, (const char *)all.data, all.len, true, out);
    if (e) {
      if (e->alloc) ok = wat_fail(p, at, "in quoted %s: %s", what, e->message);
      else ok = wat_oom(p);
      kumi_error_free(e);
    }
  } else if (ok) {
    tb_bytes(out, all.data, all.len);
  }
  tb_free(&all);
  return ok;
}

kumi_error *wat_lex_parse(const kumi_allocator *a, const char *src, size_t len, bool quoted, text_buf *out,
                          wat_tokens_parser parse) {
  kb_arena ar;
  kb_arena_init(&ar, a);
  text_token *toks;
  size_t ntoks;
  kumi_error *e = text_lex(&ar, src, len, &toks, &ntoks);
  if (!e) e = parse(a, &ar, src, len, toks, ntoks, quoted, out);
  kb_arena_free(&ar);
  return e;
}

kumi_error *wat_finish_out(const kumi_allocator *a, kumi_error *e, text_buf *b, uint8_t **out, size_t *out_len) {
  if (!e && b->oom) e = kb_error_oom();
  if (e) {
    tb_free(b);
    return e;
  }
  uint8_t *r = kb_realloc(a, b->data, b->cap, b->len);
  if (!r && b->len) {
    tb_free(b);
    return kb_error_oom();
  }
  *out = r;
  *out_len = b->len;
  return NULL;
}

static const char *const space_names[WS_COUNT] = {"type", "function", "table", "memory", "global", "elem segment",
                                                   "data segment", "tag"};

bool wat_at_index(const wat_parser *p) {
  return p->t[p->i].kind == TK_NAT || p->t[p->i].kind == TK_ID;
}

/* ws < 0: numbers only (locals are looked up by the caller). */
bool wat_index(wat_parser *p, int ws, uint32_t *out) {
  const text_token *t = wat_tok(p);
  if (t->kind == TK_NAT) {
    uint64_t v;
    const char *why = text_nat(t->str, t->slen, 32, &v);
    if (why) return wat_fail(p, p->i, "%s", why);
    *out = (uint32_t)v;
    p->i++;
    return true;
  }
  if (t->kind == TK_ID && ws >= 0) {
    void *v;
    if (!kb_map_get(&p->names[ws], (const char *)t->str, t->slen, &v))
      return wat_fail(p, p->i, "unknown %s $%.*s", space_names[ws], (int)t->slen, t->str);
    *out = (uint32_t)((uintptr_t)v - 1);
    p->i++;
    return true;
  }
  return wat_fail(p, p->i, "unexpected token, expected an index");
}

size_t wat_reftype_at(const text_token *t, uint8_t *out) {
  if (wat_is_kw(t, "funcref")) *out = CORE_FUNCREF;
  else if (wat_is_kw(t, "externref")) *out = CORE_EXTERNREF;
  else if (wat_is_kw(t, "exnref")) *out = CORE_EXNREF;
  else if (t[0].kind == TK_LPAR && wat_is_kw(&t[1], "ref") && wat_is_kw(&t[2], "null") &&
           (wat_is_kw(&t[3], "func") || wat_is_kw(&t[3], "extern") || wat_is_kw(&t[3], "exn")) &&
           t[4].kind == TK_RPAR) {
    /* the typed-references spelling of the nullable reference types */
    *out = wat_is_kw(&t[3], "func") ? CORE_FUNCREF : wat_is_kw(&t[3], "extern") ? CORE_EXTERNREF : CORE_EXNREF;
    return 5;
  } else return 0;
  return 1;
}

bool wat_valtype(wat_parser *p, uint8_t *out) {
  static const struct {
    const char *name;
    uint8_t type;
  } types[] = {{"i32", CORE_I32}, {"i64", CORE_I64}, {"f32", CORE_F32}, {"f64", CORE_F64}, {"v128", CORE_V128}};
  const text_token *t = wat_tok(p);
  for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
    if (wat_is_kw(t, types[k].name)) {
      *out = types[k].type;
      p->i++;
      return true;
    }
  }
  size_t rn = wat_reftype_at(t, out);
  if (rn) {
    p->i += rn;
    return true;
  }
  if (t->kind == TK_KEYWORD) return wat_fail(p, p->i, "unknown type %.*s", (int)t->slen, t->str);
  return wat_fail(p, p->i, "unexpected token, expected a value type");
}

const char *wat_space_name(int ws) { return ws >= 0 && ws < WS_COUNT ? space_names[ws] : "index"; }
