/* Component types in memory (types.c).
 *
 * Every type lives in one store (comp_types) and is named by a comp_tid, an
 * index into the store. A tid is an *identity*: each definition, import or
 * export of a type makes a new tid, which is what the "must be named" rules
 * of imports and exports track (Explainer, External Visibility of Types).
 * Equality is structural and cheap: defined value types, function types and
 * resource types are hash-consed into a canonical tid (`canon`), so two
 * such types are equal exactly when their canon tids are equal. A resource
 * type's structure is its resource id (rid), a number that is fresh for
 * each resource definition, abstract import/export and instantiation
 * (generativity). Instance, component and core module types are compared
 * by the subtyping rules (subtype.c), never by canon.
 *
 * Substitution (comp_remap) rewrites a type through a mapping of resource
 * ids and type ids, building new types only where something changed. */
#ifndef KUMI_COMPONENT_TYPES_H
#define KUMI_COMPONENT_TYPES_H

#include "ast.h"

typedef uint32_t comp_tid; /* 0: none */

typedef enum comp_tkind {
  CT_DEFINED = 1, /* a value type: dkind says which */
  CT_FUNC,
  CT_RESOURCE,
  CT_INSTANCE,
  CT_COMPONENT,
  CT_CORE_FUNC,
  CT_CORE_MODULE,
  CT_CORE_INSTANCE,
  CT_CORE_GC, /* a GC struct/array/rec type: recorded, not modelled */
} comp_tkind;

/* A value type: a primitive (prim != 0) or a defined type (id). A defined
 * type that is itself a primitive is always stored as the primitive. */
typedef struct comp_vt {
  uint8_t prim;
  comp_tid id;
} comp_vt;

typedef struct comp_field {
  comp_str name;
  comp_vt type;
  bool has_type;
} comp_field;

/* A core extern type (module imports/exports, core instance exports, and
 * the core index spaces of a component). kind: 0 func, 1 table, 2 memory,
 * 3 global, 4 tag. */
typedef struct comp_core_ext {
  uint8_t kind;
  comp_tid func;            /* func, tag: a CT_CORE_FUNC */
  comp_core_valtype valtype; /* table element, global */
  comp_core_limits limits;   /* table, memory */
  bool mut, shared;          /* global */
} comp_core_ext;

typedef struct comp_core_import {
  comp_str module, name;
  comp_core_ext ext;
} comp_core_import;

typedef struct comp_core_export {
  comp_str name;
  comp_core_ext ext;
} comp_core_export;

/* Entity types: what an import, export or instance export is. */
typedef enum comp_ekind { CE_MODULE, CE_FUNC, CE_VALUE, CE_TYPE, CE_INSTANCE, CE_COMPONENT } comp_ekind;
typedef struct comp_entity {
  uint8_t kind;
  comp_tid id;      /* module, func, instance, component; type: the referenced type */
  comp_tid created; /* type: the new identity made by the import/export */
  comp_vt vt;       /* value */
} comp_entity;

typedef struct comp_item {
  comp_str name;
  comp_entity e;
} comp_item;

/* A resource id with the path of export (or import) indices where it is
 * named, as in the reference validator. */
typedef struct comp_rpath {
  uint32_t rid;
  uint32_t len;
  uint32_t *path;
} comp_rpath;

typedef struct comp_type {
  uint8_t kind;  /* comp_tkind */
  uint8_t dkind; /* CT_DEFINED: the binary code (0x72 record, ...) */
  bool async;    /* CT_FUNC */
  bool has_borrow; /* the type transitively contains a borrow */
  uint32_t size;   /* "type info" size, bounded by COMP_MAX_TYPE_SIZE */
  comp_tid canon;  /* canonical representative (self for non-consed types) */
  uint64_t abi_size; /* CT_DEFINED: Canonical ABI elem_size with 64-bit pointers (saturated) */
  uint8_t abi_align;
  /* CT_DEFINED / CT_FUNC */
  uint32_t n;
  comp_field *fields; /* record fields, variant cases, tuple types, flags/enum names, params */
  comp_vt a, b;       /* list/option/stream/future element, result ok/err, map key/value */
  bool has_a, has_b;
  uint32_t len;       /* fixed-length list */
  comp_tid res;       /* own/borrow: the resource type (an identity) */
  bool has_result;    /* func */
  comp_vt result;
  /* CT_RESOURCE */
  uint32_t rid;
  /* CT_INSTANCE / CT_COMPONENT */
  uint32_t nimports, nexports;
  comp_item *imports, *exports;
  uint32_t nimported_res, ndefined_res, nexplicit_res;
  comp_rpath *imported_res, *defined_res, *explicit_res;
  /* CT_CORE_FUNC */
  comp_core_functype core;
  /* CT_CORE_MODULE / CT_CORE_INSTANCE */
  uint32_t ncore_imports, ncore_exports;
  comp_core_import *core_imports;
  comp_core_export *core_exports;
} comp_type;

