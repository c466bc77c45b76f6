/* The component runtime: kumi_component, instantiation (inst.c), calls
 * (inst_call.c) and top-level imports from a kumi_component_linker
 * (inst_link.c, linker.c); shared internals in inst_rt.h. Internal to kumi;
 * the public side is the "components" and "linking components to the
 * host" parts of include/kumi.h.
 *
 * Instantiation walks the definitions of each (nested) component once, in
 * binary order, keeping one index space per sort (rt_scope, one per
 * component instance, with its resource handle table). It is not yet
 * compiled to a separate plan (DESIGN.md): the walk is the plan's
 * interpreter. Core modules are compiled once per kumi_component. Types are
 * rebuilt per instance into the instance's comp_types (the validator's
 * types are not kept), only as far as lifting and lowering need: defined
 * value types, function types and resource types (a fresh rid per
 * instantiation). Calls between components go through kumi_cval (lift,
 * then lower); fused adapters are later work. Host functions take and
 * return kumi_cval too. Reentrance follows
 * CanonicalABI.md's may_enter_from; may_leave is false during post-return. */
#ifndef KUMI_COMPONENT_INST_H
#define KUMI_COMPONENT_INST_H

#include "abi.h"
#include "component.h"

/* Like kumi_component_new with explicit component features (NULL: the
 * defaults). */
kumi_component *comp_rt_new(kumi_engine *engine, const uint8_t *bytes, size_t len, const comp_features *f,
                            kumi_error **error);
/* The type of f: *ts is the type store, *ft a CT_FUNC. */
void comp_rt_func_type(const kumi_component_func *f, const comp_types **ts, const comp_type **ft);
/* True when e says the component uses something the runtime does not
 * support yet (its message starts with "unsupported: "), or the core
 * engine cannot run an instruction of a valid module yet. */
bool comp_rt_unsupported(const kumi_error *e);
/* Calls fn once per exported function of inst: first the top-level ones
 * (iface NULL), then those of each top-level exported instance, in export
 * order (kumi run --invoke resolves and lists names with it). Names are
 * given with their lengths and live as long as inst. */
typedef void (*comp_rt_func_visitor)(void *cx, const char *iface, size_t iface_len, const char *name,
                                     size_t name_len, kumi_component_func *f);
void comp_rt_each_export_func(kumi_component_instance *inst, comp_rt_func_visitor fn, void *cx);

#endif
