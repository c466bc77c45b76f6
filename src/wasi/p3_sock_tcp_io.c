/* wasi:sockets@0.3.0 tcp-socket, the methods with streams: listen (a
 * stream of accepted sockets the host writes), send (a stream<u8> taken
 * from the guest, its outcome a future) and receive (a stream<u8> and a
 * future the host writes). Each runs as an operation (p3_sock.h) driven by
 * the stream's callbacks and by descriptor watches in the instance's
 * event loop. Callbacks may come while the operation is copying (a copy
 * can tell the host at once that the guest wants more): a `busy` flag
 * makes them only record, and the running pump goes on. */
#define _GNU_SOURCE
#include "p3_sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#define SOCK_BUF 65536 /* bytes moved per send/recv */

static wasi_sock *self_of(wasi_p3_sock *st, const kumi_cval *args, size_t nargs) {
  return wasi_sock_self(st, false, args, nargs);
}

/* ---- listen: a stream of accepted sockets ------------------------------------------- */

typedef struct listen_op {
  wasi_sock_op op;
  wasi_sock *s;
  kumi_stream *out;
  kumi_async_loop *loop;
  kumi_async_watch *watch;
  size_t want;   /* the guest's pending read (elements) */
  bool busy;     /* inside pump: callbacks only record */
  bool dead;     /* the guest dropped its end: tear down when not busy */
  wasi_sock *held; /* accepted but not taken yet (the guest's read went away) */
} listen_op;

static void listen_free(listen_op *o, bool loop_alive) {
  wasi_p3_sock *st = o->s->st;
  if (o->watch && loop_alive) kumi_async_watch_cancel(o->watch);
  if (o->out) kumi_stream_drop(o->out);
  if (o->held) wasi_sock_unref(o->held);
  wasi_sock_unref(o->s);
  kb_free(st->alloc, o, sizeof *o);
}

static void listen_stop(wasi_sock_op *op) { listen_free((listen_op *)op, false); }

static void listen_finish(listen_op *o) {
  wasi_sock_op_unlink(o->s->st, &o->op);
  listen_free(o, true);
}

static void listen_readable(void *ud);

/* Accepts while the guest wants sockets and the kernel has them. */
static void listen_pump(listen_op *o) {
  if (o->busy) return;
  o->busy = true;
  wasi_p3_sock *st = o->s->st;
  while (!o->dead && o->want > 0) {
    if (o->held) {
      wasi_sock *c = o->held;
      uint32_t rep;
      if (!wasi_sock_add(st, c, &rep)) break;
      o->held = NULL;
      o->want = 0; /* a copy completes the guest's read; ready says if it wants more */
      kumi_cval v = kumi_cval_handle(KUMI_CV_OWN, rep);
      if (kumi_stream_write_vals(o->out, &v, 1) == 0) {
        /* Not taken after all: keep it for the next read. */
        st->tcp.items[rep] = NULL;
        o->held = c;
      }
      continue;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = accept4(o->s->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!o->watch) o->watch = kumi_async_watch_fd(o->loop, o->s->fd, false, listen_readable, o);
        break;
      }
      /* Transient per-connection errors (WIT: skip them); anything else
       * waits for the next read. */
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == ENETDOWN || errno == ENOPROTOOPT ||
          errno == EHOSTDOWN || errno == ENONET || errno == EHOSTUNREACH || errno == EOPNOTSUPP ||
          errno == ENETUNREACH)
        continue;
      break;
    }
    if (wasi_sock_check_policy(st, &ss, false) != SOCK_OK) {
      close(fd); /* a peer outside the allowed networks */
      continue;
    }
    wasi_sock *c = wasi_sock_new(st, fd, o->s->v6, false);
    if (!c) {
      close(fd);
      break;
    }
    c->state = SOCK_CONNECTED;
    o->held = c; /* handed over at the top of the loop */
  }
  o->busy = false;
  if (o->dead) listen_finish(o);
}

static void listen_readable(void *ud) {
  listen_op *o = ud;
  o->watch = NULL;
  listen_pump(o);
}

