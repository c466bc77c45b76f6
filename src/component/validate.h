/* The component validator's state, shared by validate.c (definitions,
 * index spaces, imports/exports), canon.c (canonical definitions) and
 * extern.c (names and externally visible types). Internal to
 * src/component. */
#ifndef KUMI_COMPONENT_VALIDATE_H
#define KUMI_COMPONENT_VALIDATE_H

#include "component.h"
#include "names.h"
#include "types.h"

typedef struct vctx {
  const kumi_allocator *a;
  comp_types ts;
  comp_features f;
  const comp_ast *ast;
  kumi_error *err;
  char sub_msg[600]; /* subtyping messages */
} vctx;

enum { VS_COMPONENT, VS_INSTANCE_TYPE, VS_COMPONENT_TYPE };

typedef struct vvalue {
  comp_vt type;
  bool used;
} vvalue;

typedef struct vdefres {
  uint32_t rid;
  uint8_t rep; /* core valtype code, 0 when not known (not local) */
} vdefres;

/* Resource names in scope for [method]/[static]/[constructor] checks. */
typedef struct vnamecx {
  comp_u32map by_tid; /* resource type identity -> index in names */
  KB_VEC(comp_str) names;
} vnamecx;

typedef KB_VEC(comp_item) comp_item_vec;

typedef struct vstate {
  uint8_t kind;
  struct vstate *parent;
  vctx *v;
  KB_VEC(comp_tid) core_types, core_funcs, core_tags, core_modules, core_instances;
  KB_VEC(comp_core_ext) core_tables, core_memories, core_globals;
  KB_VEC(comp_tid) types, funcs, instances, components;
  KB_VEC(vvalue) values;
  comp_item_vec imports, exports;
  kb_map import_keys, export_keys; /* strong-uniqueness keys */
  bool has_start;
  uint32_t size;
  KB_VEC(comp_rpath) imported_res, explicit_res;
  KB_VEC(vdefres) defined_res;
  comp_u32map imported_types, exported_types;
  vnamecx imp_names, exp_names;
  uint8_t context_type; /* 0 until the first context.get/set */
} vstate;

/* Formats an INVALID error at offset (sticky: the first error wins). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
bool vfail(vctx *v, uint32_t offset, const char *fmt, ...);
bool voom(vctx *v);
/* Runs a subtype check, turning its message into an error. */
bool vsub_entity(vctx *v, uint32_t offset, const comp_entity *a, const comp_entity *b, const char *ctx);

/* Index space accessors: each fails with "unknown X N: X index out of
 * bounds" and returns false. */
bool v_core_func(vstate *s, uint32_t idx, uint32_t off, comp_tid *out);
bool v_core_memory(vstate *s, uint32_t idx, uint32_t off, comp_core_ext *out);
bool v_core_table(vstate *s, uint32_t idx, uint32_t off, comp_core_ext *out);
bool v_core_type(vstate *s, uint32_t idx, uint32_t off, comp_tid *out);
bool v_type(vstate *s, uint32_t idx, uint32_t off, comp_tid *out);
bool v_func(vstate *s, uint32_t idx, uint32_t off, comp_tid *out);
/* types[idx] must be a defined value type / function type / resource. */
bool v_defined_type(vstate *s, uint32_t idx, uint32_t off, comp_tid *out);
bool v_valtype(vstate *s, comp_valtype vt, uint32_t off, comp_vt *out);

/* Validates a decoded component (validate.c). */
kumi_error *comp_validate_ast(const kumi_allocator *a, const comp_ast *ast, const comp_features *f);

/* canon.c */
bool v_canon(vstate *s, const comp_canon *c);
/* Canonical ABI size checks of a defined type (elem_size < 2^28). */
bool v_check_abi_size(vstate *s, comp_tid t, uint32_t off);

/* extern.c */
/* Adds an entity to the index spaces; name == NULL for aliases. kind 0
 * import, 1 export. */
bool v_add_entity(vstate *s, comp_entity *e, const comp_str *name, int kind, uint32_t off);
/* Name syntax, attributes, annotated names, uniqueness; appends to items. */
bool v_validate_extern(vstate *s, vnamecx *cx, const comp_extname *name, int kind, const comp_entity *e,
                       kb_map *keys, comp_item_vec *items, uint32_t *size, uint32_t off);
void v_namecx_init(vnamecx *cx, const kumi_allocator *a);
void v_namecx_free(vnamecx *cx, const kumi_allocator *a);

#endif
