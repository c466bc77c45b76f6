/* The printer: a core module binary to the text format (flat instructions,
 * numeric indices; identifiers from the `name` section). The contract is
 * the round trip: text_parse_wat(text_print_module(b)) == b byte for byte,
 * custom sections included, for every valid module b whose encoding the
 * text format can express. The `name` section prints as identifiers
 * (module, functions, locals, labels, types, tables, memories, globals,
 * element and data segments) when the parser writes it back from them
 * unchanged, otherwise as a (@custom "name") annotation; every other custom
 * section prints as `(@custom "name" (after SECTION) "bytes")` (the
 * custom-annotations proposal). Element segments keep their binary form.
 * Encodings the text format cannot express (a padded LEB128, an empty
 * section, a local run of count 0, locals split into several runs of one
 * type) print as the equivalent module and parse back canonically. */
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
