/* wit: the lexer. Tokens follow WIT.md's lexical structure (and wit-parser's
 * choices where the text is silent): '\r\n' counts as '\n', comments nest,
 * keywords are reserved, identifiers are kebab-case ASCII validated after
 * lexing so that bad ones get a precise message. */
#include "wit_int.h"

#include <stdio.h>

/* Keywords: the text, the token, and how messages name it. */
#define KW(text, tok) {text, tok, "keyword `" text "`"}
static const struct {
  const char *text;
  wit_tok tok;
  const char *describe;
} keywords[] = {
    KW("use", WT_USE),
    KW("type", WT_TYPE),
    KW("func", WT_FUNC),
    KW("u8", WT_U8),
    KW("u16", WT_U16),
    KW("u32", WT_U32),
    KW("u64", WT_U64),
    KW("s8", WT_S8),
    KW("s16", WT_S16),
    KW("s32", WT_S32),
    KW("s64", WT_S64),
    KW("f32", WT_F32),
    KW("f64", WT_F64),
    KW("char", WT_CHAR),
    KW("resource", WT_RESOURCE),
    KW("own", WT_OWN),
    KW("borrow", WT_BORROW),
    KW("record", WT_RECORD),
    KW("flags", WT_FLAGS),
    KW("variant", WT_VARIANT),
    KW("enum", WT_ENUM),
    KW("bool", WT_BOOL),
    KW("string", WT_STRING),
    KW("option", WT_OPTION),
    KW("result", WT_RESULT),
    KW("future", WT_FUTURE),
    KW("stream", WT_STREAM),
    KW("error-context", WT_ERROR_CONTEXT),
    KW("list", WT_LIST),
    KW("map", WT_MAP),
    KW("_", WT_UNDERSCORE),
    KW("as", WT_AS),
    KW("from", WT_FROM),
    KW("static", WT_STATIC),
    KW("interface", WT_INTERFACE),
    KW("tuple", WT_TUPLE),
    KW("world", WT_WORLD),
    KW("import", WT_IMPORT),
    KW("export", WT_EXPORT),
    KW("package", WT_PACKAGE),
    KW("constructor", WT_CONSTRUCTOR),
    KW("include", WT_INCLUDE),
    KW("with", WT_WITH),
    KW("async", WT_ASYNC),
};
#undef KW

bool wit_is_keyword(const char *name) {
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (!strcmp(keywords[i].text, name)) return true;
  return false;
}

static wit_tok keyword_of(const char *s, size_t n) {
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strlen(keywords[i].text) == n && !memcmp(keywords[i].text, s, n)) return keywords[i].tok;
  return WT_ID;
}

const char *wit_tok_describe(wit_tok t) {
  switch (t) {
  case WT_EOF: return "eof";
  case WT_WS: return "whitespace";
  case WT_COMMENT: return "a comment";
  case WT_EQUALS: return "'='";
  case WT_COMMA: return "','";
  case WT_COLON: return "':'";
  case WT_PERIOD: return "'.'";
  case WT_SEMICOLON: return "';'";
  case WT_LPAREN: return "'('";
  case WT_RPAREN: return "')'";
  case WT_LBRACE: return "'{'";
  case WT_RBRACE: return "'}'";
  case WT_LT: return "'<'";
  case WT_GT: return "'>'";
  case WT_RARROW: return "`->`";
  case WT_STAR: return "`*`";
  case WT_AT: return "`@`";
  case WT_SLASH: return "`/`";
  case WT_PLUS: return "`+`";
  case WT_MINUS: return "`-`";
  case WT_ID: return "an identifier";
  case WT_EXPLICIT_ID: return "an '%' identifier";
  case WT_INTEGER: return "an integer";
  default: break;
  }
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (keywords[i].tok == t) return keywords[i].describe;
  return "a token";
}

/* ---- identifiers ---- */

static bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

