/* The host's ends of streams and futures (include/kumi_async.h,
 * async_host.h). A host end is the other side of a guest end's shared
 * state (rt_shared.host); it never waits with a buffer of its own: a
 * guest copy pends in rt_shared.pend, the host is told (ready), and the
 * host copies straight between its buffer and the guest's memory: bytes
 * with memcpy for u8/s8 elements, other element types loaded and stored
 * through the Canonical ABI like guest-to-guest copies. */
#include "async_host.h"

static size_t write_vals(kumi_stream *s, kumi_cval *vals, size_t n);

kumi_stream *comp_hstream_at(const rt_hstate *hs, uint32_t tok) {
  uint32_t slot = (tok & ((1u << RT_TOKEN_BITS) - 1)) - 1;
  if (!hs || !tok || slot >= hs->slots.len) return NULL;
  kumi_stream *s = hs->slots.items[slot];
  return s && s->token == tok ? s : NULL;
}

kumi_stream *comp_hstream_new(kumi_component_instance *root, rt_shared *sh, bool writable) {
  rt_hstate *hs = comp_hstate(root);
  if (!hs) return NULL;
  bool reuse = hs->free_slots.len > 0;
  if (!reuse && (hs->slots.len >= (1u << RT_TOKEN_BITS) - 2 || !kb_vec_reserve(root->a, &hs->slots, 1))) return NULL;
  kumi_stream *s = kb_zalloc(root->a, sizeof *s);
  if (!s) return NULL;
  uint32_t slot = reuse ? hs->free_slots.items[--hs->free_slots.len] : (uint32_t)hs->slots.len++;
  hs->slots.items[slot] = s;
  hs->gen++;
  s->root = root;
  s->a = root->a;
  s->sh = sh;
  s->token = (slot + 1) | ((hs->gen & ((1u << (32 - RT_TOKEN_BITS)) - 1)) << RT_TOKEN_BITS);
  s->writable = writable;
  sh->host = s;
  sh->nrefs++;
  return s;
}

kumi_stream *kumi_stream_new(kumi_component_instance *inst, bool future, const kumi_stream_ops *ops, void *ud,
                             uint32_t *handle) {
  if (!inst || !handle) return NULL;
  rt_async *as = comp_async_state(inst);
  rt_shared *sh = as ? comp_async_shared_new(inst) : NULL;
  if (!sh) return NULL;
  sh->future = future;
  sh->untyped = true;
  kumi_stream *s = comp_hstream_new(inst, sh, true);
  if (!s) {
    comp_async_shared_unref(inst, sh, 0); /* no end: its slot is free again */
    return NULL;
  }
  if (ops) s->ops = *ops;
  s->ud = ud;
  *handle = s->token;
  return s;
}

kumi_stream *kumi_stream_take(kumi_async_call *call, uint32_t handle, const kumi_stream_ops *ops, void *ud) {
  if (!call) return NULL;
  for (size_t i = 0; i < call->untaken.len; i++) {
    kumi_stream *s = call->untaken.items[i];
    if (s->token != handle) continue;
    call->untaken.items[i] = call->untaken.items[--call->untaken.len];
    s->call = NULL;
    if (ops) s->ops = *ops;
    s->ud = ud;
    return s;
  }
  return NULL;
}

kumi_stream *kumi_stream_take_result(kumi_component_instance *inst, uint32_t handle, const kumi_stream_ops *ops,
                                     void *ud) {
  rt_hstate *hs = inst && inst->async ? inst->async->host : NULL;
  kumi_stream *s = comp_hstream_at(hs, handle);
  if (!s || !s->unclaimed) return NULL;
  s->unclaimed = false;
  if (ops) s->ops = *ops;
  s->ud = ud;
  return s;
}

