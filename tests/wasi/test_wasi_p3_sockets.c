/* wasi:sockets@0.3.0 (src/wasi/p3_sock*.c), three ways:
 *  - kumi_wasi_config_allow_ip: well-formed networks are accepted,
 *    malformed ones rejected; the matching itself (wasi_cidr_parse,
 *    wasi_net_allowed) on edge cases;
 *  - the network policy through the host functions themselves, called
 *    with component values: by default a UDP connect to a non-loopback
 *    address (IPv4 and IPv6) and a TCP bind to a non-loopback address of
 *    this host are access-denied while loopback works; once the network
 *    is allowed they are not denied; an address the host does not have is
 *    address-not-bindable either way. Nothing may leak;
 *  - ip-name-lookup from a small component of our own: literals,
 *    "localhost", malformed and unknown names;
 *  - TCP in bulk from a component of our own against a peer in a forked
 *    child: 3 MiB in, 4 MiB out through receive/send streams; and the
 *    policy for TCP connect (async) from the same component;
 *  - the official wasm32-wasip3 sockets programs
 *    (../shared/conformance/wasi-testsuite/rust-wasip3/sockets-*.wasm),
 *    each run in-process (WASI 0.2 and 0.3 linked, wasi:cli/run@0.3.0#run
 *    called) inside a forked child so that a hang is killed after a
 *    deadline (KUMI_P3_TIMEOUT_MS, default 30000); for sockets-echo the
 *    test connects to the HOST:PORT the program prints, sends a line and
 *    expects it back. A child must return ok with nothing leaked.
 * KUMI_WASI_TESTSUITE overrides where the suite is; program names as
 * arguments run only those. Prints "N passed, N failed". */
#define _GNU_SOURCE
#include "../test.h"
#include "p3_harness.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include "wasi/p3_sock.h"

#include "p3_sockets_wat.h"

/* ---- allow_ip and the matching ------------------------------------------------------------- */

