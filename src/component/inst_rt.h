/* Internals of the component runtime shared by its files: inst.c (the
 * walk over definitions: index spaces, types, instances, aliases, imports
 * and exports), inst_call.c (calls: lift and lower glue, canon built-ins,
 * host functions) and inst_link.c (top-level imports from a
 * kumi_component_linker). Private to src/component. */
#ifndef KUMI_COMPONENT_INST_RT_H
#define KUMI_COMPONENT_INST_RT_H

#include "inst.h"

#include "abi_handles.h"
#include "ast.h"
#include "linker.h"
#include "types.h"
#include "../core/runtime.h"

#include <string.h>

/* Most scopes (component instances) and core instances one top-level
 * instantiation may create: nested components can instantiate each other
 * exponentially often. */
#define RT_MAX_INSTANCES 10000u
/* Longest chain of import aliases followed by one call. */
#define RT_MAX_ALIAS_DEPTH 1000u

typedef struct rt_scope rt_scope;
typedef struct rt_core_inst rt_core_inst;
typedef struct rt_inst rt_inst;
typedef struct rt_comp rt_comp;

/* One item of an index space. */
typedef struct rt_ent {
  uint8_t sort; /* comp_sort */
  union {
    kumi_extern core;   /* core func, table, memory, global */
    kumi_module *mod;   /* core module */
    rt_core_inst *ci;   /* core instance */
    kumi_component_func *f;
    comp_vt vt;         /* type: a value type, or id = a CT_FUNC / CT_RESOURCE; {0,0} an unmodelled type */
    rt_comp *comp;
    rt_inst *inst;
  } u;
  const struct rt_tydecl *decl; /* a type: the instance or component type definition behind it, if any */
} rt_ent;

/* An instance or component type definition and the scope it was defined
 * in (its outer aliases resolve there). */
typedef struct rt_tydecl {
  const comp_deftype *d;
  rt_scope *scope;
} rt_tydecl;

typedef struct rt_named {
  const char *name;
  uint32_t len;
  rt_ent e;
} rt_named;

/* A core instance: a real one, or a bag of exports. */
struct rt_core_inst {
  kumi_instance *inst;
  uint32_t n;
  rt_named *exports;
};

/* A component instance as seen from outside: its exports. */
struct rt_inst {
  uint32_t n;
  rt_named *exports;
};

/* A component definition closed over the scope it was defined in (outer
 * aliases inside it resolve there). */
struct rt_comp {
  const comp_component *ast;
  rt_scope *parent;
};

typedef KB_VEC(rt_ent) rt_space;
typedef KB_VEC(rt_named) rt_named_vec;

struct rt_scope {
  rt_scope *parent; /* lexical parent (outer aliases) */
  rt_scope *inst_parent; /* the instance that instantiated this one (NULL: the host) */
  bool entered;          /* not may_enter (CanonicalABI.md, ComponentInstance) */
  rt_space sp[COMP_SORT_COUNT];
  rt_named_vec exports;
  const rt_named *args;
  uint32_t nargs;
  bool in_post_return; /* may_leave is false while post-return runs */
  abi_table table;     /* resource handles (every scope has one) */
  uint32_t context[2]; /* context.get/set storage of the running task */
  uint32_t backpressure;
  struct rt_task *cur_task; /* the async task whose core code runs (NULL: none or a sync task) */
  uint8_t cur_kind;         /* RT_TASK_*: what kind of task's core code runs */
  uint32_t busy;            /* core calls into this instance on the C stack */
  struct rt_thread *cur_thread; /* the thread whose code runs here (NULL: none, or a sync task's not yet made; async.h) */
  struct rt_thread *exclusive;  /* ComponentInstance.exclusive_thread (async.h) */
  uint32_t num_waiting_to_enter; /* tasks waiting behind backpressure */
};

/* rt_scope.cur_kind */
enum { RT_TASK_NONE = 0, RT_TASK_SYNC = 1, RT_TASK_SYNC_ASYNC_TYPE = 2, RT_TASK_CALLBACK = 3 };

/* A resource type defined by a scope: its destructor (may be NULL). */
typedef struct rt_resinfo {
  kumi_func *dtor;
  rt_scope *impl;                /* NULL: the host (a linker resource) */
  const comp_link_def *host;     /* a host resource: its definition (destructor) */
} rt_resinfo;

struct kumi_component {
  kumi_engine *engine;
  const kumi_allocator *a;
  uint8_t *bytes;
  size_t len;
  comp_ast *ast;
  kb_map modules; /* comp_def address -> kumi_module * */
  KB_VEC(kumi_module *) module_list;
};

struct kumi_component_instance {
  kumi_store *store;
  const kumi_allocator *a;
  kumi_component *c;
  comp_types ts;
  kb_arena arena;
  KB_VEC(rt_scope *) scopes;
  uint32_t ninstances;
  rt_scope *top;
  comp_u32map res; /* rid -> rt_resinfo * */
  const kumi_component_linker *linker; /* the host definitions (NULL: none) */
  comp_u32map host_res; /* comp_link_def index -> resource tid in ts (one rid per host resource) */
  struct rt_async *async; /* tasks, subtasks and waitable sets (async.h; NULL until first used) */
  bool poisoned; /* a call trapped: the instance is locked down (Explainer.md, component invariant 1) */
};

