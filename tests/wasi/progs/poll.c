/* poll_oneoff: relative and absolute clock timeouts, several clocks,
 * fd_read on stdin (the driver gives "hello\n"), fd_write on stdout, bad
 * descriptors, no subscriptions, bad pointers. With the argument
 * "relative" the absolute-deadline checks are left out (node's WASI waits
 * forever on them). */
#include "common.h"

static __wasi_timestamp_t now(void) {
  __wasi_timestamp_t t = 0;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t);
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
  int absolute = !(argc > 1 && !strcmp(argv[1], "relative"));
  __wasi_subscription_t in[4];
  __wasi_event_t out[4];
  __wasi_size_t n = 0;
  const uint64_t ms = 1000000;

  in[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 30 * ms, 0);
  __wasi_timestamp_t t0 = now();
  EXPECT("relative 30ms", __wasi_poll_oneoff(in, out, 1, &n), 0);
  __wasi_timestamp_t dt = now() - t0;
  CHECK("one event", n == 1 && out[0].userdata == 7 && out[0].type == __WASI_EVENTTYPE_CLOCK && out[0].error == 0);
  CHECK("waited at least 30ms", dt >= 30 * ms);
  CHECK("waited less than 1s", dt < 1000 * ms);

  if (absolute) {
    in[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, now() + 20 * ms, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    t0 = now();
    EXPECT("absolute +20ms", __wasi_poll_oneoff(in, out, 1, &n), 0);
    CHECK("absolute waited", n == 1 && out[0].userdata == 8 && now() - t0 >= 15 * ms);

    in[0] = clock_sub(9, __WASI_CLOCKID_MONOTONIC, 0, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    EXPECT("absolute in the past", __wasi_poll_oneoff(in, out, 1, &n), 0);
    CHECK("fires at once", n == 1 && out[0].userdata == 9);
  }

  in[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 500 * ms, 0);
  in[1] = clock_sub(2, __WASI_CLOCKID_REALTIME, 10 * ms, 0);
  t0 = now();
  EXPECT("two clocks", __wasi_poll_oneoff(in, out, 2, &n), 0);
  CHECK("the shorter one fires", n == 1 && out[0].userdata == 2 && now() - t0 < 400 * ms);

  in[0] = fd_sub(3, __WASI_EVENTTYPE_FD_READ, 0);
  in[1] = clock_sub(4, __WASI_CLOCKID_MONOTONIC, 2000 * ms, 0);
  EXPECT("stdin readable", __wasi_poll_oneoff(in, out, 2, &n), 0);
  CHECK("stdin event", n >= 1 && out[0].userdata == 3 && out[0].type == __WASI_EVENTTYPE_FD_READ && out[0].error == 0);
  printf("stdin nbytes=%llu\n", (unsigned long long)out[0].fd_readwrite.nbytes);

  in[0] = fd_sub(5, __WASI_EVENTTYPE_FD_WRITE, 1);
  EXPECT("stdout writable", __wasi_poll_oneoff(in, out, 1, &n), 0);
  CHECK("stdout event", n == 1 && out[0].userdata == 5 && out[0].type == __WASI_EVENTTYPE_FD_WRITE && out[0].error == 0);

  in[0] = fd_sub(6, __WASI_EVENTTYPE_FD_READ, 99);
  EXPECT("bad fd polls", __wasi_poll_oneoff(in, out, 1, &n), 0);
  CHECK("bad fd event", n == 1 && out[0].userdata == 6);
  printf("bad fd event error: %s\n", en(out[0].error));

  EXPECT("no subscriptions", __wasi_poll_oneoff(in, out, 0, &n), __WASI_ERRNO_INVAL);
  EXPECT("subscriptions out of bounds", raw_poll_oneoff((int32_t)mem_end() - 40, ADDR(out), 1, ADDR(&n)),
         __WASI_ERRNO_FAULT);
  in[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 0, 0);
  EXPECT("events out of bounds", raw_poll_oneoff(ADDR(in), (int32_t)mem_end() - 8, 1, ADDR(&n)), __WASI_ERRNO_FAULT);
  return finish();
}
