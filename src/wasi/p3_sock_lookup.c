/* wasi:sockets/ip-name-lookup@0.3.0 resolve-addresses. Resolution is
 * numeric: an IPv4 or IPv6 literal (optionally in brackets) is returned
 * as is, "localhost" is 127.0.0.1 and ::1; any other well-formed name is
 * name-unresolvable. That never blocks the event loop (a real DNS lookup
 * would need a resolver thread) and reveals nothing about the network. */
#define _GNU_SOURCE
#include "p3_sock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* ip-name-lookup#error-code cases. */
enum { LOOKUP_E_ACCESS_DENIED, LOOKUP_E_INVALID_ARGUMENT, LOOKUP_E_NAME_UNRESOLVABLE };

/* A syntactically valid DNS name: labels of letters, digits and '-', 1..63
 * bytes each, 253 in all, an optional final dot. */
static bool valid_name(const char *s, size_t n) {
  if (n && s[n - 1] == '.') n--;
  if (n == 0 || n > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

static void done_err(wasi_p3_sock *st, kumi_async_call *call, uint32_t code) {
  const kumi_allocator *a = kumi_async_call_allocator(call);
  kumi_cval v, r;
  if (!kumi_cval_case(a, KUMI_CV_VARIANT, code, NULL, &v)) {
    kumi_async_call_fail(call, wasi_sock_trap(st, "out of memory"));
    return;
  }
  if (!kumi_cval_case(a, KUMI_CV_RESULT, 1, &v, &r)) {
    kumi_cval_free(a, &v);
    kumi_async_call_fail(call, wasi_sock_trap(st, "out of memory"));
    return;
  }
  kumi_async_call_return(call, &r);
}

static kumi_error *resolve(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_sock *st = env;
  if (nargs != 1 || args[0].kind != KUMI_CV_STRING) return wasi_sock_trap(st, "bad arguments");
  const char *s = args[0].of.str.ptr;
  size_t n = args[0].of.str.len;
  char buf[INET6_ADDRSTRLEN + 8];
  struct sockaddr_storage addrs[2];
  size_t count = 0;
  memset(addrs, 0, sizeof addrs);
  if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
    s++;
    n -= 2;
  }
  if (n > 0 && n < sizeof buf && !memchr(s, 0, n)) {
    memcpy(buf, s, n);
    buf[n] = 0;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addrs[0];
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addrs[0];
    if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      count = 1;
    } else if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      count = 1;
      if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) { /* never returned as such: its IPv4 address */
        struct in_addr in;
        memcpy(&in, &v6->sin6_addr.s6_addr[12], 4);
        memset(&addrs[0], 0, sizeof addrs[0]);
        v4->sin_family = AF_INET;
        v4->sin_addr = in;
      }
    } else if (strcasecmp(buf, "localhost") == 0 || strcasecmp(buf, "localhost.") == 0) {
      v4->sin_family = AF_INET;
      v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)&addrs[1];
      l6->sin6_family = AF_INET6;
      l6->sin6_addr = in6addr_loopback;
      count = 2;
    }
  }
  if (count == 0) {
    done_err(st, call, valid_name(args[0].of.str.ptr, args[0].of.str.len) ? LOOKUP_E_NAME_UNRESOLVABLE
                                                                          : LOOKUP_E_INVALID_ARGUMENT);
    return NULL;
  }
  const kumi_allocator *a = kumi_async_call_allocator(call);
  kumi_cval list, r;
  if (!kumi_cval_agg(a, KUMI_CV_LIST, count, &list)) return wasi_sock_trap(st, "out of memory");
  for (size_t i = 0; i < count; i++)
    if (!wasi_sock_ip_to_cval(a, (struct sockaddr *)&addrs[i], &list.of.agg.items[i])) {
      kumi_cval_free(a, &list);
      return wasi_sock_trap(st, "out of memory");
    }
  if (!kumi_cval_case(a, KUMI_CV_RESULT, 0, &list, &r)) {
    kumi_cval_free(a, &list);
    return wasi_sock_trap(st, "out of memory");
  }
  kumi_async_call_return(call, &r);
  return NULL;
}

kumi_error *wasi_p3_sock_add_lookup(kumi_component_linker *l, wasi_p3_sock *st) {
  return kumi_component_linker_define_async(l, WASI_P3_SOCK_LOOKUP, "resolve-addresses", NULL, resolve, st);
}
