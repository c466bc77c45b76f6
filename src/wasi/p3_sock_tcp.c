/* wasi:sockets@0.3.0 tcp-socket: create, bind, connect (async: waits for
 * the descriptor in the instance's event loop), addresses and options.
 * listen, send and receive are in p3_sock_tcp_io.c. */
#define _GNU_SOURCE
#include "p3_sock.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

/* ---- small helpers ---------------------------------------------------------------- */

static wasi_sock *self_of(wasi_p3_sock *st, const kumi_cval *args, size_t nargs) {
  return wasi_sock_self(st, false, args, nargs);
}

/* ---- create, bind, addresses --------------------------------------------------------- */

static kumi_error *tcp_create(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                              kumi_cval *result) {
  return wasi_sock_create(env, a, args, nargs, false, result);
}

uint32_t wasi_sock_do_bind(wasi_sock *s, const kumi_cval *addr) {
  struct sockaddr_storage ss;
  socklen_t len;
  if (!wasi_sock_addr_from_cval(addr, &ss, &len)) return SOCK_E_INVALID_ARGUMENT;
  uint32_t c = wasi_sock_check_addr(s, &ss);
  if (c != SOCK_OK) return c;
  if (s->state != SOCK_UNBOUND) return SOCK_E_INVALID_STATE;
  if ((c = wasi_sock_check_policy(s->st, &ss, true)) != SOCK_OK) return c;
  if (bind(s->fd, (struct sockaddr *)&ss, len) != 0) return wasi_sock_bind_errno(errno);
  s->state = SOCK_BOUND;
  return SOCK_OK;
}

static kumi_error *tcp_bind(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                            kumi_cval *result) {
  return wasi_sock_bind_method(env, a, args, nargs, false, result);
}

static kumi_error *tcp_local_address(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                     kumi_cval *result) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad tcp-socket");
  if (s->state == SOCK_UNBOUND || s->state == SOCK_CLOSED) return wasi_sock_fail_with(st, a, SOCK_E_INVALID_STATE, result);
  return wasi_sock_name(st, a, s, false, result);
}

static kumi_error *tcp_remote_address(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                      kumi_cval *result) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad tcp-socket");
  if (s->state != SOCK_CONNECTED) return wasi_sock_fail_with(st, a, SOCK_E_INVALID_STATE, result);
  return wasi_sock_name(st, a, s, true, result);
}

static kumi_error *tcp_is_listening(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                    kumi_cval *result) {
  (void)a;
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad tcp-socket");
  *result = kumi_cval_bool(s->state == SOCK_LISTENING);
  return NULL;
}

static kumi_error *tcp_family(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                              kumi_cval *result) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad tcp-socket");
  return wasi_sock_family(st, a, s, result);
}

/* ---- options ---------------------------------------------------------------------- */

/* The u64 argument of a setter, or false. */
static bool arg_u(const kumi_cval *args, size_t nargs, uint64_t *v) {
  if (nargs != 2) return false;
  switch (args[1].kind) {
  case KUMI_CV_U8: case KUMI_CV_U16: case KUMI_CV_U32: case KUMI_CV_U64: *v = args[1].of.u; return true;
  case KUMI_CV_BOOL: *v = args[1].of.b; return true;
  default: return false;
  }
}

static kumi_error *opt_result(wasi_p3_sock *st, const kumi_allocator *a, int rc, kumi_cval *payload, kumi_cval *result) {
  if (rc != 0) return wasi_sock_fail_with(st, a, wasi_sock_errno_code(errno), result);
  return wasi_sock_ok_with(st, a, payload, result);
}

static int get_int(int fd, int level, int name, int *v) {
  socklen_t len = sizeof *v;
  return getsockopt(fd, level, name, v, &len);
}
static int set_int(int fd, int level, int name, int v) { return setsockopt(fd, level, name, &v, sizeof v); }

enum { OPT_KEEPALIVE, OPT_KEEPIDLE, OPT_KEEPINTVL, OPT_KEEPCNT, OPT_HOPS };

/* Keep-alive and hop-limit options: get or set per `which`. Durations are
 * nanoseconds in WIT and whole seconds (1..32767) in the kernel. */