static void test_cidr(void) {
  kumi_wasi_config *cfg = kumi_wasi_config_new(NULL);
  static const char *const good[] = {"192.168.1.0/24", "0.0.0.0/0", "::/0", "10.1.2.3", "fe80::/10",
                                     "2001:db8::1/128", "127.0.0.1/32", "10.9.9.9/8"};
  static const char *const bad[] = {"", "/24", "1.2.3.4/", "1.2.3.4/33", "::/129", "abc", "1.2.3/24",
                                    "1.2.3.4/x", "1.2.3.4/-1", "1.2.3.4/24/1", "1.2.3.4 /24", "::1/1000",
                                    "[::1]/128", "1.2.3.4/0024"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    kumi_error *e = kumi_wasi_config_allow_ip(cfg, good[i]);
    CHECKF(!e, "'%s' rejected: %s", good[i], e ? kumi_error_message(e) : "");
    if (e) kumi_error_free(e);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    kumi_error *e = kumi_wasi_config_allow_ip(cfg, bad[i]);
    CHECKF(e && kumi_error_kind_of(e) == KUMI_ERR_ARG, "'%s' accepted", bad[i]);
    if (e) kumi_error_free(e);
  }
  kumi_error *e = kumi_wasi_config_allow_ip(cfg, NULL);
  CHECK(e != NULL);
  kumi_error_free(e);
  kumi_wasi_config_free(cfg);

  /* Matching. */
  wasi_netlist l;
  memset(&l, 0, sizeof l);
  CHECK(wasi_cidr_parse("10.9.9.9/8", &l.nets[l.n++])); /* host bits are cleared */
  CHECK(wasi_cidr_parse("2001:db8::/33", &l.nets[l.n++]));
  uint8_t a4[4], a6[16];
  struct { const char *addr; bool want; } cases[] = {
      {"10.0.0.0", true}, {"10.255.255.255", true}, {"11.0.0.1", false}, {"9.255.255.255", false},
      {"127.0.0.1", true}, {"127.255.0.9", true}, {"192.0.2.1", false}, {"::1", true}, {"::2", false},
      {"2001:db8::1", true}, {"2001:db8:7fff::1", true}, {"2001:db8:8000::1", false}, {"::ffff:10.0.0.1", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bool v6 = strchr(cases[i].addr, ':') != NULL;
    CHECK(inet_pton(v6 ? AF_INET6 : AF_INET, cases[i].addr, v6 ? (void *)a6 : (void *)a4) == 1);
    bool got = wasi_net_allowed(&l, v6, v6 ? a6 : a4);
    CHECKF(got == cases[i].want, "%s: allowed %d, want %d", cases[i].addr, got, cases[i].want);
  }
  wasi_netlist all;
  memset(&all, 0, sizeof all);
  CHECK(wasi_cidr_parse("0.0.0.0/0", &all.nets[all.n++]));
  CHECK(inet_pton(AF_INET, "203.0.113.7", a4) == 1 && wasi_net_allowed(&all, false, a4));
  CHECK(inet_pton(AF_INET6, "2001:db8::9", a6) == 1 && !wasi_net_allowed(&all, true, a6)); /* families apart */
}

/* ---- the policy through the host functions ------------------------------------------------------ */

static kumi_cval addr_val(const char *ip, uint16_t port) {
  kumi_cval rec, v;
  struct in6_addr a6;
  struct in_addr a4;
  if (inet_pton(AF_INET, ip, &a4) == 1) {
    const uint8_t *b = (const uint8_t *)&a4;
    if (!kumi_cval_agg(NULL, KUMI_CV_RECORD, 2, &rec)) abort();
    rec.of.agg.items[0] = kumi_cval_int(KUMI_CV_U16, port);
    if (!kumi_cval_agg(NULL, KUMI_CV_TUPLE, 4, &rec.of.agg.items[1])) abort();
    for (int i = 0; i < 4; i++) rec.of.agg.items[1].of.agg.items[i] = kumi_cval_int(KUMI_CV_U8, b[i]);
    if (!kumi_cval_case(NULL, KUMI_CV_VARIANT, 0, &rec, &v)) abort();
    return v;
  }
  if (inet_pton(AF_INET6, ip, &a6) != 1) abort();
  if (!kumi_cval_agg(NULL, KUMI_CV_RECORD, 4, &rec)) abort();
  rec.of.agg.items[0] = kumi_cval_int(KUMI_CV_U16, port);
  rec.of.agg.items[1] = kumi_cval_int(KUMI_CV_U32, 0);
  if (!kumi_cval_agg(NULL, KUMI_CV_TUPLE, 8, &rec.of.agg.items[2])) abort();
  for (int i = 0; i < 8; i++)
    rec.of.agg.items[2].of.agg.items[i] = kumi_cval_int(KUMI_CV_U16, (a6.s6_addr[2 * i] << 8) | a6.s6_addr[2 * i + 1]);
  rec.of.agg.items[3] = kumi_cval_int(KUMI_CV_U32, 0);
  if (!kumi_cval_case(NULL, KUMI_CV_VARIANT, 1, &rec, &v)) abort();
  return v;
}

/* A wasi:sockets state over its own kumi_wasi, with the networks given. */
typedef struct sockenv {
  test_alloc ta;
  kumi_allocator hook;
  kumi_engine *engine;
  kumi_component_linker *l;
  kumi_wasi *w;
  wasi_p3_part part;
} sockenv;

static bool env_open(sockenv *x, const char *const *nets) {
  memset(x, 0, sizeof *x);
  x->hook = test_alloc_init(&x->ta, -1);
  kumi_config config = {.allocator = &x->hook};
  x->engine = kumi_engine_new(&config);
  x->l = x->engine ? kumi_component_linker_new(x->engine) : NULL;
  kumi_wasi_config *cfg = kumi_wasi_config_new(&x->hook);
  kumi_error *e = NULL;
  for (size_t i = 0; nets && nets[i] && cfg && !e; i++) e = kumi_wasi_config_allow_ip(cfg, nets[i]);
  if (cfg && !e) x->w = kumi_wasi_new(cfg, &e);
  kumi_wasi_config_free(cfg);
  if (x->w && x->l) e = wasi_p3_add_sockets(x->l, x->w, &x->part);
  CHECKF(!e && x->w && x->l, "setting up: %s", e ? kumi_error_message(e) : "out of memory");
  if (e) kumi_error_free(e);
  return x->part.state != NULL;
}

static void env_close(sockenv *x) {
  if (x->part.free) x->part.free(x->part.state);
  kumi_wasi_free(x->w);
  kumi_component_linker_free(x->l);
  kumi_engine_free(x->engine);
  CHECKF(test_alloc_clean(&x->ta), "leak: %zu blocks, %zu bytes live", x->ta.live_blocks, x->ta.live_bytes);
}

/* Calls a synchronous socket function; the result's case: 0 ok, else
 * 1000 + the error-code case; -1 when the call itself failed. *rep gets
 * an ok(own) payload. */
#define OK_CASE (-2)
static int call_fn(sockenv *x, bool udp, const char *name, const kumi_cval *args, size_t nargs, uint32_t *rep) {
  kumi_component_host_fn fn = udp ? wasi_p3_sock_udp_fn(name) : wasi_p3_sock_tcp_fn(name);
  if (!fn) return -1;
  kumi_cval r = kumi_cval_bool(false);
  kumi_error *e = fn(x->part.state, &x->hook, args, nargs, &r);
  int out = -1;
  if (e) {
    kumi_error_free(e); /* a trap: -1 */
  } else if (r.kind == KUMI_CV_RESULT) {
    if (r.of.var.index == 0) {
      out = OK_CASE;
      if (rep && r.of.var.payload && r.of.var.payload->kind == KUMI_CV_OWN) *rep = r.of.var.payload->of.handle;
    } else if (r.of.var.payload && r.of.var.payload->kind == KUMI_CV_VARIANT) {
      out = (int)r.of.var.payload->of.var.index;
    }
  }
  kumi_cval_free(&x->hook, &r);
  return out;
}

static uint32_t make_sock(sockenv *x, bool udp, bool v6) {
  kumi_cval fam;
  if (!kumi_cval_case(NULL, KUMI_CV_ENUM, v6 ? 1 : 0, NULL, &fam)) abort();
  uint32_t rep = UINT32_MAX;
  int c = call_fn(x, udp, udp ? "[static]udp-socket.create" : "[static]tcp-socket.create", &fam, 1, &rep);
  CHECKF(c == OK_CASE, "create: %d", c);
  return rep;
}

/* bind or connect: "[method]udp-socket.connect", ... */
static int sock_addr_call(sockenv *x, bool udp, const char *name, uint32_t rep, const char *ip, uint16_t port) {
  kumi_cval args[2] = {kumi_cval_handle(KUMI_CV_BORROW, rep), addr_val(ip, port)};
  int c = call_fn(x, udp, name, args, 2, NULL);
  kumi_cval_free(NULL, &args[1]);
  return c;
}

static void drop_sock(sockenv *x, bool udp, uint32_t rep) {
  /* What the runtime does when the guest drops its last handle. */
  wasi_p3_sock *st = x->part.state;
  wasi_sock_vec *t = udp ? &st->udp : &st->tcp;
  if (rep < t->len && t->items[rep]) {
    wasi_sock_unref(t->items[rep]);
    t->items[rep] = NULL;
  }
}

/* A non-loopback IPv4 address of this host, or false. */
static bool local_ipv4(char *out, size_t n) {
  struct ifaddrs *ifs;
  if (getifaddrs(&ifs) != 0) return false;
  bool found = false;
  for (struct ifaddrs *i = ifs; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;
    if (((const uint8_t *)&sin->sin_addr)[0] == 127) continue;
    found = inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)n) != NULL;
  }
  freeifaddrs(ifs);
  return found;
}

