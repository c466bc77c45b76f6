/* The component runtime (inst.c): kumi_component, instantiation and calls
 * of exported functions. Internal to kumi; the public side is the
 * "components" part of include/kumi.h.
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
 * then lower); fused adapters are later work. Reentrance follows
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

#endif