const char *wit_validate_id(const char *s, size_t n, char *bad) {
  *bad = 0;
  if (n == 0) return "identifiers must have characters between '-'s";
  size_t i = 0;
  bool first = true;
  while (i <= n) {
    size_t j = i;
    while (j < n && s[j] != '-') j++;
    if (j == i) return "identifiers must have characters between '-'s";
    if (first && !is_alpha((unsigned char)s[i])) {
      *bad = s[i];
      return "invalid character in identifier";
    }
    int upper = -1; /* unknown until the first letter */
    for (size_t k = i; k < j; k++) {
      unsigned char c = (unsigned char)s[k];
      if (is_digit(c)) continue;
      if (c >= 'A' && c <= 'Z') {
        if (upper == 0) {
          *bad = (char)c;
          return "invalid character in identifier";
        }
        upper = 1;
      } else if (c >= 'a' && c <= 'z') {
        if (upper == 1) {
          *bad = (char)c;
          return "invalid character in identifier";
        }
        upper = 0;
      } else {
        *bad = (char)c;
        return "invalid character in identifier";
      }
    }
    first = false;
    i = j + 1;
  }
  return NULL;
}

/* ---- input checks ---- */

/* Decodes one code point of valid UTF-8 at s[*i], advancing *i. */
static uint32_t utf8_next(const unsigned char *s, uint32_t n, uint32_t *i) {
  unsigned char c = s[*i];
  uint32_t cp, k;
  if (c < 0x80) {
    (*i)++;
    return c;
  } else if (c < 0xE0) {
    cp = c & 0x1F;
    k = 1;
  } else if (c < 0xF0) {
    cp = c & 0x0F;
    k = 2;
  } else {
    cp = c & 0x07;
    k = 3;
  }
  (*i)++;
  while (k-- && *i < n) cp = (cp << 6) | (s[(*i)++] & 0x3F);
  return cp;
}

/* Offset of the first byte that does not start a well-formed sequence. */
static uint32_t first_bad_utf8(const unsigned char *s, uint32_t n) {
  uint32_t i = 0;
  while (i < n) {
    uint32_t k = s[i] < 0x80 ? 1 : s[i] >= 0xC2 && s[i] < 0xE0 ? 2 : s[i] >= 0xE0 && s[i] < 0xF0 ? 3
                 : s[i] >= 0xF0 && s[i] < 0xF5                    ? 4
                                                                  : 0;
    if (!k || i + k > n || !kb_utf8_valid(s + i, k)) return i;
    i += k;
  }
  return n;
}

static void fmt_char(char *buf, size_t n, uint32_t cp) {
  if (cp >= 0x20 && cp < 0x7F) snprintf(buf, n, "'%c'", (char)cp);
  else snprintf(buf, n, "'\\u{%x}'", (unsigned)cp);
}

bool wit_lex_init(wit_lexer *lx, wit_resolve *r, const wit_source *src, kumi_error **err) {
  lx->r = r;
  lx->text = src->text;
  lx->len = src->len;
  lx->pos = 0;
  lx->base = src->base;
  const unsigned char *s = (const unsigned char *)src->text;
  if (!kb_utf8_valid(s, src->len)) {
    uint32_t good = first_bad_utf8(s, src->len);
    *err = wit_span_error(r, KUMI_ERR_MALFORMED, (wit_span){src->base + good, src->base + good},
                          "input is not valid UTF-8");
    return false;
  }
  for (uint32_t i = 0; i < src->len;) {
    uint32_t at = i, cp = utf8_next(s, src->len, &i);
    char ch[32];
    fmt_char(ch, sizeof ch, cp);
    wit_span sp = {src->base + at, src->base + i};
    if (cp == '\n' || cp == '\r' || cp == '\t') continue;
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
      *err = wit_span_error(r, KUMI_ERR_MALFORMED, sp, "Input contains bidirectional override codepoint %s", ch);
      return false;
    }
    if (cp == 0x149 || cp == 0x673 || cp == 0xF77 || cp == 0xF79 || cp == 0x17A3 || cp == 0x17A4 || cp == 0x17B4 ||
        cp == 0x17B5) {
      *err = wit_span_error(r, KUMI_ERR_MALFORMED, sp, "Codepoint %s is discouraged by Unicode", ch);
      return false;
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      *err = wit_span_error(r, KUMI_ERR_MALFORMED, sp, "Control code %s", ch);
      return false;
    }
  }
  if (lx->len >= 3 && !memcmp(lx->text, "\xEF\xBB\xBF", 3)) lx->pos = 3;
  return true;
}

/* ---- tokens ---- */

