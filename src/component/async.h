/* Component Model async in the component runtime (Concurrency.md,
 * CanonicalABI.md): tasks of async-typed functions, subtasks of
 * `canon lower ... async`, threads (a task's implicit thread and those of
 * thread.new-indirect), waitable sets, streams and futures, and the async
 * built-ins. Private to src/component.
 *
 * Suspension: every thread of an async-typed task, and every thread made
 * by thread.new-indirect, runs on its own native stack (a fiber,
 * src/base/kb_fiber.h) with its own interpreter stacks (core_exec_swap).
 * A thread that waits (waitable-set.wait, thread.suspend/yield, a sync
 * lower of a callee that has not returned, sync stream/future copies,
 * backpressure, a callback's YIELD/WAIT) switches back to whoever resumed
 * it, so the caller up the stack goes on: an async lower gets its subtask,
 * the event loop (on the host's stack) resumes another ready thread. A
 * sync-typed task's implicit thread runs on its caller's stack (it cannot
 * block before returning): when it waits, it runs a nested loop there that
 * resumes only the other threads of its instance that may use the stack,
 * and traps when none can run. Code on the host's stack (the host waiting
 * for an async export) runs the event loop there. Both loops wait on the
 * OS (comp_async_os_wait) at their idle point, when no thread can run.
 * An async-typed function lifted synchronously also runs as a task on a
 * fiber (it may block; async lowers of it get a subtask).
 *
 * This deviates from DESIGN.md (suspension without native fibers): calls
 * between components nest in C (a lowered import is C code that calls
 * core_invoke on the callee), so a suspended task keeps C frames and only
 * native stack switching can set them aside. Threads are capped
 * (RT_MAX_THREADS: "too many threads"); idle fibers are pooled; threads
 * still suspended when the instance is freed are resumed with an error so
 * that their C frames unwind, then their stacks are freed.
 *
 * Lifetimes (a long-running program must not grow): a task is freed once
 * resolved with none of its threads left (a host or sync caller first takes
 * its value); a subtask once resolved, delivered and dropped (at once when
 * it returned before the lower did: no handle); a waitable set when
 * dropped; a stream or future end once its handle is dropped or moved
 * (unless it is still its shared state's pending partner); a shared state
 * once no guest end and no host end refers to it (rt_shared.nrefs). Their slots (handle reps) are reused: guest handles are table
 * entries, so a use after drop still traps.
 *
 * Files: async_thread.c (threads, fibers, the event loop, the thread.*
 * built-ins), async_task.c (tasks, subtasks, lift/lower), async_builtin.c
 * (task/subtask/waitable built-ins), async_stream.c (streams, futures). */
#ifndef KUMI_COMPONENT_ASYNC_H
#define KUMI_COMPONENT_ASYNC_H

#include "inst_rt.h"

/* Subtask.State and EventCode of CanonicalABI.md. */
enum { RT_SUB_STARTING = 0, RT_SUB_STARTED = 1, RT_SUB_RETURNED = 2, RT_SUB_CANCELLED_BEFORE_STARTED = 3,
       RT_SUB_CANCELLED_BEFORE_RETURNED = 4 };
enum { RT_EV_NONE = 0, RT_EV_SUBTASK = 1, RT_EV_TASK_CANCELLED = 6 };
/* Task.State */
enum { RT_TS_INITIAL, RT_TS_STARTED, RT_TS_PENDING_CANCEL, RT_TS_CANCEL_DELIVERED, RT_TS_RESOLVED };
/* Handle table kinds (abi_table rids no resource type uses). */
#define RT_RID_WSET 0xfffffff0u
#define RT_RID_SUBTASK 0xfffffff1u
#define RT_RID_END 0xfffffff2u

/* CopyState and CopyResult */
enum { RT_CS_IDLE, RT_CS_COPYING, RT_CS_CANCELLING, RT_CS_DONE };
enum { RT_COPY_COMPLETED = 0, RT_COPY_DROPPED = 1, RT_COPY_CANCELLED = 2 };

