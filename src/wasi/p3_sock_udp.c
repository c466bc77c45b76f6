/* wasi:sockets@0.3.0 udp-socket: create, bind, connect/disconnect (the
 * peer filter), send and receive (async: they wait in the instance's
 * event loop when the kernel would block), addresses and options. */
#define _GNU_SOURCE
#include "p3_sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#define UDP_MAX 65535 /* the largest datagram payload WIT allows */

static wasi_sock *self_of(wasi_p3_sock *st, const kumi_cval *args, size_t nargs) {
  return wasi_sock_self(st, true, args, nargs);
}

static kumi_error *udp_create(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                              kumi_cval *result) {
  return wasi_sock_create(env, a, args, nargs, true, result);
}

static kumi_error *udp_bind(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                            kumi_cval *result) {
  return wasi_sock_bind_method(env, a, args, nargs, true, result);
}

/* connect(AF_UNSPEC): forget the peer. */
static int dissolve(wasi_sock *s) {
  struct sockaddr sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_family = AF_UNSPEC;
  int r = connect(s->fd, &sa, sizeof sa);
  s->udp_connected = false;
  return r;
}

static kumi_error *udp_connect(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                               kumi_cval *result) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s || nargs != 2) return wasi_sock_trap(st, "bad udp-socket");
  struct sockaddr_storage ss;
  socklen_t len;
  uint32_t c;
  if (!wasi_sock_addr_from_cval(&args[1], &ss, &len))
    c = SOCK_E_INVALID_ARGUMENT;
  else if ((c = wasi_sock_check_remote(s, &ss)) == SOCK_OK)
    c = wasi_sock_check_policy(st, &ss, false);
  if (c != SOCK_OK) return wasi_sock_fail_with(st, a, c, result);
  /* Linux wants a disconnect before connecting elsewhere. */
  if (s->udp_connected) dissolve(s);
  if (connect(s->fd, (struct sockaddr *)&ss, len) != 0) {
    int e = errno;
    return wasi_sock_fail_with(st, a, e == EADDRNOTAVAIL || e == EADDRINUSE ? SOCK_E_ADDRESS_IN_USE : wasi_sock_errno_code(e),
                     result);
  }
  s->udp_connected = true;
  s->remote = ss;
  s->remote_len = len;
  s->state = SOCK_BOUND; /* connect binds implicitly */
  return wasi_sock_ok_with(st, a, NULL, result);
}

static kumi_error *udp_disconnect(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                  kumi_cval *result) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad udp-socket");
  if (!s->udp_connected) return wasi_sock_fail_with(st, a, SOCK_E_INVALID_STATE, result);
  if (dissolve(s) != 0 && errno != EAFNOSUPPORT) return wasi_sock_fail_with(st, a, wasi_sock_errno_code(errno), result);
  return wasi_sock_ok_with(st, a, NULL, result);
}

static kumi_error *udp_local_address(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                     kumi_cval *result) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad udp-socket");
  if (s->state == SOCK_UNBOUND) return wasi_sock_fail_with(st, a, SOCK_E_INVALID_STATE, result);
  return wasi_sock_name(st, a, s, false, result); /* (getsockname never fails with ENOTCONN) */
}

static kumi_error *udp_remote_address(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                      kumi_cval *result) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad udp-socket");
  if (!s->udp_connected) return wasi_sock_fail_with(st, a, SOCK_E_INVALID_STATE, result);
  kumi_cval v;
  if (!wasi_sock_addr_to_cval(a, (struct sockaddr *)&s->remote, &v)) return wasi_sock_trap(st, "out of memory");
  return wasi_sock_ok_with(st, a, &v, result);
}

static kumi_error *udp_family(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                              kumi_cval *result) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad udp-socket");
  return wasi_sock_family(st, a, s, result);
}

