/* embed_async: Component Model async from C with kumi (include/kumi_async.h).
 *
 *   embed_async [ticker.wasm]
 *
 * Runs examples/ticker.wasm (source, and its WIT: ticker.wat). The host
 * defines the interface kumi:example/host the component imports:
 *
 *   log: func(msg: string)                        a plain host function
 *   sleep: async func(ms: u32) -> u32             completes later, from a timer
 *   text: func() -> stream<u8>                    the host writes the bytes
 *   print: func(text: stream<u8>) -> future<u32>  the host reads the bytes;
 *                                                 the future gets the count
 * and calls its async exports:
 *
 *   1. nap(ms): the guest calls sleep(ms) with `canon lower ... async`, so
 *      it goes on (it logs) while the host's timer runs;
 *   2. shout(): the guest reads text()'s stream, upper-cases it into the
 *      stream it gives print(), then reads print()'s future;
 *   3. three naps in flight at once (kumi_component_func_call_async), run
 *      to completion by kumi_component_instance_run;
 *   4. a nap left in flight when the instance is freed.
 *
 * Everything runs on one thread: the instance's event loop (libuv) runs
 * while the host waits for an export, and calls the host's callbacks
 * (timers, stream readiness) from there.
 *
 * Prints "embed_async: ok" when every result is as expected. */
#include <kumi.h>
#include <kumi_async.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char TEXT[] = "hello, async world"; /* what text() streams */

/* The host's state: `env` of every host function. */
typedef struct host {
  kumi_store *store; /* for kumi_error_new */
  /* sleep */
  int sleeping;      /* sleep calls pending now ... */
  int most_sleeping; /* ... and the most at once */
  uint32_t woken;    /* sleep calls completed */
  int logs, logs_while_sleeping;
  /* text(): the host's writable end and how much of TEXT went */
  kumi_stream *text;
  size_t text_sent;
  /* print(): the readable end the guest passed, what came, and the future */
  kumi_stream *print_in, *print_count;
  char printed[64];
  size_t printed_len;
} host;

/* ---- 1. an async host function: sleep(ms), completed by a timer ---------- */

/* One pending sleep: what the timer needs to complete the call. */
typedef struct sleeper {
  host *h;
  kumi_async_call *call;
  kumi_async_watch *timer;
  uint32_t ms;
} sleeper;

static void sleep_woke(void *ud) {
  sleeper *s = ud;
  s->h->sleeping--;
  printf("host: sleep(%" PRIu32 ") done\n", s->ms);
  /* the result: how many sleeps have ended, this one included */
  kumi_cval r = kumi_cval_int(KUMI_CV_U32, ++s->h->woken);
  kumi_async_call_return(s->call, &r); /* the call object is gone after this */
  free(s);
}

/* The guest cancelled the call (subtask.cancel), or the instance is being
 * freed with it pending: either way the timer must not fire, and the call
 * must be completed (here at once) so the runtime can forget it. */
static void sleep_cancelled(void *ud) {
  sleeper *s = ud;
  s->h->sleeping--;
  printf("host: sleep(%" PRIu32 ") cancelled\n", s->ms);
  kumi_async_watch_cancel(s->timer);
  kumi_async_call_cancelled(s->call);
  free(s);
}

/* Returning without completing the call leaves it pending: a guest that
 * lowered sleep async goes on, one that lowered it sync waits (in the
 * event loop, which runs the timer). */
static kumi_error *host_sleep(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  (void)nargs; /* the linker checked the arguments against the type */
  sleeper *s = malloc(sizeof *s);
  if (!s) return kumi_error_new(h->store, KUMI_ERR_OOM, "out of memory");
  *s = (sleeper){h, call, NULL, (uint32_t)args[0].of.u};
  /* the loop of the instance the call came from: its timers run while
   * that instance is waited on */
  s->timer = kumi_async_timer(kumi_async_call_loop(call), (uint64_t)s->ms * 1000000u, sleep_woke, s);
  if (!s->timer) {
    free(s);
    return kumi_error_new(h->store, KUMI_ERR_OOM, "out of memory"); /* fails the call: the guest traps */
  }
  kumi_async_call_on_cancel(call, sleep_cancelled, s);
  printf("host: sleep(%" PRIu32 ") started\n", s->ms);
  if (++h->sleeping > h->most_sleeping) h->most_sleeping = h->sleeping;
  return NULL;
}

