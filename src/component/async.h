/* Component Model async in the component runtime (Concurrency.md,
 * CanonicalABI.md): tasks of `canon lift ... async` functions, subtasks of
 * `canon lower ... async`, waitable sets, streams and futures, and the
 * async built-ins. Private to src/component.
 *
 * No core frame is ever suspended. A callback (stackless) task returns to
 * the event loop between events. Blocking (a stackful task's waits, a sync
 * lower of an async callee that has not returned, waitable-set.wait, sync
 * stream/future copies) runs a nested event loop on the C stack; it is
 * refused as "unsupported" where the spec would let a caller up the stack
 * go on meanwhile, which needs stack switching. thread.* (but yield) and
 * error contexts are "unsupported". Files: async_task.c (tasks, subtasks,
 * the event loop), async_builtin.c (task/subtask/waitable built-ins),
 * async_stream.c (streams and futures). */
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
};

/* The callee's side: one call of an async-lifted function. */
struct rt_task {
  kumi_component_func *f;
  rt_scope *inst;
  uint8_t state;          /* RT_TS_* */
  uint8_t wait;           /* after the last core call: 0 running/none, 1 YIELD, 2 WAIT */
  bool exited;            /* the callback returned EXIT */
  bool queued;            /* waiting to start (backpressure) */
  rt_wset *wset;          /* WAIT: the set */
  uint32_t context[2];
  rt_call c;              /* handle hooks and borrow scope of the callee */
  kumi_cval *args;        /* the lifted arguments until started */
  size_t nargs;
  rt_subtask *sub;        /* NULL: the host or a sync caller */
  bool has_value;         /* result holds the returned value (no subtask) */
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
};

/* The state both ends share (SharedStreamImpl / SharedFutureImpl). */
struct rt_shared {
  bool future, has_t;
  comp_vt t;
  bool dropped;
  rt_end *pend; /* the end whose buffer waits for the other side (NULL: none) */
  rt_scope *pend_inst;
};

/* A blocked wait on the C stack (comp_async_block): its condition. */
typedef struct rt_blocker {
  bool (*done)(void *);
  void *ud;
  struct rt_blocker *outer;
} rt_blocker;

typedef struct rt_async {
  rt_blocker *blocker; /* the innermost blocked wait */
  KB_VEC(rt_end *) ends;
  KB_VEC(rt_shared *) shared;
  KB_VEC(rt_task *) tasks;
  KB_VEC(rt_wset *) wsets;
  KB_VEC(rt_subtask *) subs;
  uint32_t lower_depth; /* async lowers whose synchronous part is on the C stack */
  uint32_t loop_depth;  /* event loops on the C stack */
} rt_async;

/* ---- async_task.c ---- */
rt_async *comp_async_state(kumi_component_instance *root); /* NULL on OOM */
void comp_async_free(kumi_component_instance *root);
/* A call of async-lifted f from the host (caller NULL) or a sync caller:
 * runs the event loop until the task returns. */
kumi_error *comp_async_call(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                            rt_scope *caller);
/* The core function of `canon lower ... async`. */
kumi_error *comp_async_lower(rt_lower *lw, const kumi_val *args, kumi_val *results);
/* Task.return_ (v NULL: no value) and Task.cancel (cancel true). */
kumi_error *comp_async_resolve(rt_task *t, kumi_cval *v, bool cancel);
/* Runs the event loop until done(ud) holds (blocking the running code). */
kumi_error *comp_async_block(kumi_component_instance *root, rt_scope *blocked, bool (*done)(void *), void *ud);
/* The next pending event of w (false: none); delivers a subtask's resolve. */
bool comp_async_take_event(kumi_component_instance *root, rt_wset *w, uint32_t ev[3]);
/* Lookups in s's table: NULL when index i is not of that kind. */
rt_wset *comp_async_wset_at(kumi_component_instance *root, rt_scope *s, uint32_t i);
rt_subtask *comp_async_sub_at(kumi_component_instance *root, rt_scope *s, uint32_t i);
rt_waitable *comp_async_waitable_at(kumi_component_instance *root, rt_scope *s, uint32_t i);
/* The trap for a table index that holds nothing. */
kumi_error *comp_async_unknown(kumi_component_instance *root, uint32_t i);
/* Takes x out of its waitable set, if any (async_builtin.c). */
void comp_async_wset_leave(rt_waitable *x);
/* Task.request_cancellation of the callee of sub. */
kumi_error *comp_async_request_cancel(kumi_component_instance *root, rt_subtask *sub, rt_scope *caller);

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

/* ---- async_builtin.c ---- */
/* Defines the async built-in c when it is one of those implemented
 * (*handled); otherwise leaves it to the stubs. */
kumi_error *comp_async_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c, bool *handled);

#endif
