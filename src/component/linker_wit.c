/* Host function types written in WIT (linker.h): `func(a: u32, s: string)
 * -> result<list<u8>, string>`, with anonymous types and the resource types
 * of the function's own interface named bare (`r`, which is own<r>) or as
 * own<r> / borrow<r>. The text is rewritten into the type syntax of
 * abi_typestr.c (a bare resource name becomes own<name>) and parsed by it. */
#include "linker.h"

#include "abi.h"

#include <stdio.h>
#include <string.h>

typedef KB_VEC(char) wit_buf;

static const char *const keywords[] = {
    "bool", "s8",     "u8",     "s16",  "u16",   "s32",    "u32",  "s64",  "u64",   "f32",
    "f64",  "char",   "string", "list", "option", "map",   "result", "stream", "future", "own",
    "borrow", "tuple", "record", "variant", "enum", "flags", "func", "async", "_", "error-context",
};

static bool is_keyword(const char *w, size_t n) {
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strlen(keywords[i]) == n && memcmp(keywords[i], w, n) == 0) return true;
  return false;
}

static bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}
static bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Is w a resource name? resources NULL: any non-keyword is. A resource of
 * the interface wins over a keyword written bare (`stream` without
 * `<...>`). */
static bool is_resource(const kb_map *resources, const char *w, size_t n) {
  void *v;
  if (resources) return kb_map_get(resources, w, n, &v);
  return !is_keyword(w, n);
}

/* Rewrites s into out (NUL-terminated). False on OOM. */
static bool rewrite(const kumi_allocator *a, const char *s, size_t len, const kb_map *resources, wit_buf *out) {
  bool ok = true;
  char open[64]; /* the brackets open around the cursor (deeper ones are not tracked) */
  size_t depth = 0;
  for (size_t i = 0; i < len && ok;) {
    char c = s[i];
    bool starts = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '%';
    if (!starts) {
      if (c == '<' || c == '(' || c == '{') {
        if (depth < sizeof open) open[depth] = c;
        depth++;
      } else if ((c == '>' && !(i > 0 && s[i - 1] == '-')) || c == ')' || c == '}') {
        if (depth) depth--;
      }
      ok = kb_vec_push(a, out, c);
      i++;
      continue;
    }
    size_t b = i;
    if (c == '%') b = ++i; /* WIT's escape of a keyword used as a name */
    while (i < len && word_char(s[i])) {
      if (s[i] == '-' && i + 1 < len && s[i + 1] == '>') break;
      i++;
    }
    const char *w = s + b;
    size_t n = i - b;
    size_t j = i;
    while (j < len && space(s[j])) j++;
    char next = j < len ? s[j] : 0;
    /* the word before a '<' just before w: own<r>, borrow<r> keep r */
    size_t k = b - (c == '%' ? 1 : 0);
    while (k > 0 && space(s[k - 1])) k--;
    bool in_handle = false;
    if (k > 0 && s[k - 1] == '<') {
      size_t e = k - 1;
      while (e > 0 && space(s[e - 1])) e--;
      size_t st = e;
      while (st > 0 && word_char(s[st - 1])) st--;
      in_handle = (e - st == 3 && memcmp(s + st, "own", 3) == 0) || (e - st == 6 && memcmp(s + st, "borrow", 6) == 0);
    }
    /* a label: a parameter or field name (`l:`), a keyword applied to
     * something (`list<`, `record{`, `func(`, a variant case `c(`), or a bare
     * case, enum or flags label right after `{` or `,` inside braces */
    char prev = k > 0 ? s[k - 1] : 0;
    bool in_braces = depth > 0 && depth <= sizeof open && open[depth - 1] == '{';
    bool label = next == ':' || next == '<' || next == '{' || next == '(' || (in_braces && (prev == '{' || prev == ','));
    if (!label && !in_handle && is_resource(resources, w, n)) {
      ok = kb_vec_reserve(a, out, n + 5);
      if (ok) {
        memcpy(out->items + out->len, "own<", 4);
        memcpy(out->items + out->len + 4, w, n);
        out->items[out->len + 4 + n] = '>';
        out->len += n + 5;
      }
    } else {
      ok = kb_vec_reserve(a, out, n + 1);
      if (ok) {
        memcpy(out->items + out->len, w, n);
        out->len += n;
      }
    }
  }
  return ok && kb_vec_push(a, out, 0);
}

kumi_error *comp_link_check_type_syntax(const kumi_allocator *a, const char *type) {
  comp_types ts;
  if (!comp_types_init(&ts, a)) return kb_error_oom();
  wit_buf b = {0};
  kumi_error *e = NULL;
  if (!rewrite(a, type, strlen(type), NULL, &b)) {
    e = kb_error_oom();
  } else {
    abi_typestr_cx p;
    abi_typestr_init(&p, &ts);
    comp_tid t = 0;
    char msg[160];
    if (!abi_typestr_parse_func(&p, b.items, b.len - 1, &t, msg, sizeof msg))
      e = ts.oom ? kb_error_oom()
                 : kb_error(a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "linker: bad function type \"%s\": %s", type, msg);
    abi_typestr_free(&p);
  }
  kb_vec_free(a, &b);
  comp_types_free(&ts);
  return e;
}

kumi_error *comp_link_parse_type(comp_types *ts, const char *type, const kb_map *resources, comp_tid *out) {
  const kumi_allocator *a = ts->alloc;
  wit_buf b = {0};
  if (!rewrite(a, type, strlen(type), resources, &b)) {
    kb_vec_free(a, &b);
    return kb_error_oom();
  }
  abi_typestr_cx p;
  abi_typestr_init(&p, ts);
  kumi_error *e = NULL;
  /* seed the parser's resource names with the interface's resources */
  for (size_t i = 0; i < resources->cap && !e; i++) {
    const kb_map_entry *en = &resources->slots[i];
    if (en->key && !kb_map_put(&p.resources, en->key, en->key_len, en->value)) e = kb_error_oom();
  }
  size_t known = p.resources.count;
  char msg[160];
  if (!e && !abi_typestr_parse_func(&p, b.items, b.len - 1, out, msg, sizeof msg))
    e = ts->oom ? kb_error_oom()
                : kb_error(a, KUMI_ERR_LINK, KUMI_NO_OFFSET, "host function type \"%s\": %s", type, msg);
  if (!e && p.resources.count != known)
    e = kb_error(a, KUMI_ERR_LINK, KUMI_NO_OFFSET,
                 "host function type \"%s\" names a resource its interface does not define", type);
  abi_typestr_free(&p);
  kb_vec_free(a, &b);
  return e;
}