static kumi_error *udp_hops(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs, bool set,
                            kumi_cval *result) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s || nargs != (set ? 2u : 1u)) return wasi_sock_trap(st, "bad arguments");
  int level = s->v6 ? IPPROTO_IPV6 : IPPROTO_IP, name = s->v6 ? IPV6_UNICAST_HOPS : IP_TTL;
  if (set) {
    if (args[1].kind != KUMI_CV_U8) return wasi_sock_trap(st, "bad arguments");
    if (args[1].of.u == 0) return wasi_sock_fail_with(st, a, SOCK_E_INVALID_ARGUMENT, result);
    int v = (int)args[1].of.u;
    if (setsockopt(s->fd, level, name, &v, sizeof v) != 0) return wasi_sock_fail_with(st, a, wasi_sock_errno_code(errno), result);
    return wasi_sock_ok_with(st, a, NULL, result);
  }
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(s->fd, level, name, &v, &len) != 0) return wasi_sock_fail_with(st, a, wasi_sock_errno_code(errno), result);
  kumi_cval r = kumi_cval_int(KUMI_CV_U8, v);
  return wasi_sock_ok_with(st, a, &r, result);
}
static kumi_error *udp_get_hops(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                kumi_cval *result) {
  return udp_hops(env, a, args, nargs, false, result);
}
static kumi_error *udp_set_hops(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                kumi_cval *result) {
  return udp_hops(env, a, args, nargs, true, result);
}

#define BUF_FNS(fname, set, recv)                                                                                \
  static kumi_error *udp_##fname(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,        \
                                 kumi_cval *result) {                                                            \
    if (nargs != (set ? 2u : 1u)) return wasi_sock_trap(env, "bad arguments");                                   \
    return wasi_sock_buffer_size(env, a, args, true, set, recv, result);                                         \
  }
BUF_FNS(get_rcvbuf, false, true)
BUF_FNS(set_rcvbuf, true, true)
BUF_FNS(get_sndbuf, false, false)
BUF_FNS(set_sndbuf, true, false)

/* ---- send / receive ---------------------------------------------------------------- */

typedef struct udp_op {
  wasi_sock_op op;
  wasi_sock *s;
  kumi_async_call *call;
  kumi_async_watch *watch;
  bool sending;
  struct sockaddr_storage to; /* send: the destination (to_len 0: the connected peer) */
  socklen_t to_len;
  size_t len;
  uint8_t *data; /* send: the datagram */
} udp_op;

static void udp_op_free(udp_op *o) {
  wasi_p3_sock *st = o->s->st;
  if (o->data) kb_free(st->alloc, o->data, o->len ? o->len : 1);
  wasi_sock_unref(o->s);
  kb_free(st->alloc, o, sizeof *o);
}

/* The instance is gone: its loop freed the watch and the call. */
static void udp_op_stop(wasi_sock_op *op) { udp_op_free((udp_op *)op); }

static uint32_t send_errno(int e) {
  if (e == ECONNRESET || e == ENETRESET) return SOCK_E_REMOTE_UNREACHABLE;
  if (e == EADDRNOTAVAIL) return SOCK_E_ADDRESS_IN_USE;
  return wasi_sock_errno_code(e);
}