#define UDP_CONNECT "[method]udp-socket.connect"
#define TCP_BIND "[method]tcp-socket.bind"

static void test_policy(void) {
  char local[64];
  bool have_local = local_ipv4(local, sizeof local);
  if (!have_local) printf("no non-loopback IPv4 address here: the bind-policy check on one is skipped\n");
  {
    sockenv x;
    if (env_open(&x, NULL)) {
      uint32_t u4 = make_sock(&x, true, false), u6 = make_sock(&x, true, true);
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u4, "192.0.2.1", 9) == SOCK_E_ACCESS_DENIED);
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u4, "8.8.8.8", 53) == SOCK_E_ACCESS_DENIED);
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u6, "2001:db8::1", 9) == SOCK_E_ACCESS_DENIED);
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u4, "127.0.0.1", 9) == OK_CASE);
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u4, "127.1.2.3", 9) == OK_CASE);
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u6, "::1", 9) == OK_CASE);
      /* Checks WIT puts before anything else still come first. */
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u4, "0.0.0.0", 9) == SOCK_E_INVALID_ARGUMENT);
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u4, "::1", 9) == SOCK_E_INVALID_ARGUMENT);
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u4, "127.0.0.1", 0) == SOCK_E_INVALID_ARGUMENT);
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u6, "::ffff:127.0.0.1", 9) == SOCK_E_INVALID_ARGUMENT);
      /* UDP may use multicast (no invalid-argument), but it is not loopback. */
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u4, "224.0.0.1", 9) == SOCK_E_ACCESS_DENIED);
      uint32_t u5 = make_sock(&x, true, false), u7 = make_sock(&x, true, false);
      CHECK(sock_addr_call(&x, true, "[method]udp-socket.bind", u5, "0.0.0.0", 0) == OK_CASE);
      CHECK(sock_addr_call(&x, true, "[method]udp-socket.bind", u7, "198.51.100.1", 0) == SOCK_E_ADDRESS_NOT_BINDABLE);
      /* A handle that is no socket traps (an error, not a result). */
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, 1000, "127.0.0.1", 9) == -1);
      CHECK(sock_addr_call(&x, false, TCP_BIND, u5 + 1000, "127.0.0.1", 0) == -1);
      uint32_t t1 = make_sock(&x, false, false), t2 = make_sock(&x, false, false), t3 = make_sock(&x, false, false);
      /* 192.0.2.1 is no address of ours: not bindable, whatever the policy. */
      CHECK(sock_addr_call(&x, false, TCP_BIND, t1, "192.0.2.1", 0) == SOCK_E_ADDRESS_NOT_BINDABLE);
      if (have_local) CHECKF(sock_addr_call(&x, false, TCP_BIND, t1, local, 0) == SOCK_E_ACCESS_DENIED, "%s", local);
      CHECK(sock_addr_call(&x, false, TCP_BIND, t1, "127.0.0.1", 0) == OK_CASE);
      CHECK(sock_addr_call(&x, false, TCP_BIND, t1, "127.0.0.1", 0) == SOCK_E_INVALID_STATE);
      CHECK(sock_addr_call(&x, false, TCP_BIND, t2, "0.0.0.0", 0) == OK_CASE); /* any interface: allowed */
      CHECK(sock_addr_call(&x, false, TCP_BIND, t3, "224.0.0.1", 0) == SOCK_E_INVALID_ARGUMENT);
      drop_sock(&x, true, u4);
      drop_sock(&x, true, u6);
      drop_sock(&x, false, t1); /* t2, t3 are left for the state to close */
    }
    env_close(&x);
  }
  {
    char net[80];
    h_fmt(net, sizeof net, "%s/32", have_local ? local : "127.0.0.1");
    const char *const nets[] = {"192.0.2.0/24", "2001:db8::/32", net, NULL};
    sockenv x;
    if (env_open(&x, nets)) {
      uint32_t u4 = make_sock(&x, true, false), u6 = make_sock(&x, true, true);
      /* Allowed now: connected, or a routing failure, never access-denied. */
      int c = sock_addr_call(&x, true, UDP_CONNECT, u4, "192.0.2.1", 9);
      CHECKF(c == OK_CASE || c == SOCK_E_REMOTE_UNREACHABLE, "udp connect 192.0.2.1: %d", c);
      c = sock_addr_call(&x, true, UDP_CONNECT, u6, "2001:db8::1", 9);
      CHECKF(c == OK_CASE || c == SOCK_E_REMOTE_UNREACHABLE || c == SOCK_E_ADDRESS_IN_USE, "udp connect 2001:db8::1: %d",
             c);
      CHECK(sock_addr_call(&x, true, UDP_CONNECT, u4, "198.51.100.1", 9) == SOCK_E_ACCESS_DENIED); /* not listed */
      uint32_t t1 = make_sock(&x, false, false);
      if (have_local) CHECKF(sock_addr_call(&x, false, TCP_BIND, t1, local, 0) == OK_CASE, "%s", local);
    }
    env_close(&x);
  }
}

