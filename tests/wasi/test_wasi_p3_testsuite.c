/* The official WASI test suite's Rust wasm32-wasip3 programs
 * (../shared/conformance/wasi-testsuite/rust-wasip3: components importing
 * WASI 0.3.0 and 0.2.4, exporting wasi:cli/run@0.3.0), each run under the
 * `kumi run` command as a child process, driven by the operations of its
 * .json spec in order as the suite's specification.md says:
 *   run      starts `kumi run [--dir ROOTCOPY::/] [--env K=V]... NAME.wasm ARGS...`
 *            in the test's folder, with pipes for stdin, stdout and stderr
 *            (ROOTCOPY: a fresh copy of the spec's root);
 *   write    writes the payload to the child's stdin (closed after the last
 *            write, so a program reading to the end sees it);
 *   read     reads as many bytes as the payload has from stdout or stderr
 *            and compares;
 *   connect  reads "HOST:PORT" (one line) from stdout and connects to it
 *            (tcp or udp);
 *   send, recv  over a connection made by connect;
 *   wait     closes stdin, waits for the exit and compares the exit code
 *            (exit_code, default 0).
 * A spec in the legacy form (args, env, root, exit_code, stdout, stderr) is
 * run, waited for and its whole stdout/stderr compared. Every step has a
 * deadline (KUMI_P3_TIMEOUT_MS, default 30000): a child that hangs is
 * killed and the test fails. Known failures are listed in
 * p3_testsuite_skip.txt beside this file ("rust-wasip3/NAME  reason" a
 * line): run and reported as KNOWN without failing the test; a listed test
 * that passes is reported. Prints PASS/FAIL/KNOWN per test, a line per
 * group (cli, clocks, random, filesystem, sockets, http) and
 * "N passed, N failed, N skipped". The kumi command is KUMI_EXE (set by
 * CMake; the environment variable of that name overrides it);
 * KUMI_WASI_TESTSUITE overrides where the suite is; test names as
 * arguments run only those. */
#include "testsuite_spec.h"

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <time.h>

#ifndef KUMI_EXE
#define KUMI_EXE "kumi"
#endif

extern char **environ;

#define GROUP "rust-wasip3"
#define MAX_CONNS 8

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t step_ms(void) {
  const char *s = getenv("KUMI_P3_TIMEOUT_MS");
  long v = s ? strtol(s, NULL, 10) : 0;
  return v > 0 ? v : 30000;
}

/* One child `kumi run` and what it has written so far. */
typedef struct child {
  pid_t pid; /* 0: not started */
  int in, out, err; /* the parent's pipe ends; -1 when closed */
  hbuf obuf, ebuf;
  size_t opos, epos; /* how much of each the operations have consumed */
  bool exited;
  int status; /* the exit code (128 + signal when killed) */
} child;

typedef struct conn {
  char id[64];
  int fd;
} conn;

typedef struct test_cx {
  const char *dir, *stem, *kumi;
  child c;
  conn conns[MAX_CONNS];
  size_t nconns;
  char scratch[PATH_MAX];
  char *why;
  size_t why_n;
  bool failed;
} test_cx;

