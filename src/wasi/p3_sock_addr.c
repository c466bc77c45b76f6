/* wasi:sockets@0.3.0: addresses between component values and sockaddrs,
 * the checks WIT documents for guest addresses, errno -> error-code, and
 * the network policy (kumi_wasi_config_allow_ip). */
#define _GNU_SOURCE
#include "p3_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the network policy ------------------------------------------------------------ */

bool wasi_cidr_parse(const char *s, wasi_cidr *out) {
  if (!s || !out) return false;
  memset(out, 0, sizeof *out);
  const char *slash = strchr(s, '/');
  size_t alen = slash ? (size_t)(slash - s) : strlen(s);
  char buf[INET6_ADDRSTRLEN + 1];
  if (alen == 0 || alen >= sizeof buf) return false;
  memcpy(buf, s, alen);
  buf[alen] = 0;
  unsigned max;
  if (inet_pton(AF_INET, buf, out->addr) == 1) {
    max = 32;
  } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
    out->v6 = true;
    max = 128;
  } else {
    return false;
  }
  unsigned prefix = max;
  if (slash) {
    const char *p = slash + 1;
    if (!*p || strlen(p) > 3) return false;
    prefix = 0;
    for (; *p; p++) {
      if (*p < '0' || *p > '9') return false;
      prefix = prefix * 10 + (unsigned)(*p - '0');
    }
    if (prefix > max) return false;
  }
  out->prefix = (uint8_t)prefix;
  /* Clear the host bits so that matching is a plain prefix compare. */
  for (unsigned bit = prefix; bit < max; bit++) out->addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
  return true;
}

static bool prefix_match(const uint8_t *net, const uint8_t *addr, unsigned prefix) {
  unsigned full = prefix / 8, rest = prefix % 8;
  if (memcmp(net, addr, full) != 0) return false;
  if (!rest) return true;
  uint8_t mask = (uint8_t)(0xffu << (8 - rest));
  return (net[full] & mask) == (addr[full] & mask);
}

bool wasi_net_allowed(const wasi_netlist *l, bool v6, const uint8_t *addr) {
  static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (!v6 && addr[0] == 127) return true;
  if (v6 && memcmp(addr, lo6, 16) == 0) return true;
  for (uint32_t i = 0; l && i < l->n; i++)
    if (l->nets[i].v6 == v6 && prefix_match(l->nets[i].addr, addr, l->nets[i].prefix)) return true;
  return false;
}

/* ---- values ------------------------------------------------------------------------ */

uint32_t wasi_sock_errno_code(int e) {
  switch (e) {
  case EACCES: case EPERM: return SOCK_E_ACCESS_DENIED;
  case EOPNOTSUPP: case ENOPROTOOPT: case EPFNOSUPPORT: case EPROTONOSUPPORT: case ESOCKTNOSUPPORT:
    return SOCK_E_NOT_SUPPORTED;
  case EINVAL: case EDESTADDRREQ: case EAFNOSUPPORT: return SOCK_E_INVALID_ARGUMENT;
  case ENOMEM: case ENOBUFS: return SOCK_E_OUT_OF_MEMORY;
  case ETIMEDOUT: return SOCK_E_TIMEOUT;
  case EISCONN: case EALREADY: case ENOTCONN: return SOCK_E_INVALID_STATE;
  case EADDRNOTAVAIL: return SOCK_E_ADDRESS_NOT_BINDABLE;
  case EADDRINUSE: return SOCK_E_ADDRESS_IN_USE;
  case EHOSTUNREACH: case EHOSTDOWN: case ENETDOWN: case ENETUNREACH: case ENONET: return SOCK_E_REMOTE_UNREACHABLE;
  case ECONNREFUSED: return SOCK_E_CONNECTION_REFUSED;
  case EPIPE: return SOCK_E_CONNECTION_BROKEN;
  case ECONNRESET: return SOCK_E_CONNECTION_RESET;
  case ECONNABORTED: return SOCK_E_CONNECTION_ABORTED;
  case EMSGSIZE: return SOCK_E_DATAGRAM_TOO_LARGE;
  default: return SOCK_E_OTHER;
  }
}

uint32_t wasi_sock_bind_errno(int e) {
  if (e == EADDRINUSE || e == ENOBUFS) return SOCK_E_ADDRESS_IN_USE;
  if (e == EADDRNOTAVAIL) return SOCK_E_ADDRESS_NOT_BINDABLE;
  if (e == EAFNOSUPPORT) return SOCK_E_INVALID_ARGUMENT;
  return wasi_sock_errno_code(e);
}

bool wasi_sock_err(const kumi_allocator *a, uint32_t code, kumi_cval *out) {
  kumi_cval v;
  if (code == SOCK_E_OTHER) {
    kumi_cval none;
    if (!kumi_cval_case(a, KUMI_CV_OPTION, 0, NULL, &none)) return false;
    if (!kumi_cval_case(a, KUMI_CV_VARIANT, code, &none, &v)) {
      kumi_cval_free(a, &none);
      return false;
    }
  } else if (!kumi_cval_case(a, KUMI_CV_VARIANT, code, NULL, &v)) {
    return false;
  }
  if (!kumi_cval_case(a, KUMI_CV_RESULT, 1, &v, out)) {
    kumi_cval_free(a, &v);
    return false;
  }
  return true;
}