kumi_error *comp_async_host_ready(kumi_component_instance *root, rt_shared *sh) {
  kumi_stream *s = sh->host;
  rt_end *p = sh->pend;
  if (!s || !p) return NULL;
  if (s->has_value) { /* a resolved future meets the guest's read */
    s->has_value = false;
    size_t n = write_vals(s, &s->value, 1);
    if (!n) kumi_cval_free(root->a, &s->value);
    if (s->host_dropped || s->unclaimed) kumi_stream_drop(s); /* the host is done with it, or never had it */
    return NULL;
  }
  if (sh->future && s->writable && s->resolved) return NULL;
  size_t n = sh->future ? 1 : p->buf.length - p->buf.progress;
  if (s->ops.ready) s->ops.ready(s->ud, s, n);
  return NULL;
}

void comp_async_host_closed(rt_shared *sh) {
  kumi_stream *s = sh->host;
  if (!s || s->guest_gone) return;
  s->guest_gone = true;
  if (s->host_dropped) {
    kumi_stream_drop(s);
    return;
  }
  if (s->ops.closed) s->ops.closed(s->ud, s); /* may drop s */
}

/* The guest's copy the host may serve now: a read when the host writes,
 * a write when it reads (NULL: none). */
static rt_end *pending(const kumi_stream *s, bool host_writes) {
  if (!s || !s->sh || s->guest_gone || s->writable != host_writes) return NULL;
  rt_shared *sh = s->sh;
  rt_end *p = sh->pend;
  if (sh->dropped || !p || p->writable == host_writes || p->state != RT_CS_COPYING) return NULL;
  return p;
}

/* The copy made progress: a stream's guest end sees it (and its buffer
 * stays shared until the event is delivered, so more may follow); a
 * future's copy is over. */
static void progressed(rt_shared *sh, rt_end *p) {
  if (sh->future) {
    sh->pend = NULL;
    sh->pend_inst = NULL;
    comp_async_end_notify(p, RT_COPY_COMPLETED, false);
  } else {
    comp_async_end_notify(p, RT_COPY_COMPLETED, true);
  }
}

/* A zero-length stream read or write of the guest: the host being ready
 * completes it. */
static bool zero_length(rt_shared *sh, rt_end *p) {
  if (sh->future || p->buf.length != 0) return false;
  sh->pend = NULL;
  sh->pend_inst = NULL;
  comp_async_end_notify(p, RT_COPY_COMPLETED, false);
  return true;
}

/* Elements the host may copy as bytes (0: not a byte stream). */
static bool byte_elems(const kumi_stream *s) {
  const rt_shared *sh = s->sh;
  if (!sh->has_t) return true;
  const comp_type *t = NULL;
  uint8_t p = abi_resolve(&s->root->ts, sh->t, &t);
  return p == COMP_U8 || p == COMP_S8;
}

static size_t room(const rt_end *p, size_t n) {
  size_t r = p->buf.length - p->buf.progress;
  return n < r ? n : r;
}

size_t kumi_stream_write_bytes(kumi_stream *s, const uint8_t *data, size_t n) {
  rt_end *p = pending(s, true);
  if (!p || s->sh->future || !byte_elems(s)) return 0;
  rt_shared *sh = s->sh;
  if (zero_length(sh, p)) return 0;
  size_t k = room(p, n);
  if (!k) return 0;
  if (sh->has_t) {
    /* bounds were checked when the guest's read began; memories never shrink */
    if (!p->buf.mem || !data) return 0;
    memcpy(kumi_memory_data(p->buf.mem) + p->buf.ptr + p->buf.progress, data, k);
  }
  p->buf.progress += (uint32_t)k;
  progressed(sh, p);
  return k;
}

size_t kumi_stream_read_bytes(kumi_stream *s, uint8_t *out, size_t max) {
  rt_end *p = pending(s, false);
  if (!p || s->sh->future || !byte_elems(s)) return 0;
  rt_shared *sh = s->sh;
  if (zero_length(sh, p)) return 0;
  size_t k = room(p, max);
  if (!k) return 0;
  if (sh->has_t) {
    if (!p->buf.mem || !out) return 0;
    memcpy(out, kumi_memory_data(p->buf.mem) + p->buf.ptr + p->buf.progress, k);
  }
  p->buf.progress += (uint32_t)k;
  progressed(sh, p);
  return k;
}