/* ---- ip-name-lookup, from a component ------------------------------------------------------------
 * The component's export resolve(name) calls resolve-addresses and
 * returns 1000 + the error-code case, or (count << 16) | (first address's
 * case << 8) | a byte of it (IPv4: the first octet; IPv6: the low byte of
 * the last group). */

typedef p3h_comp compenv;
static bool comp_open(compenv *x, const char *wat, const char *const *nets) { return p3h_comp_open(x, wat, nets, NULL); }
static void comp_close(compenv *x, const char *what) { p3h_comp_close(x, what); }

static void test_lookup(void) {
  compenv x;
  comp_open(&x, lookup_wat, NULL);
  kumi_store *store = x.store;
  const kumi_allocator *hook = &x.hook;
  kumi_error *e = NULL;
  kumi_component_func *f = x.inst ? kumi_component_instance_func(x.inst, NULL, "resolve") : NULL;
  if (f) {
    static const struct { const char *name; uint32_t want; } cases[] = {
        {"127.0.0.1", (1u << 16) | 127}, {"10.20.30.40", (1u << 16) | 10}, {"localhost", (2u << 16) | 127},
        {"LocalHost.", (2u << 16) | 127}, {"::1", (1u << 16) | (1u << 8) | 1}, {"[::1]", (1u << 16) | (1u << 8) | 1},
        {"2001:db8::7", (1u << 16) | (1u << 8) | 7}, {"::ffff:10.1.2.3", (1u << 16) | 10}, /* never mapped */
        {"", 1001}, {"bad..name", 1001}, {"a b", 1001}, {"[127.0.0.1", 1001}, {"fe80::1%eth0", 1001},
        {"no-such-host.invalid", 1002}, {"example.com", 1002},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      kumi_cval arg, res = kumi_cval_bool(false);
      if (!kumi_cval_string(hook, cases[i].name, strlen(cases[i].name), &arg)) abort();
      e = kumi_component_func_call(store, f, &arg, 1, &res, 1);
      kumi_cval_free(hook, &arg);
      CHECKF(!e && res.kind == KUMI_CV_U32 && res.of.u == cases[i].want, "resolve '%s': %s %llu, want %u",
             cases[i].name, e ? kumi_error_message(e) : "", (unsigned long long)res.of.u, cases[i].want);
      if (e) kumi_error_free(e);
      e = NULL;
      kumi_cval_free(hook, &res);
    }
  }
  comp_close(&x, "lookup");
}

