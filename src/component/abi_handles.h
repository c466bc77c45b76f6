/* Resource handle tables of a component instance (CanonicalABI.md, Table,
 * ResourceHandle, lift_own/lift_borrow/lower_own/lower_borrow and the
 * resource.new/rep/drop built-ins). Index 0 is reserved; freed slots are
 * reused last-freed-first; at most 2^28-1 entries.
 *
 * A resource type is named by its rid (types.h). A borrow scope is the
 * task of one canon lift call: it counts the borrow handles given to the
 * callee, which must all be dropped before it returns. Lends are the own
 * handles lent out for one canon lower call; they are released when the
 * call returns. Every rule violation is a KUMI_ERR_TRAP error. */
#ifndef KUMI_COMPONENT_ABI_HANDLES_H
#define KUMI_COMPONENT_ABI_HANDLES_H

#include "abi.h"

#define ABI_TABLE_MAX ((1u << 28) - 1)

typedef struct abi_scope {
  uint32_t num_borrows;
} abi_scope;

typedef struct abi_handle {
  uint32_t rid, rep;
  bool live, own;
  uint32_t num_lends;
  abi_scope *scope; /* borrow: the scope the handle was lent into */
} abi_handle;

typedef struct abi_table {
  const kumi_allocator *alloc;
  KB_VEC(abi_handle) slots; /* [0] reserved */
  KB_VEC(uint32_t) free;
} abi_table;

typedef KB_VEC(uint32_t) abi_lends; /* table indices lent for one call */

bool abi_table_init(abi_table *t, const kumi_allocator *a); /* false on OOM */
void abi_table_free(abi_table *t);
/* The live handle at i, or NULL. */
abi_handle *abi_table_get(abi_table *t, uint32_t i);

/* The built-ins. resource.drop reports whether a destructor must run
 * (*run_dtor, with *rep) for an own handle; calling it is the caller's
 * business (the resource type knows its destructor). */
kumi_error *abi_resource_new(abi_table *t, uint32_t rid, uint32_t rep, uint32_t *index);
kumi_error *abi_resource_rep(abi_table *t, uint32_t rid, uint32_t index, uint32_t *rep);
kumi_error *abi_resource_drop(abi_table *t, uint32_t rid, uint32_t index, bool *run_dtor, uint32_t *rep);

/* Lifting and lowering handles. lower_borrow passes the rep itself when
 * the receiving instance implements the resource (same_instance). */
kumi_error *abi_lift_own(abi_table *t, uint32_t rid, uint32_t index, uint32_t *rep);
kumi_error *abi_lift_borrow(abi_table *t, uint32_t rid, uint32_t index, abi_lends *lends, uint32_t *rep);
kumi_error *abi_lower_own(abi_table *t, uint32_t rid, uint32_t rep, uint32_t *index);
kumi_error *abi_lower_borrow(abi_table *t, uint32_t rid, uint32_t rep, bool same_instance, abi_scope *scope,
                             uint32_t *index);
/* Ends a canon lower call: every lent handle is released. Frees lends. */
void abi_release_lends(abi_table *t, abi_lends *lends);
/* Ends a canon lift call: traps if a borrow handle is still live. */
kumi_error *abi_scope_end(abi_table *t, const abi_scope *scope);

/* Ready-made abi_hooks handle callbacks over one table: ud is an
 * abi_handle_hooks. Own and borrow types name their resource by t->res. */
typedef struct abi_handle_hooks {
  const comp_types *ts;
  abi_table *table;
  abi_scope *scope; /* lowering borrows into a callee (canon lift) */
  abi_lends *lends; /* lifting borrows out of a caller (canon lower) */
  bool (*implements)(void *ud, uint32_t rid); /* does this instance implement rid? may be NULL */
  void *ud;
} abi_handle_hooks;
kumi_error *abi_hook_lift_handle(void *ud, const comp_type *t, uint32_t index, uint32_t *out);
kumi_error *abi_hook_lower_handle(void *ud, const comp_type *t, uint32_t value, uint32_t *out);

#endif