typedef struct rt_wset rt_wset;
typedef struct rt_subtask rt_subtask;
typedef struct rt_task rt_task;
typedef struct rt_end rt_end;
typedef struct rt_shared rt_shared;

enum { RT_W_SUBTASK, RT_W_END };
/* What subtasks and stream/future ends share (Waitable). */
typedef struct rt_waitable {
  uint8_t kind;     /* RT_W_* */
  rt_wset *wset;
  bool pending;     /* an event is pending */
  bool sync_waiter; /* waited on synchronously */
  uint32_t handle;  /* in the owner's table (0: none) */
} rt_waitable;

/* A waitable set: its elements in join order. */
struct rt_wset {
  KB_VEC(rt_waitable *) elems;
  uint32_t num_waiting;
};

/* The caller's side of an async-lowered call. */
struct rt_subtask {
  rt_waitable w;          /* first: a subtask is a waitable */
  bool resolve_delivered; /* the resolving event (or RETURNED) reached the caller */
  bool cancellation_requested;
  uint8_t state;          /* RT_SUB_* */
  rt_task *task;
  const rt_lower *lw;     /* the caller's lower: memory, realloc, encoding, owner */
  uint64_t retptr;        /* where results are stored (when the function has one) */
  abi_lends lends;        /* handles lent for borrow arguments */
  struct kumi_async_call *hcall; /* a host callee: its call until it completes (task is NULL; async_host.c) */
};

/* The callee's side: one call of an async-typed function. */
struct rt_task {
  kumi_component_func *f;
  rt_scope *inst;
  uint8_t state;          /* RT_TS_* */
  bool exclusive;         /* needs_exclusive: a callback or sync lift */
  struct rt_thread *implicit; /* its implicit thread while it lives */
  uint32_t nthreads;      /* threads registered (implicit and new-indirect) */
  rt_call c;              /* handle hooks and borrow scope of the callee */
  kumi_cval *args;        /* the lifted arguments until started */
  size_t nargs;
  rt_subtask *sub;        /* NULL: the host or a sync caller */
  bool has_value;         /* result holds the returned value (no subtask) */
  bool detached;          /* its caller is done with it: freed when its last thread ends */
  uint32_t slot;          /* in rt_async.tasks */
  kumi_cval result;
};

/* A guest buffer of a stream or future copy (BufferGuestImpl). */
typedef struct rt_buf {
  kumi_memory *mem;
  kumi_func *realloc;
  uint8_t enc;
  rt_scope *owner;
  uint64_t ptr;
  uint32_t progress, length;
} rt_buf;

/* One end of a stream or future (CopyEnd). */
struct rt_end {
  rt_waitable w; /* first: an end is a waitable */
  bool future, writable;
  uint8_t state; /* RT_CS_* */
  rt_shared *sh;
  rt_buf buf;         /* the copy in progress */
  uint8_t ev_result;  /* the pending event's CopyResult */
  bool ev_reclaim;    /* ... and whether delivering it reclaims the buffer */
  bool dead;          /* a free slot of rt_async.ends (reused by the next end) */
  uint32_t slot;      /* in rt_async.ends: its handles' rep */
  uint32_t next_free; /* dead: the next free slot + 1 (0: none) */
};

/* The state both ends share (SharedStreamImpl / SharedFutureImpl). */
struct rt_shared {
  bool future, has_t;
  comp_vt t;
  bool dropped;
  rt_end *pend; /* the end whose buffer waits for the other side (NULL: none) */
  rt_scope *pend_inst;
  struct kumi_stream *host; /* the host's end, when the host holds one (async_host.c); never pend */
  bool untyped;             /* made by the host: t is set when it first crosses to a guest */
  bool given;               /* made by the host: its readable end went to a guest */
  bool host_lost;           /* the host dropped a future's writable end unwritten: a new read traps */
  uint32_t nrefs;           /* live guest ends and host ends (kumi_stream.sh) of it: free at 0 */
  bool dead;                /* a free slot of rt_async.shared */
  uint32_t slot, next_free; /* in rt_async.shared; dead: the next free slot + 1 (0: none) */
};

