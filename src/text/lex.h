/* Tokens of the WebAssembly text format, the conversion of literal tokens to
 * values, and the growable byte buffer the encoders write to. Shared by the
 * module parser and (later) the script and component parsers. */
#ifndef KUMI_TEXT_LEX_H
#define KUMI_TEXT_LEX_H

#include "text.h"

typedef enum text_tokkind {
  TK_EOF,
  TK_LPAR,
  TK_RPAR,
  TK_KEYWORD,  /* starts with a-z */
  TK_ID,       /* $name or $"name" */
  TK_STRING,
  TK_NAT,      /* unsigned integer literal */
  TK_INT,      /* signed integer literal (leading + or -) */
  TK_FLOAT,    /* float literal, including inf, nan and nan:0x... */
  TK_RESERVED, /* any other run of identifier characters: never valid */
} text_tokkind;

typedef struct text_token {
  uint8_t kind;  /* text_tokkind */
  uint32_t pos;  /* byte offset of the token in the source */
  uint32_t len;  /* source length of the token */
  /* TK_STRING: the decoded bytes. TK_ID: the name without '$' (decoded for
   * the quoted form). Otherwise the token text. Not NUL-terminated. */
  const uint8_t *str;
  uint32_t slen;
} text_token;

/* Splits src into tokens, skipping white space, comments and annotations
 * `(@name ...)` (see text_next_custom for the ones that matter). The array (ending with a TK_EOF token) and decoded strings
 * live in the arena. Errors are KUMI_ERR_MALFORMED "LINE:COL: ..." */
kumi_error *text_lex(kb_arena *ar, const char *src, size_t len, text_token **toks, size_t *ntoks);

/* The number token kind (TK_NAT, TK_INT, TK_FLOAT) that the run of
 * identifier characters s[0..n) lexes as, or TK_RESERVED. */
text_tokkind text_classify_number(const uint8_t *s, size_t n);

/* Builds a KUMI_ERR_MALFORMED error "LINE:COL: message" for byte offset pos. */
kumi_error *text_error_at(const kumi_allocator *a, const char *src, size_t len, size_t pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* ---- literals ----------------------------------------------------------
 * Each takes a literal token's text and returns NULL on success or a static
 * reason ("constant out of range", "malformed number"). */
/* An unsigned integer (TK_NAT) of at most `bits` bits. */
const char *text_nat(const uint8_t *s, size_t n, unsigned bits, uint64_t *out);
/* An integer for iN.const: signed or unsigned, -2^(N-1) <= v < 2^N; the
 * result is the N-bit two's-complement pattern. */
const char *text_int(const uint8_t *s, size_t n, unsigned bits, uint64_t *out);
/* Float literals (any number token): the IEEE bit pattern, correctly
 * rounded; NaN payloads exact. */
const char *text_f32(const kumi_allocator *a, const uint8_t *s, size_t n, uint32_t *out);
const char *text_f64(const kumi_allocator *a, const uint8_t *s, size_t n, uint64_t *out);

/* ---- custom-section annotations (the custom-annotations proposal) ----
 * `(@custom "name" place? string*)` with place `(before KW)` or
 * `(after KW)`; KW (first, last or a section keyword) is left to the
 * caller. text_lex skips every annotation; the parsers look for these in
 * the source between two tokens. */
typedef struct text_custom {
  uint32_t pos; /* offset of its '(' in the source */
  const uint8_t *name;
  uint32_t name_len;
  bool has_place, before;
  const uint8_t *anchor; /* the placement keyword, when has_place */
  uint32_t anchor_len, anchor_pos;
  uint8_t *bytes; /* the section's contents: the strings, concatenated (arena) */
  size_t len;
} text_custom;
/* Finds the next `(@custom ...)` in src[*from, to), a stretch of white
 * space, comments and annotations (between two tokens). When there is one,
 * *found is true, *out holds it and *from is just past it; otherwise *from
 * becomes to. Other annotations are skipped. Errors: KUMI_ERR_MALFORMED
 * "LINE:COL: custom annotation: ..." for a malformed one. */
kumi_error *text_next_custom(kb_arena *ar, const char *src, size_t *from, size_t to, text_custom *out, bool *found);

/* ---- byte buffer -------------------------------------------------------
 * Writes never fail: on OOM the buffer sets `oom` and ignores later writes,
 * so encoders check once at the end. */
typedef struct text_buf {
  const kumi_allocator *alloc;
  uint8_t *data;
  size_t len, cap;
  bool oom;
} text_buf;
void tb_init(text_buf *b, const kumi_allocator *a);
void tb_free(text_buf *b);
void tb_byte(text_buf *b, uint8_t v);
void tb_bytes(text_buf *b, const void *p, size_t n);
void tb_u32(text_buf *b, uint32_t v); /* unsigned LEB128 */
void tb_u64(text_buf *b, uint64_t v);
void tb_s32(text_buf *b, int32_t v); /* signed LEB128 */
void tb_s64(text_buf *b, int64_t v);
void tb_fixed(text_buf *b, uint64_t v, unsigned nbytes); /* little-endian */
void tb_name(text_buf *b, const void *p, size_t n);      /* vec(byte) */
/* Appends b2's bytes as a vec-sized blob: u32 length, then the bytes. */
void tb_blob(text_buf *b, const text_buf *b2);

#endif
