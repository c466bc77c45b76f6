/* Fused component-to-component calls (kumi issue 7): a synchronous call from
 * a canon-lowered import of instance A into a canon-lifted export of
 * instance B, with the arguments copied straight from A's core values and
 * memory into B's, and the result straight back, walking the function type
 * without building kumi_cval trees.
 *
 * The semantics are those of abi_canon_lower_call (A) around
 * abi_canon_lift_call (B): the same checks with the same traps and messages,
 * in the same order, the same hook calls, and the same values delivered.
 * Each direction runs in two passes over the value:
 *   1. check: every check of the lift side on the source (bounds, alignment,
 *      string encoding, char, discriminants, length limits) and the lifting
 *      of handles through the source's lift_handle hook, in lift order;
 *   2. copy: the lower side into the destination (its realloc, in the order
 *      lower/store calls it, and its lower_handle hook), reading the source
 *      again. Strings go from memory to memory with abi_store_string_from
 *      (transcoding when the encodings differ); lists of padding-free
 *      integer layouts are one memmove.
 * So nothing reaches the callee (its realloc included) before the whole
 * argument list passed the lift checks, as in the cval path.
 *
 * Differences from the cval path, all in the order of observable effects
 * of guest code, none in the values or the traps of a single failure:
 *   - strings are stored from their source encoding (CanonicalABI.md
 *     store_string with the caller's src_encoding), not from a UTF-8 copy, so
 *     when the source is UTF-16 or Latin-1 the destination realloc sees the
 *     spec's sequence of sizes for that pair; the stored string is the same;
 *   - as in the spec (canon_lift: task.return_ before post-return), the
 *     result is lowered into A (A's realloc runs) before B's post-return,
 *     and the `returned` callback (the borrow-scope check) runs before both;
 *     abi_canon_lift_call runs post-return first. When two things would
 *     fail in one call, the first in this order is reported.
 *   - the memories of A and B must be distinct: when one is B's realloc's
 *     to write, the source is read after it ran (never out of bounds: all
 *     reads are re-checked after every realloc).
 *
 * Streams and futures: their handles cross through the abi_fuse_ends
 * hooks of abi_fuse_call_ends (the runtime moves the readable end from the
 * source's table to the destination's); abi_fuse_call, which has none,
 * refuses a call whose types pass any.
 *
 * Sync only (no async, no callback): like abi_canon_lift_call. */
#ifndef KUMI_COMPONENT_ABI_FUSE_H
#define KUMI_COMPONENT_ABI_FUSE_H

#include "abi.h"

/* The callee side of a fused call. ud is passed to each callback.
 *   enter       (may be NULL) called once A's arguments passed every check
 *               and the return pointer was found, before anything touches B
 *               (B's realloc included): the runtime's entering checks and
 *               task setup (inst.c call_func: enter_set, context save). If
 *               it fails the call returns its error and nothing else runs.
 *   call        B's core function: the flat arguments (in B's core types;
 *               one pointer when spilled), nresults (0 or 1) results.
 *   returned    (may be NULL) after B's results passed the lift checks
 *               (handles lifted out of B), before they are lowered into A:
 *               Task.return_'s borrow check (abi_scope_end over B's table).
 *   post_return (may be NULL) B's post-return, with B's core results, last.
 *   leave       (may be NULL) called exactly once, as the very last thing,
 *               when the call got past enter (enter NULL or successful),
 *               success or not: undo what enter did (enter_set false,
 *               context restore). Not called when the argument checks or
 *               enter failed.
 */
typedef struct abi_fuse_callee {
  kumi_error *(*enter)(void *ud);
  abi_core_fn call;
  kumi_error *(*returned)(void *ud);
  abi_core_fn post_return;
  void (*leave)(void *ud);
  void *ud;
} abi_fuse_callee;

/* Whether a fused call between caller type fa (in store tsa) and callee type
 * fb (in tsb) is possible: the same shape at every node (primitive kinds,
 * defined kinds, field/case/label counts, case payload presence, fixed
 * lengths; names and resource identities are not compared, as the cval
 * path ignores them). Cheap when tsa == tsb and the types are canonically
 * equal. A runtime may call it once at link time; abi_fuse_call checks it
 * itself. */
