/* wasi:clocks@0.3.0 on the host: monotonic-clock (now, get-resolution and
 * the async wait-until / wait-for, completed from a timer of the calling
 * instance's event loop), system-clock and timezone (the host's local
 * time zone). clocks/types holds only a type. */
#define _GNU_SOURCE
#include "p3.h"
#include "wasi_share.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CLOCKS(x) WASI_P3_IFACE("wasi:clocks/" x)
#define NS 1000000000u

/* ---- waits ---------------------------------------------------------------------------
 * One pending wait-until / wait-for call. It lives until its timer fires
 * or the guest cancels it; whatever is left when the kumi_wasi is freed
 * (the instance and its loop are gone by then) is only freed. */
typedef struct clk_state clk_state;
typedef struct clk_wait {
  clk_state *st;
  kumi_async_call *call;
  kumi_async_watch *timer;
  uint64_t deadline; /* CLOCK_MONOTONIC ns */
  struct clk_wait *prev, *next;
} clk_wait;

struct clk_state {
  kumi_wasi *w;
  clk_wait *waits;
};

static void wait_unlink(clk_wait *t) {
  if (t->prev) t->prev->next = t->next;
  else t->st->waits = t->next;
  if (t->next) t->next->prev = t->prev;
}

static void wait_finish(clk_wait *t) {
  kumi_async_call *call = t->call;
  wait_unlink(t);
  kb_free(t->st->w->alloc, t, sizeof *t);
  kumi_async_call_return(call, NULL);
}

static void on_timer(void *ud) {
  clk_wait *t = ud;
  t->timer = NULL;
  uint64_t now = wasi_clock_ns(CLOCK_MONOTONIC);
  if (now < t->deadline) {
    /* The loop's timers may be coarser than a nanosecond: wait the rest,
     * rounded up to a whole millisecond so that it cannot fire early again. */
    uint64_t rest = t->deadline - now;
    rest = (rest + 999999u) / 1000000u * 1000000u;
    t->timer = kumi_async_timer(kumi_async_call_loop(t->call), rest, on_timer, t);
    if (t->timer) return;
  }
  wait_finish(t);
}

static void on_cancel(void *ud) {
  clk_wait *t = ud;
  if (t->timer) kumi_async_watch_cancel(t->timer);
  t->timer = NULL;
  wait_finish(t);
}

static kumi_error *wait_until(clk_state *st, kumi_async_call *call, uint64_t deadline) {
  uint64_t now = wasi_clock_ns(CLOCK_MONOTONIC);
  if (deadline <= now) {
    kumi_async_call_return(call, NULL);
    return NULL;
  }
  clk_wait *t = kb_zalloc(st->w->alloc, sizeof *t);
  if (!t) return kb_error_oom();
  t->st = st;
  t->call = call;
  t->deadline = deadline;
  t->timer = kumi_async_timer(kumi_async_call_loop(call), deadline - now, on_timer, t);
  if (!t->timer) {
    kb_free(st->w->alloc, t, sizeof *t);
    return kb_error_oom();
  }
  t->next = st->waits;
  if (st->waits) st->waits->prev = t;
  st->waits = t;
  kumi_async_call_on_cancel(call, on_cancel, t);
  return NULL;
}

static kumi_error *f_wait_until(void *env, kumi_async_call *call, const kumi_cval *args, size_t n) {
  clk_state *st = env;
  if (n < 1) return wasi_p3_trap(st->w, "wait-until: no argument");
  return wait_until(st, call, args[0].of.u);
}

static kumi_error *f_wait_for(void *env, kumi_async_call *call, const kumi_cval *args, size_t n) {
  clk_state *st = env;
  if (n < 1) return wasi_p3_trap(st->w, "wait-for: no argument");
  uint64_t now = wasi_clock_ns(CLOCK_MONOTONIC), d = args[0].of.u;
  return wait_until(st, call, d > UINT64_MAX - now ? UINT64_MAX : now + d);
}

static void clk_free(void *state) {
  clk_state *st = state;
  while (st->waits) {
    clk_wait *t = st->waits;
    st->waits = t->next;
    kb_free(st->w->alloc, t, sizeof *t);
  }
  kb_free(st->w->alloc, st, sizeof *st);
}

/* ---- now and resolution --------------------------------------------------------------- */

/* record instant { seconds: s64, nanoseconds: u32 } */
static bool instant(const kumi_allocator *a, const struct timespec *ts, kumi_cval *r) {
  if (!kumi_cval_agg(a, KUMI_CV_RECORD, 2, r)) return false;
  r->of.agg.items[0] = kumi_cval_int(KUMI_CV_S64, (int64_t)ts->tv_sec);
  r->of.agg.items[1] = kumi_cval_int(KUMI_CV_U32, (int64_t)ts->tv_nsec);
  return true;
}

static kumi_error *f_sys_now(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)env, (void)args, (void)n;
  struct timespec ts = {0, 0};
  clock_gettime(CLOCK_REALTIME, &ts);
  return instant(a, &ts, r) ? NULL : kb_error_oom();
}

static kumi_error *f_sys_res(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)env, (void)a, (void)args, (void)n;
  *r = kumi_cval_int(KUMI_CV_U64, (int64_t)wasi_clock_res(CLOCK_REALTIME));
  return NULL;
}

