/* wit: the parser, from tokens to the syntax tree of one file. The grammar is
 * WIT.md's; where it leaves room, wit-parser's choices are followed (every
 * comment before an item is documentation, trailing commas are allowed in
 * every list, `include ... with { }` takes no semicolon). */
#include "wit_int.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct tok {
  wit_tok t;
  wit_span sp;
} tok;

typedef struct parser {
  wit_resolve *r;
  kb_arena *ar;
  const wit_source *src;
  tok *toks; /* comments included, whitespace dropped; ends with WT_EOF */
  uint32_t ntoks, cap, i;
  uint32_t depth; /* nesting of types and packages, bounded to keep the C stack small */
  kumi_error *err;
} parser;

#define MAX_DEPTH 256

#define TRY(x)                  \
  do {                          \
    if (!(x)) return false;     \
  } while (0)

static bool oom(parser *p) {
  if (!p->err) p->err = kb_error_oom();
  return false;
}

static bool fail(parser *p, wit_span sp, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static bool fail(parser *p, wit_span sp, const char *fmt, ...) {
  if (p->err) return false;
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  p->err = wit_span_error(p->r, KUMI_ERR_MALFORMED, sp, "%s", msg);
  return false;
}

static const char *tok_text(parser *p, const tok *t, uint32_t *n) {
  *n = t->sp.end - t->sp.start;
  return p->src->text + (t->sp.start - p->src->base);
}

/* Skips comments; returns the current significant token. */
static const tok *peek(parser *p) {
  while (p->toks[p->i].t == WT_COMMENT) p->i++;
  return &p->toks[p->i];
}

static const tok *next(parser *p) {
  const tok *t = peek(p);
  if (t->t != WT_EOF) p->i++;
  return t;
}

static bool eat(parser *p, wit_tok t) {
  if (peek(p)->t != t) return false;
  p->i++;
  return true;
}

static bool expected(parser *p, const char *what, const tok *found) {
  return fail(p, found->sp, "expected %s, found %s", what, wit_tok_describe(found->t));
}

static bool expect(parser *p, wit_tok t, wit_span *sp) {
  const tok *k = peek(p);
  if (k->t != t) return expected(p, wit_tok_describe(t), k);
  if (sp) *sp = k->sp;
  p->i++;
  return true;
}

/* Collects the comments at the cursor as documentation. */
static bool parse_docs(parser *p, wit_docs *docs, wit_span *span) {
  uint32_t start = p->i, n = 0;
  while (p->toks[p->i].t == WT_COMMENT) {
    p->i++;
    n++;
  }
  *docs = NULL;
  if (span) *span = p->toks[start].sp;
  if (!n) return true;
  const char **cs = kb_arena_alloc(p->ar, sizeof *cs * n);
  uint32_t *ls = kb_arena_alloc(p->ar, sizeof *ls * n);
  if (!cs || !ls) return oom(p);
  for (uint32_t k = 0; k < n; k++) cs[k] = tok_text(p, &p->toks[start + k], &ls[k]);
  bool failed = false;
  *docs = wit_docs_from_comments(p->ar, cs, ls, n, &failed);
  if (failed) return oom(p);
  return true;
}

static bool parse_id(parser *p, wit_id *id) {
  const tok *t = next(p);
  uint32_t n;
  const char *s = tok_text(p, t, &n);
  if (t->t == WT_EXPLICIT_ID) {
    s++;
    n--;
  } else if (t->t != WT_ID) {
    p->i -= t->t != WT_EOF;
    return expected(p, "an identifier", t);
  }
  char bad;
  const char *why = wit_validate_id(s, n, &bad);
  if (why) {
    if (bad) return fail(p, t->sp, "%s '%c'", why, bad);
    return fail(p, t->sp, "%s", why);
  }
  id->name = kb_arena_strndup(p->ar, s, n);
  if (!id->name) return oom(p);
  id->span = t->sp;
  return true;
}

/* Identifiers, integers and '-' after the '-' or '+' of a version, with '.'
 * only when followed by one of those (so `@1.0.0.{` stops before '.'). */
static void eat_version_ids(parser *p, wit_tok prefix, uint32_t *end) {
  if (!eat(p, prefix)) return;
  for (;;) {
    const tok *t = peek(p);
    if (t->t == WT_ID || t->t == WT_INTEGER || t->t == WT_MINUS) {
      *end = t->sp.end;
      p->i++;
      continue;
    }
    if (t->t == WT_PERIOD) {
      uint32_t save = p->i;
      p->i++;
      const tok *u = peek(p);
      if (u->t == WT_ID || u->t == WT_INTEGER || u->t == WT_MINUS) {
        *end = u->sp.end;
        p->i++;
        continue;
      }
      p->i = save;
    }
    return;
  }
}

static bool parse_version(parser *p, wit_version **out, wit_span *span) {
  wit_span a = {0, 0}, b = {0, 0};
  TRY(expect(p, WT_INTEGER, &a));
  TRY(expect(p, WT_PERIOD, NULL));
  TRY(expect(p, WT_INTEGER, NULL));
  TRY(expect(p, WT_PERIOD, NULL));
  TRY(expect(p, WT_INTEGER, &b));
  uint32_t end = b.end;
  eat_version_ids(p, WT_MINUS, &end);
  eat_version_ids(p, WT_PLUS, &end);
  wit_span sp = {a.start, end};
  const char *why = NULL;
  *out = wit_parse_version(p->ar, p->src->text + (sp.start - p->src->base), sp.end - sp.start, &why);
  if (!*out) {
    if (!why) return oom(p);
    return fail(p, sp, "%s", why);
  }
  if (span) *span = sp;
  return true;
}

static bool parse_opt_version(parser *p, wit_version **out, wit_span *span) {
  *out = NULL;
  if (!eat(p, WT_AT)) return true;
  return parse_version(p, out, span);
}

static bool eat_word(parser *p, const char *word) {
  wit_id id;
  TRY(parse_id(p, &id));
  if (strcmp(id.name, word)) {
    return fail(p, id.span, "expected `%s`, found `%.280s`", word, id.name);
  }
  return true;
}

static bool parse_attrs(parser *p, wit_attrs *attrs) {
  while (eat(p, WT_AT)) {
    wit_id id;
    TRY(parse_id(p, &id));
    wit_attr a;
    memset(&a, 0, sizeof a);
    a.span = id.span;
    if (!strcmp(id.name, "since") || !strcmp(id.name, "deprecated")) {
      a.kind = id.name[0] == 's' ? WIT_ATTR_SINCE : WIT_ATTR_DEPRECATED;
      TRY(expect(p, WT_LPAREN, NULL));
      TRY(eat_word(p, "version"));
      TRY(expect(p, WT_EQUALS, NULL));
      TRY(parse_version(p, &a.version, NULL));
      TRY(expect(p, WT_RPAREN, NULL));
    } else if (!strcmp(id.name, "unstable")) {
      a.kind = WIT_ATTR_UNSTABLE;
      TRY(expect(p, WT_LPAREN, NULL));
      TRY(eat_word(p, "feature"));
      TRY(expect(p, WT_EQUALS, NULL));
      TRY(parse_id(p, &a.feature));
      TRY(expect(p, WT_RPAREN, NULL));
    } else {
      return fail(p, id.span, "unknown attribute `%s`", id.name);
    }
    if (!wit_vec_push(p->ar, attrs, a)) return oom(p);
  }
  return true;
}

static bool parse_pkgname(parser *p, wit_ast_pkgname *n) {
  TRY(parse_id(p, &n->ns));
  TRY(expect(p, WT_COLON, NULL));
  TRY(parse_id(p, &n->name));
  wit_span vs = {0, 0};
  TRY(parse_opt_version(p, &n->version, &vs));
  n->span.start = n->ns.span.start;
  n->span.end = n->version ? vs.end : n->name.span.end;
  return true;
}

static bool parse_path(parser *p, wit_ast_path *path) {
  memset(path, 0, sizeof *path);
  wit_id id;
  TRY(parse_id(p, &id));
  if (eat(p, WT_COLON)) {
    path->foreign = true;
    path->pkg.ns = id;
    TRY(parse_id(p, &path->pkg.name));
    TRY(expect(p, WT_SLASH, NULL));
    TRY(parse_id(p, &path->name));
    wit_span vs;
    TRY(parse_opt_version(p, &path->pkg.version, &vs));
    path->pkg.span.start = id.span.start;
    path->pkg.span.end = path->pkg.name.span.end;
  } else {
    path->name = id;
  }
  return true;
}

static wit_ast_type *new_type(parser *p, wit_ast_type_kind kind, wit_span sp) {
  wit_ast_type *t = kb_arena_alloc(p->ar, sizeof *t);
  if (!t) {
    oom(p);
    return NULL;
  }
  t->kind = kind;
  t->span = sp;
  return t;
}

static bool parse_type(parser *p, wit_ast_type **out);

static bool parse_angle_type(parser *p, wit_ast_type **out) {
  TRY(expect(p, WT_LT, NULL));
  TRY(parse_type(p, out));
  return expect(p, WT_GT, NULL);
}

static bool parse_type_inner(parser *p, wit_ast_type **out);

static bool parse_type(parser *p, wit_ast_type **out) {
  if (p->depth >= MAX_DEPTH) return fail(p, peek(p)->sp, "types nested too deeply");
  p->depth++;
  bool ok = parse_type_inner(p, out);
  p->depth--;
  return ok;
}

static bool parse_type_inner(parser *p, wit_ast_type **out) {
  const tok *t = next(p);
  wit_span sp = t->sp;
  wit_type prim = WIT_T_NONE;
  switch (t->t) {
  case WT_U8: prim = WIT_T_U8; break;
  case WT_U16: prim = WIT_T_U16; break;
  case WT_U32: prim = WIT_T_U32; break;
  case WT_U64: prim = WIT_T_U64; break;
  case WT_S8: prim = WIT_T_S8; break;
  case WT_S16: prim = WIT_T_S16; break;
  case WT_S32: prim = WIT_T_S32; break;
  case WT_S64: prim = WIT_T_S64; break;
  case WT_F32: prim = WIT_T_F32; break;
  case WT_F64: prim = WIT_T_F64; break;
  case WT_CHAR: prim = WIT_T_CHAR; break;
  case WT_BOOL: prim = WIT_T_BOOL; break;
  case WT_STRING: prim = WIT_T_STRING; break;
  case WT_ERROR_CONTEXT: prim = WIT_T_ERROR_CONTEXT; break;
  default: break;
  }
  if (prim != WIT_T_NONE) {
    TRY(*out = new_type(p, WA_PRIM, sp));
    (*out)->prim = prim;
    return true;
  }
  wit_ast_type *ty;
  switch (t->t) {
  case WT_TUPLE:
    TRY(ty = new_type(p, WA_TUPLE, sp));
    TRY(expect(p, WT_LT, NULL));
    for (;;) {
      wit_docs d;
      TRY(parse_docs(p, &d, NULL));
      if (eat(p, WT_GT)) break;
      wit_ast_type *e;
      TRY(parse_type(p, &e));
      if (!wit_vec_push(p->ar, &ty->types, e)) return oom(p);
      if (!eat(p, WT_COMMA)) {
        TRY(expect(p, WT_GT, NULL));
        break;
      }
    }
    break;
  case WT_LIST:
    TRY(ty = new_type(p, WA_LIST, sp));
    TRY(expect(p, WT_LT, NULL));
    TRY(parse_type(p, &ty->a));
    if (eat(p, WT_COMMA)) {
      const tok *n = next(p);
      if (n->t != WT_INTEGER) {
        p->i -= n->t != WT_EOF;
        return expected(p, "fixed size", n);
      }
      uint32_t len;
      const char *s = tok_text(p, n, &len);
      uint64_t v = 0;
      for (uint32_t k = 0; k < len; k++) {
        v = v * 10 + (uint64_t)(s[k] - '0');
        if (v > UINT32_MAX) return fail(p, n->sp, "fixed-length list size is too large");
      }
      if (v == 0) return fail(p, n->sp, "fixed-length list size must be at least 1");
      ty->kind = WA_FIXED_LIST;
      ty->size = (uint32_t)v;
    }
    TRY(expect(p, WT_GT, NULL));
    break;
  case WT_MAP:
    TRY(ty = new_type(p, WA_MAP, sp));
    TRY(expect(p, WT_LT, NULL));
    TRY(parse_type(p, &ty->a));
    TRY(expect(p, WT_COMMA, NULL));
    TRY(parse_type(p, &ty->b));
    TRY(expect(p, WT_GT, NULL));
    break;
  case WT_OPTION:
    TRY(ty = new_type(p, WA_OPTION, sp));
    TRY(parse_angle_type(p, &ty->a));
    break;
  case WT_RESULT:
    TRY(ty = new_type(p, WA_RESULT, sp));
    if (eat(p, WT_LT)) {
      if (eat(p, WT_UNDERSCORE)) {
        TRY(expect(p, WT_COMMA, NULL));
        TRY(parse_type(p, &ty->b));
      } else {
        TRY(parse_type(p, &ty->a));
        if (eat(p, WT_COMMA)) TRY(parse_type(p, &ty->b));
      }
      TRY(expect(p, WT_GT, NULL));
    }
    break;
  case WT_FUTURE:
  case WT_STREAM:
    TRY(ty = new_type(p, t->t == WT_FUTURE ? WA_FUTURE : WA_STREAM, sp));
    if (peek(p)->t == WT_LT) TRY(parse_angle_type(p, &ty->a));
    break;
  case WT_OWN:
  case WT_BORROW:
    TRY(ty = new_type(p, t->t == WT_OWN ? WA_OWN : WA_BORROW, sp));
    TRY(expect(p, WT_LT, NULL));
    TRY(parse_id(p, &ty->name));
    TRY(expect(p, WT_GT, NULL));
    ty->span = ty->name.span;
    break;
  case WT_ID:
  case WT_EXPLICIT_ID:
    p->i--;
    TRY(ty = new_type(p, WA_NAME, sp));
    TRY(parse_id(p, &ty->name));
    break;
  default:
    p->i -= t->t != WT_EOF;
    return expected(p, "a type", t);
  }
  *out = ty;
  return true;
}

/* `( name: type, ... )` after the '(' was eaten. */
static bool parse_params(parser *p, wit_ast_func *f) {
  for (;;) {
    wit_docs d;
    TRY(parse_docs(p, &d, NULL));
    if (eat(p, WT_RPAREN)) break;
    wit_ast_param prm;
    TRY(parse_id(p, &prm.name));
    TRY(expect(p, WT_COLON, NULL));
    TRY(parse_type(p, &prm.type));
    if (!wit_vec_push(p->ar, &f->params, prm)) return oom(p);
    if (!eat(p, WT_COMMA)) {
      TRY(expect(p, WT_RPAREN, NULL));
      break;
    }
  }
  return true;
}

static bool parse_func(parser *p, wit_ast_func *f) {
  memset(f, 0, sizeof *f);
  f->is_async = eat(p, WT_ASYNC);
  TRY(expect(p, WT_FUNC, &f->span));
  TRY(expect(p, WT_LPAREN, NULL));
  TRY(parse_params(p, f));
  if (eat(p, WT_RARROW)) TRY(parse_type(p, &f->result));
  return true;
}

/* A `{ item, item, }` list of cases; with_type: record fields (`name: ty`),
 * variant cases (`name(ty)?`), or plain names. */
enum case_form { CASE_NAME, CASE_FIELD, CASE_VARIANT };
static bool parse_cases(parser *p, wit_ast_type *ty, enum case_form form) {
  TRY(expect(p, WT_LBRACE, NULL));
  for (;;) {
    wit_ast_case c;
    memset(&c, 0, sizeof c);
    TRY(parse_docs(p, &c.docs, NULL));
    if (eat(p, WT_RBRACE)) break;
    TRY(parse_id(p, &c.name));
    if (form == CASE_FIELD) {
      TRY(expect(p, WT_COLON, NULL));
      TRY(parse_type(p, &c.type));
    } else if (form == CASE_VARIANT && eat(p, WT_LPAREN)) {
      TRY(parse_type(p, &c.type));
      TRY(expect(p, WT_RPAREN, NULL));
    }
    if (!wit_vec_push(p->ar, &ty->cases, c)) return oom(p);
    if (!eat(p, WT_COMMA)) {
      TRY(expect(p, WT_RBRACE, NULL));
      break;
    }
  }
  return true;
}

static bool parse_resource_func(parser *p, wit_ast_named_func *f) {
  const tok *t = peek(p);
  if (t->t == WT_CONSTRUCTOR) {
    p->i++;
    f->kind = WIT_RF_CONSTRUCTOR;
    f->name.name = "constructor";
    f->name.span = t->sp;
    f->func.span = t->sp;
    TRY(expect(p, WT_LPAREN, NULL));
    TRY(parse_params(p, &f->func));
    if (eat(p, WT_RARROW)) TRY(parse_type(p, &f->func.result));
    return expect(p, WT_SEMICOLON, NULL);
  }
  if (t->t != WT_ID && t->t != WT_EXPLICIT_ID) return expected(p, "`constructor` or identifier", t);
  TRY(parse_id(p, &f->name));
  TRY(expect(p, WT_COLON, NULL));
  f->kind = eat(p, WT_STATIC) ? WIT_RF_STATIC : WIT_RF_METHOD;
  TRY(parse_func(p, &f->func));
  return expect(p, WT_SEMICOLON, NULL);
}

/* A type definition starting at its keyword (type, record, flags, variant,
 * enum, resource). */
static bool parse_typedef(parser *p, wit_ast_typedef *td) {
  const tok *t = next(p);
  TRY(parse_id(p, &td->name));
  wit_ast_type *ty;
  switch (t->t) {
  case WT_TYPE:
    TRY(expect(p, WT_EQUALS, NULL));
    TRY(parse_type(p, &td->type));
    return expect(p, WT_SEMICOLON, NULL);
  case WT_RECORD:
    TRY(ty = new_type(p, WA_RECORD, td->name.span));
    TRY(parse_cases(p, ty, CASE_FIELD));
    break;
  case WT_FLAGS:
    TRY(ty = new_type(p, WA_FLAGS, td->name.span));
    TRY(parse_cases(p, ty, CASE_NAME));
    break;
  case WT_VARIANT:
    TRY(ty = new_type(p, WA_VARIANT, td->name.span));
    TRY(parse_cases(p, ty, CASE_VARIANT));
    break;
  case WT_ENUM:
    TRY(ty = new_type(p, WA_ENUM, td->name.span));
    TRY(parse_cases(p, ty, CASE_NAME));
    break;
  case WT_RESOURCE:
    TRY(ty = new_type(p, WA_RESOURCE, td->name.span));
    if (eat(p, WT_LBRACE)) {
      for (;;) {
        wit_ast_named_func f;
        memset(&f, 0, sizeof f);
        TRY(parse_docs(p, &f.docs, NULL));
        if (eat(p, WT_RBRACE)) break;
        TRY(parse_attrs(p, &f.attrs));
        TRY(parse_resource_func(p, &f));
        if (!wit_vec_push(p->ar, &ty->funcs, f)) return oom(p);
      }
    } else {
      TRY(expect(p, WT_SEMICOLON, NULL));
    }
    break;
  default: return expected(p, "a type definition", t);
  }
  td->type = ty;
  return true;
}

static bool parse_use(parser *p, wit_ast_use *u) {
  TRY(expect(p, WT_USE, NULL));
  TRY(parse_path(p, &u->from));
  TRY(expect(p, WT_PERIOD, NULL));
  TRY(expect(p, WT_LBRACE, NULL));
  while (!eat(p, WT_RBRACE)) {
    wit_ast_use_name n;
    memset(&n, 0, sizeof n);
    TRY(parse_id(p, &n.name));
    if (eat(p, WT_AS)) TRY(parse_id(p, &n.as));
    if (!wit_vec_push(p->ar, &u->names, n)) return oom(p);
    if (!eat(p, WT_COMMA)) {
      TRY(expect(p, WT_RBRACE, NULL));
      break;
    }
  }
  return expect(p, WT_SEMICOLON, NULL);
}

static bool is_typedef_start(wit_tok t) {
  return t == WT_TYPE || t == WT_FLAGS || t == WT_ENUM || t == WT_VARIANT || t == WT_RESOURCE || t == WT_RECORD;
}

static bool parse_interface_items(parser *p, wit_ast_iitems *items) {
  TRY(expect(p, WT_LBRACE, NULL));
  for (;;) {
    wit_ast_iitem it;
    memset(&it, 0, sizeof it);
    wit_docs docs;
    TRY(parse_docs(p, &docs, NULL));
    if (eat(p, WT_RBRACE)) break;
    wit_attrs attrs = {0};
    TRY(parse_attrs(p, &attrs));
    const tok *t = peek(p);
    if (is_typedef_start(t->t)) {
      it.kind = WIT_II_TYPEDEF;
      it.td.docs = docs;
      it.td.attrs = attrs;
      TRY(parse_typedef(p, &it.td));
    } else if (t->t == WT_ID || t->t == WT_EXPLICIT_ID) {
      it.kind = WIT_II_FUNC;
      it.func.docs = docs;
      it.func.attrs = attrs;
      it.func.kind = WIT_RF_FREESTANDING;
      TRY(parse_id(p, &it.func.name));
      TRY(expect(p, WT_COLON, NULL));
      TRY(parse_func(p, &it.func.func));
      TRY(expect(p, WT_SEMICOLON, NULL));
    } else if (t->t == WT_USE) {
      it.kind = WIT_II_USE;
      it.use.attrs = attrs;
      TRY(parse_use(p, &it.use));
    } else {
      return expected(p, "`type`, `resource` or `func`", t);
    }
    if (!wit_vec_push(p->ar, items, it)) return oom(p);
  }
  return true;
}

static bool parse_extern(parser *p, wit_ast_extern *e) {
  uint32_t save = p->i;
  wit_id id;
  TRY(parse_id(p, &id));
  if (eat(p, WT_COLON)) {
    wit_tok t = peek(p)->t;
    if (t == WT_FUNC || t == WT_ASYNC) {
      e->kind = WIT_EXT_FUNC;
      e->name = id;
      TRY(parse_func(p, &e->func));
      return expect(p, WT_SEMICOLON, NULL);
    }
    if (eat(p, WT_INTERFACE)) {
      e->kind = WIT_EXT_INTERFACE;
      e->name = id;
      return parse_interface_items(p, &e->items);
    }
  }
  p->i = save;
  e->kind = WIT_EXT_PATH;
  TRY(parse_path(p, &e->path));
  return expect(p, WT_SEMICOLON, NULL);
}

static bool parse_world(parser *p, wit_ast_world *w) {
  TRY(expect(p, WT_WORLD, NULL));
  TRY(parse_id(p, &w->name));
  TRY(expect(p, WT_LBRACE, NULL));
  for (;;) {
    wit_ast_witem it;
    memset(&it, 0, sizeof it);
    TRY(parse_docs(p, &it.docs, NULL));
    if (eat(p, WT_RBRACE)) break;
    TRY(parse_attrs(p, &it.attrs));
    const tok *t = peek(p);
    if (t->t == WT_IMPORT || t->t == WT_EXPORT) {
      it.kind = t->t == WT_IMPORT ? WIT_WI_IMPORT : WIT_WI_EXPORT;
      p->i++;
      TRY(parse_extern(p, &it.ext));
    } else if (t->t == WT_USE) {
      it.kind = WIT_WI_USE;
      it.use.attrs = it.attrs;
      TRY(parse_use(p, &it.use));
    } else if (is_typedef_start(t->t)) {
      it.kind = WIT_WI_TYPEDEF;
      it.td.docs = it.docs;
      it.td.attrs = it.attrs;
      TRY(parse_typedef(p, &it.td));
    } else if (t->t == WT_INCLUDE) {
      it.kind = WIT_WI_INCLUDE;
      p->i++;
      TRY(parse_path(p, &it.include));
      if (eat(p, WT_WITH)) {
        TRY(expect(p, WT_LBRACE, NULL));
        for (;;) {
          wit_docs d;
          TRY(parse_docs(p, &d, NULL));
          if (eat(p, WT_RBRACE)) break;
          wit_ast_include_name n;
          TRY(parse_id(p, &n.name));
          TRY(expect(p, WT_AS, NULL));
          TRY(parse_id(p, &n.as));
          if (!wit_vec_push(p->ar, &it.with, n)) return oom(p);
          if (!eat(p, WT_COMMA)) {
            TRY(expect(p, WT_RBRACE, NULL));
            break;
          }
        }
      } else {
        TRY(expect(p, WT_SEMICOLON, NULL));
      }
    } else {
      return expected(p, "`import`, `export`, `include`, `use`, or type definition", t);
    }
    if (!wit_vec_push(p->ar, &w->items, it)) return oom(p);
  }
  return true;
}

static bool parse_decls(parser *p, wit_ast_decls *d, bool nested);

static bool parse_item(parser *p, wit_ast_decls *d, wit_docs docs) {
  wit_ast_titem it;
  memset(&it, 0, sizeof it);
  wit_attrs attrs = {0};
  TRY(parse_attrs(p, &attrs));
  const tok *t = peek(p);
  it.span = t->sp;
  switch (t->t) {
  case WT_INTERFACE:
    it.kind = WIT_TI_INTERFACE;
    if (!(it.iface = kb_arena_alloc(p->ar, sizeof *it.iface))) return oom(p);
    it.iface->docs = docs;
    it.iface->attrs = attrs;
    p->i++;
    TRY(parse_id(p, &it.iface->name));
    TRY(parse_interface_items(p, &it.iface->items));
    break;
  case WT_WORLD:
    it.kind = WIT_TI_WORLD;
    if (!(it.world = kb_arena_alloc(p->ar, sizeof *it.world))) return oom(p);
    it.world->docs = docs;
    it.world->attrs = attrs;
    TRY(parse_world(p, it.world));
    break;
  case WT_USE:
    it.kind = WIT_TI_USE;
    if (!(it.use = kb_arena_alloc(p->ar, sizeof *it.use))) return oom(p);
    it.use->attrs = attrs;
    it.use->span = t->sp;
    p->i++;
    TRY(parse_path(p, &it.use->path));
    if (eat(p, WT_AS)) TRY(parse_id(p, &it.use->as));
    TRY(expect(p, WT_SEMICOLON, NULL));
    break;
  case WT_PACKAGE:
    if (attrs.len) return fail(p, t->sp, "cannot place attributes on nested packages");
    it.kind = WIT_TI_PACKAGE;
    if (!(it.pkg = kb_arena_alloc(p->ar, sizeof *it.pkg))) return oom(p);
    p->i++;
    it.pkg->has_package = true;
    it.pkg->package_docs = docs;
    TRY(parse_pkgname(p, &it.pkg->package));
    TRY(expect(p, WT_LBRACE, NULL));
    if (p->depth >= MAX_DEPTH) return fail(p, t->sp, "packages nested too deeply");
    p->depth++;
    TRY(parse_decls(p, &it.pkg->decls, true));
    p->depth--;
    break;
  default: return expected(p, "`world`, `interface` or `use`", t);
  }
  if (!wit_vec_push(p->ar, &d->items, it)) return oom(p);
  return true;
}

static bool parse_decls(parser *p, wit_ast_decls *d, bool nested) {
  for (;;) {
    wit_docs docs;
    TRY(parse_docs(p, &docs, NULL));
    if (nested ? eat(p, WT_RBRACE) : peek(p)->t == WT_EOF) break;
    TRY(parse_item(p, d, docs));
  }
  return true;
}

kumi_error *wit_parse_file(wit_resolve *r, const wit_source *src, wit_ast_file **out) {
  parser p;
  memset(&p, 0, sizeof p);
  p.r = r;
  p.ar = &r->arena;
  p.src = src;
  wit_lexer lx;
  kumi_error *err = NULL;
  if (!wit_lex_init(&lx, r, src, &err)) return err;
  /* Tokens go into a temporary vector: comments kept for documentation,
   * whitespace dropped. */
  KB_VEC(tok) toks = {0};
  for (;;) {
    tok t;
    if (!wit_lex_raw(&lx, &t.t, &t.sp, &err)) {
      kb_vec_free(r->alloc, &toks);
      return err;
    }
    if (t.t == WT_WS) continue;
    if (!kb_vec_push(r->alloc, &toks, t)) {
      kb_vec_free(r->alloc, &toks);
      return kb_error_oom();
    }
    if (t.t == WT_EOF) break;
  }
  p.toks = toks.items;
  p.ntoks = (uint32_t)toks.len;
  wit_ast_file *f = kb_arena_alloc(p.ar, sizeof *f);
  if (!f) {
    kb_vec_free(r->alloc, &toks);
    return kb_error_oom();
  }
  /* An optional leading `package a:b;` (but `package a:b {` starts a nested
   * package, parsed as an item). */
  uint32_t start = p.i;
  wit_docs docs;
  wit_span dspan;
  bool ok = parse_docs(&p, &docs, &dspan);
  if (ok && peek(&p)->t == WT_PACKAGE) {
    p.i++;
    wit_ast_pkgname name;
    memset(&name, 0, sizeof name);
    ok = parse_pkgname(&p, &name);
    if (ok && eat(&p, WT_SEMICOLON)) {
      f->has_package = true;
      f->package = name;
      f->package_docs = docs;
      f->package_docs_span = dspan;
    } else if (ok) {
      p.i = start;
    }
  } else if (ok) {
    p.i = start;
  }
  if (ok) ok = parse_decls(&p, &f->decls, false);
  kb_vec_free(r->alloc, &toks);
  if (!ok) return p.err ? p.err : kb_error_oom();
  *out = f;
  return NULL;
}