/* Thread states (CanonicalABI.md Thread): running, suspended (resumed only
 * by a thread.* built-in), waiting (resumed by the loop once ready(ud)). */
enum { RT_TH_RUNNING, RT_TH_SUSPENDED, RT_TH_WAITING, RT_TH_DONE };

/* A native stack for threads: a fiber and its interpreter stacks. */
typedef struct rt_stack {
  struct kb_fiber *fiber;
  core_exec_thread exec;
} rt_stack;

typedef struct rt_thread rt_thread;
struct rt_thread {
  kumi_component_instance *root;
  rt_task *task;        /* NULL: a thread of a sync-typed task */
  rt_thread *sync_impl; /* task NULL: the implicit thread of its sync task while that runs */
  rt_scope *inst;
  bool fibered;         /* runs on a fiber of its own (else on its caller's stack: a sync task's implicit thread) */
  rt_stack *stk;        /* fibered: its stack once it first ran */
  struct kb_fiber_ctx *back; /* stk: the context that resumed it */
  uint8_t state;        /* RT_TH_* */
  uint8_t kind;         /* rt_scope.cur_kind while it runs */
  bool (*ready)(void *);
  void *ready_ud;
  bool cancellable, cancelled; /* how it blocked; what the resume said */
  bool wake;            /* no stk: resumed (its nested loop returns) */
  bool abort;           /* the instance is being freed: waits fail */
  bool implicit;        /* its task's implicit thread */
  bool started;         /* stk: its body has begun */
  rt_thread *switch_to; /* blocked with a thread to resume in its place */
  uint32_t id;          /* slot in rt_async.threads */
  uint32_t index;       /* in its instance's threads table */
  uint32_t context[2];  /* context.get/set storage */
  uint64_t seq;         /* waiting: when it began to (rt_async.seq) */
  kumi_func *fn;        /* thread.new-indirect: the function and its closure */
  kumi_val arg;
  kumi_error *err;      /* stk: the error its body ended with */
};

typedef struct rt_async {
  KB_VEC(rt_end *) ends;        /* by handle rep; dead ones are free slots, kept for reuse */
  KB_VEC(rt_shared *) shared;   /* dead ones are free slots, kept for reuse */
  uint32_t free_end, free_shared; /* the first free slot + 1 of each (0: none) */
  KB_VEC(rt_task *) tasks;
  KB_VEC(rt_wset *) wsets;     /* by handle rep (NULL: a free slot) */
  KB_VEC(rt_subtask *) subs;    /* by handle rep (NULL: a free slot) */
  KB_VEC(uint32_t) free_subs;   /* free slots of subs and wsets, reused first */
  KB_VEC(uint32_t) free_wsets;
  KB_VEC(rt_thread *) threads; /* live threads by id (NULL: a free slot) */
  KB_VEC(uint32_t) free_ids;
  uint32_t nfibers;             /* threads with a stack */
  KB_VEC(rt_stack *) pool;      /* idle stacks */
  uint64_t seq;                 /* counts threads beginning to wait */
  struct kb_fiber_ctx *native;  /* the host's stack, when a loop there resumes a fiber */
  struct kb_fiber_ctx *cur_ctx; /* the fiber running now (NULL: not on a fiber of this instance) */
  struct rt_hstate *host; /* host ends, host calls, the OS event loop (async_host.c, async_loop.c) */
} rt_async;

/* ---- async_task.c ---- */
rt_async *comp_async_state(kumi_component_instance *root); /* NULL on OOM */
void comp_async_free(kumi_component_instance *root);
/* A call of async-lifted f from the host (caller NULL) or a sync caller:
 * runs the event loop until the task returns. */