static void listen_ready(void *ud, kumi_stream *s, size_t n) {
  listen_op *o = ud;
  if (n == 0) { /* a zero-length read: the host is ready, which completes it */
    kumi_stream_write_vals(s, NULL, 0);
    return;
  }
  o->want = n;
  listen_pump(o);
}

static void listen_closed(void *ud, kumi_stream *s) {
  (void)s;
  listen_op *o = ud;
  o->dead = true;
  if (!o->busy) listen_finish(o);
}

static kumi_error *tcp_listen(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad tcp-socket");
  if (s->state != SOCK_UNBOUND && s->state != SOCK_BOUND) {
    wasi_sock_call_err(st, call, SOCK_E_INVALID_STATE);
    return NULL;
  }
  /* listen(2) binds an unbound socket to an ephemeral port itself. */
  if (listen(s->fd, s->backlog) != 0) {
    wasi_sock_call_err(st, call, errno == EADDRINUSE ? SOCK_E_ADDRESS_IN_USE : wasi_sock_errno_code(errno));
    return NULL;
  }
  s->state = SOCK_LISTENING;
  listen_op *o = kb_zalloc(st->alloc, sizeof *o);
  if (!o) return wasi_sock_trap(st, "out of memory");
  o->op.stop = listen_stop;
  o->s = s;
  wasi_sock_ref(s);
  kumi_component_instance *inst = kumi_async_call_instance(call);
  o->loop = kumi_component_instance_loop(inst);
  static const kumi_stream_ops ops = {listen_ready, listen_closed};
  uint32_t h = 0;
  if (o->loop) o->out = kumi_stream_new(inst, false, &ops, o, &h);
  if (!o->out) {
    listen_free(o, true);
    return wasi_sock_trap(st, "out of memory");
  }
  wasi_sock_op_link(st, &o->op);
  kumi_cval v = kumi_cval_handle(KUMI_CV_STREAM, h), r;
  if (!wasi_sock_ok(kumi_async_call_allocator(call), &v, &r)) return wasi_sock_trap(st, "out of memory");
  kumi_async_call_return(call, &r);
  return NULL;
}

/* ---- send: bytes from a guest stream to the peer ------------------------------------- */

typedef struct send_op {
  wasi_sock_op op;
  wasi_sock *s;
  kumi_stream *in;   /* the guest's stream<u8> (taken) */
  kumi_stream *fut;  /* future<result<_, error-code>> */
  const kumi_allocator *a;
  kumi_async_loop *loop;
  kumi_async_watch *watch;
  size_t want;       /* bytes the guest offers */
  bool in_closed;    /* the guest dropped its end: finish once the buffer is out */
  bool busy, done;
  uint32_t code;     /* done: SOCK_OK or the error */
  size_t off, len;
  uint8_t buf[SOCK_BUF];
} send_op;

static void send_free(send_op *o, bool loop_alive) {
  wasi_p3_sock *st = o->s->st;
  if (o->watch && loop_alive) kumi_async_watch_cancel(o->watch);
  if (o->in) kumi_stream_drop(o->in);
  if (o->fut) kumi_stream_drop(o->fut);
  wasi_sock_unref(o->s);
  kb_free(st->alloc, o, sizeof *o);
}

static void send_stop(wasi_sock_op *op) { send_free((send_op *)op, false); }

/* Resolves the future with code (SOCK_OK: ok) and tears down. */
static void send_finish(send_op *o) {
  wasi_p3_sock *st = o->s->st;
  if (o->fut && kumi_stream_open(o->fut)) {
    kumi_cval r;
    bool okv = o->code == SOCK_OK ? wasi_sock_ok(o->a, NULL, &r) : wasi_sock_err(o->a, o->code, &r);
    if (okv) kumi_future_resolve(o->fut, &r);
  }
  wasi_sock_op_unlink(st, &o->op);
  send_free(o, true);
}

static void send_writable(void *ud);