bool abi_fuse_compatible(const comp_types *tsa, const comp_type *fa, const comp_types *tsb, const comp_type *fb);

/* One synchronous call from A to B.
 *   caller    A's context: A's memory, realloc, string encoding, mem64 and
 *             handle hooks, as cx_init builds it for canon lower (lift_handle
 *             takes handles out of A's table, lending borrows into A's
 *             lends). mem/mem_size current on entry.
 *   callee    B's context, as for canon lift (lower_handle puts handles into
 *             B's table, borrows into B's scope).
 *   caller_ft, callee_ft: the CT_FUNC of the canon lower in A and of the
 *             canon lift in B (in caller->ts and callee->ts); they must be
 *             abi_fuse_compatible, else a KUMI_ERR_ARG error ("unsupported:
 *             ...") and nothing happened: fall back to the cval path.
 *   args, nargs: A's core arguments, as the lowered core function received
 *             them (the flattened parameters or one pointer to them, then
 *             the return pointer when the result has more than one flat
 *             value).
 *   results, nresults: A's core results: nresults must be the lowered core
 *             function's result count (1 when the result flattens to one
 *             value, else 0), else KUMI_ERR_ARG before anything happens;
 *             results may be NULL when nresults is 0.
 *   fns       the callee side, above.
 * Returns NULL on success with results[0..nresults) filled. Errors: the
 * traps (KUMI_ERR_TRAP) and argument errors (KUMI_ERR_ARG) of
 * abi_canon_lower_call and abi_canon_lift_call, errors from the callbacks
 * and hooks as they come, OOM. Nothing stays allocated in either case.
 * Wiring in inst.c's lower_entry for a callee that is a lifted component
 * function: build A's rt_call/abi_cx as now, B's as call_func does (after
 * following f->target), and pass enter/leave doing call_func's enter_set
 * and context save/restore, returned doing abi_scope_end(B's table, scope),
 * call = core_callee, post_return = core_post_return (or NULL); afterwards
 * release A's lends and free B's lends as now. A call whose types pass
 * streams or futures needs abi_fuse_call_ends (below). */
kumi_error *abi_fuse_call(abi_cx *caller, abi_cx *callee, const comp_type *caller_ft, const comp_type *callee_ft,
                          const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults,
                          const abi_fuse_callee *fns);

/* How stream and future handles cross a fused call (CanonicalABI.md
 * lift_async_value, then lower_stream / lower_future). src is the side a
 * value is lifted from (A for the arguments, B for the result), dst the
 * side it is lowered into; t is the stream or future type at that place
 * (check: in src's types; move: in dst's).
 *   check  pass 1, for each stream or future handle index of src, in lift
 *          order: the checks of lifting it (kind, element type, state,
 *          waitable set); nothing moves, so a failed call leaves src's
 *          table as it was when every failure is in pass 1.
 *   move   pass 2, in the same order (after enter): takes the end out of
 *          src's table (checking again: a handle passed twice fails here)
 *          and puts a new readable end into dst's: *out, what dst sees.
 * Both are required. */
typedef struct abi_fuse_ends {
  kumi_error *(*check)(void *ud, abi_cx *src, const comp_type *t, uint32_t index);
  kumi_error *(*move)(void *ud, abi_cx *src, abi_cx *dst, const comp_type *t, uint32_t index, uint32_t *out);
  void *ud;
} abi_fuse_ends;

/* abi_fuse_call with stream and future handles passed through ends (NULL:
 * as abi_fuse_call, which refuses a call whose types pass any with a
 * KUMI_ERR_ARG "unsupported: ..." error before anything happens). */
kumi_error *abi_fuse_call_ends(abi_cx *caller, abi_cx *callee, const comp_type *caller_ft,
                               const comp_type *callee_ft, const kumi_val *args, size_t nargs, kumi_val *results,
                               size_t nresults, const abi_fuse_callee *fns, const abi_fuse_ends *ends);

/* Does a value of function type ft (in ts) carry a stream or future? */
bool abi_fuse_has_ends(const comp_types *ts, const comp_type *ft);

#endif
