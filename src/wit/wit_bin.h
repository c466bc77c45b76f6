/* wit binary form: a resolved WIT package or world encoded as component
 * types, the encoding wit-component (wasm-tools, jco) uses, and decoding
 * such binaries (and the imports/exports of ordinary components) back into
 * a wit_resolve.
 *
 * Package encoding (`wasm-tools component wit --wasm`): a component whose
 * type section defines, for each interface of the package, a component type
 * that imports the interfaces it depends on (their types only) and exports
 * the interface as an instance type, and for each world a component type
 * exporting "ns:pkg/world@v" as a component type; each is exported from the
 * component under its plain name.
 *
 * World encoding (the payload of a core module's `component-type` custom
 * section, as `wasm-tools component embed` / `jco embed` write it): a
 * component with a `wit-component-encoding` custom section (version 4,
 * string encoding), one type (the world wrapper) and its export.
 *
 * Buffers returned by the encoders are allocated with the resolve's
 * allocator: free with kb_free(a, *out, *len). */
#ifndef KUMI_WIT_BIN_H
#define KUMI_WIT_BIN_H

#include "wit.h"

/* Package pkg as a component; docs and gates go in its `package-docs`
 * custom section (wit-parser's JSON, version 1). */
kumi_error *wit_encode_package(wit_resolve *r, uint32_t pkg, uint8_t **out, size_t *len);
/* World world as a `component-type` custom section payload. The producers
 * section names kumi; everything before it is what wit-component writes. */
kumi_error *wit_encode_world_metadata(wit_resolve *r, uint32_t world, uint8_t **out, size_t *len);

/* Decodes bytes (a component: an encoded package, an encoded world, or any
 * component; or a core module carrying a `component-type` custom section)
 * into r, which should be empty. *main_pkg is the package to print; for an
 * ordinary component that is a package "root:component" holding one world
 * "root" with the component's imports and exports. */
kumi_error *wit_decode(wit_resolve *r, const uint8_t *bytes, size_t len, uint32_t *main_pkg);

/* The payload of the first custom section named `name` (or starting with
 * it when prefix is true) of a core module or component, NULL if none. */
const uint8_t *wit_find_custom(const uint8_t *bytes, size_t len, const char *name, bool prefix, size_t *out_len);

#endif