static kumi_error *tcp_option(wasi_p3_sock *st, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                              int which, bool set, kumi_cval *result) {
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad tcp-socket");
  int level = IPPROTO_TCP, name = 0;
  switch (which) {
  case OPT_KEEPALIVE: level = SOL_SOCKET; name = SO_KEEPALIVE; break;
  case OPT_KEEPIDLE: name = TCP_KEEPIDLE; break;
  case OPT_KEEPINTVL: name = TCP_KEEPINTVL; break;
  case OPT_KEEPCNT: name = TCP_KEEPCNT; break;
  default: level = s->v6 ? IPPROTO_IPV6 : IPPROTO_IP; name = s->v6 ? IPV6_UNICAST_HOPS : IP_TTL; break;
  }
  if (set) {
    uint64_t v;
    if (!arg_u(args, nargs, &v)) return wasi_sock_trap(st, "bad arguments");
    if (which != OPT_KEEPALIVE && v == 0) return wasi_sock_fail_with(st, a, SOCK_E_INVALID_ARGUMENT, result);
    int iv;
    switch (which) {
    case OPT_KEEPALIVE: iv = v != 0; break;
    case OPT_KEEPIDLE: case OPT_KEEPINTVL: {
      uint64_t secs = v / 1000000000u + (v % 1000000000u != 0);
      iv = secs > 32767 ? 32767 : (int)secs;
      break;
    }
    case OPT_KEEPCNT: iv = v > 127 ? 127 : (int)v; break;
    default: iv = (int)v; break;
    }
    return opt_result(st, a, set_int(s->fd, level, name, iv), NULL, result);
  }
  int iv = 0;
  if (get_int(s->fd, level, name, &iv) != 0) return wasi_sock_fail_with(st, a, wasi_sock_errno_code(errno), result);
  kumi_cval v;
  switch (which) {
  case OPT_KEEPALIVE: v = kumi_cval_bool(iv != 0); break;
  case OPT_KEEPIDLE: case OPT_KEEPINTVL: v = kumi_cval_int(KUMI_CV_U64, (int64_t)((uint64_t)iv * 1000000000u)); break;
  case OPT_KEEPCNT: v = kumi_cval_int(KUMI_CV_U32, iv); break;
  default: v = kumi_cval_int(KUMI_CV_U8, iv); break;
  }
  return wasi_sock_ok_with(st, a, &v, result);
}

#define TCP_OPT_FNS(fname, which)                                                                               \
  static kumi_error *tcp_get_##fname(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,    \
                                     kumi_cval *result) {                                                       \
    return tcp_option(env, a, args, nargs, which, false, result);                                                \
  }                                                                                                              \
  static kumi_error *tcp_set_##fname(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,    \
                                     kumi_cval *result) {                                                       \
    return tcp_option(env, a, args, nargs, which, true, result);                                                 \
  }
TCP_OPT_FNS(keepalive, OPT_KEEPALIVE)
TCP_OPT_FNS(keepidle, OPT_KEEPIDLE)
TCP_OPT_FNS(keepintvl, OPT_KEEPINTVL)
TCP_OPT_FNS(keepcnt, OPT_KEEPCNT)
TCP_OPT_FNS(hops, OPT_HOPS)

kumi_error *wasi_sock_buffer_size(wasi_p3_sock *st, const kumi_allocator *a, const kumi_cval *args, bool udp,
                                  bool set, bool recv, kumi_cval *result) {
  size_t nargs = set ? 2 : 1;
  wasi_sock *s = wasi_sock_get(st, udp, &args[0]);
  if (!s) return wasi_sock_trap(st, "bad socket");
  int name = recv ? SO_RCVBUF : SO_SNDBUF;
  uint64_t *cache = recv ? &s->rcvbuf : &s->sndbuf;
  if (set) {
    uint64_t v;
    if (!arg_u(args, nargs, &v)) return wasi_sock_trap(st, "bad arguments");
    if (v == 0) return wasi_sock_fail_with(st, a, SOCK_E_INVALID_ARGUMENT, result);
    /* The kernel clamps (and Linux doubles) what it is given; the guest
     * reads back the value it set. */
    int iv = v > INT_MAX / 2 ? INT_MAX / 2 : (int)v;
    if (set_int(s->fd, SOL_SOCKET, name, iv) != 0) return wasi_sock_fail_with(st, a, wasi_sock_errno_code(errno), result);
    *cache = (uint64_t)iv;
    return wasi_sock_ok_with(st, a, NULL, result);
  }
  uint64_t v = *cache;
  if (!v) {
    int iv = 0;
    if (get_int(s->fd, SOL_SOCKET, name, &iv) != 0) return wasi_sock_fail_with(st, a, wasi_sock_errno_code(errno), result);
#ifdef __linux__
    iv /= 2; /* Linux reports twice the usable size */
#endif
    v = iv > 0 ? (uint64_t)iv : 1;
  }
  kumi_cval r = kumi_cval_int(KUMI_CV_U64, (int64_t)v);
  return wasi_sock_ok_with(st, a, &r, result);
}