/* One attempt; true when the call completed (o is then gone). */
static bool udp_try(udp_op *o) {
  wasi_p3_sock *st = o->s->st;
  kumi_async_call *call = o->call;
  const kumi_allocator *a = kumi_async_call_allocator(call);
  kumi_cval r;
  bool made;
  if (o->sending) {
    ssize_t n = o->to_len ? sendto(o->s->fd, o->data, o->len, MSG_NOSIGNAL, (struct sockaddr *)&o->to, o->to_len)
                          : send(o->s->fd, o->data, o->len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
    if (n >= 0) o->s->state = SOCK_BOUND; /* sendto binds implicitly */
    made = n >= 0 ? wasi_sock_ok(a, NULL, &r) : wasi_sock_err(a, send_errno(errno), &r);
  } else {
    uint8_t *buf = kb_alloc(st->alloc, UDP_MAX);
    if (!buf) {
      made = false;
    } else {
      struct sockaddr_storage from;
      ssize_t n;
      for (;;) {
        socklen_t flen = sizeof from;
        memset(&from, 0, sizeof from);
        n = recvfrom(o->s->fd, buf, UDP_MAX, 0, (struct sockaddr *)&from, &flen);
        /* Datagrams from outside the allowed networks are dropped. */
        if (n >= 0 && wasi_sock_check_policy(st, &from, false) != SOCK_OK) continue;
        break;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        kb_free(st->alloc, buf, UDP_MAX);
        return false;
      }
      if (n < 0) {
        made = wasi_sock_err(a, send_errno(errno), &r);
      } else {
        kumi_cval t, list, addr;
        made = false;
        if (kumi_cval_agg(a, KUMI_CV_LIST, (size_t)n, &list)) {
          for (ssize_t i = 0; i < n; i++) list.of.agg.items[i] = kumi_cval_int(KUMI_CV_U8, buf[i]);
          if (!wasi_sock_addr_to_cval(a, (struct sockaddr *)&from, &addr)) {
            kumi_cval_free(a, &list);
          } else if (!kumi_cval_agg(a, KUMI_CV_TUPLE, 2, &t)) {
            kumi_cval_free(a, &list);
            kumi_cval_free(a, &addr);
          } else {
            t.of.agg.items[0] = list;
            t.of.agg.items[1] = addr;
            made = wasi_sock_ok(a, &t, &r);
          }
        }
      }
      kb_free(st->alloc, buf, UDP_MAX);
    }
  }
  if (o->op.stop) wasi_sock_op_unlink(st, &o->op);
  udp_op_free(o);
  if (made)
    kumi_async_call_return(call, &r);
  else
    kumi_async_call_fail(call, wasi_sock_trap(st, "out of memory"));
  return true;
}

static void udp_wake(void *ud) {
  udp_op *o = ud;
  o->watch = NULL;
  if (udp_try(o)) return;
  o->watch = kumi_async_watch_fd(kumi_async_call_loop(o->call), o->s->fd, o->sending, udp_wake, o);
  if (!o->watch) {
    kumi_async_call *call = o->call;
    wasi_p3_sock *st = o->s->st;
    wasi_sock_op_unlink(st, &o->op);
    udp_op_free(o);
    kumi_async_call_fail(call, wasi_sock_trap(st, "cannot watch the socket"));
  }
}

static void udp_cancel(void *ud) {
  udp_op *o = ud;
  wasi_p3_sock *st = o->s->st;
  if (o->watch) kumi_async_watch_cancel(o->watch);
  o->watch = NULL;
  kumi_async_call *call = o->call;
  wasi_sock_op_unlink(st, &o->op);
  udp_op_free(o);
  kumi_async_call_cancelled(call);
}

/* Runs o now, or waits in the loop. */
static kumi_error *udp_start(udp_op *o) {
  wasi_p3_sock *st = o->s->st;
  if (udp_try(o)) return NULL;
  o->op.stop = udp_op_stop;
  o->watch = kumi_async_watch_fd(kumi_async_call_loop(o->call), o->s->fd, o->sending, udp_wake, o);
  if (!o->watch) {
    udp_op_free(o);
    return wasi_sock_trap(st, "cannot watch the socket");
  }
  wasi_sock_op_link(st, &o->op);
  kumi_async_call_on_cancel(o->call, udp_cancel, o);
  return NULL;
}

static bool same_addr(const struct sockaddr_storage *x, const struct sockaddr_storage *y) {
  if (x->ss_family != y->ss_family) return false;
  if (x->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const void *)x, *b = (const void *)y;
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *a = (const void *)x, *b = (const void *)y;
  return a->sin6_port == b->sin6_port && memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0;
}

static kumi_error *udp_send(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s || nargs != 3 || args[1].kind != KUMI_CV_LIST || args[2].kind != KUMI_CV_OPTION)
    return wasi_sock_trap(st, "bad arguments");
  size_t len = args[1].of.agg.len;
  if (len > UDP_MAX) {
    wasi_sock_call_err(st, call, SOCK_E_DATAGRAM_TOO_LARGE);
    return NULL;
  }
  struct sockaddr_storage to;
  socklen_t to_len = 0;
  memset(&to, 0, sizeof to);
  uint32_t c = SOCK_OK;
  if (args[2].of.var.index == 1) {
    if (!wasi_sock_addr_from_cval(args[2].of.var.payload, &to, &to_len)) {
      c = SOCK_E_INVALID_ARGUMENT;
    } else if ((c = wasi_sock_check_addr(s, &to)) == SOCK_OK) {
      uint16_t port = ntohs(to.ss_family == AF_INET ? ((struct sockaddr_in *)&to)->sin_port
                                                    : ((struct sockaddr_in6 *)&to)->sin6_port);
      struct sockaddr_storage any = to;
      if (to.ss_family == AF_INET)
        ((struct sockaddr_in *)&any)->sin_port = htons(1);
      else
        ((struct sockaddr_in6 *)&any)->sin6_port = htons(1);
      if (wasi_sock_check_remote(s, &any) != SOCK_OK)
        c = SOCK_E_INVALID_ARGUMENT; /* the unspecified address */
      else if (port == 0)
        c = SOCK_E_ADDRESS_NOT_BINDABLE; /* what the kernel's EADDRNOTAVAIL means elsewhere; wasi-testsuite expects it */
      else if (s->udp_connected && !same_addr(&to, &s->remote))
        c = SOCK_E_INVALID_ARGUMENT;
      else
        c = wasi_sock_check_policy(st, &to, false);
    }
    if (s->udp_connected) to_len = 0; /* send(2) to the connected peer */
  } else if (!s->udp_connected) {
    c = SOCK_E_INVALID_ARGUMENT;
  }
  if (c != SOCK_OK) {
    wasi_sock_call_err(st, call, c);
    return NULL;
  }
  udp_op *o = kb_zalloc(st->alloc, sizeof *o);
  if (!o) return wasi_sock_trap(st, "out of memory");
  o->data = kb_alloc(st->alloc, len ? len : 1);
  if (!o->data) {
    kb_free(st->alloc, o, sizeof *o);
    return wasi_sock_trap(st, "out of memory");
  }
  for (size_t i = 0; i < len; i++) {
    const kumi_cval *b = &args[1].of.agg.items[i];
    o->data[i] = (uint8_t)(b->kind == KUMI_CV_U8 ? b->of.u : 0);
  }
  o->len = len;
  o->to = to;
  o->to_len = to_len;
  o->s = s;
  o->call = call;
  o->sending = true;
  wasi_sock_ref(s);
  return udp_start(o);
}

