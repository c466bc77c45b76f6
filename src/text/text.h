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
 * out). src need not be NUL-terminated. Identifiers become the `name`
 * section (subsections 0-9, right after the last other section) unless a
 * `(@custom "name" ...)` annotation gives that section; custom-section
 * annotations `(@custom "name" (before|after SECTION)? "bytes"*)` between
 * module fields become custom sections where their placement puts them
 * (default: after everything). Other annotations are ignored. */
kumi_error *text_parse_wat(const kumi_allocator *a, const char *src, size_t len, uint8_t **out, size_t *out_len);

/* Parses one component written in the text format: `(component id? ...)`
 * (also `binary` and `quote`) or a bare sequence of component definitions,
 * nested core modules included. Output and errors as text_parse_wat. */
kumi_error *text_parse_component(const kumi_allocator *a, const char *src, size_t len, uint8_t **out,
                                 size_t *out_len);

/* True when the text's first form (after white space and comments) is
 * `(component`. */
bool text_is_component(const char *src, size_t len);

/* Either kind: text_parse_component when text_is_component, else
 * text_parse_wat. The loaders of .wat files use this one. */
kumi_error *text_parse_any(const kumi_allocator *a, const char *src, size_t len, uint8_t **out, size_t *out_len);

/* 1-based line and column (in bytes) of byte offset pos in src. */
void text_line_col(const char *src, size_t len, size_t pos, uint32_t *line, uint32_t *col);

/* ---- printing (print.c, print_component*.c) ---- */

/* Prints a component binary in the component text format: every
 * definition in binary order, nested core modules through the core
 * printer, references as numeric indices, and $identifiers where a
 * definition binds a name from the `component-name` section (in nested
 * core modules: the `name` section's module, function, local, label,
 * type, table, memory, global, element and data names). Other custom
 * sections print as (@custom) annotations in place (as does a name
 * section the identifiers cannot reproduce). The contract is the round
 * trip: parsing the text gives back the binary, custom sections included,
 * for every valid component whose encoding the text can express
 * (tests/text/roundtrip_exclusions.txt lists the exceptions). On success
 * *out holds the NUL-terminated text (allocated with a; free with
 * kb_free(a, *out, *out_len + 1)). Errors: KUMI_ERR_MALFORMED from the
 * decoders, KUMI_ERR_ARG "unsupported: ..." for what the printer cannot
 * express (value definitions), KUMI_ERR_OOM. */
kumi_error *text_print_component(const kumi_allocator *a, const uint8_t *bytes, size_t len, char **out,
                                 size_t *out_len);

/* Prints a core module or a component, told apart by the header. */
kumi_error *text_print(const kumi_allocator *a, const uint8_t *bytes, size_t len, char **out, size_t *out_len);

#endif