#define BUF_FNS(fname, set, recv)                                                                                \
  static kumi_error *tcp_##fname(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,        \
                                 kumi_cval *result) {                                                            \
    if (nargs != (set ? 2u : 1u)) return wasi_sock_trap(env, "bad arguments");                                   \
    return wasi_sock_buffer_size(env, a, args, false, set, recv, result);                                        \
  }
BUF_FNS(get_rcvbuf, false, true)
BUF_FNS(set_rcvbuf, true, true)
BUF_FNS(get_sndbuf, false, false)
BUF_FNS(set_sndbuf, true, false)

static kumi_error *tcp_set_backlog(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                   kumi_cval *result) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  uint64_t v;
  if (!s || !arg_u(args, nargs, &v)) return wasi_sock_trap(st, "bad arguments");
  if (v == 0) return wasi_sock_fail_with(st, a, SOCK_E_INVALID_ARGUMENT, result);
  if (s->state == SOCK_CONNECTING || s->state == SOCK_CONNECTED) return wasi_sock_fail_with(st, a, SOCK_E_INVALID_STATE, result);
  s->backlog = v > 4096 ? 4096 : (int)v;
  /* Linux takes a new backlog from a second listen() on a listening socket. */
  if (s->state == SOCK_LISTENING && listen(s->fd, s->backlog) != 0)
    return wasi_sock_fail_with(st, a, SOCK_E_NOT_SUPPORTED, result);
  return wasi_sock_ok_with(st, a, NULL, result);
}

/* ---- connect ---------------------------------------------------------------------- */

typedef struct connect_op {
  wasi_sock_op op;
  wasi_sock *s;
  kumi_async_call *call;
  kumi_async_watch *watch;
} connect_op;

static uint32_t connect_errno(int e) {
  if (e == EADDRNOTAVAIL || e == EAGAIN) return SOCK_E_ADDRESS_IN_USE; /* no ephemeral port for the implicit bind */
  return wasi_sock_errno_code(e);
}

static void connect_free(connect_op *c) {
  wasi_p3_sock *st = c->s->st;
  wasi_sock_unref(c->s);
  kb_free(st->alloc, c, sizeof *c);
}

/* The instance is gone: its loop freed the watch and the call. */
static void connect_stop(wasi_sock_op *op) { connect_free((connect_op *)op); }

static void connect_ready(void *ud) {
  connect_op *c = ud;
  wasi_p3_sock *st = c->s->st;
  c->watch = NULL;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  kumi_async_call *call = c->call;
  wasi_sock_op_unlink(st, &c->op);
  c->s->state = err ? SOCK_CLOSED : SOCK_CONNECTED;
  connect_free(c);
  if (err)
    wasi_sock_call_err(st, call, connect_errno(err));
  else
    wasi_sock_call_ok(st, call);
}

static void connect_cancel(void *ud) {
  connect_op *c = ud;
  wasi_p3_sock *st = c->s->st;
  if (c->watch) kumi_async_watch_cancel(c->watch);
  c->watch = NULL;
  kumi_async_call *call = c->call;
  wasi_sock_op_unlink(st, &c->op);
  c->s->state = SOCK_CLOSED; /* the attempt is abandoned: like a failed connect */
  connect_free(c);
  kumi_async_call_cancelled(call);
}