static kumi_error *udp_receive(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_sock *st = env;
  wasi_sock *s = self_of(st, args, nargs);
  if (!s) return wasi_sock_trap(st, "bad udp-socket");
  if (s->state == SOCK_UNBOUND) {
    wasi_sock_call_err(st, call, SOCK_E_INVALID_STATE);
    return NULL;
  }
  udp_op *o = kb_zalloc(st->alloc, sizeof *o);
  if (!o) return wasi_sock_trap(st, "out of memory");
  o->s = s;
  o->call = call;
  wasi_sock_ref(s);
  return udp_start(o);
}

typedef struct sync_fn {
  const char *name;
  kumi_component_host_fn fn;
} sync_fn;
static const sync_fn sync_fns[] = {
    {"[static]udp-socket.create", udp_create},
    {"[method]udp-socket.bind", udp_bind},
    {"[method]udp-socket.connect", udp_connect},
    {"[method]udp-socket.disconnect", udp_disconnect},
    {"[method]udp-socket.get-local-address", udp_local_address},
    {"[method]udp-socket.get-remote-address", udp_remote_address},
    {"[method]udp-socket.get-address-family", udp_family},
    {"[method]udp-socket.get-unicast-hop-limit", udp_get_hops},
    {"[method]udp-socket.set-unicast-hop-limit", udp_set_hops},
    {"[method]udp-socket.get-receive-buffer-size", udp_get_rcvbuf},
    {"[method]udp-socket.set-receive-buffer-size", udp_set_rcvbuf},
    {"[method]udp-socket.get-send-buffer-size", udp_get_sndbuf},
    {"[method]udp-socket.set-send-buffer-size", udp_set_sndbuf},
};

kumi_component_host_fn wasi_p3_sock_udp_fn(const char *name) {
  for (size_t i = 0; i < sizeof sync_fns / sizeof sync_fns[0]; i++)
    if (!strcmp(sync_fns[i].name, name)) return sync_fns[i].fn;
  return NULL;
}

kumi_error *wasi_p3_sock_add_udp(kumi_component_linker *l, wasi_p3_sock *st) {
  kumi_error *e;
  for (size_t i = 0; i < sizeof sync_fns / sizeof sync_fns[0]; i++)
    if ((e = kumi_component_linker_define_func(l, WASI_P3_SOCK_TYPES, sync_fns[i].name, NULL, sync_fns[i].fn, st)))
      return e;
  if ((e = kumi_component_linker_define_async(l, WASI_P3_SOCK_TYPES, "[method]udp-socket.send", NULL, udp_send, st)))
    return e;
  return kumi_component_linker_define_async(l, WASI_P3_SOCK_TYPES, "[method]udp-socket.receive", NULL, udp_receive,
                                            st);
}
