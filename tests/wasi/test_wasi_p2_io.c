/* WASI 0.2 wasi:io host functions called directly with component values
 * (no component): streams over in-memory stdin, captured stdout, files
 * and a pipe (read, blocking-read, skip, write, blocking-write-and-flush,
 * write-zeroes, check-write, flush, splice, subscribe), errors
 * (last-operation-failed and to-debug-string), and pollables (timers that
 * block for their time, ready, block, poll over several kinds; an empty
 * list traps). Everything left is freed by kumi_wasi_free (ASan checks).
 * Ends with "N passed, N failed". */
#define _GNU_SOURCE
#include "wasi/p2.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"

static kumi_component_host_fn find(const char *name) {
  size_t n;
  const wasi_p2_fn *t = wasi_p2_io_fns(&n);
  for (size_t i = 0; i < n; i++)
    if (!strcmp(t[i].name, name)) return t[i].fn;
  fprintf(stderr, "no host function %s\n", name);
  abort();
}

/* Calls host function `name`; returns its error (NULL: *res is set). */
static kumi_error *call(wasi_p2 *p, const char *name, const kumi_cval *args, size_t n, kumi_cval *res) {
  *res = kumi_cval_bool(false);
  return find(name)(p, NULL, args, n, res);
}

static kumi_cval h(uint32_t rep) { return kumi_cval_handle(KUMI_CV_BORROW, rep); }
static kumi_cval u64v(uint64_t v) { return kumi_cval_int(KUMI_CV_U64, (int64_t)v); }

static kumi_cval bytes(const char *s, size_t n) {
  kumi_cval v;
  if (!kumi_cval_agg(NULL, KUMI_CV_LIST, n, &v)) abort();
  for (size_t i = 0; i < n; i++) v.of.agg.items[i] = kumi_cval_int(KUMI_CV_U8, (uint8_t)s[i]);
  return v;
}

static bool is_ok(const kumi_cval *r) { return r->kind == KUMI_CV_RESULT && r->of.var.index == 0; }
static bool is_closed(const kumi_cval *r) {
  return r->kind == KUMI_CV_RESULT && r->of.var.index == 1 && r->of.var.payload &&
         r->of.var.payload->kind == KUMI_CV_VARIANT && r->of.var.payload->of.var.index == 1;
}
/* The error rep of err(last-operation-failed(error)), or UINT32_MAX. */
static uint32_t failed_error(const kumi_cval *r) {
  if (r->kind != KUMI_CV_RESULT || r->of.var.index != 1 || !r->of.var.payload) return UINT32_MAX;
  const kumi_cval *se = r->of.var.payload;
  if (se->kind != KUMI_CV_VARIANT || se->of.var.index != 0 || !se->of.var.payload) return UINT32_MAX;
  return se->of.var.payload->kind == KUMI_CV_OWN ? se->of.var.payload->of.handle : UINT32_MAX;
}

/* ok(list<u8>) equal to s? */
static bool ok_bytes(const kumi_cval *r, const char *s) {
  if (!is_ok(r) || !r->of.var.payload || r->of.var.payload->kind != KUMI_CV_LIST) return false;
  const kumi_cval *l = r->of.var.payload;
  if (l->of.agg.len != strlen(s)) return false;
  for (size_t i = 0; i < l->of.agg.len; i++)
    if (l->of.agg.items[i].of.u != (uint8_t)s[i]) return false;
  return true;
}

static uint64_t ok_u64(const kumi_cval *r) {
  return is_ok(r) && r->of.var.payload ? r->of.var.payload->of.u : UINT64_MAX;
}