/* log(msg): a plain synchronous host function (kumi.h) next to the async ones. */
static kumi_error *host_log(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                            kumi_cval *result) {
  host *h = env;
  (void)a, (void)nargs, (void)result;
  printf("guest: %.*s\n", (int)args[0].of.str.len, args[0].of.str.ptr);
  h->logs++;
  if (h->sleeping) h->logs_while_sleeping++;
  return NULL;
}

/* ---- 2. streams and a future --------------------------------------------- */

/* text(): ready runs once per guest read, n the room it has. Writing inside
 * the callback is fine; a host waiting for data would write later (from a
 * loop callback), as long as the read is pending (kumi_stream_pending). */
static void text_ready(void *ud, kumi_stream *s, size_t n) {
  host *h = ud;
  size_t left = strlen(TEXT) - h->text_sent;
  h->text_sent += kumi_stream_write_bytes(s, (const uint8_t *)TEXT + h->text_sent, n < left ? n : left);
  if (h->text_sent == strlen(TEXT)) { /* all written: the guest's next read sees DROPPED, its end of file */
    kumi_stream_drop(s);
    h->text = NULL;
  }
}

/* The guest dropped its readable end first: no more copies, but the
 * host's end is still the host's to drop. */
static void text_closed(void *ud, kumi_stream *s) {
  host *h = ud;
  kumi_stream_drop(s);
  h->text = NULL;
}

/* A host function returning a stream returns at once (the guest lowered it
 * sync); the bytes go later, as the guest reads. */
static kumi_error *host_text(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  (void)args, (void)nargs;
  kumi_stream_ops ops = {text_ready, text_closed};
  uint32_t handle;
  /* the stream's element type comes from where the handle goes: this
   * call's result, a stream<u8> */
  h->text = kumi_stream_new(kumi_async_call_instance(call), false, &ops, h, &handle);
  if (!h->text) return kumi_error_new(h->store, KUMI_ERR_OOM, "out of memory");
  h->text_sent = 0;
  kumi_cval r = kumi_cval_handle(KUMI_CV_STREAM, handle);
  kumi_async_call_return(call, &r);
  return NULL;
}

/* Reads what the guest's pending write offers (nothing when none is). */
static void print_pull(host *h) {
  size_t k, room;
  /* a full buffer stops reading: the guest's write then waits (backpressure) */
  while (h->print_in && (room = sizeof h->printed - h->printed_len) > 0 &&
         (k = kumi_stream_read_bytes(h->print_in, (uint8_t *)h->printed + h->printed_len, room)) > 0)
    h->printed_len += k;
}

static void print_ready(void *ud, kumi_stream *s, size_t n) {
  (void)s, (void)n;
  print_pull(ud);
}

/* The guest dropped its writable end: the text is complete, so the
 * future gets the count. The runtime keeps the value until the guest
 * reads it, so the host's end of the future can go at once. */
static void print_closed(void *ud, kumi_stream *s) {
  host *h = ud;
  kumi_stream_drop(s);
  h->print_in = NULL;
  if (!h->print_count) return;
  kumi_cval count = kumi_cval_int(KUMI_CV_U32, (int64_t)h->printed_len);
  kumi_future_resolve(h->print_count, &count);
  kumi_stream_drop(h->print_count);
  h->print_count = NULL;
}

