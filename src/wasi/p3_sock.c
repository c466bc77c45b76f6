/* wasi:sockets@0.3.0: the state (socket tables, running operations) and
 * wasi_p3_add_sockets. */
#define _GNU_SOURCE
#include "p3_sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

wasi_sock *wasi_sock_new(wasi_p3_sock *st, int fd, bool v6, bool udp) {
  wasi_sock *s = kb_zalloc(st->alloc, sizeof *s);
  if (!s) return NULL;
  s->st = st;
  s->fd = fd;
  s->refs = 1;
  s->v6 = v6;
  s->udp = udp;
  s->state = SOCK_UNBOUND;
  s->backlog = 128;
  return s;
}

void wasi_sock_ref(wasi_sock *s) { s->refs++; }

void wasi_sock_unref(wasi_sock *s) {
  if (!s || --s->refs) return;
  if (s->fd >= 0) close(s->fd);
  kb_free(s->st->alloc, s, sizeof *s);
}

bool wasi_sock_add(wasi_p3_sock *st, wasi_sock *s, uint32_t *rep) {
  wasi_sock_vec *t = s->udp ? &st->udp : &st->tcp;
  for (size_t i = 0; i < t->len; i++)
    if (!t->items[i]) {
      t->items[i] = s;
      *rep = (uint32_t)i;
      return true;
    }
  if (t->len >= UINT32_MAX || !kb_vec_push(st->alloc, t, s)) return false;
  *rep = (uint32_t)(t->len - 1);
  return true;
}

wasi_sock *wasi_sock_get(wasi_p3_sock *st, bool udp, const kumi_cval *h) {
  if (!h || (h->kind != KUMI_CV_BORROW && h->kind != KUMI_CV_OWN)) return NULL;
  wasi_sock_vec *t = udp ? &st->udp : &st->tcp;
  return h->of.handle < t->len ? t->items[h->of.handle] : NULL;
}

void wasi_sock_op_link(wasi_p3_sock *st, wasi_sock_op *op) {
  op->prev = NULL;
  op->next = st->ops;
  if (st->ops) st->ops->prev = op;
  st->ops = op;
}

void wasi_sock_op_unlink(wasi_p3_sock *st, wasi_sock_op *op) {
  if (op->prev)
    op->prev->next = op->next;
  else if (st->ops == op)
    st->ops = op->next;
  if (op->next) op->next->prev = op->prev;
  op->prev = op->next = NULL;
}

kumi_error *wasi_sock_trap(wasi_p3_sock *st, const char *what) {
  kumi_error *e = kb_error(st->alloc, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "wasi:sockets: %s", what);
  if (e && e->alloc) e->trap = KUMI_TRAP_HOST;
  return e ? e : kb_error_oom();
}

wasi_sock *wasi_sock_self(wasi_p3_sock *st, bool udp, const kumi_cval *args, size_t nargs) {
  return nargs ? wasi_sock_get(st, udp, &args[0]) : NULL;
}