__attribute__((format(printf, 2, 3))) static void fail(test_cx *t, const char *fmt, ...) {
  if (t->failed) return;
  t->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->why, t->why_n, fmt, ap);
  va_end(ap);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Drops from b, past `from`, the whole lines a sanitizer build of kumi
 * prints about itself ("==PID==WARNING: ASan doesn't fully support
 * makecontext/swapcontext ..."): they are not the program's output. */
static void scrub_sanitizer_lines(hbuf *b, size_t from) {
  static const char tag[] = "==WARNING: ASan doesn't fully support makecontext/swapcontext";
  size_t i = from;
  while (i < b->len) {
    char *line = b->s + i, *nl = memchr(line, '\n', b->len - i);
    if (!nl) return; /* an unfinished line: look again when it is whole */
    size_t len = (size_t)(nl - line) + 1, d = 2;
    while (line[0] == '=' && line[1] == '=' && d < len && line[d] >= '0' && line[d] <= '9') d++;
    if (d > 2 && len - d >= sizeof tag - 1 && !memcmp(line + d, tag, sizeof tag - 1)) {
      memmove(line, nl + 1, b->len - i - len);
      b->len -= len;
      b->s[b->len] = 0;
      continue;
    }
    i += len;
  }
}

/* Reads what the child's stdout/stderr have, waiting at most timeout_ms
 * for something to happen. */
static void pump(child *c, int timeout_ms) {
  struct pollfd pf[2];
  int n = 0;
  if (c->out >= 0) pf[n++] = (struct pollfd){c->out, POLLIN, 0};
  if (c->err >= 0) pf[n++] = (struct pollfd){c->err, POLLIN, 0};
  if (n == 0) {
    if (timeout_ms > 0) usleep((useconds_t)(timeout_ms < 20 ? timeout_ms : 20) * 1000);
    return;
  }
  if (poll(pf, (nfds_t)n, timeout_ms < 0 ? 0 : timeout_ms) <= 0) return;
  for (int i = 0; i < n; i++) {
    if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    bool is_out = pf[i].fd == c->out;
    char buf[65536];
    ssize_t r = read(pf[i].fd, buf, sizeof buf);
    if (r > 0) {
      hbuf_add(is_out ? &c->obuf : &c->ebuf, buf, (size_t)r);
      if (!is_out) scrub_sanitizer_lines(&c->ebuf, c->epos);
    }
    else if (r == 0 || (errno != EINTR && errno != EAGAIN)) close_fd(is_out ? &c->out : &c->err);
  }
}

/* Reaps the child if it has exited; true when it has. */
static bool reap(child *c) {
  if (c->exited) return true;
  int st;
  pid_t r = waitpid(c->pid, &st, WNOHANG);
  if (r != c->pid) return false;
  c->exited = true;
  c->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
  return true;
}

static void child_kill(child *c) {
  if (c->pid <= 0 || c->exited) return;
  kill(c->pid, SIGKILL);
  int st;
  while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR) {}
  c->exited = true;
  c->status = 128 + SIGKILL;
}

static void child_free(child *c) {
  child_kill(c);
  close_fd(&c->in);
  close_fd(&c->out);
  close_fd(&c->err);
  hbuf_free(&c->obuf);
  hbuf_free(&c->ebuf);
}

static const char *show(const char *s, size_t n, char *out, size_t cap);

/* The same for the last 240 bytes of s[0..n) (a child's stderr ends with
 * the reason), or for a sanitizer's SUMMARY line when there is one. */
static const char *show_tail(const char *s, size_t n, char *out, size_t cap) {
  const char *sum = memmem(s, n, "SUMMARY: ", 9);
  if (sum) {
    const char *nl = memchr(sum, '\n', n - (size_t)(sum - s));
    return show(sum, nl ? (size_t)(nl - sum) : n - (size_t)(sum - s), out, cap);
  }
  size_t o = 0, from = n > 240 ? n - 240 : 0;
  if (from) o += (size_t)snprintf(out, cap, "...");
  for (size_t i = from; i < n && o + 8 < cap; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\n') o += (size_t)snprintf(out + o, cap - o, "\\n");
    else if (ch < 0x20 || ch == 0x7f) o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
    else out[o++] = (char)ch;
  }
  out[o] = 0;
  return out;
}

/* Text for a message: s[0..n) with control characters escaped, cut at 120. */
static const char *show(const char *s, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 8 < cap && i < 120; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\n') o += (size_t)snprintf(out + o, cap - o, "\\n");
    else if (ch < 0x20 || ch == 0x7f) o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
    else out[o++] = (char)ch;
  }
  out[o] = 0;
  return out;
}