static kumi_error *host_print(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  (void)nargs;
  /* Take the stream before the call completes: those not taken are
   * dropped then. The taken end outlives the call. */
  kumi_stream_ops ops = {print_ready, print_closed};
  h->print_in = kumi_stream_take(call, args[0].of.handle, &ops, h);
  if (!h->print_in) return kumi_error_new(h->store, KUMI_ERR_TRAP, "print: not a stream");
  h->printed_len = 0;
  uint32_t handle;
  h->print_count = kumi_stream_new(kumi_async_call_instance(call), true, NULL, NULL, &handle);
  if (!h->print_count) return kumi_error_new(h->store, KUMI_ERR_OOM, "out of memory");
  kumi_cval r = kumi_cval_handle(KUMI_CV_FUTURE, handle);
  kumi_async_call_return(call, &r);
  print_pull(h); /* a guest may have started writing before the call: no ready callback for that one */
  return NULL;
}

/* ---- 3. several calls in flight -------------------------------------------- */

typedef struct nap_call {
  uint32_t ms, result;
  bool done, failed;
} nap_call;

/* Runs once per started call, from the event loop; owns err and result. */
static void nap_done(void *ud, kumi_error *err, kumi_cval *result) {
  nap_call *c = ud;
  c->done = true;
  if (err) {
    printf("nap(%" PRIu32 ") failed: %s\n", c->ms, kumi_error_message(err));
    c->failed = true;
    kumi_error_free(err);
    return;
  }
  c->result = (uint32_t)result->of.u;
  kumi_cval_free(NULL, result);
  printf("nap(%" PRIu32 ") = %" PRIu32 "\n", c->ms, c->result);
}

/* ---- the program ----------------------------------------------------------- */

static bool fail(const char *what, kumi_error *err) {
  fprintf(stderr, "embed_async: %s: %s\n", what, err ? kumi_error_message(err) : "failed");
  kumi_error_free(err);
  return false;
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 4096;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) break;
      buf = nb;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int bad = ferror(f) || n == 0 || !buf;
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