kumi_error *wasi_sock_create(wasi_p3_sock *st, const kumi_allocator *a, const kumi_cval *args, size_t nargs, bool udp,
                             kumi_cval *result) {
  if (nargs != 1 || args[0].kind != KUMI_CV_ENUM) return wasi_sock_trap(st, "bad arguments");
  bool v6 = args[0].of.var.index == 1;
  int fd = socket(v6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  udp ? IPPROTO_UDP : IPPROTO_TCP);
  if (fd < 0)
    return wasi_sock_fail_with(st, a, errno == EAFNOSUPPORT ? SOCK_E_NOT_SUPPORTED : wasi_sock_errno_code(errno),
                               result);
  int one = 1;
  /* WIT: IPv6 sockets are IPv6-only; a TCP bind ignores TIME_WAIT (SO_REUSEADDR). */
  if ((v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
      (!udp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)) {
    int e = errno;
    close(fd);
    return wasi_sock_fail_with(st, a, wasi_sock_errno_code(e), result);
  }
  wasi_sock *s = wasi_sock_new(st, fd, v6, udp);
  uint32_t rep;
  if (!s) {
    close(fd);
    return wasi_sock_trap(st, "out of memory");
  }
  if (!wasi_sock_add(st, s, &rep)) {
    wasi_sock_unref(s);
    return wasi_sock_trap(st, "out of memory");
  }
  kumi_cval h = kumi_cval_handle(KUMI_CV_OWN, rep);
  return wasi_sock_ok_with(st, a, &h, result);
}

kumi_error *wasi_sock_bind_method(wasi_p3_sock *st, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                  bool udp, kumi_cval *result) {
  wasi_sock *s = wasi_sock_self(st, udp, args, nargs);
  if (!s || nargs != 2) return wasi_sock_trap(st, udp ? "bad udp-socket" : "bad tcp-socket");
  uint32_t c = wasi_sock_do_bind(s, &args[1]);
  return c == SOCK_OK ? wasi_sock_ok_with(st, a, NULL, result) : wasi_sock_fail_with(st, a, c, result);
}

void wasi_sock_call_err(wasi_p3_sock *st, kumi_async_call *call, uint32_t code) {
  kumi_cval r;
  if (!wasi_sock_err(kumi_async_call_allocator(call), code, &r)) {
    kumi_async_call_fail(call, wasi_sock_trap(st, "out of memory"));
    return;
  }
  kumi_async_call_return(call, &r);
}

void wasi_sock_call_ok(wasi_p3_sock *st, kumi_async_call *call) {
  kumi_cval r;
  if (!wasi_sock_ok(kumi_async_call_allocator(call), NULL, &r)) {
    kumi_async_call_fail(call, wasi_sock_trap(st, "out of memory"));
    return;
  }
  kumi_async_call_return(call, &r);
}

static void drop_rep(wasi_p3_sock *st, bool udp, uint32_t rep) {
  wasi_sock_vec *t = udp ? &st->udp : &st->tcp;
  if (rep >= t->len || !t->items[rep]) return;
  wasi_sock *s = t->items[rep];
  t->items[rep] = NULL;
  wasi_sock_unref(s);
}

static void tcp_dtor(void *env, uint32_t rep) { drop_rep(env, false, rep); }
static void udp_dtor(void *env, uint32_t rep) { drop_rep(env, true, rep); }

static void sock_state_free(void *state) {
  wasi_p3_sock *st = state;
  if (!st) return;
  /* Operations first: they hold references to the sockets. */
  while (st->ops) {
    wasi_sock_op *op = st->ops;
    wasi_sock_op_unlink(st, op);
    op->stop(op);
  }
  for (size_t i = 0; i < st->tcp.len; i++) wasi_sock_unref(st->tcp.items[i]);
  for (size_t i = 0; i < st->udp.len; i++) wasi_sock_unref(st->udp.items[i]);
  kb_vec_free(st->alloc, &st->tcp);
  kb_vec_free(st->alloc, &st->udp);
  kb_free(st->alloc, st, sizeof *st);
}

kumi_error *wasi_p3_add_sockets(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part) {
  part->state = NULL;
  part->free = NULL;
  if (!l || !w) return kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "wasi p3: null argument");
  wasi_p3_sock *st = kb_zalloc(w->alloc, sizeof *st);
  if (!st) return kb_error_oom();
  st->w = w;
  st->alloc = w->alloc;
  /* The part owns st from here on, also when a definition below fails. */
  part->state = st;
  part->free = sock_state_free;
  kumi_error *e;
  if ((e = kumi_component_linker_define_resource(l, WASI_P3_SOCK_TYPES, "tcp-socket", tcp_dtor, st)) ||
      (e = kumi_component_linker_define_resource(l, WASI_P3_SOCK_TYPES, "udp-socket", udp_dtor, st)) ||
      (e = wasi_p3_sock_add_tcp(l, st)) || (e = wasi_p3_sock_add_udp(l, st)))
    return e;
  return wasi_p3_sock_add_lookup(l, st);
}