/* ---- operations ----------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *key, const char *dflt) {
  const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
  return v ? v : dflt;
}

static void op_run(test_cx *t, const cJSON *op) {
  if (t->c.pid) {
    fail(t, "a second run operation");
    return;
  }
  ts_spec s;
  memset(&s, 0, sizeof s);
  s.argv = calloc(2, sizeof *s.argv);
  if (!s.argv) abort();
  s.argv[0] = t->stem;
  ts_take_run(&s, op);
  /* The program runs in the test's folder and is named by its file name,
   * which becomes its argv[0] (the suite's cli-env checks "cli-env.wasm"). */
  char wasm[PATH_MAX], dirarg[PATH_MAX + 8];
  h_fmt(wasm, sizeof wasm, "%s.wasm", t->stem);
  /* kumi run [--dir ROOT::/] [--env K=V]... FILE ARGS... */
  const char **argv = calloc(6 + 2 * s.nenv + s.nargs, sizeof *argv);
  if (!argv) abort();
  size_t n = 0;
  argv[n++] = t->kumi;
  argv[n++] = "run";
  if (s.root) {
    char src[PATH_MAX];
    h_fmt(src, sizeof src, "%s/%s", t->dir, s.root);
    if (!h_mkdtemp(t->scratch, sizeof t->scratch, "p3suite")) {
      t->scratch[0] = 0;
      fail(t, "cannot make a scratch directory");
    } else if (!h_copy_tree(src, t->scratch)) {
      fail(t, "cannot copy %s", src);
    }
    h_fmt(dirarg, sizeof dirarg, "%s::/", t->scratch);
    argv[n++] = "--dir";
    argv[n++] = dirarg;
  }
  for (size_t i = 0; i < s.nenv; i++) {
    argv[n++] = "--env";
    argv[n++] = s.env[i];
  }
  argv[n++] = wasm;
  for (size_t i = 1; i <= s.nargs; i++) argv[n++] = s.argv[i];
  argv[n] = NULL;
  int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
  if (!t->failed && (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)))
    fail(t, "pipe: %s", strerror(errno));
  if (!t->failed) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
    posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
    posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
    posix_spawn_file_actions_addchdir_np(&fa, t->dir);
    int r = posix_spawn(&t->c.pid, t->kumi, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0) {
      t->c.pid = 0;
      fail(t, "cannot start %s: %s", t->kumi, strerror(r));
    }
  }
  close_fd(&pin[0]);
  close_fd(&pout[1]);
  close_fd(&perr[1]);
  t->c.in = pin[1];
  t->c.out = pout[0];
  t->c.err = perr[0];
  free(argv);
  ts_spec_free(&s);
}

static bool need_child(test_cx *t, const char *what) {
  if (t->c.pid) return true;
  fail(t, "%s before run", what);
  return false;
}

static void op_write(test_cx *t, const cJSON *op, bool last_write) {
  if (!need_child(t, "write")) return;
  const char *id = jstr(op, "id", "stdin"), *payload = jstr(op, "payload", "");
  if (strcmp(id, "stdin") != 0) {
    fail(t, "write to '%s': only stdin can be written", id);
    return;
  }
  size_t len = strlen(payload), done = 0;
  while (t->c.in >= 0 && done < len) {
    ssize_t r = write(t->c.in, payload + done, len - done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      fail(t, "write to stdin: %s", strerror(errno));
      return;
    }
    done += (size_t)r;
  }
  if (last_write) close_fd(&t->c.in);
}

/* Waits until stream `err` has `need` unread bytes, ends, or the deadline passes. */
static void wait_output(test_cx *t, bool err, size_t need, int64_t deadline) {
  child *c = &t->c;
  for (;;) {
    hbuf *b = err ? &c->ebuf : &c->obuf;
    size_t pos = err ? c->epos : c->opos;
    if (b->len - pos >= need || (err ? c->err : c->out) < 0) return;
    int64_t left = deadline - now_ms();
    if (left <= 0) return;
    pump(c, (int)(left < 100 ? left : 100));
  }
}

static void op_read(test_cx *t, const cJSON *op) {
  if (!need_child(t, "read")) return;
  const char *id = jstr(op, "id", "stdout"), *payload = jstr(op, "payload", "");
  bool err = !strcmp(id, "stderr");
  if (!err && strcmp(id, "stdout") != 0) {
    fail(t, "read from '%s': only stdout and stderr", id);
    return;
  }
  size_t need = strlen(payload);
  wait_output(t, err, need, now_ms() + step_ms());
  hbuf *b = err ? &t->c.ebuf : &t->c.obuf;
  size_t *pos = err ? &t->c.epos : &t->c.opos;
  size_t have = b->len - *pos < need ? b->len - *pos : need;
  if (have != need || (need && memcmp(b->s + *pos, payload, need) != 0)) {
    char x[512], y[512], z[512];
    hbuf *o = err ? &t->c.obuf : &t->c.ebuf;
    fail(t, "%s '%s', want '%s' (%s: '%s')", id, show(b->s ? b->s + *pos : "", b->len - *pos, x, sizeof x),
         show(payload, need, y, sizeof y), err ? "stdout" : "stderr",
         show(o->s ? o->s : "", o->len, z, sizeof z));
    return;
  }
  *pos += need;
}