/* Steps 1 to 3. */
static bool run(kumi_store *store, kumi_component_instance *inst, host *h) {
  kumi_error *err;
  kumi_component_func *nap = kumi_component_instance_func(inst, NULL, "nap");
  kumi_component_func *shout = kumi_component_instance_func(inst, NULL, "shout");
  if (!nap || !shout) return fail("missing exports", NULL);

  /* 1. kumi_component_func_call works on async exports too: it runs the
   * instance's event loop until the call returns. The guest logs between
   * starting sleep and waiting for it. */
  kumi_cval arg = kumi_cval_int(KUMI_CV_U32, 10), res;
  if ((err = kumi_component_func_call(store, nap, &arg, 1, &res, 1))) return fail("nap", err);
  printf("nap(10) = %" PRIu64 "\n", res.of.u);
  if (res.of.u != 1 || h->logs_while_sleeping != 1) return fail("nap: the guest did not work while sleep ran", NULL);

  /* 2. shout(): text() -> upper case -> print(), and print()'s future */
  if ((err = kumi_component_func_call(store, shout, NULL, 0, &res, 1))) return fail("shout", err);
  printf("shout() = %" PRIu64 ": the host read \"%.*s\"\n", res.of.u, (int)h->printed_len, h->printed);
  if (res.of.u != strlen(TEXT) || h->printed_len != strlen(TEXT) || memcmp(h->printed, "HELLO, ASYNC WORLD", 18) != 0)
    return fail("shout returned something else", NULL);
  if (h->text || h->print_in || h->print_count) return fail("a stream or future was not dropped", NULL);

  /* 3. Three naps at once. Each call runs until the guest waits, then the
   * next starts; kumi_component_instance_run waits for all of them (one
   * blocking wait on the OS at a time, never a spin). The shortest sleep
   * ends first, whatever the order the calls started in (the sleeps are
   * far enough apart for a loaded machine to start all three in time). */
  nap_call calls[3] = {{100, 0, false, false}, {20, 0, false, false}, {60, 0, false, false}};
  uint32_t woken_before = h->woken;
  for (int i = 0; i < 3; i++) {
    arg = kumi_cval_int(KUMI_CV_U32, calls[i].ms);
    if ((err = kumi_component_func_call_async(store, nap, &arg, 1, nap_done, &calls[i])))
      return fail("nap (async)", err);
  }
  if ((err = kumi_component_instance_run(store, inst, true))) return fail("run", err);
  for (int i = 0; i < 3; i++)
    if (!calls[i].done || calls[i].failed) return fail("a nap did not complete", NULL);
  printf("%d naps slept at once\n", h->most_sleeping);
  if (h->most_sleeping != 3 || calls[1].result != woken_before + 1 || calls[2].result != woken_before + 2 ||
      calls[0].result != woken_before + 3)
    return fail("the naps did not overlap", NULL);
  return true;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "examples/ticker.wasm";
  size_t len = 0;
  uint8_t *bytes = read_file(path, &len);
  if (!bytes) {
    fprintf(stderr, "embed_async: cannot read %s\n", path);
    return 1;
  }
  bool ok = false;
  kumi_error *err = NULL;
  host h;
  memset(&h, 0, sizeof h);
  kumi_component_instance *inst = NULL;
  kumi_store *store = NULL;
  kumi_component_linker *linker = NULL;

  kumi_engine *engine = kumi_engine_new(NULL);
  kumi_component *comp = engine ? kumi_component_new(engine, bytes, len, &err) : NULL;
  free(bytes);
  if (!comp) {
    fail("cannot load the component", err);
    goto out;
  }

  /* The host functions. An `async func` type marks sleep as one the guest
   * may lower async; the others complete before they return. */
  const char *iface = "kumi:example/host";
  linker = kumi_component_linker_new(engine);
  if (!linker) goto out;
  if ((err = kumi_component_linker_define_func(linker, iface, "log", "func(msg: string)", host_log, &h)) ||
      (err = kumi_component_linker_define_async(linker, iface, "sleep", "async func(ms: u32) -> u32", host_sleep, &h)) ||
      (err = kumi_component_linker_define_async(linker, iface, "text", "func() -> stream<u8>", host_text, &h)) ||
      (err = kumi_component_linker_define_async(linker, iface, "print", "func(text: stream<u8>) -> future<u32>",
                                                host_print, &h))) {
    fail("cannot define the host functions", err);
    goto out;
  }

  store = kumi_store_new(engine, NULL);
  if (!store) goto out;
  h.store = store;
  inst = kumi_component_linker_instantiate(linker, store, comp, &err);
  if (!inst) {
    fail("cannot instantiate", err);
    goto out;
  }
  ok = run(store, inst, &h);

  /* 4. A call still in flight when the instance is freed: its sleep's
   * on_cancel runs (the host forgets the timer), then its done, with an
   * error. block false: run only until the guest waits. */
  nap_call left = {1000, 0, false, false};
  kumi_cval arg = kumi_cval_int(KUMI_CV_U32, left.ms);
  if (ok && ((err = kumi_component_func_call_async(store, kumi_component_instance_func(inst, NULL, "nap"), &arg, 1,
                                                   nap_done, &left)) ||
             (err = kumi_component_instance_run(store, inst, false))))
    ok = fail("nap (left in flight)", err);
  kumi_component_instance_free(inst);
  inst = NULL;
  if (ok && (!left.failed || h.sleeping != 0)) ok = fail("freeing the instance did not end the call", NULL);

out:
  kumi_component_instance_free(inst);
  /* host ends outlive the instance (after a trap, say): the host drops them */
  if (h.text) kumi_stream_drop(h.text);
  if (h.print_in) kumi_stream_drop(h.print_in);
  if (h.print_count) kumi_stream_drop(h.print_count);
  kumi_store_free(store);
  kumi_component_linker_free(linker);
  kumi_component_free(comp);
  kumi_engine_free(engine);
  if (ok) printf("embed_async: ok\n");
  return ok ? 0 : 1;
}