struct kumi_component_func {
  kumi_component_instance *root;
  const comp_type *ft;
  kumi_component_func *target; /* an imported function: calls go there */
  kumi_func *core, *realloc, *post_return;
  kumi_memory *mem;
  uint8_t enc;
  rt_scope *owner;
  const comp_link_def *host; /* a host function (a linker definition): calls go there */
  bool async_lift;           /* canon lift ... async */
  kumi_func *callback;       /* its callback (NULL: stackful) */
};

/* The environment of a lowered function (a core host function). */
typedef struct rt_lower {
  kumi_component_instance *root;
  kumi_component_func *callee;
  const comp_type *ft;
  kumi_memory *mem;
  kumi_func *realloc;
  uint8_t enc;
  rt_scope *owner;
  uint32_t nparams, nresults;
  bool async; /* canon lower ... async */
  uint8_t lineal; /* 0: not yet known; 1: the callee is lifted by an ancestor or descendant of owner (calls trap); 2: not */
} rt_lower;

/* What the hooks and the core callee of one lift or lower need. */
typedef struct rt_call {
  kumi_component_instance *root;
  kumi_store *store;
  kumi_memory *mem;
  kumi_func *realloc, *core, *post_return;
  rt_scope *owner;
  abi_handle_hooks hh; /* over owner's handle table */
  abi_scope scope;     /* borrows lent to a lifted callee */
  abi_lends lends;     /* handles lent by a lowering caller */
} rt_call;

/* The state of one top-level instantiation. */
typedef struct rt_ctx {
  kumi_component_instance *root;
  const kumi_allocator *a;
} rt_ctx;

#define UNSUPPORTED(a, what) kb_error((a), KUMI_ERR_ARG, KUMI_NO_OFFSET, "unsupported: %s", (what))

/* ---- index spaces and types (inst.c) ---- */
kumi_error *comp_rt_push(rt_ctx *x, rt_scope *s, rt_ent e);
/* Item idx of sort in s (bounds-checked). */
kumi_error *comp_rt_at(rt_ctx *x, rt_scope *s, comp_sort sort, uint32_t idx, rt_ent *out);
kumi_error *comp_rt_core_at(rt_ctx *x, rt_scope *s, comp_sort sort, uint32_t idx, kumi_extern *out);
/* Memory that lives as long as the instance. */
void *comp_rt_arena(rt_ctx *x, size_t n);
bool comp_rt_name_eq(const char *a, uint32_t alen, const char *b, uint32_t blen);
const rt_named *comp_rt_find_named(const rt_named *v, uint32_t n, const char *name, uint32_t len);
kumi_error *comp_rt_vt_of(rt_ctx *x, rt_scope *s, comp_valtype v, comp_vt *out);
/* The runtime type of type definition d in s ({0,0}: not modelled). */
kumi_error *comp_rt_build_type(rt_ctx *x, rt_scope *s, const comp_deftype *d, comp_vt *out);
/* The CT_FUNC behind type index idx of s. */
kumi_error *comp_rt_func_type_at(rt_ctx *x, rt_scope *s, uint32_t idx, const comp_type **out);
kumi_error *comp_rt_alias_def(rt_ctx *x, rt_scope *s, const comp_alias *al);

/* ---- calls (inst_call.c) ---- */
/* Calls f with component values; result is NULL when f has no result.
 * caller is the calling component instance, NULL for the host. */
kumi_error *comp_rt_call_func(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                              rt_scope *caller);
kumi_error *comp_rt_canon_def(rt_ctx *x, rt_scope *s, const comp_canon *c);
/* The call context of one lift or lower (c must stay put while cx is used). */
void comp_rt_call_init(rt_call *c, kumi_component_instance *root, kumi_memory *mem, kumi_func *realloc,
                       kumi_func *core, kumi_func *post_return, rt_scope *owner);
void comp_rt_cx_init(abi_cx *cx, kumi_component_instance *root, uint8_t enc, rt_call *c);
/* entering_set(caller) of CanonicalABI.md (caller NULL: the host): check
 * reports whether all may be entered; otherwise their flags become entered. */
bool comp_rt_enter_set(rt_scope *callee, const rt_scope *caller, bool check, bool entered);
/* Core host function of a built-in: params/results as 'i' (i32) / 'I' (i64) strings. */
kumi_error *comp_rt_push_builtin(rt_ctx *x, rt_scope *s, const kumi_valkind *pk, uint32_t np, const kumi_valkind *rk,
                                 uint32_t nr, kumi_host_fn fn, void *env);

/* ---- host imports (inst_link.c) ---- */
/* A top-level import of the root component (s has no parent): satisfied
 * from x->root->linker, pushed to s's index space of its sort. */
kumi_error *comp_rt_link_import(rt_ctx *x, rt_scope *s, const comp_def *d);

#endif
