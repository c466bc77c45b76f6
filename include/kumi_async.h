/* kumi_async.h: Component Model async from C.
 *
 * - Host functions with a call context (kumi_component_linker_define_async):
 *   they may complete after they return (an `async func` the guest lowered
 *   with `canon lower ... async` goes on meanwhile; a synchronous caller
 *   waits in the event loop), and they may create and take streams and
 *   futures.
 * - The host's ends of streams and futures (kumi_stream): the host writes
 *   to a stream whose readable end a guest holds, or reads from one whose
 *   writable end a guest holds. Copies happen when both sides are ready
 *   (the Component Model's rendezvous): the runtime tells the host end, by
 *   callback, that the guest wants to read or write, and the host copies
 *   then or later.
 * - The event loop (kumi_async_loop): one per component instance, driving
 *   the instance's tasks and waiting on the operating system (descriptors,
 *   timers) with one blocking call when no task can run. It runs whenever
 *   the host calls into the instance and the called code blocks, or when
 *   the embedder runs it (kumi_component_instance_run).
 *
 * Everything here runs on the thread that uses the store. Callbacks are
 * called from the event loop or from inside a guest's built-in call (a
 * stream.read reaching a host writer): they must not call into the guest.
 */
#ifndef KUMI_ASYNC_H
#define KUMI_ASYNC_H

#include "kumi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kumi_async_call kumi_async_call;
typedef struct kumi_stream kumi_stream;
typedef struct kumi_async_loop kumi_async_loop;
typedef struct kumi_async_watch kumi_async_watch;

/* ---- host functions with a call context ---------------------------------
 * fn is called when the guest calls the import, however it lowered it. It
 * completes the call exactly once, by kumi_async_call_return or
 * kumi_async_call_fail, either before it returns or later (from an event
 * loop callback). Returning an error from fn fails the call at once (a
 * trap, or kumi_error_new_exit) and the call must not be completed again.
 * args are valid during fn only; stream and future arguments are the
 * host's now (kumi_stream_take). */
typedef kumi_error *(*kumi_component_async_fn)(void *env, kumi_async_call *call, const kumi_cval *args,
                                               size_t nargs);

/* Like kumi_component_linker_define_func (type: a WIT function type, with
 * or without `async`, or NULL to take the import's). */
kumi_error *kumi_component_linker_define_async(kumi_component_linker *l, const char *iface, const char *name,
                                               const char *type, kumi_component_async_fn fn, void *env);

/* The store's allocator (allocate results with it) and the calling
 * instance's event loop. Valid until the call completes. */
const kumi_allocator *kumi_async_call_allocator(const kumi_async_call *call);
kumi_async_loop *kumi_async_call_loop(const kumi_async_call *call);
/* The component instance the call came from (to create streams). */
kumi_component_instance *kumi_async_call_instance(const kumi_async_call *call);
/* The store the instance lives in (for kumi_error_new and the like). */
kumi_store *kumi_async_call_store(const kumi_async_call *call);
/* Completes the call with its result, moved out of *result (NULL when the
 * function has no result). The call object is gone afterwards. */
void kumi_async_call_return(kumi_async_call *call, kumi_cval *result);
/* Completes the call with an error: the calling task traps (or exits,
 * for kumi_error_new_exit). Takes err. */
void kumi_async_call_fail(kumi_async_call *call, kumi_error *err);
/* cb runs if the guest cancels the call (subtask.cancel) before it
 * completes; the host should then complete it soon (at once from cb is
 * fine), with kumi_async_call_cancelled or a normal return. When the
 * cancellation was already requested, cb runs from this call. NULL: no
 * callback. cb also runs when the instance is freed with the call pending:
 * the call is then freed right after cb and must not be used again. */
void kumi_async_call_on_cancel(kumi_async_call *call, void (*cb)(void *ud), void *ud);
/* (added) Completes a call the guest cancelled without a result: the
 * guest's subtask is CANCELLED_BEFORE_RETURNED. A synchronous caller
 * cannot cancel: there this traps. The call object is gone afterwards. */