static void send_pump(send_op *o) {
  if (o->busy) return;
  o->busy = true;
  while (!o->done) {
    if (o->off == o->len) {
      o->off = o->len = 0;
      if (o->want > 0) {
        o->want = 0;
        o->len = kumi_stream_read_bytes(o->in, o->buf, sizeof o->buf);
        if (o->len == 0) continue; /* re-check in_closed / want */
      } else if (o->in_closed) {
        /* End of the data: WIT says closing the stream is shutdown(SHUT_WR). */
        if (shutdown(o->s->fd, SHUT_WR) != 0 && errno != ENOTCONN) {
          o->code = wasi_sock_errno_code(errno);
        } else {
          o->code = SOCK_OK;
        }
        o->done = true;
        break;
      } else {
        break; /* wait for the guest to write */
      }
    }
    ssize_t r = send(o->s->fd, o->buf + o->off, o->len - o->off, MSG_NOSIGNAL);
    if (r > 0) {
      o->off += (size_t)r;
      continue;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (errno != EINTR) {
        if (!o->watch) o->watch = kumi_async_watch_fd(o->loop, o->s->fd, true, send_writable, o);
        break;
      }
      continue;
    }
    o->code = r < 0 ? wasi_sock_errno_code(errno) : SOCK_E_CONNECTION_BROKEN;
    o->done = true;
  }
  o->busy = false;
  if (o->done) send_finish(o);
}

static void send_writable(void *ud) {
  send_op *o = ud;
  o->watch = NULL;
  send_pump(o);
}

static void send_ready(void *ud, kumi_stream *s, size_t n) {
  send_op *o = ud;
  if (n == 0) { /* a zero-length write: the host is ready, which completes it */
    kumi_stream_read_bytes(s, o->buf, 0);
    return;
  }
  o->want = n;
  send_pump(o);
}

static void send_in_closed(void *ud, kumi_stream *s) {
  (void)s;
  send_op *o = ud;
  o->in_closed = true;
  send_pump(o);
}

/* The guest dropped the future: the data still goes out. */
static void send_fut_closed(void *ud, kumi_stream *s) {
  (void)ud;
  (void)s;
}

/* Host ends that only wait to be dropped: a stream that is closed at
 * once (dropped when the guest first reads, or drops its end) and a
 * future resolved at once (dropped when the guest drops its end). They
 * cannot be dropped before the guest holds the handle: the handle is only
 * handed over when the call's result is. */
static void drop_self(void *ud, kumi_stream *s) {
  (void)ud;
  kumi_stream_drop(s);
}
static void drop_self_ready(void *ud, kumi_stream *s, size_t n) {
  (void)n;
  drop_self(ud, s);
}

static bool closed_stream(kumi_component_instance *inst, uint32_t *h) {
  static const kumi_stream_ops ops = {drop_self_ready, drop_self};
  return kumi_stream_new(inst, false, &ops, NULL, h) != NULL;
}

static bool future_now(kumi_component_instance *inst, const kumi_allocator *a, uint32_t code, uint32_t *h) {
  static const kumi_stream_ops ops = {NULL, drop_self};
  kumi_stream *f = kumi_stream_new(inst, true, &ops, NULL, h);
  if (!f) return false;
  kumi_cval r;
  bool okv = code == SOCK_OK ? wasi_sock_ok(a, NULL, &r) : wasi_sock_err(a, code, &r);
  if (okv) kumi_future_resolve(f, &r);
  return okv; /* (on OOM f stays until the instance goes) */
}