bool wasi_sock_ok(const kumi_allocator *a, kumi_cval *payload, kumi_cval *out) {
  if (!kumi_cval_case(a, KUMI_CV_RESULT, 0, payload, out)) {
    if (payload) kumi_cval_free(a, payload);
    return false;
  }
  return true;
}

kumi_error *wasi_sock_fail_with(wasi_p3_sock *st, const kumi_allocator *a, uint32_t code, kumi_cval *out) {
  return wasi_sock_err(a, code, out) ? NULL : wasi_sock_trap(st, "out of memory");
}

kumi_error *wasi_sock_ok_with(wasi_p3_sock *st, const kumi_allocator *a, kumi_cval *payload, kumi_cval *out) {
  return wasi_sock_ok(a, payload, out) ? NULL : wasi_sock_trap(st, "out of memory");
}

kumi_error *wasi_sock_name(wasi_p3_sock *st, const kumi_allocator *a, wasi_sock *s, bool peer, kumi_cval *result) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if ((peer ? getpeername(s->fd, (struct sockaddr *)&ss, &len) : getsockname(s->fd, (struct sockaddr *)&ss, &len)) != 0)
    return wasi_sock_fail_with(st, a, errno == ENOTCONN ? SOCK_E_INVALID_STATE : wasi_sock_errno_code(errno), result);
  kumi_cval v;
  if (!wasi_sock_addr_to_cval(a, (struct sockaddr *)&ss, &v)) return wasi_sock_trap(st, "out of memory");
  return wasi_sock_ok_with(st, a, &v, result);
}

kumi_error *wasi_sock_family(wasi_p3_sock *st, const kumi_allocator *a, const wasi_sock *s, kumi_cval *result) {
  return kumi_cval_case(a, KUMI_CV_ENUM, s->v6 ? 1 : 0, NULL, result) ? NULL : wasi_sock_trap(st, "out of memory");
}

/* An integer field of kind k, or false. */
static bool get_uint(const kumi_cval *v, kumi_cvalkind k, uint64_t *out) {
  if (!v || v->kind != k) return false;
  *out = v->of.u;
  return true;
}

bool wasi_sock_addr_from_cval(const kumi_cval *v, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (!v || v->kind != KUMI_CV_VARIANT || !v->of.var.payload) return false;
  const kumi_cval *r = v->of.var.payload;
  if (r->kind != KUMI_CV_RECORD) return false;
  uint64_t port, x;
  if (v->of.var.index == 0) {
    if (r->of.agg.len != 2 || !get_uint(&r->of.agg.items[0], KUMI_CV_U16, &port)) return false;
    const kumi_cval *t = &r->of.agg.items[1];
    if (t->kind != KUMI_CV_TUPLE || t->of.agg.len != 4) return false;
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    uint8_t *b = (uint8_t *)&sin->sin_addr;
    for (int i = 0; i < 4; i++) {
      if (!get_uint(&t->of.agg.items[i], KUMI_CV_U8, &x)) return false;
      b[i] = (uint8_t)x;
    }
    *len = sizeof *sin;
    return true;
  }
  if (v->of.var.index != 1 || r->of.agg.len != 4) return false;
  uint64_t flow, scope;
  const kumi_cval *t = &r->of.agg.items[2];
  if (!get_uint(&r->of.agg.items[0], KUMI_CV_U16, &port) || !get_uint(&r->of.agg.items[1], KUMI_CV_U32, &flow) ||
      !get_uint(&r->of.agg.items[3], KUMI_CV_U32, &scope) || t->kind != KUMI_CV_TUPLE || t->of.agg.len != 8)
    return false;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons((uint16_t)port);
  sin6->sin6_flowinfo = htonl((uint32_t)flow);
  sin6->sin6_scope_id = (uint32_t)scope;
  for (int i = 0; i < 8; i++) {
    if (!get_uint(&t->of.agg.items[i], KUMI_CV_U16, &x)) return false;
    sin6->sin6_addr.s6_addr[2 * i] = (uint8_t)(x >> 8);
    sin6->sin6_addr.s6_addr[2 * i + 1] = (uint8_t)x;
  }
  *len = sizeof *sin6;
  return true;
}

/* The ipv4-address / ipv6-address tuple of sa. */
static bool addr_tuple(const kumi_allocator *a, const struct sockaddr *sa, kumi_cval *out) {
  if (sa->sa_family == AF_INET) {
    const uint8_t *b = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
    if (!kumi_cval_agg(a, KUMI_CV_TUPLE, 4, out)) return false;
    for (int i = 0; i < 4; i++) out->of.agg.items[i] = kumi_cval_int(KUMI_CV_U8, b[i]);
    return true;
  }
  const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
  if (!kumi_cval_agg(a, KUMI_CV_TUPLE, 8, out)) return false;
  for (int i = 0; i < 8; i++) out->of.agg.items[i] = kumi_cval_int(KUMI_CV_U16, (b[2 * i] << 8) | b[2 * i + 1]);
  return true;
}

