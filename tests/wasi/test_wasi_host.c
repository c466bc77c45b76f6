/* WASI tests that need the host to act while the guest runs:
 *  - race: a host thread keeps swapping sandbox/swap between a directory
 *    and a symbolic link out of the sandbox (renameat2 RENAME_EXCHANGE)
 *    while progs/race.c opens and stats swap/secret thousands of times;
 *    no attempt may reach the outside file (both path resolvers);
 *  - sock: a listening TCP socket on 127.0.0.1 is preopened; a host thread
 *    connects and exchanges "ping"/"pong" with progs/sock.c.
 * Needs clang for wasm32-wasi like test_wasi_programs.c (else skipped).
 * Ends with "N passed, N failed". */
#include "wasi_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>

#include "../test.h"

/* ---- race ---------------------------------------------------------------------- */

typedef struct swapper {
  char dir[PATH_MAX];
  atomic_bool stop;
  long swaps;
  bool exchange_ok;
} swapper;

static void *swap_loop(void *arg) {
  swapper *s = arg;
  int dfd = open(s->dir, O_RDONLY | O_DIRECTORY);
  s->exchange_ok = true;
  while (!atomic_load(&s->stop)) {
    if (renameat2(dfd, "swap", dfd, "other", RENAME_EXCHANGE) != 0) {
      s->exchange_ok = false;
      break;
    }
    s->swaps++;
  }
  close(dfd);
  return NULL;
}

static void race(const char *wasm, bool walk) {
  char base[PATH_MAX], p[PATH_MAX], what[96];
  h_fmt(what, sizeof what, "race: no swap/secret attempt reaches outside%s", walk ? " (openat walk)" : "");
  if (!h_mkdtemp(base, sizeof base, "race")) {
    test_result(false, what, "no scratch directory");
    return;
  }
  swapper s;
  memset(&s, 0, sizeof s);
  h_fmt(s.dir, sizeof s.dir, "%s/sandbox", base);
  h_fmt(p, sizeof p, "%s/outside", base);
  bool ok = mkdir(p, 0755) == 0;
  h_fmt(p, sizeof p, "%s/outside/secret", base);
  ok = ok && h_write_file(p, "SECRET\n", 7) && mkdir(s.dir, 0755) == 0;
  h_fmt(p, sizeof p, "%s/swap", s.dir);
  ok = ok && mkdir(p, 0755) == 0;
  h_fmt(p, sizeof p, "%s/swap/secret", s.dir);
  ok = ok && h_write_file(p, "inside-file\n", 12);
  h_fmt(p, sizeof p, "%s/other", s.dir);
  ok = ok && symlink("../outside", p) == 0;
  if (!ok) {
    test_result(false, what, "cannot lay out the scratch directory");
    h_rm_rf(base);
    return;
  }
  pthread_t th;
  pthread_create(&th, NULL, swap_loop, &s);
  const char *argv[] = {"race.wasm", NULL};
  h_preopen pre = {s.dir, "/sandbox", false};
  h_run r;
  memset(&r, 0, sizeof r);
  r.wasm = wasm;
  r.args = argv;
  r.preopens = &pre;
  r.npreopens = 1;
  r.walk_only = walk;
  h_run_module(&r);
  atomic_store(&s.stop, true);
  pthread_join(th, NULL);
  char why[512];
  h_fmt(why, sizeof why, "exit %d, error '%s', stdout [%s], stderr [%s], %ld swaps", r.exit_code, r.err,
        r.out.s ? r.out.s : "", r.errout.s ? r.errout.s : "", s.swaps);
  if (!s.exchange_ok && s.swaps == 0) {
    printf("skip %s: renameat2(RENAME_EXCHANGE) is not available here\n", what);
  } else {
    test_result(r.exit_code == 0 && r.out.s && strstr(r.out.s, "leaks: 0\n") && strstr(r.out.s, "ALL OK"), what, why);
    printf("     %ld swaps during the run; guest: %s", s.swaps, r.errout.s ? r.errout.s : "\n");
  }
  h_fmt(p, sizeof p, "%s/outside/secret", base);
  hbuf sec = {0};
  test_result(h_read_file(p, &sec) && !strcmp(sec.s, "SECRET\n"), "race: the outside file is untouched", "changed");
  hbuf_free(&sec);
  h_run_free(&r);
  h_rm_rf(base);
}

/* ---- sockets ---------------------------------------------------------------------- */

typedef struct client {
  int port;
  char got[16];
  bool ok;
} client;

static void *client_run(void *arg) {
  client *c = arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)c->port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    if (fd >= 0) close(fd);
    return NULL;
  }
  c->ok = send(fd, "ping", 4, 0) == 4;
  size_t n = 0;
  while (n < 4) {
    ssize_t r = recv(fd, c->got + n, 4 - n, 0);
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  return NULL;
}

static void sock(const char *wasm) {
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4) != 0 ||
      getsockname(ls, (struct sockaddr *)&a, &al) != 0) {
    test_result(false, "sock: ping/pong over a preopened listener", "cannot listen on 127.0.0.1");
    if (ls >= 0) close(ls);
    return;
  }
  client c;
  memset(&c, 0, sizeof c);
  c.port = ntohs(a.sin_port);
  pthread_t th;
  pthread_create(&th, NULL, client_run, &c);
  const char *argv[] = {"sock.wasm", NULL};
  h_run r;
  memset(&r, 0, sizeof r);
  r.wasm = wasm;
  r.args = argv;
  r.sock_fd = ls;
  h_run_module(&r);
  pthread_join(th, NULL);
  close(ls);
  char why[1024];
  h_fmt(why, sizeof why, "exit %d, error '%s', client got [%s], stdout:\n%s", r.exit_code, r.err, c.got,
        r.out.s ? r.out.s : "");
  test_result(r.exit_code == 0 && c.ok && !strcmp(c.got, "pong") && r.out.s && strstr(r.out.s, "received [ping]") &&
            strstr(r.out.s, "ALL OK"),
        "sock: ping/pong over a preopened listener", why);
  h_run_free(&r);
}

int main(void) {
  char here[PATH_MAX], inc[PATH_MAX], bin[PATH_MAX];
  h_source_dir(here, sizeof here, __FILE__);
  h_fmt(inc, sizeof inc, "%s/progs", here);
  if (!h_mkdtemp(bin, sizeof bin, "host")) {
    printf("cannot make a temporary directory\n0 passed, 1 failed\n");
    return 1;
  }
  static const char *const progs[] = {"race", "sock"};
  char wasm[2][PATH_MAX];
  for (int i = 0; i < 2; i++) {
    char src[PATH_MAX];
    h_fmt(src, sizeof src, "%s/progs/%s.c", here, progs[i]);
    h_fmt(wasm[i], sizeof wasm[i], "%s/%s.wasm", bin, progs[i]);
    hbuf log = {0};
    if (!h_compile(src, wasm[i], inc, &log)) {
      printf("SKIP: cannot compile %s.c for wasm32-wasi with '%s' (install clang, lld-14, wasi-libc and "
             "libclang-rt-14-dev-wasm32): %.300s\n0 passed, 0 failed, 1 skipped\n",
             progs[i], h_wasi_cc(), log.s ? log.s : "");
      hbuf_free(&log);
      h_rm_rf(bin);
      return 0;
    }
    hbuf_free(&log);
  }
  race(wasm[0], false);
  race(wasm[0], true);
  sock(wasm[1]);
  h_rm_rf(bin);
  return test_summary();
}