void kumi_async_call_cancelled(kumi_async_call *call);
/* (added) Has the guest asked to cancel the call? */
bool kumi_async_call_cancel_requested(const kumi_async_call *call);

/* ---- the host's ends of streams and futures -----------------------------
 * A host end is one end of a stream<T> or future<T> whose other end a guest
 * holds. Element types come from the function types the values cross; the
 * host sees elements as bytes (stream<u8>, list<u8>-like element types
 * only: u8/s8) or as component values (any T).
 *
 * Creating: kumi_stream_new makes a new stream (or future) and returns the
 * host's end, which is the writable one; *handle is what to put in a
 * KUMI_CV_STREAM / KUMI_CV_FUTURE value returned to the guest (the guest
 * gets the readable end). Taking: a stream or future argument the guest
 * passed (its readable end) becomes a host end with kumi_stream_take.
 *
 * The callbacks (each may be NULL):
 *  - ready(ud, s, n): the guest has a copy pending on the other end: a
 *    read of up to n elements (when the host writes) or a write of n
 *    elements (when the host reads). The host may copy at once, inside the
 *    callback, or later (from a loop callback). It is told once per guest
 *    read/write: a host that copied less than n copies the rest on its own
 *    initiative (copies return 0 once nothing is pending). A host end that
 *    was just taken (kumi_stream_take) may already have a write pending:
 *    try a read. A zero-length guest read or write (n 0) completes at the
 *    host's next copy call on that end (which returns 0). Until the guest
 *    sees a copy's result, further host copies add to the same guest
 *    buffer.
 *  - closed(ud, s): the guest dropped its end (or the instance is being
 *    freed). No more copies; the host still drops its own end.
 * A host end lives until kumi_stream_drop (also when the instance is freed
 * first: then it only frees). */
typedef struct kumi_stream_ops {
  void (*ready)(void *ud, kumi_stream *s, size_t n);
  void (*closed)(void *ud, kumi_stream *s);
} kumi_stream_ops;

/* A new stream (future false) or future (future true) of inst; returns the
 * host's writable end and sets *handle, or NULL on OOM. ops is copied.
 * The element type is that of the first place the handle is passed in
 * (the result of a host function called by a guest of inst, or an
 * argument of an export of inst the host calls); the handle is good for
 * one such pass. */
kumi_stream *kumi_stream_new(kumi_component_instance *inst, bool future, const kumi_stream_ops *ops, void *ud,
                             uint32_t *handle);
/* The host's end for a stream or future handle the guest passed in the
 * arguments of call (the readable end); NULL if handle is not one. Those
 * not taken when the call completes are dropped. A taken end outlives
 * the call. */
kumi_stream *kumi_stream_take(kumi_async_call *call, uint32_t handle, const kumi_stream_ops *ops, void *ud);

/* (added) The host's end for a stream or future handle in the result of
 * an export the host called (kumi_component_func_call, or the result
 * kumi_component_func_call_async gives done): the readable end; NULL if
 * handle is not one. Those never taken are dropped when the instance is
 * freed. */
kumi_stream *kumi_stream_take_result(kumi_component_instance *inst, uint32_t handle, const kumi_stream_ops *ops,
                                     void *ud);

/* Host writes: copy into the guest's pending read. Return how many
 * elements were copied (0 when no read is pending, or the guest closed).
 * kumi_stream_write_vals moves the values it copied out of vals. A copy
 * completes the guest's read (it sees the count now, or as an event).
 * A value that does not fit the element type traps the guest (later, in
 * the loop). Streams only: a future's value goes by kumi_future_resolve. */
size_t kumi_stream_write_bytes(kumi_stream *s, const uint8_t *data, size_t n);
size_t kumi_stream_write_vals(kumi_stream *s, kumi_cval *vals, size_t n);
/* Host reads: copy out of the guest's pending write. Return the count
 * copied (0 when no write is pending, or the guest closed);
 * kumi_stream_read_vals allocates with the store's allocator (for an
 * element-less stream or future it writes nothing to out). It also reads
 * a future's value (max 1). */