static kumi_error *tcp_connect(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s || nargs != 2) return wasi_sock_trap(st, "bad tcp-socket");
  struct sockaddr_storage ss;
  socklen_t len;
  uint32_t c = SOCK_OK;
  if (!wasi_sock_addr_from_cval(&args[1], &ss, &len))
    c = SOCK_E_INVALID_ARGUMENT;
  else if ((c = wasi_sock_check_remote(s, &ss)) != SOCK_OK)
    ;
  else if (s->state != SOCK_UNBOUND && s->state != SOCK_BOUND)
    c = SOCK_E_INVALID_STATE;
  else
    c = wasi_sock_check_policy(st, &ss, false);
  if (c != SOCK_OK) {
    wasi_sock_call_err(st, call, c);
    return NULL;
  }
  if (connect(s->fd, (struct sockaddr *)&ss, len) == 0) {
    s->state = SOCK_CONNECTED;
    wasi_sock_call_ok(st, call);
    return NULL;
  }
  if (errno != EINPROGRESS) {
    int e = errno;
    s->state = SOCK_CLOSED;
    wasi_sock_call_err(st, call, connect_errno(e));
    return NULL;
  }
  connect_op *op = kb_zalloc(st->alloc, sizeof *op);
  if (!op) return wasi_sock_trap(st, "out of memory");
  op->op.stop = connect_stop;
  op->s = s;
  op->call = call;
  wasi_sock_ref(s);
  s->state = SOCK_CONNECTING;
  op->watch = kumi_async_watch_fd(kumi_async_call_loop(call), s->fd, true, connect_ready, op);
  if (!op->watch) {
    s->state = SOCK_CLOSED;
    connect_free(op);
    return wasi_sock_trap(st, "cannot watch the socket");
  }
  wasi_sock_op_link(st, &op->op);
  kumi_async_call_on_cancel(call, connect_cancel, op);
  return NULL;
}

/* ---- registration ------------------------------------------------------------------ */

typedef struct sync_fn {
  const char *name;
  kumi_component_host_fn fn;
} sync_fn;
static const sync_fn sync_fns[] = {
    {"[static]tcp-socket.create", tcp_create},
    {"[method]tcp-socket.bind", tcp_bind},
    {"[method]tcp-socket.get-local-address", tcp_local_address},
    {"[method]tcp-socket.get-remote-address", tcp_remote_address},
    {"[method]tcp-socket.get-is-listening", tcp_is_listening},
    {"[method]tcp-socket.get-address-family", tcp_family},
    {"[method]tcp-socket.set-listen-backlog-size", tcp_set_backlog},
    {"[method]tcp-socket.get-keep-alive-enabled", tcp_get_keepalive},
    {"[method]tcp-socket.set-keep-alive-enabled", tcp_set_keepalive},
    {"[method]tcp-socket.get-keep-alive-idle-time", tcp_get_keepidle},
    {"[method]tcp-socket.set-keep-alive-idle-time", tcp_set_keepidle},
    {"[method]tcp-socket.get-keep-alive-interval", tcp_get_keepintvl},
    {"[method]tcp-socket.set-keep-alive-interval", tcp_set_keepintvl},
    {"[method]tcp-socket.get-keep-alive-count", tcp_get_keepcnt},
    {"[method]tcp-socket.set-keep-alive-count", tcp_set_keepcnt},
    {"[method]tcp-socket.get-hop-limit", tcp_get_hops},
    {"[method]tcp-socket.set-hop-limit", tcp_set_hops},
    {"[method]tcp-socket.get-receive-buffer-size", tcp_get_rcvbuf},
    {"[method]tcp-socket.set-receive-buffer-size", tcp_set_rcvbuf},
    {"[method]tcp-socket.get-send-buffer-size", tcp_get_sndbuf},
    {"[method]tcp-socket.set-send-buffer-size", tcp_set_sndbuf},
};

kumi_component_host_fn wasi_p3_sock_tcp_fn(const char *name) {
  for (size_t i = 0; i < sizeof sync_fns / sizeof sync_fns[0]; i++)
    if (!strcmp(sync_fns[i].name, name)) return sync_fns[i].fn;
  return NULL;
}

kumi_error *wasi_p3_sock_add_tcp(kumi_component_linker *l, wasi_p3_sock *st) {
  static const struct {
    const char *name;
    kumi_component_async_fn fn;
  } async_fns[] = {
      {"[method]tcp-socket.connect", tcp_connect},
  };
  kumi_error *e;
  for (size_t i = 0; i < sizeof sync_fns / sizeof sync_fns[0]; i++)
    if ((e = kumi_component_linker_define_func(l, WASI_P3_SOCK_TYPES, sync_fns[i].name, NULL, sync_fns[i].fn, st)))
      return e;
  for (size_t i = 0; i < sizeof async_fns / sizeof async_fns[0]; i++)
    if ((e = kumi_component_linker_define_async(l, WASI_P3_SOCK_TYPES, async_fns[i].name, NULL, async_fns[i].fn,
                                                st)))
      return e;
  return wasi_p3_sock_add_tcp_io(l, st);
}
