/* Resource handle tables: see abi_handles.h. */
#include "abi_handles.h"

static kumi_error *trap(const abi_table *t, const char *msg) {
  kumi_error *e = kb_error(t->alloc, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "canonical ABI: %s", msg);
  return e ? e : kb_error_oom();
}

bool abi_table_init(abi_table *t, const kumi_allocator *a) {
  memset(t, 0, sizeof *t);
  t->alloc = a;
  abi_handle none;
  memset(&none, 0, sizeof none);
  return kb_vec_push(a, &t->slots, none);
}

void abi_table_free(abi_table *t) {
  kb_vec_free(t->alloc, &t->slots);
  kb_vec_free(t->alloc, &t->free);
}

abi_handle *abi_table_get(abi_table *t, uint32_t i) {
  if (i == 0 || i >= t->slots.len || !t->slots.items[i].live) return NULL;
  return &t->slots.items[i];
}

static kumi_error *table_add(abi_table *t, abi_handle h, uint32_t *index) {
  h.live = true;
  if (t->free.len) {
    uint32_t i = t->free.items[--t->free.len];
    t->slots.items[i] = h;
    *index = i;
    return NULL;
  }
  if (t->slots.len > ABI_TABLE_MAX) return trap(t, "handle table is full");
  if (!kb_vec_push(t->alloc, &t->slots, h)) return kb_error_oom();
  *index = (uint32_t)(t->slots.len - 1);
  return NULL;
}

/* Table.remove: the handle is gone from the table even when a later check
 * traps (the instance is then unusable anyway). */
static kumi_error *table_remove(abi_table *t, uint32_t i, abi_handle *out) {
  abi_handle *h = abi_table_get(t, i);
  if (!h) return trap(t, "invalid handle index");
  if (!kb_vec_push(t->alloc, &t->free, i)) return kb_error_oom();
  *out = *h;
  h->live = false;
  return NULL;
}

kumi_error *abi_resource_new(abi_table *t, uint32_t rid, uint32_t rep, uint32_t *index) {
  abi_handle h;
  memset(&h, 0, sizeof h);
  h.rid = rid;
  h.rep = rep;
  h.own = true;
  return table_add(t, h, index);
}

kumi_error *abi_resource_rep(abi_table *t, uint32_t rid, uint32_t index, uint32_t *rep) {
  abi_handle *h = abi_table_get(t, index);
  if (!h) return trap(t, "invalid handle index");
  if (h->rid != rid) return trap(t, "handle has the wrong resource type");
  *rep = h->rep;
  return NULL;
}

kumi_error *abi_resource_drop(abi_table *t, uint32_t rid, uint32_t index, bool *run_dtor, uint32_t *rep) {
  abi_handle h = {0};
  *run_dtor = false;
  kumi_error *e = table_remove(t, index, &h);
  if (e) return e;
  if (h.rid != rid) return trap(t, "handle has the wrong resource type");
  if (h.num_lends) return trap(t, "cannot drop a handle that is lent out");
  if (h.own) {
    *run_dtor = true;
    *rep = h.rep;
  } else if (h.scope && h.scope->num_borrows) {
    h.scope->num_borrows--;
  }
  return NULL;
}

kumi_error *abi_lift_own(abi_table *t, uint32_t rid, uint32_t index, uint32_t *rep) {
  abi_handle h = {0};
  kumi_error *e = table_remove(t, index, &h);
  if (e) return e;
  if (h.rid != rid) return trap(t, "handle has the wrong resource type");
  if (h.num_lends) return trap(t, "cannot move a handle that is lent out");
  if (!h.own) return trap(t, "a borrow handle cannot be passed as own");
  *rep = h.rep;
  return NULL;
}

kumi_error *abi_lift_borrow(abi_table *t, uint32_t rid, uint32_t index, abi_lends *lends, uint32_t *rep) {
  abi_handle *h = abi_table_get(t, index);
  if (!h) return trap(t, "invalid handle index");
  if (h->rid != rid) return trap(t, "handle has the wrong resource type");
  if (lends) {
    if (!kb_vec_push(t->alloc, lends, index)) return kb_error_oom();
    h->num_lends++;
  }
  *rep = h->rep;
  return NULL;
}

kumi_error *abi_lower_own(abi_table *t, uint32_t rid, uint32_t rep, uint32_t *index) {
  return abi_resource_new(t, rid, rep, index);
}

kumi_error *abi_lower_borrow(abi_table *t, uint32_t rid, uint32_t rep, bool same_instance, abi_scope *scope,
                             uint32_t *index) {
  if (same_instance) {
    *index = rep;
    return NULL;
  }
  abi_handle h;
  memset(&h, 0, sizeof h);
  h.rid = rid;
  h.rep = rep;
  h.scope = scope;
  kumi_error *e = table_add(t, h, index);
  if (!e && scope) scope->num_borrows++;
  return e;
}

void abi_release_lends(abi_table *t, abi_lends *lends) {
  for (size_t i = 0; i < lends->len; i++) {
    abi_handle *h = abi_table_get(t, lends->items[i]);
    if (h && h->num_lends) h->num_lends--;
  }
  kb_vec_free(t->alloc, lends);
}

kumi_error *abi_scope_end(abi_table *t, const abi_scope *scope) {
  return scope->num_borrows ? trap(t, "a borrow handle is still live at return") : NULL;
}

kumi_error *abi_hook_lift_handle(void *ud, const comp_type *t, uint32_t index, uint32_t *out) {
  abi_handle_hooks *hk = ud;
  uint32_t rid = comp_ty(hk->ts, t->res)->rid;
  if (t->dkind == 0x69) return abi_lift_own(hk->table, rid, index, out);
  return abi_lift_borrow(hk->table, rid, index, hk->lends, out);
}

kumi_error *abi_hook_lower_handle(void *ud, const comp_type *t, uint32_t value, uint32_t *out) {
  abi_handle_hooks *hk = ud;
  uint32_t rid = comp_ty(hk->ts, t->res)->rid;
  if (t->dkind == 0x69) return abi_lower_own(hk->table, rid, value, out);
  bool same = hk->implements && hk->implements(hk->ud, rid);
  return abi_lower_borrow(hk->table, rid, value, same, hk->scope, out);
}
