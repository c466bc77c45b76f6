/* The host's side of Component Model async (include/kumi_async.h), shared
 * by async_host.c (host calls, the loop's embedder API), async_hstream.c
 * (host ends of streams and futures) and async_loop.c (the libuv event
 * loop). Private to src/component. */
#ifndef KUMI_COMPONENT_ASYNC_HOST_H
#define KUMI_COMPONENT_ASYNC_HOST_H

#include "async.h"

/* Where a call's completion goes while its caller waits for it on the C
 * stack (a sync call, or the synchronous part of an async lower). */
typedef struct rt_hwait {
  bool done, cancelled;
  kumi_error *err;
  bool has_value;
  kumi_cval result;
} rt_hwait;

struct kumi_async_call {
  kumi_component_instance *root;
  kumi_component_func *f; /* the host function */
  rt_scope *caller;       /* NULL: the host */
  rt_hwait *wait;         /* the waiting caller (NULL: none) */
  rt_subtask *sub;        /* an async lower's subtask once started */
  uint64_t retptr;        /* ... and where its result goes */
  void (*on_cancel)(void *ud);
  void *cancel_ud;
  bool cancel_requested;
  KB_VEC(kumi_stream *) untaken; /* argument streams not yet taken */
};

/* A host end (kumi_async.h). sh NULL: the instance is gone. */
struct kumi_stream {
  kumi_component_instance *root; /* NULL once the instance is gone */
  const kumi_allocator *a;
  rt_shared *sh;
  uint32_t token;        /* its slot + 1 in rt_hstate.slots: the handle the host sees */
  bool writable;         /* the host writes (made by kumi_stream_new) */
  bool guest_gone;       /* the guest dropped its end (closed was told) */
  bool resolved;         /* a future: the host gave its value */
  bool has_value;        /* ... which waits for the guest's read */
  bool host_dropped;     /* dropped by the host while has_value: freed once the value is read */
  kumi_cval value;
  kumi_async_call *call; /* an argument not yet taken: its call */
  bool unclaimed;        /* in the result of an export called from C, not yet taken */
  kumi_stream_ops ops;
  void *ud;
};

/* In-flight kumi_component_func_call_async calls. */
typedef struct rt_hcall_async {
  kumi_component_func *f; /* the lifted function */
  rt_task *task;
  kumi_component_done_fn done;
  void *ud;
} rt_hcall_async;

typedef struct rt_hstate {
  KB_VEC(kumi_async_call *) calls; /* pending host calls */
  KB_VEC(kumi_stream *) slots;     /* host ends by slot (NULL: dropped; see comp_hstream_at) */
  KB_VEC(uint32_t) free_slots;     /* free slots of slots, reused first */
  uint32_t gen;                    /* counts host ends made: the high bits of their tokens */
  KB_VEC(rt_hcall_async) inflight;
  kumi_async_loop *loop;           /* async_loop.c (NULL until used) */
  kumi_error *err;                 /* a host completion's failure, passed on by the loop */
  bool run_nowait;                 /* kumi_component_instance_run(block false) is waiting for the idle point */
  bool idle_seen;
} rt_hstate;

/* A host end's token is its slot + 1 in the low RT_TOKEN_BITS bits and a
 * generation above them, so a token of a dropped end whose slot was reused
 * finds nothing. */
#define RT_TOKEN_BITS 20u
/* The live host end of token tok (NULL: none). */
kumi_stream *comp_hstream_at(const rt_hstate *hs, uint32_t tok);
/* The host state of root (made on first use; NULL on OOM). */
rt_hstate *comp_hstate(kumi_component_instance *root);
/* Keeps err to pass on (the first one wins). */
void comp_hstate_fail(kumi_component_instance *root, kumi_error *err);
/* async_hstream.c: a new host end of sh for the host. */
kumi_stream *comp_hstream_new(kumi_component_instance *root, rt_shared *sh, bool writable);
/* Host ends when the instance goes (they stay allocated until dropped). */
void comp_hstream_detach_all(kumi_component_instance *root, rt_hstate *hs);
/* async_loop.c */
void comp_loop_free(kumi_async_loop *loop);

#endif