#define COMP_MAX_TYPE_SIZE 1000000u

/* ---- u32 -> u64 hash map (sets of tids or rids, remappings) ------------ */
typedef struct comp_u32map {
  const kumi_allocator *alloc;
  uint32_t *keys; /* 0 is "empty": keys are stored + 1 */
  uint64_t *vals;
  size_t count, cap;
} comp_u32map;
void comp_u32map_init(comp_u32map *m, const kumi_allocator *a);
void comp_u32map_free(comp_u32map *m);
bool comp_u32map_put(comp_u32map *m, uint32_t key, uint64_t val); /* false on OOM */
bool comp_u32map_get(const comp_u32map *m, uint32_t key, uint64_t *val);
void comp_u32map_clear(comp_u32map *m);

/* ---- the store ------------------------------------------------------------ */
typedef struct comp_types {
  const kumi_allocator *alloc;
  kb_arena arena;
  KB_VEC(comp_type *) list; /* [0] is a placeholder */
  kb_map canon;             /* structural key -> canonical tid */
  uint32_t next_rid;
  bool oom;
} comp_types;

bool comp_types_init(comp_types *ts, const kumi_allocator *a);
void comp_types_free(comp_types *ts);
static inline comp_type *comp_ty(const comp_types *ts, comp_tid t) { return ts->list.items[t]; }
/* A zeroed type of the given kind in the arena (not yet in the store). */
comp_type *comp_type_new(comp_types *ts, uint8_t kind);
void *comp_types_alloc(comp_types *ts, size_t n, size_t size);
/* Adds a type to the store, computing its canon (for defined, func and
 * resource types) and its size and has_borrow. Returns 0 on OOM. */
comp_tid comp_types_push(comp_types *ts, comp_type *t);
/* A fresh resource type with a new rid. */
comp_tid comp_types_fresh_resource(comp_types *ts);
/* A resource type with the given rid (a new identity of an existing rid). */
comp_tid comp_types_resource(comp_types *ts, uint32_t rid);
/* A new identity for an existing type (eq-bound imports/exports). */
comp_tid comp_types_alias(comp_types *ts, comp_tid t);
/* The core function type [params] -> [results] (of plain numeric types). */
comp_tid comp_types_core_func(comp_types *ts, uint32_t np, const uint8_t *params, uint32_t nr, const uint8_t *results);

/* Structural equality of value types (after substitution, canon ids). */
bool comp_vt_equal(const comp_types *ts, comp_vt a, comp_vt b);
uint32_t comp_vt_size(const comp_types *ts, comp_vt v);
bool comp_vt_has_borrow(const comp_types *ts, comp_vt v);
uint32_t comp_entity_size(const comp_types *ts, const comp_entity *e);
bool core_valtype_equal(const comp_core_valtype *a, const comp_core_valtype *b);
bool core_functype_eq(const comp_core_functype *a, const comp_core_functype *b);

/* ---- substitution and free variables ------------------------------------- */
typedef struct comp_remapping {
  comp_u32map resources; /* rid -> rid */
  comp_u32map types;     /* tid -> tid (also a cache of finished remaps) */
} comp_remapping;
void comp_remapping_init(comp_remapping *m, const kumi_allocator *a);
void comp_remapping_free(comp_remapping *m);
/* Returns the remapped type (t itself when nothing changed), 0 on OOM. */
comp_tid comp_remap(comp_types *ts, comp_tid t, comp_remapping *m);
bool comp_remap_vt(comp_types *ts, comp_vt *v, comp_remapping *m);
bool comp_remap_entity(comp_types *ts, comp_entity *e, comp_remapping *m);
/* Adds the rids t refers to (its free resource variables) to set. */
bool comp_free_vars(const comp_types *ts, comp_tid t, comp_u32map *set);
bool comp_free_vars_entity(const comp_types *ts, const comp_entity *e, comp_u32map *set);

/* ---- subtyping (subtype.c) ------------------------------------------------
 * Each returns NULL when a is a subtype of b, else an error message written
 * to buf (KUMI_ERR_INVALID is the caller's business). */
typedef struct comp_subcx {
  comp_types *ts;
  char *buf;
  size_t cap;
  bool oom;
} comp_subcx;
bool comp_sub_entity(comp_subcx *cx, const comp_entity *a, const comp_entity *b);
bool comp_sub_core_ext(comp_subcx *cx, const comp_core_ext *a, const comp_core_ext *b);
/* Checks that the named entities args satisfy the imports (kind 0) or
 * exports (kind 1) of component type b, and fills map with the resources
 * and types of b bound by args. */
bool comp_open_instance(comp_subcx *cx, const comp_item *args, uint32_t nargs, comp_tid b, int kind,
                        comp_remapping *map);
const comp_item *comp_items_find(const comp_item *items, uint32_t n, const char *name, uint32_t len);
const char *comp_entity_desc(const comp_types *ts, const comp_entity *e);

#endif
