/* The WebAssembly text format (.wat) for core modules: text in, binary out.
 * Internal prefix: text_ (lexer, literals) and wat_ (the module parser). */
#ifndef KUMI_TEXT_H
#define KUMI_TEXT_H

#include "../base/base.h"

/* Parses one core module written in the text format: `(module ...)`, a bare
 * sequence of module fields, `(module binary "...")` or `(module quote
 * "...")`. On success *out holds the binary (allocated with `a`; free it with
 * kb_free(a, *out, *out_len)) and the result is NULL. On failure the error is
 * KUMI_ERR_MALFORMED with a message "LINE:COL: what" and the byte offset of
 * the offending token in src as its offset (KUMI_ERR_OOM when memory ran
 * out). src need not be NUL-terminated. */
kumi_error *text_parse_wat(const kumi_allocator *a, const char *src, size_t len, uint8_t **out, size_t *out_len);

/* 1-based line and column (in bytes) of byte offset pos in src. */
void text_line_col(const char *src, size_t len, size_t pos, uint32_t *line, uint32_t *col);

#endif