static conn *find_conn(test_cx *t, const char *id) {
  for (size_t i = 0; i < t->nconns; i++)
    if (!strcmp(t->conns[i].id, id)) return &t->conns[i];
  return NULL;
}

static void op_connect(test_cx *t, const cJSON *op) {
  if (!need_child(t, "connect")) return;
  const char *id = jstr(op, "id", "server"), *proto = jstr(op, "protocol_type", "tcp");
  bool udp = !strcmp(proto, "udp");
  if (!udp && strcmp(proto, "tcp") != 0) {
    fail(t, "connect: protocol '%s' is not supported", proto);
    return;
  }
  if (find_conn(t, id) || t->nconns >= MAX_CONNS) {
    fail(t, "connect: id '%s' used twice, or too many", id);
    return;
  }
  /* The program prints HOST:PORT on a line of its own. */
  int64_t deadline = now_ms() + step_ms();
  char *nl = NULL;
  for (;;) {
    hbuf *b = &t->c.obuf;
    nl = b->s ? memchr(b->s + t->c.opos, '\n', b->len - t->c.opos) : NULL;
    if (nl || t->c.out < 0 || now_ms() >= deadline) break;
    pump(&t->c, 100);
  }
  if (!nl) {
    char x[512];
    fail(t, "connect: no HOST:PORT line on stdout (stdout '%s')",
                show(t->c.obuf.s ? t->c.obuf.s + t->c.opos : "", t->c.obuf.len - t->c.opos, x, sizeof x));
    return;
  }
  char line[256];
  size_t len = (size_t)(nl - (t->c.obuf.s + t->c.opos));
  h_fmt(line, sizeof line, "%.*s", (int)len, t->c.obuf.s + t->c.opos);
  t->c.opos += len + 1;
  line[strcspn(line, "\r")] = 0;
  char *colon = strrchr(line, ':');
  if (!colon) {
    fail(t, "connect: '%s' is not HOST:PORT", line);
    return;
  }
  *colon = 0;
  char *host = line;
  if (host[0] == '[' && colon > host && colon[-1] == ']') {
    host++;
    colon[-1] = 0;
  }
  struct addrinfo hints, *ai = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  int r = getaddrinfo(host, colon + 1, &hints, &ai);
  if (r != 0) {
    fail(t, "connect: bad address %s:%s: %s", host, colon + 1, gai_strerror(r));
    return;
  }
  int fd = -1;
  for (;;) { /* the server may not listen yet: retry until the deadline */
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    int e = errno;
    close_fd(&fd);
    if (now_ms() >= deadline || reap(&t->c)) {
      freeaddrinfo(ai);
      fail(t, "connect to %s:%s: %s", host, colon + 1, strerror(e));
      return;
    }
    pump(&t->c, 50);
  }
  freeaddrinfo(ai);
  conn *k = &t->conns[t->nconns++];
  h_fmt(k->id, sizeof k->id, "%s", id);
  k->fd = fd;
}

static void op_send(test_cx *t, const cJSON *op) {
  const char *id = jstr(op, "id", ""), *payload = jstr(op, "payload", "");
  conn *k = find_conn(t, id);
  if (!k) {
    fail(t, "send on '%s', which no connect made", id);
    return;
  }
  size_t len = strlen(payload), done = 0;
  while (done < len) {
    ssize_t r = send(k->fd, payload + done, len - done, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      fail(t, "send on '%s': %s", id, strerror(errno));
      return;
    }
    done += (size_t)r;
  }
}

