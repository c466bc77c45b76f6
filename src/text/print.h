/* The printer: a core module binary to the text format (flat instructions,
 * numeric indices, no identifiers). The contract is the round trip:
 * text_parse_wat(text_print_module(b)) == b byte for byte for every valid
 * module b that is already in the encoding the parser produces, with its
 * custom sections removed (the printer drops every custom section,
 * including `name`). Encodings the text format cannot express (e.g. a
 * padded LEB128, locals split into several runs of the same type, an
 * element segment in a non-minimal form) print as the equivalent module. */
#ifndef KUMI_TEXT_PRINT_H
#define KUMI_TEXT_PRINT_H

#include "../base/base.h"

/* Prints the module in bytes (decoded with every proposal kumi knows;
 * it need not be valid, only well-formed). On success *out holds the
 * NUL-terminated text (allocated with a; free with kb_free(a, *out,
 * *out_len + 1)). Errors: the decoder's KUMI_ERR_MALFORMED, or
 * KUMI_ERR_OOM. */
kumi_error *text_print_module(const kumi_allocator *a, const uint8_t *bytes, size_t len, char **out, size_t *out_len);

#endif