static bool keylike_start(unsigned char c) { return is_alpha(c) || c == '_' || c >= 0x80; }
static bool keylike_continue(unsigned char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c >= 0x80; }

/* The next character with "\r\n" folded into '\n'; 0 at the end. */
static unsigned char peekc(const wit_lexer *lx) { return lx->pos < lx->len ? (unsigned char)lx->text[lx->pos] : 0; }

static bool at_newline(const wit_lexer *lx, uint32_t p) {
  return p < lx->len && (lx->text[p] == '\n' || (lx->text[p] == '\r' && p + 1 < lx->len && lx->text[p + 1] == '\n'));
}

bool wit_lex_raw(wit_lexer *lx, wit_tok *tok, wit_span *span, kumi_error **err) {
  uint32_t start = lx->pos;
  span->start = span->end = lx->base + start;
  if (start >= lx->len) {
    *tok = WT_EOF;
    return true;
  }
  unsigned char c = (unsigned char)lx->text[lx->pos];
  wit_tok t;
  if (c == ' ' || c == '\t' || at_newline(lx, lx->pos)) {
    while (lx->pos < lx->len) {
      unsigned char d = peekc(lx);
      if (d == ' ' || d == '\t' || d == '\n') lx->pos++;
      else if (d == '\r' && at_newline(lx, lx->pos)) lx->pos += 2;
      else break;
    }
    t = WT_WS;
  } else if (c == '/') {
    lx->pos++;
    if (peekc(lx) == '/') {
      while (lx->pos < lx->len && lx->text[lx->pos] != '\n') lx->pos++;
      if (lx->pos < lx->len) lx->pos++; /* the newline belongs to the comment */
      t = WT_COMMENT;
    } else if (peekc(lx) == '*') {
      lx->pos++;
      uint32_t depth = 1;
      while (depth > 0) {
        if (lx->pos >= lx->len) {
          *err = wit_span_error(lx->r, KUMI_ERR_MALFORMED, (wit_span){lx->base + start, lx->base + start},
                                "unterminated block comment");
          return false;
        }
        unsigned char d = (unsigned char)lx->text[lx->pos++];
        if (d == '/' && peekc(lx) == '*') {
          lx->pos++;
          depth++;
        } else if (d == '*' && peekc(lx) == '/') {
          lx->pos++;
          depth--;
        }
      }
      t = WT_COMMENT;
    } else {
      t = WT_SLASH;
    }
  } else if (c == '%') {
    lx->pos++;
    if (lx->pos < lx->len && keylike_start(peekc(lx))) {
      lx->pos++;
      while (lx->pos < lx->len && keylike_continue(peekc(lx))) lx->pos++;
    }
    t = WT_EXPLICIT_ID;
  } else if (keylike_start(c)) {
    lx->pos++;
    while (lx->pos < lx->len && keylike_continue(peekc(lx))) lx->pos++;
    t = keyword_of(lx->text + start, lx->pos - start);
  } else if (is_digit(c)) {
    while (lx->pos < lx->len && is_digit(peekc(lx))) lx->pos++;
    t = WT_INTEGER;
  } else {
    lx->pos++;
    switch (c) {
    case '=': t = WT_EQUALS; break;
    case ',': t = WT_COMMA; break;
    case ':': t = WT_COLON; break;
    case '.': t = WT_PERIOD; break;
    case ';': t = WT_SEMICOLON; break;
    case '(': t = WT_LPAREN; break;
    case ')': t = WT_RPAREN; break;
    case '{': t = WT_LBRACE; break;
    case '}': t = WT_RBRACE; break;
    case '<': t = WT_LT; break;
    case '>': t = WT_GT; break;
    case '*': t = WT_STAR; break;
    case '@': t = WT_AT; break;
    case '+': t = WT_PLUS; break;
    case '-':
      if (peekc(lx) == '>') {
        lx->pos++;
        t = WT_RARROW;
      } else {
        t = WT_MINUS;
      }
      break;
    default: {
      char ch[32];
      fmt_char(ch, sizeof ch, c);
      *err = wit_span_error(lx->r, KUMI_ERR_MALFORMED, (wit_span){lx->base + start, lx->base + start},
                            "unexpected character %s", ch);
      return false;
    }
    }
  }
  *tok = t;
  span->end = lx->base + lx->pos;
  return true;
}