/* ---- the suite's programs --------------------------------------------------------------------- */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_ms(void) {
  const char *s = getenv("KUMI_P3_TIMEOUT_MS");
  long v = s ? strtol(s, NULL, 10) : 0;
  return v > 0 ? v : 30000;
}

/* In the child: runs the program with stdout on out_fd. Exit status 0
 * when run returned ok, 1 for err, 2 for a kumi error, 3 for a leak. */
static int child_run(const char *wasm, int out_fd) {
  hbuf bytes = {0};
  if (!h_read_file(wasm, &bytes)) return 2;
  test_alloc ta;
  const kumi_allocator hook = test_alloc_init(&ta, -1);
  kumi_config config = {.allocator = &hook};
  kumi_error *e = NULL;
  kumi_engine *engine = kumi_engine_new(&config);
  kumi_component *c = kumi_component_new(engine, (const uint8_t *)bytes.s, bytes.len, &e);
  kumi_store *store = NULL;
  kumi_component_linker *l = NULL;
  kumi_component_instance *inst = NULL;
  kumi_wasi *w = NULL;
  kumi_cval res = kumi_cval_bool(false);
  int status = 2;
  kumi_wasi_config *cfg = kumi_wasi_config_new(NULL);
  if (!c || (e = kumi_wasi_config_arg(cfg, wasm)) || (e = kumi_wasi_config_stdio_fd(cfg, KUMI_WASI_STDOUT, out_fd)) ||
      (e = kumi_wasi_config_stdio_inherit(cfg, KUMI_WASI_STDERR)))
    goto done;
  if (!(w = kumi_wasi_new(cfg, &e))) goto done;
  store = kumi_store_new(engine, NULL);
  l = kumi_component_linker_new(engine);
  if ((e = kumi_component_linker_add_wasi_p2(l, w)) || (e = kumi_component_linker_add_wasi_p3(l, w))) goto done;
  if (!(inst = kumi_component_linker_instantiate(l, store, c, &e))) goto done;
  kumi_component_func *run = kumi_component_instance_func(inst, "wasi:cli/run@0.3.0", "run");
  if (!run) {
    fprintf(stderr, "no wasi:cli/run@0.3.0 export\n");
    goto done;
  }
  e = kumi_component_func_call(store, run, NULL, 0, &res, 1);
  if (!e) status = res.kind == KUMI_CV_RESULT && res.of.var.index == 0 ? 0 : 1;
done:
  if (e) fprintf(stderr, "kumi error: %s\n", kumi_error_message(e));
  if (e) kumi_error_free(e);
  kumi_cval_free(&hook, &res);
  kumi_component_instance_free(inst);
  kumi_store_free(store);
  kumi_component_linker_free(l);
  kumi_wasi_free(w);
  kumi_wasi_config_free(cfg);
  kumi_component_free(c);
  kumi_engine_free(engine);
  hbuf_free(&bytes);
  if (!test_alloc_clean(&ta)) {
    fprintf(stderr, "leak: %zu blocks, %zu bytes live\n", ta.live_blocks, ta.live_bytes);
    if (status == 0) status = 3;
  }
  return status;
}

