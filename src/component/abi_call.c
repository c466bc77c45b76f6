/* The value plumbing of synchronous canon lift and canon lower calls
 * (CanonicalABI.md, canon_lift / canon_lower without async): arguments and
 * results through lower_flat_values / lift_flat_values with the
 * MAX_FLAT_PARAMS / MAX_FLAT_RESULTS spill rules, the return pointer, and
 * post-return. Task, reentrance and borrow-scope bookkeeping belong to the
 * runtime around these calls (abi_handles.h for the handle part). */
#include "abi.h"

static kumi_error *oom(void) { return kb_error_oom(); }

/* The parameter types of ft, in a fresh array (at least one slot). */
static comp_vt *param_types(const abi_cx *cx, const comp_type *ft) {
  comp_vt *v = kb_alloc(cx->alloc, (ft->n + 1) * sizeof *v);
  if (v)
    for (uint32_t i = 0; i < ft->n; i++) v[i] = ft->fields[i].type;
  return v;
}

kumi_error *abi_canon_lift_call(abi_cx *cx, const comp_type *ft, const kumi_cval *args, kumi_cval *result,
                                abi_core_fn callee, abi_core_fn post_return, void *ud) {
  uint8_t ptypes[ABI_MAX_FLAT_PARAMS + 1], rtypes[2];
  uint32_t np, nr;
  abi_sigopts o = {cx->mem64, false, false, true};
  if (!abi_flatten_functype(cx->alloc, cx->ts, ft, &o, ptypes, &np, rtypes, &nr)) return oom();
  comp_vt *pt = param_types(cx, ft);
  if (!pt) return oom();
  abi_vals flat = {0};
  kumi_val results[1];
  kumi_error *e = abi_lower_flat_values(cx, ABI_MAX_FLAT_PARAMS, pt, args, ft->n, NULL, &flat);
  kb_free(cx->alloc, pt, (ft->n + 1) * sizeof *pt);
  if (!e && flat.len != np) e = kb_error(cx->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "flat argument count mismatch");
  if (!e) e = callee(ud, flat.items, flat.len, results, nr);
  kb_vec_free(cx->alloc, &flat);
  if (e) return e;
  if (cx->hooks.memory) cx->hooks.memory(cx->hooks.ud, &cx->mem, &cx->mem_size);
  if (ft->has_result) {
    abi_iter it = {results, nr, 0};
    e = abi_lift_flat_values(cx, ABI_MAX_FLAT_RESULTS, &ft->result, 1, &it, result);
  }
  if (!e && post_return) {
    e = post_return(ud, results, nr, NULL, 0);
    if (e && ft->has_result) kumi_cval_free(cx->alloc, result);
  }
  return e;
}

kumi_error *abi_canon_lower_call(abi_cx *cx, const comp_type *ft, const kumi_val *core_args, size_t nargs,
                                 abi_vals *core_results, abi_host_fn host, void *ud) {
  comp_vt *pt = param_types(cx, ft);
  kumi_cval *args = kb_alloc(cx->alloc, (ft->n + 1) * sizeof *args);
  if (!pt || !args) {
    kb_free(cx->alloc, pt, (ft->n + 1) * sizeof *pt);
    kb_free(cx->alloc, args, (ft->n + 1) * sizeof *args);
    return oom();
  }
  abi_iter it = {core_args, nargs, 0};
  kumi_error *e = abi_lift_flat_values(cx, ABI_MAX_FLAT_PARAMS, pt, ft->n, &it, args);
  kb_free(cx->alloc, pt, (ft->n + 1) * sizeof *pt);
  if (e) {
    kb_free(cx->alloc, args, (ft->n + 1) * sizeof *args);
    return e;
  }
  /* results that do not fit MAX_FLAT_RESULTS go to the return pointer, the
   * last core argument */
  uint64_t rc = ft->has_result ? abi_flat_count(cx->ts, ft->result) : 0;
  uint64_t retptr = 0;
  bool has_retptr = rc > ABI_MAX_FLAT_RESULTS;
  if (has_retptr) {
    if (it.i >= nargs) e = kb_error(cx->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "missing return pointer");
    else retptr = core_args[it.i].kind == KUMI_I64 ? (uint64_t)core_args[it.i].of.i64 : (uint32_t)core_args[it.i].of.i32;
  }
  kumi_cval result = kumi_cval_bool(false);
  if (!e) e = host(ud, args, ft->n, ft->has_result ? &result : NULL);
  for (uint32_t i = 0; i < ft->n; i++) kumi_cval_free(cx->alloc, &args[i]);
  kb_free(cx->alloc, args, (ft->n + 1) * sizeof *args);
  if (!e && ft->has_result) {
    if (cx->hooks.memory) cx->hooks.memory(cx->hooks.ud, &cx->mem, &cx->mem_size);
    e = abi_lower_flat_values(cx, ABI_MAX_FLAT_RESULTS, &ft->result, &result, 1, has_retptr ? &retptr : NULL,
                              core_results);
  }
  kumi_cval_free(cx->alloc, &result);
  return e;
}