kumi_error *comp_async_call(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                            rt_scope *caller);
/* The host or sync caller of resolved task t has taken its value: t is
 * freed now, or once its last thread ends. t must not be used after. */
void comp_async_task_done(kumi_component_instance *root, rt_task *t);
/* The core function of `canon lower ... async`. */
kumi_error *comp_async_lower(rt_lower *lw, const kumi_val *args, kumi_val *results);
/* Task.return_ (v NULL: no value) and Task.cancel (cancel true). */
kumi_error *comp_async_resolve(rt_task *t, kumi_cval *v, bool cancel);
/* Waits until done(ud) holds: the running thread of instance blocked
 * waits (Thread.wait_until; a thread on a fiber switches out, a sync
 * task's thread runs a nested loop); blocked NULL: the host waits, running
 * the event loop on its stack. THE way any code waits. */
kumi_error *comp_async_block(kumi_component_instance *root, rt_scope *blocked, bool (*done)(void *), void *ud);
/* The body of a task's implicit thread (on its fiber): backpressure, the
 * core call(s), the callback loop. */
kumi_error *comp_async_task_main(kumi_component_instance *root, rt_thread *th);
/* The next pending event of w (false: none); delivers a subtask's resolve. */
bool comp_async_take_event(kumi_component_instance *root, rt_wset *w, uint32_t ev[3]);
/* Lookups in s's table: NULL when index i is not of that kind. */
rt_wset *comp_async_wset_at(kumi_component_instance *root, rt_scope *s, uint32_t i);
rt_subtask *comp_async_sub_at(kumi_component_instance *root, rt_scope *s, uint32_t i);
rt_waitable *comp_async_waitable_at(kumi_component_instance *root, rt_scope *s, uint32_t i);
/* The trap for a table index that holds nothing. */
kumi_error *comp_async_unknown(kumi_component_instance *root, uint32_t i);
/* A slot of as->subs (as->wsets when wset) for x: a free one, or a new one
 * at the end. */
kumi_error *comp_async_slot_put(kumi_component_instance *root, bool wset, void *x, uint32_t *slot);
/* Frees sub, at slot of as->subs (resolved and delivered; its handle, if
 * it had one, dropped; no host call pending): its task, if still there,
 * forgets it. */
void comp_async_sub_release(kumi_component_instance *root, rt_subtask *sub, uint32_t slot);
/* Takes x out of its waitable set, if any (async_builtin.c). */
void comp_async_wset_leave(rt_waitable *x);
/* Task.request_cancellation of the callee of sub. */
kumi_error *comp_async_request_cancel(kumi_component_instance *root, rt_subtask *sub, rt_scope *caller);

/* ---- async_thread.c ---- */
/* A new suspended thread of task (NULL: of the sync task running in inst)
 * in inst's threads table; with a fiber when stack (else it runs on its
 * caller's stack). */
kumi_error *comp_thread_new(kumi_component_instance *root, rt_scope *inst, rt_task *task, bool stack, rt_thread **out);
/* Thread.resume: runs th (and the threads it switches to) until they block
 * or end; the error a thread ended with is passed on. */
kumi_error *comp_thread_resume(kumi_component_instance *root, rt_thread *th, bool cancelled);
/* The thread whose code runs in s (a sync task's is made on first use). */
kumi_error *comp_thread_current(kumi_component_instance *root, rt_scope *s, rt_thread **out);
/* Thread.wait_until for the running thread of s (NULL: the host):
 * *cancelled (when cancellable) says a cancellation came instead. */
kumi_error *comp_async_wait(kumi_component_instance *root, rt_scope *s, bool (*done)(void *), void *ud,
                            bool cancellable, bool *cancelled);
/* The same, but waiting even when done(ud) holds already (a yield). */
kumi_error *comp_async_yield(kumi_component_instance *root, rt_scope *s, bool (*done)(void *), void *ud,
                             bool cancellable, bool *cancelled);
