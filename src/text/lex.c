/* The lexer of the text format (spec section "Lexical Format"): tokens are
 * parentheses, strings and maximal runs of identifier characters; a run is
 * then classified as keyword, identifier, number or reserved. Tokens other
 * than parentheses must be separated by white space, a comment or a
 * parenthesis, so `$l"a"` or `0$l` never split into two tokens. */
#include "lex.h"

#include <stdarg.h>
#include <stdio.h>

void text_line_col(const char *src, size_t len, size_t pos, uint32_t *line, uint32_t *col) {
  uint32_t l = 1, c = 1;
  if (pos > len) pos = len;
  for (size_t i = 0; i < pos; i++) {
    if (src[i] == '\n') {
      l++;
      c = 1;
    } else {
      c++;
    }
  }
  *line = l;
  *col = c;
}

kumi_error *text_error_at(const kumi_allocator *a, const char *src, size_t len, size_t pos, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  uint32_t line, col;
  text_line_col(src, len, pos, &line, &col);
  kumi_error *e = kb_error(a, KUMI_ERR_MALFORMED, pos, "%u:%u: %s", (unsigned)line, (unsigned)col, msg);
  return e ? e : kb_error_oom();
}

static bool is_idchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
  case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
  case '/': case ':': case '<': case '=': case '>': case '?': case '@': case '\\': case '^': case '_':
  case '`': case '|': case '~':
    return true;
  default:
    return false;
  }
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_hexdigit(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* num ::= digit ('_'? digit)*, likewise hexnum. Advances *i past it. */
static bool scan_digits(const uint8_t *s, size_t n, size_t *i, bool hex) {
  size_t j = *i;
  if (j >= n || !(hex ? is_hexdigit(s[j]) : is_digit(s[j]))) return false;
  j++;
  while (j < n) {
    if (s[j] == '_') {
      if (j + 1 >= n || !(hex ? is_hexdigit(s[j + 1]) : is_digit(s[j + 1]))) return false;
      j += 2;
    } else if (hex ? is_hexdigit(s[j]) : is_digit(s[j])) {
      j++;
    } else {
      break;
    }
  }
  *i = j;
  return true;
}

text_tokkind text_classify_number(const uint8_t *s, size_t n) {
  size_t i = 0;
  bool sign = n > 0 && (s[0] == '+' || s[0] == '-');
  if (sign) i++;
  size_t r = n - i;
  const uint8_t *p = s + i;
  if (r == 3 && memcmp(p, "inf", 3) == 0) return TK_FLOAT;
  if (r == 3 && memcmp(p, "nan", 3) == 0) return TK_FLOAT;
  if (r > 6 && memcmp(p, "nan:0x", 6) == 0) {
    size_t j = i + 6;
    return scan_digits(s, n, &j, true) && j == n ? TK_FLOAT : TK_RESERVED;
  }
  bool hex = r > 2 && p[0] == '0' && p[1] == 'x';
  if (hex) i += 2;
  if (!scan_digits(s, n, &i, hex)) return TK_RESERVED;
  bool is_float = false;
  if (i < n && s[i] == '.') {
    is_float = true;
    i++;
    if (i < n && (hex ? is_hexdigit(s[i]) : is_digit(s[i])) && !scan_digits(s, n, &i, hex)) return TK_RESERVED;
  }
  if (i < n && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
    is_float = true;
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (!scan_digits(s, n, &i, false)) return TK_RESERVED;
  }
  if (i != n) return TK_RESERVED;
  if (is_float) return TK_FLOAT;
  return sign ? TK_INT : TK_NAT;
}

typedef struct lexer {
  kb_arena *ar;
  const uint8_t *s;
  size_t n, i;
  const char *src;
  KB_VEC(text_token) toks;
} lexer;

static kumi_error *lex_error(lexer *lx, size_t pos, const char *msg) {
  return text_error_at(lx->ar->alloc, lx->src, lx->n, pos, "%s", msg);
}

/* Skips a block comment starting at s[i] == "(;". Comments nest. */
static kumi_error *skip_block_comment(lexer *lx) {
  size_t start = lx->i;
  size_t depth = 0;
  while (lx->i < lx->n) {
    if (lx->i + 1 < lx->n && lx->s[lx->i] == '(' && lx->s[lx->i + 1] == ';') {
      depth++;
      lx->i += 2;
    } else if (lx->i + 1 < lx->n && lx->s[lx->i] == ';' && lx->s[lx->i + 1] == ')') {
      lx->i += 2;
      if (--depth == 0) return NULL;
    } else {
      lx->i++;
    }
  }
  return lex_error(lx, start, "unclosed comment");
}

static void skip_line_comment(lexer *lx) {
  while (lx->i < lx->n && lx->s[lx->i] != '\n' && lx->s[lx->i] != '\r') lx->i++;
}

/* Skips white space and comments. */
static kumi_error *skip_space(lexer *lx) {
  while (lx->i < lx->n) {
    uint8_t c = lx->s[lx->i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      lx->i++;
    } else if (c == ';' && lx->i + 1 < lx->n && lx->s[lx->i + 1] == ';') {
      skip_line_comment(lx);
    } else if (c == '(' && lx->i + 1 < lx->n && lx->s[lx->i + 1] == ';') {
      kumi_error *e = skip_block_comment(lx);
      if (e) return e;
    } else {
      break;
    }
  }
  return NULL;
}

static size_t utf8_put(uint8_t *out, uint32_t cp) {
  if (cp < 0x80) {
    out[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (uint8_t)(0xC0 | (cp >> 6));
    out[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (uint8_t)(0xE0 | (cp >> 12));
    out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (uint8_t)(0xF0 | (cp >> 18));
  out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

static int hexval(uint8_t c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

/* Reads a string starting at s[i] == '"'; decodes escapes into the arena.
 * The decoded form is never longer than the source form. */
static kumi_error *lex_string(lexer *lx, const uint8_t **str, uint32_t *slen) {
  size_t start = lx->i++;
  size_t end = lx->i;
  while (end < lx->n && lx->s[end] != '"') end += lx->s[end] == '\\' && end + 1 < lx->n ? 2 : 1;
  if (end >= lx->n) return lex_error(lx, start, "unclosed string");
  uint8_t *out = kb_arena_alloc(lx->ar, end - lx->i + 1);
  if (!out) return kb_error_oom();
  size_t o = 0;
  while (lx->i < end) {
    uint8_t c = lx->s[lx->i];
    if (c < 0x20 || c == 0x7F) return lex_error(lx, lx->i, "illegal character in string");
    if (c != '\\') {
      out[o++] = c;
      lx->i++;
      continue;
    }
    size_t esc = lx->i++;
    c = lx->s[lx->i++];
    switch (c) {
    case 't': out[o++] = '\t'; break;
    case 'n': out[o++] = '\n'; break;
    case 'r': out[o++] = '\r'; break;
    case '"': out[o++] = '"'; break;
    case '\'': out[o++] = '\''; break;
    case '\\': out[o++] = '\\'; break;
    case 'u': {
      if (lx->i >= end || lx->s[lx->i] != '{') return lex_error(lx, esc, "illegal escape");
      lx->i++;
      size_t d = lx->i;
      if (!scan_digits(lx->s, end, &d, true) || d >= end || lx->s[d] != '}')
        return lex_error(lx, esc, "illegal escape");
      uint32_t cp = 0;
      for (size_t k = lx->i; k < d; k++) {
        if (lx->s[k] == '_') continue;
        cp = cp * 16 + (uint32_t)hexval(lx->s[k]);
        if (cp > 0x10FFFF) return lex_error(lx, esc, "illegal escape");
      }
      if (cp >= 0xD800 && cp < 0xE000) return lex_error(lx, esc, "illegal escape");
      /* "\u{...}" is at least 5 source bytes and at most 4 decoded ones. */
      o += utf8_put(out + o, cp);
      lx->i = d + 1;
      break;
    }
    default:
      if (is_hexdigit(c) && lx->i < end && is_hexdigit(lx->s[lx->i])) {
        out[o++] = (uint8_t)(hexval(c) * 16 + hexval(lx->s[lx->i]));
        lx->i++;
        break;
      }
      return lex_error(lx, esc, "illegal escape");
    }
  }
  lx->i = end + 1;
  *str = out;
  *slen = (uint32_t)o;
  return NULL;
}

/* A token must end at white space, a parenthesis, a comment or the end. */
static bool at_delimiter(const lexer *lx) {
  if (lx->i >= lx->n) return true;
  uint8_t c = lx->s[lx->i];
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' ||
         (c == ';' && lx->i + 1 < lx->n && lx->s[lx->i + 1] == ';');
}

/* Skips an annotation "(@id ...)" (balanced parentheses, strings and
 * comments inside), starting at its '('. */
static kumi_error *skip_annotation(lexer *lx) {
  size_t start = lx->i;
  size_t depth = 0;
  while (lx->i < lx->n) {
    kumi_error *e = skip_space(lx);
    if (e) return e;
    if (lx->i >= lx->n) break;
    uint8_t c = lx->s[lx->i];
    if (c == '(') {
      depth++;
      lx->i++;
    } else if (c == ')') {
      lx->i++;
      if (--depth == 0) return NULL;
    } else if (c == '"') {
      const uint8_t *str;
      uint32_t slen;
      e = lex_string(lx, &str, &slen);
      if (e) return e;
    } else {
      lx->i++;
    }
  }
  return lex_error(lx, start, "unclosed annotation");
}

static bool push(lexer *lx, text_token t) { return kb_vec_push(lx->ar->alloc, &lx->toks, t); }

static kumi_error *lex_all(lexer *lx) {
  for (;;) {
    kumi_error *e = skip_space(lx);
    if (e) return e;
    text_token t = {0};
    t.pos = (uint32_t)lx->i;
    if (lx->i >= lx->n) {
      t.kind = TK_EOF;
      return push(lx, t) ? NULL : kb_error_oom();
    }
    uint8_t c = lx->s[lx->i];
    if (c == '(') {
      if (lx->i + 1 < lx->n && lx->s[lx->i + 1] == '@') {
        e = skip_annotation(lx);
        if (e) return e;
        continue;
      }
      t.kind = TK_LPAR;
      lx->i++;
    } else if (c == ')') {
      t.kind = TK_RPAR;
      lx->i++;
    } else if (c == '"') {
      t.kind = TK_STRING;
      e = lex_string(lx, &t.str, &t.slen);
      if (e) return e;
      if (!at_delimiter(lx)) return lex_error(lx, t.pos, "unknown operator");
    } else if (c == '$' && lx->i + 1 < lx->n && lx->s[lx->i + 1] == '"') {
      t.kind = TK_ID;
      lx->i++;
      e = lex_string(lx, &t.str, &t.slen);
      if (e) return e;
      if (t.slen == 0) return lex_error(lx, t.pos, "empty identifier");
      if (!kb_utf8_valid(t.str, t.slen)) return lex_error(lx, t.pos, "malformed UTF-8 encoding");
      if (!at_delimiter(lx)) return lex_error(lx, t.pos, "unknown operator");
    } else if (is_idchar(c)) {
      size_t start = lx->i;
      while (lx->i < lx->n && is_idchar(lx->s[lx->i])) lx->i++;
      if (!at_delimiter(lx)) return lex_error(lx, t.pos, "unknown operator");
      t.str = lx->s + start;
      t.slen = (uint32_t)(lx->i - start);
      if (c == '$') {
        t.kind = t.slen > 1 ? TK_ID : TK_RESERVED;
        t.str++;
        t.slen--;
      } else if (c >= 'a' && c <= 'z') {
        /* inf, nan and nan:0x... are float literals, not keywords. */
        t.kind = TK_KEYWORD;
        if ((c == 'i' || c == 'n') && text_classify_number(t.str, t.slen) == TK_FLOAT) t.kind = TK_FLOAT;
      } else {
        t.kind = text_classify_number(t.str, t.slen);
      }
    } else {
      return lex_error(lx, lx->i, "unexpected character");
    }
    t.len = (uint32_t)(lx->i - t.pos);
    if (t.kind != TK_STRING && t.kind != TK_ID) {
      t.str = lx->s + t.pos;
      t.slen = t.len;
    }
    if (!push(lx, t)) return kb_error_oom();
  }
}

kumi_error *text_lex(kb_arena *ar, const char *src, size_t len, text_token **toks, size_t *ntoks) {
  if (len >= UINT32_MAX) {
    kumi_error *e = kb_error(ar->alloc, KUMI_ERR_MALFORMED, 0, "text too large");
    return e ? e : kb_error_oom();
  }
  lexer lx = {ar, (const uint8_t *)src, len, 0, src, {0}};
  kumi_error *e = lex_all(&lx);
  if (!e) {
    /* Move the tokens into the arena so the caller frees one thing. */
    text_token *t = kb_arena_alloc(ar, lx.toks.len * sizeof *t);
    if (!t) {
      e = kb_error_oom();
    } else {
      memcpy(t, lx.toks.items, lx.toks.len * sizeof *t);
      *toks = t;
      *ntoks = lx.toks.len;
    }
  }
  kb_vec_free(ar->alloc, &lx.toks);
  return e;
}

/* ---- custom-section annotations ---- */

/* Reads the body of `(@custom ...)` whose '(' is at lx->i and whose
 * closing ')' is at close: tokens of the interior, then their meaning. */
static kumi_error *read_custom(lexer *lx, size_t close, text_custom *c) {
  size_t open = lx->i;
  lexer in = {lx->ar, lx->s, close, open + 8, lx->src, {0}}; /* after "(@custom" */
  kumi_error *e = lex_all(&in);
  const text_token *t = in.toks.items;
  size_t n = in.toks.len, k = 0;
  memset(c, 0, sizeof *c);
  c->pos = (uint32_t)open;
  if (!e && (n == 0 || t[k].kind != TK_STRING)) e = lex_error(lx, open, "custom annotation: expected a section name");
  if (!e) {
    c->name = t[k].str;
    c->name_len = t[k].slen;
    k++;
    if (k < n && t[k].kind == TK_LPAR) {
      bool before = k + 1 < n && t[k + 1].kind == TK_KEYWORD && t[k + 1].slen == 6 && memcmp(t[k + 1].str, "before", 6) == 0;
      bool after = k + 1 < n && t[k + 1].kind == TK_KEYWORD && t[k + 1].slen == 5 && memcmp(t[k + 1].str, "after", 5) == 0;
      if ((!before && !after) || k + 3 >= n || t[k + 2].kind != TK_KEYWORD || t[k + 3].kind != TK_RPAR) {
        e = lex_error(lx, t[k].pos, "custom annotation: malformed placement");
      } else {
        c->has_place = true;
        c->before = before;
        c->anchor = t[k + 2].str;
        c->anchor_len = t[k + 2].slen;
        c->anchor_pos = t[k + 2].pos;
        k += 4;
      }
    }
  }
  size_t total = 0;
  for (size_t j = k; !e && j < n && t[j].kind == TK_STRING; j++) total += t[j].slen;
  if (!e) {
    c->bytes = kb_arena_alloc(lx->ar, total ? total : 1);
    if (!c->bytes) e = kb_error_oom();
  }
  while (!e && k < n && t[k].kind == TK_STRING) {
    memcpy(c->bytes + c->len, t[k].str, t[k].slen);
    c->len += t[k].slen;
    k++;
  }
  if (!e && (k >= n || t[k].kind != TK_EOF)) e = lex_error(lx, k < n ? t[k].pos : open, "custom annotation: unexpected token");
  kb_vec_free(lx->ar->alloc, &in.toks);
  return e;
}

kumi_error *text_next_custom(kb_arena *ar, const char *src, size_t *from, size_t to, text_custom *out, bool *found) {
  lexer lx = {ar, (const uint8_t *)src, to, *from, src, {0}};
  *found = false;
  for (;;) {
    kumi_error *e = skip_space(&lx);
    if (e) return e;
    if (lx.i + 1 >= to || lx.s[lx.i] != '(' || lx.s[lx.i + 1] != '@') break;
    size_t open = lx.i;
    bool custom = to - open > 8 && memcmp(lx.s + open, "(@custom", 8) == 0;
    if (custom) {
      lx.i = open + 8;
      custom = at_delimiter(&lx) || lx.s[lx.i] == '"';
      lx.i = open;
    }
    e = skip_annotation(&lx);
    if (e) return e;
    if (!custom) continue;
    size_t close = lx.i - 1;
    lx.i = open;
    e = read_custom(&lx, close, out);
    if (e) return e;
    *from = close + 1;
    *found = true;
    return NULL;
  }
  *from = to;
  return NULL;
}