/* Reads from fd into b until a full line is there or the deadline passes. */
static bool read_line(int fd, hbuf *b, int64_t until) {
  while (!b->s || !strchr(b->s, '\n')) {
    int64_t left = until - now_ms();
    if (left <= 0) return false;
    struct pollfd pf = {fd, POLLIN, 0};
    if (poll(&pf, 1, (int)left) <= 0) continue;
    char buf[512];
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0) return false;
    hbuf_add(b, buf, (size_t)r);
  }
  return true;
}

/* The echo client: reads lines until one is HOST:PORT, connects, sends,
 * expects the same bytes back. */
static bool echo_client(int out_fd, int64_t until, char *why, size_t why_n) {
  hbuf b = {0};
  size_t pos = 0;
  bool ok = false;
  for (;;) {
    if (!read_line(out_fd, &b, until)) {
      h_fmt(why, why_n, "no HOST:PORT line on stdout (got '%.200s')", b.s ? b.s : "");
      break;
    }
    char *nl = strchr(b.s + pos, '\n');
    if (!nl) continue;
    *nl = 0;
    char *line = b.s + pos;
    pos = (size_t)(nl - b.s) + 1;
    char *colon = strrchr(line, ':');
    if (!colon || colon == line) continue;
    *colon = 0;
    char *host = line, *port = colon + 1;
    size_t hl = strlen(host);
    if (hl > 1 && host[0] == '[' && host[hl - 1] == ']') {
      host[hl - 1] = 0;
      host++;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &ai) != 0) continue;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool conn = fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    freeaddrinfo(ai);
    if (!conn) {
      h_fmt(why, why_n, "cannot connect to %s:%s: %s", host, port, strerror(errno));
      if (fd >= 0) close(fd);
      break;
    }
    static const char msg[] = "Hello, world";
    ssize_t sent = send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL);
    char got[64];
    size_t n = 0;
    while (sent == (ssize_t)(sizeof msg - 1) && n < sizeof msg - 1) {
      int64_t left = until - now_ms();
      struct pollfd pf = {fd, POLLIN, 0};
      if (left <= 0 || poll(&pf, 1, (int)left) <= 0) break;
      ssize_t r = recv(fd, got + n, sizeof got - n, 0);
      if (r <= 0) break;
      n += (size_t)r;
    }
    close(fd);
    ok = n == sizeof msg - 1 && memcmp(got, msg, n) == 0;
    if (!ok) h_fmt(why, why_n, "echo: got %zu bytes '%.*s'", n, (int)n, got);
    break;
  }
  hbuf_free(&b);
  return ok;
}

/* ---- TCP in bulk, from a component -----------------------------------------------------------------
 * The component's export bulk(port, n) connects to 127.0.0.1:port,
 * receives until the peer shuts down (64 KiB reads), then sends n bytes of
 * 0x5a through a stream it writes (async copies; a blocked one waits in a
 * waitable set; a zero-length read and write first), and returns (bytes
 * received, the receive future's outcome, the send future's outcome);
 * an outcome is 0 for ok, 0x100 | case for err. The peer, a forked child,
 * sends its bytes first and reads only after a pause, so that both the
 * host's receive path (data arriving in pieces) and its send path (a full
 * socket buffer: wait until writable) are taken. */

#define BULK_IN (3u << 20)  /* bytes the peer sends */
#define BULK_OUT (4u << 20) /* bytes the component sends */

/* The peer: accepts one connection on lfd, sends BULK_IN bytes (i mod
 * 251), shuts its side down, pauses (the component's sends fill the
 * socket buffers meanwhile), then reads to the end. Exit status 0 when it
 * read exactly BULK_OUT bytes of 0x5a. */