static uint64_t mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_stdio(void) {
  kumi_wasi_config *cfg = kumi_wasi_config_new(NULL);
  CHECK(!kumi_wasi_config_stdin_bytes(cfg, "hello world", 11));
  CHECK(!kumi_wasi_config_stdio_capture(cfg, KUMI_WASI_STDOUT, 0));
  CHECK(!kumi_wasi_config_stdio_capture(cfg, KUMI_WASI_STDERR, 4));
  kumi_error *e = NULL;
  kumi_wasi *w = kumi_wasi_new(cfg, &e);
  CHECK(w && !e);
  kumi_wasi_config_free(cfg);
  wasi_p2 *p = wasi_p2_of(w);
  CHECK(p && wasi_p2_of(w) == p);
  uint32_t in, out, err;
  CHECK(wasi_p2_stdio_stream_new(p, 0, &in) == 0);
  CHECK(wasi_p2_stdio_stream_new(p, 1, &out) == 0);
  CHECK(wasi_p2_stdio_stream_new(p, 2, &err) == 0);
  kumi_cval r, a[3];

  /* input: read, skip, blocking-read, then closed */
  a[0] = h(in), a[1] = u64v(5);
  CHECK(!call(p, "[method]input-stream.read", a, 2, &r) && ok_bytes(&r, "hello"));
  kumi_cval_free(NULL, &r);
  a[1] = u64v(1);
  CHECK(!call(p, "[method]input-stream.skip", a, 2, &r) && ok_u64(&r) == 1);
  kumi_cval_free(NULL, &r);
  a[1] = u64v(0);
  CHECK(!call(p, "[method]input-stream.read", a, 2, &r) && ok_bytes(&r, ""));
  kumi_cval_free(NULL, &r);
  a[1] = u64v(1000);
  CHECK(!call(p, "[method]input-stream.blocking-read", a, 2, &r) && ok_bytes(&r, "world"));
  kumi_cval_free(NULL, &r);
  CHECK(!call(p, "[method]input-stream.read", a, 2, &r) && is_closed(&r));
  kumi_cval_free(NULL, &r);
  CHECK(!call(p, "[method]input-stream.blocking-skip", a, 2, &r) && is_closed(&r));
  kumi_cval_free(NULL, &r);

  /* output: check-write, write, blocking-write-and-flush, write-zeroes, flush */
  a[0] = h(out);
  CHECK(!call(p, "[method]output-stream.check-write", a, 1, &r) && ok_u64(&r) > 0 && ok_u64(&r) != UINT64_MAX);
  kumi_cval_free(NULL, &r);
  a[1] = bytes("abc", 3);
  CHECK(!call(p, "[method]output-stream.write", a, 2, &r) && is_ok(&r));
  kumi_cval_free(NULL, &r);
  kumi_cval_free(NULL, &a[1]);
  a[1] = bytes("def", 3);
  CHECK(!call(p, "[method]output-stream.blocking-write-and-flush", a, 2, &r) && is_ok(&r));
  kumi_cval_free(NULL, &r);
  kumi_cval_free(NULL, &a[1]);
  a[1] = u64v(2);
  CHECK(!call(p, "[method]output-stream.write-zeroes", a, 2, &r) && is_ok(&r));
  kumi_cval_free(NULL, &r);
  a[1] = u64v((uint64_t)1 << 40); /* far more than check-write grants */
  CHECK(!call(p, "[method]output-stream.blocking-write-zeroes-and-flush", a, 2, &r) && failed_error(&r) != UINT32_MAX);
  kumi_cval_free(NULL, &r);
  CHECK(!call(p, "[method]output-stream.flush", a, 1, &r) && is_ok(&r));
  kumi_cval_free(NULL, &r);
  CHECK(!call(p, "[method]output-stream.blocking-flush", a, 1, &r) && is_ok(&r));
  kumi_cval_free(NULL, &r);
  size_t len;
  const uint8_t *o = kumi_wasi_output(w, KUMI_WASI_STDOUT, &len);
  CHECK(len == 8 && o && !memcmp(o, "abcdef\0\0", 8));

  /* stderr is capped at 4 bytes: the write past the cap fails with an error */
  a[0] = h(err);
  a[1] = bytes("123456", 6);
  CHECK(!call(p, "[method]output-stream.write", a, 2, &r));
  uint32_t erep = failed_error(&r);
  CHECK(erep != UINT32_MAX);
  kumi_cval_free(NULL, &r);
  kumi_cval_free(NULL, &a[1]);
  int he = 0;
  CHECK(wasi_p2_error_host_errno(p, erep, &he) && he == EFBIG);
  a[0] = h(erep);
  CHECK(!call(p, "[method]error.to-debug-string", a, 1, &r) && r.kind == KUMI_CV_STRING && r.of.str.len > 0);
  kumi_cval_free(NULL, &r);
  o = kumi_wasi_output(w, KUMI_WASI_STDERR, &len);
  CHECK(len == 4 && o && !memcmp(o, "1234", 4));

  /* subscribe on in-memory streams: always ready */
  a[0] = h(in);
  CHECK(!call(p, "[method]input-stream.subscribe", a, 1, &r) && r.kind == KUMI_CV_OWN);
  kumi_cval pl = h(r.of.handle);
  CHECK(!call(p, "[method]pollable.ready", &pl, 1, &r) && r.kind == KUMI_CV_BOOL && r.of.b);

  /* bad handles trap; they do not crash */
  a[0] = h(12345);
  a[1] = u64v(1);
  e = call(p, "[method]input-stream.read", a, 2, &r);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP);
  kumi_error_free(e);
  e = call(p, "[method]pollable.block", a, 1, &r);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP);
  kumi_error_free(e);
  kumi_wasi_free(w); /* frees every stream, pollable and error left */
}

