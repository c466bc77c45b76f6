/* A WASI 0.2 command, through the preview1 adapter: compiled with clang
 * --target=wasm32-wasi and wrapped by `jco new --wasi-command` (see
 * test_wasi_p2_programs.c), so every call below becomes wasi:cli, io,
 * clocks or random calls on the host. Checks arguments and environment,
 * terminal queries (the driver's stdio is not a terminal), clocks and
 * their resolutions, poll_oneoff on timers (wasi:clocks subscribe-duration
 * and subscribe-instant with wasi:io/poll really blocking), on stdin and
 * stdout streams, reading stdin to its end, random bytes, stderr, and the
 * exit status (argument "exit N"). Prints one line per check. */
#include "common.h"

#include <time.h>
#include <unistd.h>

static __wasi_timestamp_t now(__wasi_clockid_t id) {
  __wasi_timestamp_t t = 0;
  (void)__wasi_clock_time_get(id, 0, &t);
  return t;
}

static __wasi_subscription_t clock_sub(uint64_t ud, __wasi_clockid_t id, uint64_t timeout, uint16_t flags) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.flags = flags;
  return s;
}

static __wasi_subscription_t fd_sub(uint64_t ud, uint8_t type, __wasi_fd_t fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = type;
  s.u.u.fd_read.file_descriptor = fd;
  return s;
}

int main(int argc, char **argv) {
  const uint64_t ms = 1000000;
  __wasi_subscription_t in[3];
  __wasi_event_t out[3];
  __wasi_size_t n = 0;

  /* arguments and environment */
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]=[%s]\n", i, argv[i]);
  const char *v = getenv("P2_VAR");
  printf("P2_VAR=[%s]\n", v ? v : "(unset)");
  CHECK("unset variable", getenv("P2_NOPE") == NULL);

  /* terminals: the driver's stdio are not terminals */
  CHECK("stdin is no tty", !isatty(0));
  CHECK("stdout is no tty", !isatty(1));
  CHECK("stderr is no tty", !isatty(2));

  /* clocks */
  __wasi_timestamp_t res = 0;
  EXPECT("monotonic resolution", __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res), 0);
  CHECK("monotonic resolution > 0", res > 0 && res <= 1000 * ms);
  EXPECT("realtime resolution", __wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res), 0);
  CHECK("realtime resolution > 0", res > 0 && res <= 1000 * ms);
  __wasi_timestamp_t m1 = now(__WASI_CLOCKID_MONOTONIC), m2 = now(__WASI_CLOCKID_MONOTONIC);
  CHECK("monotonic does not go back", m2 >= m1);
  __wasi_timestamp_t wall = now(__WASI_CLOCKID_REALTIME);
  CHECK("realtime after 2020", wall > (uint64_t)1577836800 * 1000 * ms);
  time_t t = time(NULL);
  CHECK("time() agrees", t >= (time_t)(wall / (1000 * ms)) && t <= (time_t)(wall / (1000 * ms)) + 5);

  /* timers: poll_oneoff blocks until the deadline */
  in[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 30 * ms, 0);
  __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
  EXPECT("relative 30ms", __wasi_poll_oneoff(in, out, 1, &n), 0);
  __wasi_timestamp_t dt = now(__WASI_CLOCKID_MONOTONIC) - t0;
  CHECK("one clock event", n == 1 && out[0].userdata == 7 && out[0].type == __WASI_EVENTTYPE_CLOCK);
  CHECK("waited at least 30ms", dt >= 30 * ms);
  CHECK("waited less than 2s", dt < 2000 * ms);

  in[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, now(__WASI_CLOCKID_MONOTONIC) + 20 * ms,
                    __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  t0 = now(__WASI_CLOCKID_MONOTONIC);
  EXPECT("absolute +20ms", __wasi_poll_oneoff(in, out, 1, &n), 0);
  CHECK("absolute waited", n == 1 && out[0].userdata == 8 && now(__WASI_CLOCKID_MONOTONIC) - t0 >= 15 * ms);

  in[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 1500 * ms, 0);
  in[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 10 * ms, 0);
  t0 = now(__WASI_CLOCKID_MONOTONIC);
  EXPECT("two timers", __wasi_poll_oneoff(in, out, 2, &n), 0);
  CHECK("the shorter fires", n == 1 && out[0].userdata == 2 && now(__WASI_CLOCKID_MONOTONIC) - t0 < 1000 * ms);

  /* streams */
  in[0] = fd_sub(3, __WASI_EVENTTYPE_FD_READ, 0);
  in[1] = clock_sub(4, __WASI_CLOCKID_MONOTONIC, 2000 * ms, 0);
  EXPECT("stdin readable", __wasi_poll_oneoff(in, out, 2, &n), 0);
  CHECK("stdin event first", n >= 1 && out[0].userdata == 3 && out[0].type == __WASI_EVENTTYPE_FD_READ);
  in[0] = fd_sub(5, __WASI_EVENTTYPE_FD_WRITE, 1);
  EXPECT("stdout writable", __wasi_poll_oneoff(in, out, 1, &n), 0);
  CHECK("stdout event", n == 1 && out[0].userdata == 5 && out[0].type == __WASI_EVENTTYPE_FD_WRITE);

  char buf[256];
  size_t got = 0;
  for (;;) {
    size_t r = fread(buf + got, 1, sizeof buf - 1 - got, stdin);
    if (r == 0) break;
    got += r;
  }
  buf[got] = 0;
  for (size_t i = 0; i < got; i++)
    if (buf[i] == '\n') buf[i] = '|';
  printf("stdin %zu bytes: [%s]\n", got, buf);
  CHECK("stdin at its end", feof(stdin) && !ferror(stdin));

  /* random */
  uint8_t r1[32], r2[32];
  EXPECT("random_get", __wasi_random_get(r1, sizeof r1), 0);
  EXPECT("random_get again", __wasi_random_get(r2, sizeof r2), 0);
  CHECK("random bytes differ", memcmp(r1, r2, sizeof r1) != 0);
  int zeros = 0;
  for (size_t i = 0; i < sizeof r1; i++) zeros += r1[i] == 0;
  CHECK("random bytes are not all zero", zeros < 16);
  EXPECT("random_get of nothing", __wasi_random_get(r1, 0), 0);

  fprintf(stderr, "to stderr\n");
  int status = fails ? 1 : 0;
  puts(fails ? "SOME FAILED" : "ALL OK");
  if (argc > 2 && !strcmp(argv[1], "exit")) status = atoi(argv[2]);
  fflush(stdout);
  return status;
}