size_t kumi_stream_pending(const kumi_stream *s) {
  rt_end *p = s ? pending(s, s->writable) : NULL;
  if (!p) return 0;
  if (s->sh->future) return s->writable && s->resolved ? 0 : 1;
  return p->buf.length - p->buf.progress;
}

uint8_t *kumi_stream_bytes_begin(kumi_stream *s, size_t *n) {
  *n = 0;
  rt_end *p = s ? pending(s, s->writable) : NULL;
  if (!p || s->sh->future || !s->sh->has_t || !byte_elems(s) || !p->buf.mem) return NULL;
  if (p->buf.length == p->buf.progress) return NULL;
  *n = p->buf.length - p->buf.progress;
  /* bounds were checked when the guest's copy began; memories never shrink */
  return kumi_memory_data(p->buf.mem) + p->buf.ptr + p->buf.progress;
}

void kumi_stream_bytes_commit(kumi_stream *s, size_t k) {
  rt_end *p = s ? pending(s, s->writable) : NULL;
  if (!p || s->sh->future || !byte_elems(s) || !k) return;
  k = room(p, k);
  p->buf.progress += (uint32_t)k;
  progressed(s->sh, p);
}

/* The ABI context of the guest buffer of p. */
static void buf_cx(kumi_component_instance *root, rt_end *p, rt_call *c, abi_cx *cx) {
  comp_rt_call_init(c, root, p->buf.mem, p->buf.realloc, NULL, NULL, p->buf.owner);
  comp_rt_cx_init(cx, root, p->buf.enc, c);
}

/* kumi_stream_write_vals, also for a future's value. */
static size_t write_vals(kumi_stream *s, kumi_cval *vals, size_t n) {
  rt_end *p = pending(s, true);
  if (!p) return 0;
  rt_shared *sh = s->sh;
  kumi_component_instance *root = s->root;
  if (zero_length(sh, p)) return 0;
  size_t k = room(p, n);
  if (!k || !vals) return 0;
  size_t i = 0;
  kumi_error *e = NULL;
  if (!sh->has_t) {
    for (; i < k; i++) kumi_cval_free(root->a, &vals[i]);
  } else {
    rt_call c;
    abi_cx cx;
    buf_cx(root, p, &c, &cx);
    uint64_t size = abi_size(&root->ts, sh->t, false);
    for (; i < k; i++) {
      cx.hooks.memory(cx.hooks.ud, &cx.mem, &cx.mem_size); /* a realloc may have grown it */
      e = abi_store(&cx, sh->t, &vals[i], p->buf.ptr + ((uint64_t)p->buf.progress + i) * size);
      if (e) break;
      kumi_cval_free(root->a, &vals[i]);
    }
    kb_vec_free(root->a, &c.lends);
  }
  p->buf.progress += (uint32_t)i;
  if (i) progressed(sh, p);
  comp_hstate_fail(root, e); /* a value of the wrong type, or the guest's realloc trapped */
  return i;
}

size_t kumi_stream_write_vals(kumi_stream *s, kumi_cval *vals, size_t n) {
  return s && s->sh && !s->sh->future ? write_vals(s, vals, n) : 0;
}

size_t kumi_stream_read_vals(kumi_stream *s, kumi_cval *out, size_t max) {
  rt_end *p = pending(s, false);
  if (!p) return 0;
  rt_shared *sh = s->sh;
  kumi_component_instance *root = s->root;
  if (zero_length(sh, p)) return 0;
  size_t k = room(p, max);
  if (!k || !out) return 0;
  size_t i = 0;
  kumi_error *e = NULL;
  if (!sh->has_t) {
    i = k;
  } else {
    rt_call c;
    abi_cx cx;
    buf_cx(root, p, &c, &cx);
    uint64_t size = abi_size(&root->ts, sh->t, false);
    for (; i < k; i++) {
      e = abi_load(&cx, sh->t, p->buf.ptr + ((uint64_t)p->buf.progress + i) * size, &out[i]);
      if (e) break;
    }
    kb_vec_free(root->a, &c.lends);
  }
  p->buf.progress += (uint32_t)i;
  if (i) progressed(sh, p);
  comp_hstate_fail(root, e); /* a value the guest wrote that does not lift (a bad char, ...): it traps */
  return i;
}

