/* The component linker (linker.c): host definitions for the imports of a
 * component, named as in WIT (kumi_component_linker in include/kumi.h).
 * Internal to kumi; inst_link.c satisfies a component's top-level imports
 * from it. */
#ifndef KUMI_COMPONENT_LINKER_H
#define KUMI_COMPONENT_LINKER_H

#include "types.h"

#include "kumi_async.h"

enum { COMP_LINK_FUNC = 1, COMP_LINK_RESOURCE };

/* One host definition. Strings are NUL-terminated copies owned by the
 * linker. index is the definition's position (a stable small number). */
typedef struct comp_link_def {
  const char *iface; /* NULL: top level */
  uint32_t iface_len;
  const char *name;
  uint32_t name_len;
  uint8_t kind;     /* COMP_LINK_* */
  const char *type; /* a function's WIT type, or NULL (untyped) */
  kumi_component_host_fn fn;
  kumi_component_async_fn afn; /* instead of fn: a host function with a call context (define_async) */
  kumi_component_host_dtor dtor;
  void *env;
  uint32_t index;
} comp_link_def;

struct kumi_component_linker {
  kumi_engine *engine;
  const kumi_allocator *a;
  kb_arena arena;
  KB_VEC(comp_link_def *) defs;
  kb_map by_key; /* comp_link_key -> comp_link_def * */
};

/* The definition `name` in host interface iface (NULL: top level), or NULL. */
const comp_link_def *comp_link_find(const kumi_component_linker *l, const char *iface, uint32_t iface_len,
                                    const char *name, uint32_t name_len);
/* The host interface that satisfies an import named name[0..len) (see
 * kumi.h: exact name first, else the highest semver-compatible version that
 * is not lower). Returns false when none does. *iface points into the
 * linker. */
bool comp_link_resolve_iface(const kumi_component_linker *l, const char *name, uint32_t len, const char **iface,
                             uint32_t *iface_len);
/* Appends to buf (NUL-terminated, at most cap bytes) what the linker has
 * that is relevant to an import named name: the names of the definitions
 * of interface iface (when iface is not NULL), or else the versions of
 * interfaces with the same package and interface name, or that it has
 * none. */
void comp_link_describe(const kumi_component_linker *l, const char *name, uint32_t len, const char *iface,
                        uint32_t iface_len, char *buf, size_t cap);

/* ---- host function types (linker_wit.c) ---- */
/* Checks the syntax of a host function's WIT function type (any name that
 * is not a WIT keyword is taken for a resource). KUMI_ERR_ARG when bad. */
kumi_error *comp_link_check_type_syntax(const kumi_allocator *a, const char *type);
/* Parses type into ts: *out is a CT_FUNC. resources maps the resource
 * names that may be used (those of the function's interface) to resource
 * tids of ts; any other name is a KUMI_ERR_LINK error. */
kumi_error *comp_link_parse_type(comp_types *ts, const char *type, const kb_map *resources, comp_tid *out);

#endif