static int bulk_peer(int lfd) {
  alarm(60);
  int fd = accept(lfd, NULL, NULL);
  if (fd < 0) return 2;
  static uint8_t buf[65536];
  size_t sent = 0;
  while (sent < BULK_IN) {
    size_t n = BULK_IN - sent < sizeof buf ? BULK_IN - sent : sizeof buf;
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)((sent + i) % 251);
    ssize_t r = send(fd, buf, n, MSG_NOSIGNAL);
    if (r <= 0) return 3;
    sent += (size_t)r;
  }
  shutdown(fd, SHUT_WR);
  usleep(300000);
  size_t got = 0;
  for (;;) {
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r < 0) return 4;
    if (r == 0) break;
    for (ssize_t i = 0; i < r; i++)
      if (buf[i] != 0x5a) return 5;
    got += (size_t)r;
  }
  close(fd);
  return got == BULK_OUT ? 0 : 6;
}


static void test_bulk(void) {
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sin;
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(lfd, 4) != 0 ||
      getsockname(lfd, (struct sockaddr *)&sin, &sl) != 0) {
    CHECKF(false, "bulk: cannot listen: %s", strerror(errno));
    if (lfd >= 0) close(lfd);
    return;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) _exit(bulk_peer(lfd));
  close(lfd);
  CHECK(pid > 0);
  if (pid < 0) return;
  compenv x;
  if (comp_open(&x, bulk_wat, NULL)) {
    kumi_component_func *f = kumi_component_instance_func(x.inst, NULL, "bulk");
    CHECK(f != NULL);
    kumi_cval args[2] = {kumi_cval_int(KUMI_CV_U32, ntohs(sin.sin_port)), kumi_cval_int(KUMI_CV_U32, BULK_OUT)};
    kumi_cval res = kumi_cval_bool(false);
    kumi_error *e = f ? kumi_component_func_call(x.store, f, args, 2, &res, 1) : NULL;
    bool shape = f && !e && res.kind == KUMI_CV_TUPLE && res.of.agg.len == 3;
    CHECKF(shape, "bulk: %s", e ? kumi_error_message(e) : "bad result");
    if (shape) {
      CHECKF(res.of.agg.items[0].of.u == BULK_IN, "bulk: received %llu of %u bytes",
             (unsigned long long)res.of.agg.items[0].of.u, BULK_IN);
      CHECKF(res.of.agg.items[1].of.u == 0, "bulk: receive outcome %#llx", (unsigned long long)res.of.agg.items[1].of.u);
      CHECKF(res.of.agg.items[2].of.u == 0, "bulk: send outcome %#llx", (unsigned long long)res.of.agg.items[2].of.u);
    }
    if (e) kumi_error_free(e);
    kumi_cval_free(&x.hook, &res);
  }
  comp_close(&x, "bulk");
  int st = 0;
  int64_t until = now_ms() + deadline_ms();
  pid_t r;
  while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < until) usleep(10000);
  if (r != pid) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  CHECKF(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "bulk peer: status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* connect(a, b, c, d, port) of the bulk component: 0, or 0x200 | the case. */
static uint32_t comp_connect(compenv *x, const char *ip, uint16_t port) {
  struct in_addr a;
  if (inet_pton(AF_INET, ip, &a) != 1) abort();
  const uint8_t *b = (const uint8_t *)&a;
  kumi_component_func *f = kumi_component_instance_func(x->inst, NULL, "connect");
  kumi_cval args[5] = {kumi_cval_int(KUMI_CV_U32, b[0]), kumi_cval_int(KUMI_CV_U32, b[1]), kumi_cval_int(KUMI_CV_U32, b[2]),
                       kumi_cval_int(KUMI_CV_U32, b[3]), kumi_cval_int(KUMI_CV_U32, port)};
  kumi_cval res = kumi_cval_bool(false);
  kumi_error *e = f ? kumi_component_func_call(x->store, f, args, 5, &res, 1) : NULL;
  uint32_t out = !e && f && res.kind == KUMI_CV_U32 ? (uint32_t)res.of.u : UINT32_MAX;
  if (e) {
    fprintf(stderr, "connect %s:%u: %s\n", ip, port, kumi_error_message(e));
    kumi_error_free(e);
  }
  kumi_cval_free(&x->hook, &res);
  return out;
}

/* A free TCP port on 127.0.0.1 (bound, then closed again). */
static uint16_t closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sin;
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 && getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
    port = ntohs(sin.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

/* The policy for TCP connect (an async import), from the component: a
 * non-loopback address of this host is access-denied by default and
 * reached (refused: nobody listens) once allowed; loopback always. */
static void test_tcp_connect_policy(void) {
  char local[64];
  bool have_local = local_ipv4(local, sizeof local);
  uint16_t port = closed_port();
  CHECK(port != 0);
  compenv x;
  if (comp_open(&x, bulk_wat, NULL)) {
    CHECK(comp_connect(&x, "127.0.0.1", port) == (0x200u | SOCK_E_CONNECTION_REFUSED));
    CHECK(comp_connect(&x, "192.0.2.1", 80) == (0x200u | SOCK_E_ACCESS_DENIED)); /* never leaves the host */
    CHECK(comp_connect(&x, "0.0.0.0", 80) == (0x200u | SOCK_E_INVALID_ARGUMENT));
    CHECK(comp_connect(&x, "127.0.0.1", 0) == (0x200u | SOCK_E_INVALID_ARGUMENT));
    CHECK(comp_connect(&x, "224.0.0.1", 80) == (0x200u | SOCK_E_INVALID_ARGUMENT));
    if (have_local) CHECKF(comp_connect(&x, local, port) == (0x200u | SOCK_E_ACCESS_DENIED), "%s", local);
  }
  comp_close(&x, "connect policy");
  if (!have_local) return;
  char net[80];
  h_fmt(net, sizeof net, "%s/32", local);
  const char *const nets[] = {net, NULL};
  if (comp_open(&x, bulk_wat, nets)) {
    uint32_t c = comp_connect(&x, local, port);
    CHECKF(c == (0x200u | SOCK_E_CONNECTION_REFUSED) || c == 0, "connect %s:%u once allowed: %#x", local, port, c);
    CHECK(comp_connect(&x, "192.0.2.1", 80) == (0x200u | SOCK_E_ACCESS_DENIED));
  }
  comp_close(&x, "connect policy (allowed)");
}

static bool run_program(const char *dir, const char *stem, char *why, size_t why_n) {
  char wasm[PATH_MAX];
  h_fmt(wasm, sizeof wasm, "%s/%s.wasm", dir, stem);
  int p[2];
  if (pipe(p) != 0) {
    h_fmt(why, why_n, "pipe: %s", strerror(errno));
    return false;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    h_fmt(why, why_n, "fork: %s", strerror(errno));
    close(p[0]);
    close(p[1]);
    return false;
  }
  if (pid == 0) {
    close(p[0]);
    int st = child_run(wasm, p[1]);
    close(p[1]);
    _exit(st);
  }
  close(p[1]);
  int64_t until = now_ms() + deadline_ms();
  bool ok = true;
  if (!strcmp(stem, "sockets-echo")) ok = echo_client(p[0], until, why, why_n);
  /* Drain stdout (so the child never blocks on it) until it exits. */
  int status = -1;
  bool exited = false;
  while (!exited) {
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      exited = true;
      status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
      break;
    }
    if (now_ms() > until) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      if (ok) h_fmt(why, why_n, "timed out after %lld ms", (long long)deadline_ms());
      ok = false;
      break;
    }
    struct pollfd pf = {p[0], POLLIN, 0};
    if (poll(&pf, 1, 20) > 0) {
      char buf[4096];
      if (read(p[0], buf, sizeof buf) <= 0) usleep(20000);
    }
  }
  close(p[0]);
  if (exited && status != 0) {
    if (ok)
      h_fmt(why, why_n, "%s", status == 1 ? "run returned err" : status == 2 ? "kumi error (see stderr)"
                               : status == 3                   ? "leak (see stderr)"
                                                               : "crashed");
    if (status > 3 && ok) h_fmt(why, why_n, "exit status %d", status);
    ok = false;
  }
  return ok;
}

static void test_programs(int argc, char **argv) {
  char dir[PATH_MAX];
  /* The suite has 12; fewer means the folder is not the one we know. */
  if (p3h_programs_dir(__FILE__, dir, sizeof dir))
    p3h_run_programs(dir, "sockets-", "sockets", 12, argc, argv, run_program, true);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    test_cidr();
    test_policy();
    test_lookup();
    test_bulk();
    test_tcp_connect_policy();
  }
  test_programs(argc, argv);
  return test_summary();
}
