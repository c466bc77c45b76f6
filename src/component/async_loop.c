/* The event loop of a component instance (include/kumi_async.h,
 * async_host.h): a libuv loop holding the host's watches (descriptors,
 * timers). The runtime's event loop (comp_async_block in async_task.c)
 * calls comp_async_os_wait at its idle point, when no task can run: one
 * blocking uv_run(UV_RUN_ONCE) if anything is watched, so the process
 * sleeps in the kernel until a descriptor or timer fires; never a spin.
 * A watch fires once, then is closed and freed by libuv's close callback. */
#define _XOPEN_SOURCE 700 /* libuv's headers use POSIX types (pthread_rwlock_t) */
#include "async_host.h"

#include <uv.h>

struct kumi_async_watch {
  union {
    uv_handle_t h;
    uv_poll_t poll;
    uv_timer_t timer;
  } u;
  kumi_async_loop *loop;
  kumi_async_cb cb;
  void *ud;
  kumi_async_watch *prev, *next; /* every watch not yet freed */
  bool closing;
};

struct kumi_async_loop {
  uv_loop_t uv;
  const kumi_allocator *a;
  kumi_async_watch *watches;
  bool running; /* inside uv_run (libuv's loop is not reentrant) */
};

kumi_async_loop *kumi_component_instance_loop(kumi_component_instance *inst) {
  rt_hstate *hs = inst ? comp_hstate(inst) : NULL;
  if (!hs) return NULL;
  if (hs->loop) return hs->loop;
  kumi_async_loop *l = kb_zalloc(inst->a, sizeof *l);
  if (!l) return NULL;
  if (uv_loop_init(&l->uv) != 0) {
    kb_free(inst->a, l, sizeof *l);
    return NULL;
  }
  l->a = inst->a;
  hs->loop = l;
  return l;
}

static void on_closed(uv_handle_t *h) {
  kumi_async_watch *w = h->data;
  kumi_async_loop *l = w->loop;
  if (w->prev) w->prev->next = w->next;
  else l->watches = w->next;
  if (w->next) w->next->prev = w->prev;
  kb_free(l->a, w, sizeof *w);
}

static void close_watch(kumi_async_watch *w) {
  if (w->closing) return;
  w->closing = true;
  uv_close(&w->u.h, on_closed);
}

static void fire(kumi_async_watch *w) {
  if (w->closing) return;
  kumi_async_cb cb = w->cb;
  void *ud = w->ud;
  close_watch(w); /* the watch is gone for the host from here on */
  cb(ud);
}

static void on_poll(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events; /* an error (a hung-up descriptor) is reported as ready: the host's read or write sees it */
  fire(p->data);
}

static void on_timer(uv_timer_t *t) { fire(t->data); }

static kumi_async_watch *watch_new(kumi_async_loop *l, kumi_async_cb cb, void *ud) {
  kumi_async_watch *w = kb_zalloc(l->a, sizeof *w);
  if (!w) return NULL;
  w->loop = l;
  w->cb = cb;
  w->ud = ud;
  return w;
}

static void watch_link(kumi_async_watch *w) {
  kumi_async_loop *l = w->loop;
  w->u.h.data = w;
  w->next = l->watches;
  if (l->watches) l->watches->prev = w;
  l->watches = w;
}

static kumi_async_watch *timer_ms(kumi_async_loop *l, uint64_t ms, kumi_async_cb cb, void *ud) {
  kumi_async_watch *w = watch_new(l, cb, ud);
  if (!w) return NULL;
  if (uv_timer_init(&l->uv, &w->u.timer) != 0) {
    kb_free(l->a, w, sizeof *w);
    return NULL;
  }
  watch_link(w);
  uv_update_time(&l->uv); /* the loop's clock may be stale when it has not run for a while */
  if (uv_timer_start(&w->u.timer, on_timer, ms, 0) != 0) {
    close_watch(w);
    return NULL;
  }
  return w;
}

kumi_async_watch *kumi_async_watch_fd(kumi_async_loop *l, int fd, bool writable, kumi_async_cb cb, void *ud) {
  if (!l || !cb || fd < 0) return NULL;
  kumi_async_watch *w = watch_new(l, cb, ud);
  if (!w) return NULL;
  int r = uv_poll_init(&l->uv, &w->u.poll, fd);
  if (r == UV_EPERM) {
    /* a regular file (epoll refuses those): always ready */
    kb_free(l->a, w, sizeof *w);
    return timer_ms(l, 0, cb, ud);
  }
  if (r != 0) {
    kb_free(l->a, w, sizeof *w);
    return NULL;
  }
  watch_link(w);
  if (uv_poll_start(&w->u.poll, writable ? UV_WRITABLE : UV_READABLE, on_poll) != 0) {
    close_watch(w);
    return NULL;
  }
  return w;
}

kumi_async_watch *kumi_async_timer(kumi_async_loop *l, uint64_t ns, kumi_async_cb cb, void *ud) {
  if (!l || !cb) return NULL;
  uint64_t ms = ns / 1000000u + (ns % 1000000u ? 1u : 0u); /* libuv's timers count milliseconds: never early */
  return timer_ms(l, ms, cb, ud);
}

void kumi_async_watch_cancel(kumi_async_watch *w) {
  if (w) close_watch(w);
}

void comp_loop_free(kumi_async_loop *l) {
  for (kumi_async_watch *w = l->watches; w; w = w->next) close_watch(w);
  uv_run(&l->uv, UV_RUN_DEFAULT); /* runs the close callbacks, which free the watches */
  uv_loop_close(&l->uv);
  kb_free(l->a, l, sizeof *l);
}

bool comp_async_os_wait(kumi_component_instance *root, bool block, kumi_error **err) {
  *err = NULL;
  rt_hstate *hs = root->async ? root->async->host : NULL;
  if (!hs) return false;
  if (hs->err) {
    *err = hs->err;
    hs->err = NULL;
    return true;
  }
  kumi_async_loop *l = hs->loop;
  if (hs->run_nowait && !hs->idle_seen) {
    /* kumi_component_instance_run(block false): poll once, then stop there */
    hs->idle_seen = true;
    if (l && !l->running) {
      l->running = true;
      uv_run(&l->uv, UV_RUN_NOWAIT);
      l->running = false;
    }
    return true;
  }
  if (!l || l->running || !uv_loop_alive(&l->uv)) return false;
  l->running = true;
  uv_run(&l->uv, block ? UV_RUN_ONCE : UV_RUN_NOWAIT);
  l->running = false;
  if (hs->err) {
    *err = hs->err;
    hs->err = NULL;
  }
  return true;
}