/* ---- timezone ---------------------------------------------------------------------------
 * The host's local time zone, as localtime_r sees it (TZ, else
 * /etc/localtime). Its IANA name comes from TZ when that names a zone of
 * the zone database ("Europe/Paris", ":Europe/Paris"; not a POSIX rule
 * like "JST-9"), else from the target of the /etc/localtime link
 * (".../zoneinfo/Europe/Paris"). */

static bool iana_name_ok(const char *s) {
  if (!*s || strlen(s) > 64 || s[0] == '/' || strstr(s, "..")) return false;
  for (const char *p = s; *p; p++)
    if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') || strchr("/_+-", *p)))
      return false;
  return true;
}

/* Whether the zone database has name (TZ may also hold a POSIX rule such
 * as "JST-9", which names no IANA zone). */
static bool zone_exists(const char *name) {
  const char *dir = getenv("TZDIR");
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
  return access(path, R_OK) == 0;
}

/* Copies the zone's IANA name into buf; false when there is none. */
static bool iana_id(char *buf, size_t cap) {
  const char *tz = getenv("TZ");
  if (tz) {
    if (*tz == ':') tz++;
    if (!iana_name_ok(tz) || strlen(tz) >= cap || !zone_exists(tz)) return false;
    strcpy(buf, tz);
    return true;
  }
  char link[PATH_MAX];
  ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
  if (n <= 0) return false;
  link[n] = 0;
  const char *z = strstr(link, "zoneinfo/");
  if (!z) return false;
  z += strlen("zoneinfo/");
  if (!strncmp(z, "posix/", 6)) z += 6;
  if (!iana_name_ok(z) || strlen(z) >= cap) return false;
  strcpy(buf, z);
  return true;
}

/* The UTC offset in seconds at time t; false when the host cannot tell. */
static bool utc_offset(time_t t, long *off) {
  tzset(); /* TZ may have changed since the last call */
  struct tm tm;
  if (!localtime_r(&t, &tm)) return false;
  *off = tm.tm_gmtoff;
  return *off > -86400 && *off < 86400;
}

static kumi_error *f_tz_iana(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)env, (void)args, (void)n;
  char id[80];
  if (!iana_id(id, sizeof id)) return kumi_cval_case(a, KUMI_CV_OPTION, 0, NULL, r) ? NULL : kb_error_oom();
  kumi_cval s;
  if (!kumi_cval_string(a, id, strlen(id), &s)) return kb_error_oom();
  if (!kumi_cval_case(a, KUMI_CV_OPTION, 1, &s, r)) {
    kumi_cval_free(a, &s);
    return kb_error_oom();
  }
  return NULL;
}

static kumi_error *f_tz_offset(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)env;
  long off;
  int64_t secs = n >= 1 && args[0].kind == KUMI_CV_RECORD && args[0].of.agg.len >= 1 ? args[0].of.agg.items[0].of.s : 0;
  if (secs != (int64_t)(time_t)secs || !utc_offset((time_t)secs, &off))
    return kumi_cval_case(a, KUMI_CV_OPTION, 0, NULL, r) ? NULL : kb_error_oom();
  kumi_cval v = kumi_cval_int(KUMI_CV_S64, (int64_t)off * NS);
  return kumi_cval_case(a, KUMI_CV_OPTION, 1, &v, r) ? NULL : kb_error_oom();
}

static kumi_error *f_tz_debug(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)env, (void)args, (void)n;
  char buf[96];
  long off;
  if (!iana_id(buf, sizeof buf)) {
    if (utc_offset(time(NULL), &off)) {
      long m = off < 0 ? -off / 60 : off / 60;
      snprintf(buf, sizeof buf, "%c%02ld:%02ld", off < 0 ? '-' : '+', m / 60, m % 60);
    } else {
      strcpy(buf, "unknown");
    }
  }
  return kumi_cval_string(a, buf, strlen(buf), r) ? NULL : kb_error_oom();
}

kumi_error *wasi_p3_add_clocks(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part) {
  clk_state *st = kb_zalloc(w->alloc, sizeof *st);
  if (!st) return kb_error_oom();
  st->w = w;
  part->state = st;
  part->free = clk_free;
  static const struct {
    const char *iface, *name;
    kumi_component_host_fn fn;
  } fns[] = {
      {CLOCKS("monotonic-clock"), "now", wasi_clock_mono_now},
      {CLOCKS("monotonic-clock"), "get-resolution", wasi_clock_mono_res},
      {CLOCKS("system-clock"), "now", f_sys_now},
      {CLOCKS("system-clock"), "get-resolution", f_sys_res},
      {CLOCKS("timezone"), "iana-id", f_tz_iana},
      {CLOCKS("timezone"), "utc-offset", f_tz_offset},
      {CLOCKS("timezone"), "to-debug-string", f_tz_debug},
  };
  kumi_error *e;
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if ((e = kumi_component_linker_define_func(l, fns[i].iface, fns[i].name, NULL, fns[i].fn, w))) return e;
  if ((e = kumi_component_linker_define_async(l, CLOCKS("monotonic-clock"), "wait-until", NULL, f_wait_until, st)) ||
      (e = kumi_component_linker_define_async(l, CLOCKS("monotonic-clock"), "wait-for", NULL, f_wait_for, st)))
    return e;
  return NULL;
}