static kumi_error *tcp_send(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s || nargs != 2 || args[1].kind != KUMI_CV_STREAM) return wasi_sock_trap(st, "bad arguments");
  kumi_component_instance *inst = kumi_async_call_instance(call);
  const kumi_allocator *a = kumi_async_call_allocator(call);
  uint32_t fh = 0;
  if (s->state != SOCK_CONNECTED || s->sending) {
    static const kumi_stream_ops none = {NULL, NULL};
    kumi_stream *in = kumi_stream_take(call, args[1].of.handle, &none, NULL);
    if (in) kumi_stream_drop(in);
    if (!future_now(inst, a, SOCK_E_INVALID_STATE, &fh)) return wasi_sock_trap(st, "out of memory");
    kumi_cval v = kumi_cval_handle(KUMI_CV_FUTURE, fh);
    kumi_async_call_return(call, &v);
    return NULL;
  }
  send_op *o = kb_zalloc(st->alloc, sizeof *o);
  if (!o) return wasi_sock_trap(st, "out of memory");
  o->op.stop = send_stop;
  o->s = s;
  o->a = a;
  wasi_sock_ref(s);
  o->loop = kumi_component_instance_loop(inst);
  static const kumi_stream_ops in_ops = {send_ready, send_in_closed};
  static const kumi_stream_ops fut_ops = {NULL, send_fut_closed};
  o->in = kumi_stream_take(call, args[1].of.handle, &in_ops, o);
  if (o->in) o->fut = kumi_stream_new(inst, true, &fut_ops, o, &fh);
  if (!o->loop || !o->in || !o->fut) {
    send_free(o, true);
    return wasi_sock_trap(st, "bad stream or out of memory");
  }
  s->sending = true;
  wasi_sock_op_link(st, &o->op);
  kumi_cval v = kumi_cval_handle(KUMI_CV_FUTURE, fh);
  kumi_async_call_return(call, &v);
  return NULL;
}

/* ---- receive: bytes from the peer into a stream the guest reads ----------------------- */

typedef struct recv_op {
  wasi_sock_op op;
  wasi_sock *s;
  kumi_stream *out; /* stream<u8>, the host writes */
  kumi_stream *fut; /* future<result<_, error-code>> */
  const kumi_allocator *a;
  kumi_async_loop *loop;
  kumi_async_watch *watch;
  size_t want;      /* bytes the guest's pending read takes */
  bool zero;        /* a zero-length read waits for the socket */
  bool busy, done;
  uint32_t code;
  size_t off, len;  /* received, not yet copied to the guest */
  uint8_t buf[SOCK_BUF];
} recv_op;

static void recv_free(recv_op *o, bool loop_alive) {
  wasi_p3_sock *st = o->s->st;
  if (o->watch && loop_alive) kumi_async_watch_cancel(o->watch);
  if (o->out) kumi_stream_drop(o->out);
  if (o->fut) kumi_stream_drop(o->fut);
  wasi_sock_unref(o->s);
  kb_free(st->alloc, o, sizeof *o);
}

static void recv_stop(wasi_sock_op *op) { recv_free((recv_op *)op, false); }

static void recv_finish(recv_op *o) {
  wasi_p3_sock *st = o->s->st;
  /* The stream ends first (the guest sees it closed), then the future. */
  if (o->out) kumi_stream_drop(o->out);
  o->out = NULL;
  if (o->fut && kumi_stream_open(o->fut)) {
    kumi_cval r;
    bool okv = o->code == SOCK_OK ? wasi_sock_ok(o->a, NULL, &r) : wasi_sock_err(o->a, o->code, &r);
    if (okv) kumi_future_resolve(o->fut, &r);
  }
  wasi_sock_op_unlink(st, &o->op);
  recv_free(o, true);
}

static void recv_readable(void *ud);
static bool recv_zero(recv_op *o);

static void recv_pump(recv_op *o) {
  if (o->busy) return;
  o->busy = true;
  while (!o->done && o->want > 0) {
    if (o->off < o->len) {
      size_t n = o->len - o->off;
      if (n > o->want) n = o->want;
      o->want = 0; /* the copy completes the read; ready says when it wants more */
      o->off += kumi_stream_write_bytes(o->out, o->buf + o->off, n);
      continue;
    }
    size_t max = o->want < sizeof o->buf ? o->want : sizeof o->buf;
    ssize_t r = recv(o->s->fd, o->buf, max, 0);
    if (r > 0) {
      o->off = 0;
      o->len = (size_t)r;
      continue;
    }
    if (r == 0) {
      o->code = SOCK_OK; /* the peer shut down its side */
      o->done = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!o->watch) o->watch = kumi_async_watch_fd(o->loop, o->s->fd, false, recv_readable, o);
      break;
    }
    o->code = errno == EPIPE ? SOCK_E_CONNECTION_BROKEN : wasi_sock_errno_code(errno);
    o->done = true;
  }
  o->busy = false;
  if (o->done) recv_finish(o);
}

