/* component: the Component Model layer. This header is the entry point for
 * the rest of kumi (the CLI, later the public API): telling a component from
 * a core module, the feature flags, and decoding + validating a component
 * binary. Internal prefix: comp_.
 *
 * Spec: ../shared/spec/component-model/ (Binary.md for the encoding,
 * Explainer.md for validation, CanonicalABI.md for lift/lower rules). */
#ifndef KUMI_COMPONENT_H
#define KUMI_COMPONENT_H

#include "../base/base.h"

/* The emoji-gated features of the Explainer. A disabled feature makes a
 * binary that uses it invalid. comp_features_default() enables what has
 * shipped in a WASI release (🔀 async, 🗺️ map, 🏷️ implements), and the
 * WebAssembly 3.0 core features the reference validator enables by default
 * (exceptions, GC core types), and nothing else. */
typedef struct comp_features {
  bool async;              /* 🔀 async, stream, future, task/waitable built-ins */
  bool async_builtins;     /* 🚝 more options on async built-ins (cm-more-async-builtins) */
  bool async_stackful;     /* 🚟 async lift without callback (cm-async-stackful) */
  bool threading;          /* 🧵 thread.* built-ins (cm-threading) */
  bool shared_threads;     /* 🧵② shared-everything threads built-ins */
  bool fixed_length_lists; /* 🔧 (list T N) */
  bool error_context;      /* 📝 error-context type and built-ins */
  bool values;             /* 🪙 value imports/exports, start */
  bool nested_names;       /* 🪺 nested namespaces/packages in names */
  bool canon_names;        /* 🔗 canonical interface names, versionsuffix */
  bool implements;         /* 🏷️ implements / external-id attributes */
  bool map;                /* 🗺️ map type */
  bool cm64;               /* 🐘 memory64 in canonical options, i64 resources */
  bool gc;                 /* core GC types (kumi's core engine has no GC yet) */
  bool cm_gc;              /* GC-based canonical ABI */
  bool exceptions;         /* core tags */
  bool custom_page_sizes;  /* core custom page sizes */
} comp_features;

comp_features comp_features_default(void);
/* Every feature on (the spec suite's assumption). */
comp_features comp_features_all(void);
/* Applies a comma-separated list of wasm-tools feature names
 * ("cm-async,cm-threading", "-exceptions" turns one off, "-" is none) to
 * *f. Returns false and sets *bad to the unknown name (a pointer into list,
 * length *bad_len) when a name is not known. */
bool comp_features_apply(comp_features *f, const char *list, const char **bad, size_t *bad_len);

/* True when the 8-byte preamble says "component" (version 0x0d 0x00,
 * layer 0x01 0x00) rather than core module. Only the layer field is looked
 * at, so a component with an unknown version still counts as a component
 * (and is then rejected by the decoder). */
bool comp_is_component(const uint8_t *bytes, size_t len);

/* Decodes and validates a component binary. NULL when valid; otherwise an
 * error of kind KUMI_ERR_MALFORMED (the bytes do not decode) or
 * KUMI_ERR_INVALID (a validation rule fails), whose message names the
 * rule and item and whose offset is the byte offset of the offending item
 * in `bytes`. features NULL means comp_features_default(). Everything is
 * allocated through a and freed before returning. */
kumi_error *comp_validate_bytes(const kumi_allocator *a, const uint8_t *bytes, size_t len, const comp_features *features);

#endif