void kumi_future_resolve(kumi_stream *s, kumi_cval *v) {
  if (!s) return;
  kumi_cval val = kumi_cval_bool(false);
  if (v) {
    val = *v;
    *v = kumi_cval_bool(false);
  }
  if (!s->sh || !s->sh->future || !s->writable || s->resolved || s->guest_gone || s->sh->dropped) {
    kumi_cval_free(s->a, &val);
    return;
  }
  kumi_component_instance *root = s->root;
  s->resolved = true;
  if (pending(s, true)) {
    if (!write_vals(s, &val, 1)) kumi_cval_free(root->a, &val);
    return;
  }
  s->value = val; /* until the guest reads */
  s->has_value = true;
}

bool kumi_stream_open(const kumi_stream *s) { return s && s->sh && !s->guest_gone && !s->sh->dropped; }

void kumi_stream_drop(kumi_stream *s) {
  if (!s) return;
  kumi_component_instance *root = s->root;
  const kumi_allocator *a = s->a;
  rt_shared *sh = s->sh;
  if (s->call) { /* an argument the host never took */
    kumi_async_call *c = s->call;
    s->call = NULL;
    for (size_t i = 0; i < c->untaken.len; i++)
      if (c->untaken.items[i] == s) {
        c->untaken.items[i] = c->untaken.items[--c->untaken.len];
        break;
      }
  }
  if (sh && s->has_value && !s->guest_gone) {
    /* a resolved future's value waits for the guest's read: the end stays
     * until then (comp_async_host_ready / comp_async_host_closed end it) */
    s->host_dropped = true;
    memset(&s->ops, 0, sizeof s->ops);
    return;
  }
  if (sh && s->writable && !sh->given && !s->host_dropped) {
    /* not passed to a guest yet: the handle stays good for that one pass
     * (comp_async_host_xfer frees s then), the guest finding it dropped */
    s->host_dropped = true;
    memset(&s->ops, 0, sizeof s->ops);
    if (sh->future && !s->resolved) sh->host_lost = true;
    sh->host = NULL;
    comp_async_shared_drop(sh);
    return;
  }
  if (sh) {
    rt_hstate *hs = root->async->host;
    if (sh->future && s->writable && !s->resolved && sh->given) sh->host_lost = true;
    if (sh->host == s) sh->host = NULL;
    comp_async_shared_drop(sh);
    uint32_t slot = (s->token & ((1u << RT_TOKEN_BITS) - 1)) - 1;
    hs->slots.items[slot] = NULL;
    (void)kb_vec_push(a, &hs->free_slots, slot); /* (on OOM the slot is just not reused) */
    s->sh = NULL;
    comp_async_shared_unref(root, sh, 1); /* s no longer refers to it */
  }
  if (s->has_value) kumi_cval_free(a, &s->value);
  kb_free(a, s, sizeof *s); /* (the instance may be gone: the allocator is kept in s) */
}

void comp_hstream_detach_all(kumi_component_instance *root, rt_hstate *hs) {
  for (size_t i = 0; i < hs->slots.len; i++) {
    kumi_stream *s = hs->slots.items[i];
    if (!s) continue;
    hs->slots.items[i] = NULL;
    if (s->has_value) kumi_cval_free(root->a, &s->value);
    s->has_value = false;
    if (s->sh->host == s) s->sh->host = NULL;
    s->sh = NULL;
    s->root = NULL;
    bool told = s->guest_gone;
    s->guest_gone = true;
    if (s->host_dropped || s->unclaimed) kumi_stream_drop(s); /* the host is done with it, or never had it */
    else if (!told && s->ops.closed) s->ops.closed(s->ud, s); /* may drop s: it only frees now */
  }
}