static void recv_readable(void *ud) {
  recv_op *o = ud;
  o->watch = NULL;
  if (o->zero && !recv_zero(o)) {
    o->watch = kumi_async_watch_fd(o->loop, o->s->fd, false, recv_readable, o);
    return;
  }
  recv_pump(o);
}

/* A zero-length read completes once a read would not wait: data is
 * buffered, or the socket has data, its end or an error. True when done. */
static bool recv_zero(recv_op *o) {
  uint8_t c;
  if (o->off == o->len && recv(o->s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
      (errno == EAGAIN || errno == EWOULDBLOCK))
    return false;
  o->zero = false;
  kumi_stream_write_bytes(o->out, o->buf, 0);
  return true;
}

static void recv_ready(void *ud, kumi_stream *s, size_t n) {
  (void)s;
  recv_op *o = ud;
  if (n == 0) {
    o->zero = true;
    if (!recv_zero(o) && !o->watch) o->watch = kumi_async_watch_fd(o->loop, o->s->fd, false, recv_readable, o);
    return;
  }
  o->zero = false;
  o->want = n;
  recv_pump(o);
}

/* The guest dropped the stream: no more reading (WIT: shutdown(SHUT_RD));
 * the future says ok. */
static void recv_closed(void *ud, kumi_stream *s) {
  (void)s;
  recv_op *o = ud;
  shutdown(o->s->fd, SHUT_RD);
  o->code = SOCK_OK;
  o->done = true;
  if (!o->busy) recv_finish(o);
}

static void recv_fut_closed(void *ud, kumi_stream *s) {
  (void)ud;
  (void)s;
}

static kumi_error *tcp_receive(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad tcp-socket");
  kumi_component_instance *inst = kumi_async_call_instance(call);
  const kumi_allocator *a = kumi_async_call_allocator(call);
  uint32_t sh = 0, fh = 0;
  if (s->state != SOCK_CONNECTED || s->receiving) {
    /* WIT: a closed stream and a future resolved to err(invalid-state). */
    if (!closed_stream(inst, &sh) || !future_now(inst, a, SOCK_E_INVALID_STATE, &fh)) return wasi_sock_trap(st, "out of memory");
  } else {
    recv_op *o = kb_zalloc(st->alloc, sizeof *o);
    if (!o) return wasi_sock_trap(st, "out of memory");
    o->op.stop = recv_stop;
    o->s = s;
    o->a = a;
    wasi_sock_ref(s);
    o->loop = kumi_component_instance_loop(inst);
    static const kumi_stream_ops out_ops = {recv_ready, recv_closed};
    static const kumi_stream_ops fut_ops = {NULL, recv_fut_closed};
    if (o->loop) o->out = kumi_stream_new(inst, false, &out_ops, o, &sh);
    if (o->out) o->fut = kumi_stream_new(inst, true, &fut_ops, o, &fh);
    if (!o->fut) {
      recv_free(o, true);
      return wasi_sock_trap(st, "out of memory");
    }
    s->receiving = true;
    wasi_sock_op_link(st, &o->op);
  }
  kumi_cval t;
  if (!kumi_cval_agg(a, KUMI_CV_TUPLE, 2, &t)) return wasi_sock_trap(st, "out of memory");
  t.of.agg.items[0] = kumi_cval_handle(KUMI_CV_STREAM, sh);
  t.of.agg.items[1] = kumi_cval_handle(KUMI_CV_FUTURE, fh);
  kumi_async_call_return(call, &t);
  return NULL;
}

/* ---- registration ------------------------------------------------------------------ */

kumi_error *wasi_p3_sock_add_tcp_io(kumi_component_linker *l, wasi_p3_sock *st) {
  kumi_error *e;
  if ((e = kumi_component_linker_define_async(l, WASI_P3_SOCK_TYPES, "[method]tcp-socket.listen", NULL, tcp_listen,
                                              st)) ||
      (e = kumi_component_linker_define_async(l, WASI_P3_SOCK_TYPES, "[method]tcp-socket.send", NULL, tcp_send, st)))
    return e;
  return kumi_component_linker_define_async(l, WASI_P3_SOCK_TYPES, "[method]tcp-socket.receive", NULL, tcp_receive,
                                            st);
}