static void op_recv(test_cx *t, const cJSON *op) {
  const char *id = jstr(op, "id", ""), *payload = jstr(op, "payload", "");
  conn *k = find_conn(t, id);
  if (!k) {
    fail(t, "recv on '%s', which no connect made", id);
    return;
  }
  size_t need = strlen(payload);
  hbuf got = {0};
  int64_t deadline = now_ms() + step_ms();
  while (got.len < need) {
    int64_t left = deadline - now_ms();
    if (left <= 0) break;
    struct pollfd pf = {k->fd, POLLIN, 0};
    pump(&t->c, 0); /* keep the child's output flowing */
    if (poll(&pf, 1, (int)(left < 100 ? left : 100)) <= 0) continue;
    char buf[4096];
    ssize_t r = recv(k->fd, buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    hbuf_add(&got, buf, (size_t)r);
  }
  if (got.len != need || (need && memcmp(got.s, payload, need) != 0)) {
    char x[512], y[512];
    fail(t, "recv on '%s': '%s', want '%s'", id, show(got.s ? got.s : "", got.len, x, sizeof x),
         show(payload, need, y, sizeof y));
  }
  hbuf_free(&got);
}

/* Closes stdin, reads the outputs to their ends and reaps the child. */
static void finish_child(test_cx *t) {
  child *c = &t->c;
  close_fd(&c->in);
  int64_t deadline = now_ms() + step_ms();
  while (!(reap(c) && c->out < 0 && c->err < 0)) {
    if (now_ms() >= deadline) {
      bool hung = !c->exited;
      child_kill(c);
      if (hung) {
        char x[1200];
        fail(t, "timed out: killed (stderr '%s')", show_tail(c->ebuf.s ? c->ebuf.s : "", c->ebuf.len, x, sizeof x));
        return;
      }
      break; /* exited, but something else holds its pipes */
    }
    pump(c, 50);
  }
}

static void op_wait(test_cx *t, const cJSON *op) {
  if (!need_child(t, "wait")) return;
  const cJSON *ec = cJSON_GetObjectItemCaseSensitive(op, "exit_code");
  int want = cJSON_IsNumber(ec) ? ec->valueint : 0;
  finish_child(t);
  if (!t->failed && t->c.status != want) {
    char x[1200];
    fail(t, "exit code %d, want %d (stderr '%s')", t->c.status, want,
         show_tail(t->c.ebuf.s ? t->c.ebuf.s : "", t->c.ebuf.len, x, sizeof x));
  }
}

/* Compares all of the output of a legacy spec. */
static void legacy_compare(test_cx *t, const cJSON *j, const char *key, bool err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
  if (!cJSON_IsString(v) || t->failed) return;
  hbuf *b = err ? &t->c.ebuf : &t->c.obuf;
  if (b->len != strlen(v->valuestring) || memcmp(b->s ? b->s : "", v->valuestring, b->len) != 0) {
    char x[512], y[512];
    fail(t, "%s '%s', want '%s'", key, show(b->s ? b->s : "", b->len, x, sizeof x),
         show(v->valuestring, strlen(v->valuestring), y, sizeof y));
  }
}

/* Runs test stem of dir; true when it passed, else why says the first mismatch. */
static bool run_test(const char *kumi, const char *dir, const char *stem, char *why, size_t why_n) {
  test_cx t;
  memset(&t, 0, sizeof t);
  t.dir = dir;
  t.stem = stem;
  t.kumi = kumi;
  t.why = why;
  t.why_n = why_n;
  t.c.in = t.c.out = t.c.err = -1;
  char json[PATH_MAX];
  h_fmt(json, sizeof json, "%s/%s.json", dir, stem);
  hbuf text = {0};
  cJSON *j = h_read_file(json, &text) ? cJSON_ParseWithLength(text.s, text.len) : cJSON_CreateObject();
  hbuf_free(&text);
  if (!cJSON_IsObject(j)) {
    fail(&t, "cannot parse %s", json);
  } else {
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(j, "operations");
    if (cJSON_IsArray(ops)) {
      const cJSON *last_write = NULL, *op;
      cJSON_ArrayForEach(op, ops) if (!strcmp(jstr(op, "type", ""), "write")) last_write = op;
      cJSON_ArrayForEach(op, ops) {
        if (t.failed) break;
        const char *type = jstr(op, "type", "");
        if (!strcmp(type, "run")) op_run(&t, op);
        else if (!strcmp(type, "write")) op_write(&t, op, op == last_write);
        else if (!strcmp(type, "read")) op_read(&t, op);
        else if (!strcmp(type, "connect")) op_connect(&t, op);
        else if (!strcmp(type, "send")) op_send(&t, op);
        else if (!strcmp(type, "recv")) op_recv(&t, op);
        else if (!strcmp(type, "wait")) op_wait(&t, op);
        else fail(&t, "operation '%s' is not supported by this runner", type);
      }
    } else { /* the legacy form */
      op_run(&t, j);
      if (!t.failed) op_wait(&t, j);
      legacy_compare(&t, j, "stdout", false);
      legacy_compare(&t, j, "stderr", true);
    }
    if (!t.failed && t.c.pid && !t.c.exited) fail(&t, "the spec never waits for the program");
  }
  cJSON_Delete(j);
  child_free(&t.c);
  for (size_t i = 0; i < t.nconns; i++) close_fd(&t.conns[i].fd);
  if (t.scratch[0]) h_rm_rf(t.scratch);
  return !t.failed;
}

/* ---- the suite ----------------------------------------------------------------------- */

static const char *const groups[] = {"cli", "clocks", "random", "filesystem", "sockets", "http"};
#define NGROUPS (sizeof groups / sizeof groups[0])

/* The group of a test, by its name: index into groups. */
static size_t group_of(const char *name) {
  if (!strncmp(name, "cli-", 4) || !strncmp(name, "run-", 4)) return 0;
  if (strstr(name, "clock")) return 1;
  if (!strncmp(name, "random", 6)) return 2;
  if (!strncmp(name, "filesystem-", 11)) return 3;
  if (!strncmp(name, "sockets-", 8)) return 4;
  if (!strncmp(name, "http-", 5)) return 5;
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  char here[PATH_MAX], suite[PATH_MAX], skipfile[PATH_MAX], dir[PATH_MAX];
  h_source_dir(here, sizeof here, __FILE__);
  const char *kumi = getenv("KUMI_EXE");
  if (!kumi || !*kumi) kumi = KUMI_EXE;
  if (!ts_suite_dir(here, suite, sizeof suite)) {
    printf("wasi-testsuite not found at %s: skipped\n0 passed, 0 failed, 1 skipped\n", suite);
    return 0;
  }
  /* The children run in the tests' folders: make both paths absolute. */
  char kumi_abs[PATH_MAX], suite_abs[PATH_MAX];
  if (!realpath(kumi, kumi_abs) || access(kumi_abs, X_OK) != 0) {
    printf("FAIL: the kumi command %s is not there\n0 passed, 1 failed, 0 skipped\n", kumi);
    return 1;
  }
  kumi = kumi_abs;
  if (realpath(suite, suite_abs)) h_fmt(suite, sizeof suite, "%s", suite_abs);
  h_fmt(skipfile, sizeof skipfile, "%s/p3_testsuite_skip.txt", here);
  static ts_skip skips[256];
  size_t nskips = ts_load_skips(skipfile, skips, 256);
  h_fmt(dir, sizeof dir, "%s/%s", suite, GROUP);
  DIR *d = opendir(dir);
  if (!d) {
    printf("%s: no such folder: skipped\n0 passed, 0 failed, 1 skipped\n", dir);
    return 0;
  }
  char *names[512];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 512) {
    size_t l = strlen(e->d_name);
    if (l > 5 && !strcmp(e->d_name + l - 5, ".wasm")) names[n++] = strndup(e->d_name, l - 5);
  }
  closedir(d);
  qsort(names, n, sizeof *names, ts_cmp_str);
  ts_counts c = {0, 0, 0};
  int gpass[NGROUPS] = {0}, gall[NGROUPS] = {0};
  for (size_t i = 0; i < n; i++) {
    char full[256];
    h_fmt(full, sizeof full, "%s/%s", GROUP, names[i]);
    bool wanted = argc < 2;
    for (int a = 1; a < argc; a++)
      if (!strcmp(argv[a], full) || !strcmp(argv[a], names[i])) wanted = true;
    if (wanted) {
      char why[2048] = "";
      int64_t t0 = now_ms();
      bool ok = run_test(kumi, dir, names[i], why, sizeof why);
      long ms = (long)(now_ms() - t0);
      const char *reason = ts_skip_reason(skips, nskips, full);
      size_t g = group_of(names[i]);
      gall[g]++;
      if (ok) {
        gpass[g]++;
        c.passed++;
        if (reason) printf("PASS %s (%ld ms; listed as a known failure: remove it from the skip list)\n", full, ms);
        else printf("PASS %s (%ld ms)\n", full, ms);
      } else if (reason) {
        c.known++;
        printf("KNOWN %s: %s [%s]\n", full, why, reason);
      } else {
        c.failed++;
        printf("FAIL %s: %s\n", full, why);
      }
      fflush(stdout);
    }
    free(names[i]);
  }
  for (size_t g = 0; g < NGROUPS; g++)
    if (gall[g]) printf("%s: %d of %d pass\n", groups[g], gpass[g], gall[g]);
  printf("%d passed, %d failed, %d skipped\n", c.passed, c.failed, c.known);
  return c.failed ? 1 : 0;
}