size_t kumi_stream_read_bytes(kumi_stream *s, uint8_t *out, size_t max);
size_t kumi_stream_read_vals(kumi_stream *s, kumi_cval *out, size_t max);
/* (added) How many elements the guest's pending copy on s can still take
 * (the host writes) or still offers (the host reads); 0 when none is
 * pending (or the guest closed). */
size_t kumi_stream_pending(const kumi_stream *s);
/* (added) Zero-copy byte copies (u8/s8 streams): the guest's memory for
 * its pending copy: where the host may write (writable s) or read from,
 * *n bytes long; NULL when no copy is pending. Valid until the next call
 * into the runtime or the guest. kumi_stream_bytes_commit then says how
 * many of those bytes the host wrote or read (0 < k <= *n): the same as a
 * kumi_stream_write_bytes / kumi_stream_read_bytes of k, without the copy.
 * E.g. read(fd, p, n) straight into a guest's stream.read buffer. */
uint8_t *kumi_stream_bytes_begin(kumi_stream *s, size_t *n);
void kumi_stream_bytes_commit(kumi_stream *s, size_t k);
/* A future's value: the runtime keeps it until the guest reads it (or
 * drops its end). Takes *v. Once per future. */
void kumi_future_resolve(kumi_stream *s, kumi_cval *v);
/* Is the guest's end still there? */
bool kumi_stream_open(const kumi_stream *s);
/* Drops the host's end (the guest then sees the stream closed; a future
 * dropped before it is resolved: a read the guest has pending sees
 * DROPPED, a later read traps). Frees s. A handle of kumi_stream_new not
 * yet passed to the guest stays good for its one pass (the guest then
 * finds the end dropped). */
void kumi_stream_drop(kumi_stream *s);

/* ---- the event loop ------------------------------------------------------- */
typedef void (*kumi_async_cb)(void *ud);

/* The instance's loop (created on first use; NULL on OOM). */
kumi_async_loop *kumi_component_instance_loop(kumi_component_instance *inst);
/* cb runs once from the loop when fd is readable (writable false) or
 * writable; then the watch is gone. NULL on OOM or a bad descriptor. */
kumi_async_watch *kumi_async_watch_fd(kumi_async_loop *loop, int fd, bool writable, kumi_async_cb cb, void *ud);
/* cb runs once from the loop after ns nanoseconds (monotonic). */
kumi_async_watch *kumi_async_timer(kumi_async_loop *loop, uint64_t ns, kumi_async_cb cb, void *ud);
/* Cancels a watch whose callback has not run; frees it. Freeing the
 * instance frees its loop and every watch (their callbacks never run).
 * A regular file (which the OS cannot watch) is ready at once. */
void kumi_async_watch_cancel(kumi_async_watch *w);

/* ---- calling async exports from C ---------------------------------------
 * kumi_component_func_call also works on an async export: it runs the loop
 * until the call returns. To have several calls in flight, start them
 * with kumi_component_func_call_async and run the loop. */
typedef void (*kumi_component_done_fn)(void *ud, kumi_error *err, kumi_cval *result);
/* Starts a call; done runs (from the loop, or before this returns) with
 * the result or an error, both then owned by done (kumi_cval_free,
 * kumi_error_free); result is NULL when there is none. When this returns
 * an error, done does not run. Freeing the instance runs the done of the
 * calls still in flight with an error. */
kumi_error *kumi_component_func_call_async(kumi_store *store, kumi_component_func *f, const kumi_cval *args,
                                           size_t nargs, kumi_component_done_fn done, void *ud);
/* Runs inst's event loop until no call started with
 * kumi_component_func_call_async is in flight (block true) or until nothing
 * can run without waiting (block false). A trap in a task is returned. */
kumi_error *kumi_component_instance_run(kumi_store *store, kumi_component_instance *inst, bool block);

#ifdef __cplusplus
}
#endif
#endif