static void test_files_and_polls(void) {
  char path[] = "/tmp/kumi-p2-io-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  CHECK(write(fd, "0123456789", 10) == 10);
  kumi_wasi_config *cfg = kumi_wasi_config_new(NULL);
  CHECK(!kumi_wasi_config_stdio_capture(cfg, KUMI_WASI_STDOUT, 0));
  int pfd[2];
  CHECK(pipe(pfd) == 0);
  CHECK(!kumi_wasi_config_stdio_fd(cfg, KUMI_WASI_STDIN, pfd[0]));
  kumi_error *e = NULL;
  kumi_wasi *w = kumi_wasi_new(cfg, &e);
  CHECK(w && !e);
  kumi_wasi_config_free(cfg);
  close(pfd[0]);
  wasi_p2 *p = wasi_p2_of(w);
  uint32_t fin, fout, fapp, out, pin;
  CHECK(wasi_p2_input_stream_new(p, fd, 2, &fin) == 0);
  CHECK(wasi_p2_output_stream_new(p, fd, 8, false, &fout) == 0);
  CHECK(wasi_p2_output_stream_new(p, fd, 0, true, &fapp) == 0);
  CHECK(wasi_p2_input_stream_new(p, -1, 0, &pin) == EBADF);
  CHECK(wasi_p2_stdio_stream_new(p, 1, &out) == 0);
  CHECK(wasi_p2_stdio_stream_new(p, 0, &pin) == 0);
  close(fd); /* the streams hold their own descriptors */
  kumi_cval r, a[3];

  /* splice 3 bytes of the file (from offset 2) to stdout */
  a[0] = h(out), a[1] = h(fin), a[2] = u64v(3);
  CHECK(!call(p, "[method]output-stream.splice", a, 3, &r) && ok_u64(&r) == 3);
  kumi_cval_free(NULL, &r);
  CHECK(!call(p, "[method]output-stream.blocking-splice", a, 3, &r) && ok_u64(&r) == 3);
  kumi_cval_free(NULL, &r);
  size_t len;
  const uint8_t *o = kumi_wasi_output(w, KUMI_WASI_STDOUT, &len);
  CHECK(len == 6 && o && !memcmp(o, "234567", 6));

  /* positional and appending writes */
  a[0] = h(fout), a[1] = bytes("xy", 2);
  CHECK(!call(p, "[method]output-stream.write", a, 2, &r) && is_ok(&r));
  kumi_cval_free(NULL, &r);
  kumi_cval_free(NULL, &a[1]);
  a[0] = h(fapp), a[1] = bytes("END", 3);
  CHECK(!call(p, "[method]output-stream.blocking-write-and-flush", a, 2, &r) && is_ok(&r));
  kumi_cval_free(NULL, &r);
  kumi_cval_free(NULL, &a[1]);
  char buf[32] = "";
  int rfd = open(path, O_RDONLY);
  ssize_t n = rfd >= 0 ? read(rfd, buf, sizeof buf - 1) : -1;
  if (rfd >= 0) close(rfd);
  CHECKF(n == 13 && !memcmp(buf, "01234567xyEND", 13), "file holds '%s'", buf);
  /* the input stream reads on where it stopped, to the end, then closed */
  a[0] = h(fin), a[1] = u64v(100);
  CHECK(!call(p, "[method]input-stream.blocking-read", a, 2, &r) && ok_bytes(&r, "xyEND"));
  kumi_cval_free(NULL, &r);
  CHECK(!call(p, "[method]input-stream.read", a, 2, &r) && is_closed(&r));
  kumi_cval_free(NULL, &r);

  /* a pipe: not ready until written, then ready; read gives the bytes */
  a[0] = h(pin);
  CHECK(!call(p, "[method]input-stream.subscribe", a, 1, &r) && r.kind == KUMI_CV_OWN);
  kumi_cval pipe_poll = h(r.of.handle);
  CHECK(!call(p, "[method]pollable.ready", &pipe_poll, 1, &r) && r.kind == KUMI_CV_BOOL && !r.of.b);
  a[1] = u64v(10);
  CHECK(!call(p, "[method]input-stream.read", a, 2, &r) && ok_bytes(&r, "")); /* nothing yet: no blocking */
  kumi_cval_free(NULL, &r);
  CHECK(write(pfd[1], "ping", 4) == 4);
  CHECK(!call(p, "[method]pollable.ready", &pipe_poll, 1, &r) && r.of.b);
  CHECK(!call(p, "[method]input-stream.read", a, 2, &r) && ok_bytes(&r, "ping"));
  kumi_cval_free(NULL, &r);

  /* timers: a 40 ms one blocks for 40 ms; poll reports only the ready */
  uint32_t t40, now_ready;
  CHECK(wasi_p2_pollable_timer_new(p, mono() + 40000000u, &t40));
  CHECK(wasi_p2_pollable_ready_new(p, &now_ready));
  kumi_cval tp = h(t40);
  CHECK(!call(p, "[method]pollable.ready", &tp, 1, &r) && !r.of.b);
  kumi_cval list;
  CHECK(kumi_cval_agg(NULL, KUMI_CV_LIST, 3, &list));
  list.of.agg.items[0] = h(t40);
  list.of.agg.items[1] = pipe_poll; /* nothing to read now */
  list.of.agg.items[2] = h(now_ready);
  uint64_t t0 = mono();
  CHECK(!call(p, "poll", &list, 1, &r) && r.kind == KUMI_CV_LIST && r.of.agg.len == 1 && r.of.agg.items[0].of.u == 2);
  CHECK(mono() - t0 < 30000000u);
  kumi_cval_free(NULL, &r);
  list.of.agg.len = 2; /* the timer and the empty pipe: waits for the timer */
  t0 = mono();
  CHECK(!call(p, "poll", &list, 1, &r) && r.kind == KUMI_CV_LIST && r.of.agg.len == 1 && r.of.agg.items[0].of.u == 0);
  CHECKF(mono() - t0 >= 35000000u, "waited %llu ns", (unsigned long long)(mono() - t0));
  kumi_cval_free(NULL, &r);
  list.of.agg.len = 3;
  kumi_cval_free(NULL, &list);
  CHECK(!call(p, "[method]pollable.ready", &tp, 1, &r) && r.of.b);
  uint32_t t20;
  CHECK(wasi_p2_pollable_timer_new(p, mono() + 20000000u, &t20));
  kumi_cval t20p = h(t20);
  t0 = mono();
  CHECK(!call(p, "[method]pollable.block", &t20p, 1, &r));
  CHECK(mono() - t0 >= 19000000u);

  /* poll of nothing traps */
  CHECK(kumi_cval_agg(NULL, KUMI_CV_LIST, 0, &list));
  kumi_error *err = call(p, "poll", &list, 1, &r);
  CHECK(err && kumi_error_kind_of(err) == KUMI_ERR_TRAP);
  kumi_error_free(err);

  /* a writer that closes: the reader sees closed */
  close(pfd[1]);
  CHECK(!call(p, "[method]input-stream.blocking-read", a, 2, &r) && is_closed(&r));
  kumi_cval_free(NULL, &r);
  kumi_wasi_free(w);
  unlink(path);
}

int main(void) {
  test_stdio();
  test_files_and_polls();
  return test_summary();
}