bool wasi_sock_ip_to_cval(const kumi_allocator *a, const struct sockaddr *sa, kumi_cval *out) {
  if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) return false;
  kumi_cval t;
  if (!addr_tuple(a, sa, &t)) return false;
  if (!kumi_cval_case(a, KUMI_CV_VARIANT, sa->sa_family == AF_INET ? 0 : 1, &t, out)) {
    kumi_cval_free(a, &t);
    return false;
  }
  return true;
}

bool wasi_sock_addr_to_cval(const kumi_allocator *a, const struct sockaddr *sa, kumi_cval *out) {
  if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) return false;
  bool v4 = sa->sa_family == AF_INET;
  kumi_cval r;
  if (!kumi_cval_agg(a, KUMI_CV_RECORD, v4 ? 2 : 4, &r)) return false;
  if (!addr_tuple(a, sa, &r.of.agg.items[v4 ? 1 : 2])) {
    kumi_cval_free(a, &r);
    return false;
  }
  if (v4) {
    r.of.agg.items[0] = kumi_cval_int(KUMI_CV_U16, ntohs(((const struct sockaddr_in *)sa)->sin_port));
  } else {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    r.of.agg.items[0] = kumi_cval_int(KUMI_CV_U16, ntohs(s6->sin6_port));
    r.of.agg.items[1] = kumi_cval_int(KUMI_CV_U32, ntohl(s6->sin6_flowinfo));
    r.of.agg.items[3] = kumi_cval_int(KUMI_CV_U32, s6->sin6_scope_id);
  }
  if (!kumi_cval_case(a, KUMI_CV_VARIANT, v4 ? 0 : 1, &r, out)) {
    kumi_cval_free(a, &r);
    return false;
  }
  return true;
}

/* ---- checks ------------------------------------------------------------------------ */

static const uint8_t *addr_bytes(const struct sockaddr_storage *ss) {
  return ss->ss_family == AF_INET ? (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr
                                  : ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
}

static bool is_unspecified(const struct sockaddr_storage *ss) {
  const uint8_t *b = addr_bytes(ss);
  size_t n = ss->ss_family == AF_INET ? 4 : 16;
  for (size_t i = 0; i < n; i++)
    if (b[i]) return false;
  return true;
}

static uint16_t port_of(const struct sockaddr_storage *ss) {
  return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                        : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

uint32_t wasi_sock_check_addr(const wasi_sock *s, const struct sockaddr_storage *ss) {
  if (ss->ss_family != (s->v6 ? AF_INET6 : AF_INET)) return SOCK_E_INVALID_ARGUMENT;
  const uint8_t *b = addr_bytes(ss);
  /* TCP needs unicast addresses; UDP may bind to or send to multicast and
   * broadcast ones (WIT lists no such error for UDP). */
  if (!s->v6) {
    if (!s->udp && ((b[0] >= 224 && b[0] <= 239) || (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)))
      return SOCK_E_INVALID_ARGUMENT;
    return SOCK_OK;
  }
  if (!s->udp && b[0] == 0xff) return SOCK_E_INVALID_ARGUMENT; /* multicast */
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(b, mapped, 12) == 0) return SOCK_E_INVALID_ARGUMENT;
  return SOCK_OK;
}

uint32_t wasi_sock_check_remote(const wasi_sock *s, const struct sockaddr_storage *ss) {
  uint32_t c = wasi_sock_check_addr(s, ss);
  if (c != SOCK_OK) return c;
  if (is_unspecified(ss) || port_of(ss) == 0) return SOCK_E_INVALID_ARGUMENT;
  return SOCK_OK;
}

uint32_t wasi_sock_check_policy(const wasi_p3_sock *st, const struct sockaddr_storage *ss, bool bind_addr) {
  bool v6 = ss->ss_family == AF_INET6;
  if (bind_addr && is_unspecified(ss)) return SOCK_OK;
  if (wasi_net_allowed(&st->w->nets, v6, addr_bytes(ss))) return SOCK_OK;
  if (bind_addr) {
    /* Binding is local: an address this host does not have is
     * address-not-bindable whatever the policy says (a scratch datagram
     * socket asks the kernel without touching the guest's socket). */
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
      struct sockaddr_storage tmp = *ss;
      if (v6)
        ((struct sockaddr_in6 *)&tmp)->sin6_port = 0;
      else
        ((struct sockaddr_in *)&tmp)->sin_port = 0;
      int r = bind(fd, (struct sockaddr *)&tmp, v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
      int e = errno;
      close(fd);
      if (r != 0 && e == EADDRNOTAVAIL) return SOCK_E_ADDRESS_NOT_BINDABLE;
    }
  }
  return SOCK_E_ACCESS_DENIED;
}