/* A thread of t that is blocked cancellably and may get a cancellation now
 * (Task.request_cancellation's candidates), or NULL. */
rt_thread *comp_async_cancel_candidate(kumi_component_instance *root, rt_task *t);
/* The sync-lift part of a call of f (inst_call.c): th is the task's thread
 * when f is async-typed and runs as a task (NULL: a sync-typed call, the
 * instance already entered by the caller). */
kumi_error *comp_rt_lift_body(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                              rt_thread *th);
/* May the running thread of s block (its task is async-typed, or another
 * thread of s could run meanwhile)? */
bool comp_async_may_block(kumi_component_instance *root, rt_scope *s);
/* A sync-typed call into s ends: its implicit thread, if one was made, is
 * gone; saved (what cur_thread was before the call) comes back. */
void comp_async_sync_leave(kumi_component_instance *root, rt_scope *s, rt_thread *saved);
/* The thread.* built-ins (0x26..0x2d) and thread.yield: *handled when c is one. */
kumi_error *comp_async_thread_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c, bool *handled);
/* Frees every thread (those still suspended are unwound first) and stack. */
void comp_async_threads_free(kumi_component_instance *root);
/* Frees t (a detached task none of whose threads is left). */
void comp_async_task_release(kumi_component_instance *root, rt_task *t);
/* Unregisters th from its task at its end: the error when it was the
 * task's last thread and the task never resolved. */
kumi_error *comp_async_thread_exit(kumi_component_instance *root, rt_thread *th);

/* ---- async_stream.c ---- */
/* The event of a stream or future end (its pending event is taken). */
void comp_async_end_event(rt_end *e, uint32_t ev[3]);
/* The stream/future built-ins (0x0e..0x1b): *handled when c is one. */
kumi_error *comp_async_stream_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c, bool *handled);
/* Moves the streams and futures inside v (a value of a function's
 * parameters or result) from one instance to another: each readable end
 * is taken out of from's table (lift_async_value) and a new one added to
 * to's (lower_stream / lower_future). Either NULL (the host): unsupported. */
kumi_error *comp_async_xfer(kumi_component_instance *root, kumi_cval *v, size_t n, rt_scope *from, rt_scope *to);
/* Does the function type pass streams or futures? */
bool comp_async_type_has_stream(const comp_types *ts, const comp_type *ft);
/* [helper J, session 3] The abi_fuse_ends hooks (abi_fuse.h) of a fused
 * call inside root (ud: the kumi_component_instance *; src and dst made by
 * comp_rt_cx_init): check is lift_async_value's checks of a readable end
 * of src's table, move takes it out and adds a new one to dst's table, as
 * comp_async_xfer does on the value path. */
kumi_error *comp_async_fuse_check_end(void *ud, abi_cx *src, const comp_type *t, uint32_t index);
kumi_error *comp_async_fuse_move_end(void *ud, abi_cx *src, abi_cx *dst, const comp_type *t, uint32_t index,
                                     uint32_t *out);

/* An end of a stream or future in s's table (NULL: not one). */
rt_end *comp_async_end_at(kumi_component_instance *root, rt_scope *s, uint32_t i);
/* lift_async_value's checks of handle i of from's table passed as a
 * stream (future false) or future; t (NULL: unchecked) is the stream or
 * future type it is passed as. Sets *out to the end. */
kumi_error *comp_async_lift_check(kumi_component_instance *root, rt_scope *from, bool future, const comp_type *t,
                                  uint32_t i, rt_end **out);
/* A new end of sh in s's table at *index. */
kumi_error *comp_async_end_new(kumi_component_instance *root, rt_scope *s, rt_shared *sh, bool writable,
                               uint32_t *index);
