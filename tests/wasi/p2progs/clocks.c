/* Clocks and subscriptions: clock_gettime and clock_getres on the
 * monotonic and realtime clocks (wasi:clocks/monotonic-clock and
 * wall-clock), then every way wasi-libc waits, each becoming a wasi:io/poll
 * poll on subscribe-duration or subscribe-instant pollables: nanosleep,
 * clock_nanosleep relative and absolute (TIMER_ABSTIME), poll with no
 * descriptors, poll on stdout (writable at once) with a long timeout, and a
 * raw poll_oneoff with two timers of which the shorter must fire. Prints
 * comparisons only, never times. */
#include "common.h"

#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static int64_t ns(clockid_t id) {
  struct timespec t;
  if (clock_gettime(id, &t) != 0) return -1;
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static const char *yn(int c) { return c ? "yes" : "no"; }

/* How long `what` took on the monotonic clock, in ns. */
#define ELAPSED(what) ({ int64_t t0_ = ns(CLOCK_MONOTONIC); what; ns(CLOCK_MONOTONIC) - t0_; })

int main(void) {
  struct timespec r;
  EXPECT("monotonic getres", clock_getres(CLOCK_MONOTONIC, &r), 0);
  printf("monotonic resolution > 0 and <= 1s: %s\n", yn((r.tv_sec > 0 || r.tv_nsec > 0) && r.tv_sec <= 1));
  EXPECT("realtime getres", clock_getres(CLOCK_REALTIME, &r), 0);
  printf("realtime resolution > 0 and <= 1s: %s\n", yn((r.tv_sec > 0 || r.tv_nsec > 0) && r.tv_sec <= 1));

  int64_t m0 = ns(CLOCK_MONOTONIC), w0 = ns(CLOCK_REALTIME);
  printf("monotonic readable: %s\n", yn(m0 >= 0));
  printf("realtime after 2020-01-01: %s\n", yn(w0 > INT64_C(1577836800) * 1000000000));
  printf("time() agrees with realtime: %s\n", yn(time(NULL) - w0 / 1000000000 <= 1));

  struct timespec d = {0, 30 * 1000000};
  int rc = 0;
  int64_t e = ELAPSED(rc = nanosleep(&d, NULL));
  printf("nanosleep 30ms: %s, waited >= 30ms: %s, < 5s: %s\n", rc ? en(errno) : "OK", yn(e >= 30000000), yn(e < 5000000000));
  printf("monotonic increased: %s\n", yn(ns(CLOCK_MONOTONIC) > m0));
  printf("realtime increased: %s\n", yn(ns(CLOCK_REALTIME) > w0));

  e = ELAPSED(rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL));
  printf("clock_nanosleep relative 30ms: %d, waited >= 30ms: %s\n", rc, yn(e >= 30000000));

  struct timespec now, until;
  clock_gettime(CLOCK_MONOTONIC, &now);
  until = now;
  until.tv_nsec += 40 * 1000000;
  if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
  rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
  int64_t after = ns(CLOCK_MONOTONIC);
  printf("clock_nanosleep absolute +40ms: %d, reached the instant: %s\n", rc,
         yn(after >= (int64_t)until.tv_sec * 1000000000 + until.tv_nsec));

  e = ELAPSED(rc = poll(NULL, 0, 25));
  printf("poll with no descriptors, 25ms: %d, waited >= 25ms: %s\n", rc, yn(e >= 25000000));

  struct pollfd p = {.fd = 1, .events = POLLOUT};
  e = ELAPSED(rc = poll(&p, 1, 10000));
  printf("poll stdout writable: %d, POLLOUT: %s, without waiting out 10s: %s\n", rc, yn(p.revents & POLLOUT), yn(e < 5000000000));

  /* Two relative timers, 5s and 20ms: the shorter fires alone. */
  __wasi_subscription_t s[2];
  memset(s, 0, sizeof s);
  for (int i = 0; i < 2; i++) {
    s[i].userdata = 100 + (uint64_t)i;
    s[i].u.tag = __WASI_EVENTTYPE_CLOCK;
    s[i].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s[i].u.u.clock.timeout = i ? 20000000 : 5000000000;
  }
  __wasi_event_t ev[2];
  __wasi_size_t nev = 0;
  __wasi_errno_t err;
  e = ELAPSED(err = __wasi_poll_oneoff(s, ev, 2, &nev));
  printf("poll_oneoff two timers: %s, events: %u, first userdata: %llu, waited < 5s: %s\n", en(err), (unsigned)nev,
         nev ? (unsigned long long)ev[0].userdata : 0ull, yn(e < 5000000000));

  /* An absolute realtime instant in the past fires at once. */
  memset(s, 0, sizeof s);
  s[0].userdata = 7;
  s[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  s[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  s[0].u.u.clock.timeout = 1;
  s[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
  e = ELAPSED(err = __wasi_poll_oneoff(s, ev, 1, &nev));
  printf("poll_oneoff instant in the past: %s, events: %u, at once: %s\n", en(err), (unsigned)nev, yn(e < 1000000000));
  return finish();
}