/* CopyEnd.notify of a stream or future end: an event with that result. */
void comp_async_end_notify(rt_end *e, uint8_t result, bool reclaim);
/* The shared state loses one end (the other end sees DROPPED). */
void comp_async_shared_drop(rt_shared *sh);
/* A new shared state (nrefs 0: each end made of it counts; one left
 * without any is given back with comp_async_shared_unref(root, sh, 0)). */
rt_shared *comp_async_shared_new(kumi_component_instance *root);
/* sh loses k references (an end or host end gone; 0: none, just checks):
 * at none left its slot is free for reuse. */
void comp_async_shared_unref(kumi_component_instance *root, rt_shared *sh, uint32_t k);
/* Guest end e has left its table (dropped, or moved as a new end): its
 * slot is free for reuse, unless a copy still refers to it (it is its
 * shared state's pending partner: it then stays until the instance goes). */
void comp_async_end_release(kumi_component_instance *root, rt_end *e);

/* ---- async_host.c, async_hstream.c, async_loop.c: the host's side (kumi_async.h) ---- */
/* Frees the host's state of root (pending host calls, host ends are
 * detached, the event loop). Called first by kumi_component_instance_free. */
void comp_async_host_free(kumi_component_instance *root);
/* A call of host function f (f->host->afn set) from caller (NULL: the
 * host): runs fn, then waits in the event loop (comp_async_block) until the
 * host completes the call. */
kumi_error *comp_async_host_call(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                                 rt_scope *caller);
/* `canon lower ... async` of host function f: cv (ft->n + 1 slots, lifted
 * arguments) and lends are taken. Sets results[0] to RETURNED or a STARTED
 * subtask. */
kumi_error *comp_async_host_lower(rt_lower *lw, kumi_component_func *f, kumi_cval *cv, uint64_t retptr,
                                  abi_lends *lends, kumi_val *results);
/* subtask.cancel of a host callee (sub->hcall). */
kumi_error *comp_async_host_cancel(kumi_component_instance *root, rt_subtask *sub);
/* Moves the streams and futures of the parameters (result false: v[0..n)
 * of ft's parameters) or the result (v[0]) between guest and host: to_host
 * takes each readable end out of guest's table for the host (the host sees
 * a token for kumi_stream_take of call); otherwise a host-made stream's
 * token becomes a readable end in guest's table. Types are checked. */
kumi_error *comp_async_host_xfer(kumi_component_instance *root, const comp_type *ft, bool result, kumi_cval *v,
                                 size_t n, rt_scope *guest, bool to_host, struct kumi_async_call *call);
/* Does value type v contain a stream or future? */
bool comp_async_vt_has_stream(const comp_types *ts, comp_vt v);
/* Starts a task of async-lifted f called from the host without waiting for
 * it (kumi_component_func_call_async): *out resolves later in the loop. */
kumi_error *comp_async_start(kumi_component_func *f, const kumi_cval *args, size_t nargs, rt_task **out);
/* The guest started a copy on sh (sh->host set): tells the host (ready). */
kumi_error *comp_async_host_ready(kumi_component_instance *root, rt_shared *sh);
/* The guest dropped its end of sh (sh->host set): tells the host (closed). */
void comp_async_host_closed(rt_shared *sh);
/* The event loop's idle point: nothing can run. Waits on the OS once
 * (block: one blocking uv_run; else polls) and returns true when anything
 * is watched (the loop should go on); false when nothing is (a deadlock,
 * unless something else can run). *err receives an error a host
 * completion left (a result that failed to lower) to pass on. */
bool comp_async_os_wait(kumi_component_instance *root, bool block, kumi_error **err);

/* ---- async_builtin.c ---- */
/* Defines the async built-in c when it is one of those implemented
 * (*handled); otherwise leaves it to the stubs. */
kumi_error *comp_async_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c, bool *handled);

/* ---- async_errctx.c ---- */
/* The error-context built-ins (0x1c..0x1e): *handled when c is one. */
kumi_error *comp_async_errctx_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c, bool *handled);

#endif
