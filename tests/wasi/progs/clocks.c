/* clock_res_get, clock_time_get, random_get, sched_yield. */
#include "common.h"

int main(void) {
  static const char *const names[] = {"realtime", "monotonic", "process_cputime", "thread_cputime"};
  char label[64];
  for (int id = 0; id < 4; id++) {
    __wasi_timestamp_t res = 0, t = 0;
    snprintf(label, sizeof label, "clock_res_get %s", names[id]);
    EXPECT(label, __wasi_clock_res_get((__wasi_clockid_t)id, &res), 0);
    snprintf(label, sizeof label, "clock_res_get %s is positive", names[id]);
    CHECK(label, res > 0);
    snprintf(label, sizeof label, "clock_time_get %s", names[id]);
    EXPECT(label, __wasi_clock_time_get((__wasi_clockid_t)id, 1, &t), 0);
  }
  __wasi_timestamp_t t0, t1, res;
  EXPECT("clock_res_get bad id", __wasi_clock_res_get(4, &res), __WASI_ERRNO_INVAL);
  EXPECT("clock_time_get bad id", __wasi_clock_time_get(99, 0, &t0), __WASI_ERRNO_INVAL);
  EXPECT("clock_time_get result out of bounds", raw_clock_time_get(1, 0, (int32_t)mem_end() - 4), __WASI_ERRNO_FAULT);
  (void)__wasi_clock_time_get(0, 0, &t0);
  CHECK("realtime is after 2020", t0 > 1577836800ull * 1000000000ull);
  (void)__wasi_clock_time_get(1, 0, &t0);
  for (volatile int i = 0; i < 100000; i++) {}
  (void)__wasi_clock_time_get(1, 0, &t1);
  CHECK("monotonic does not go back", t1 >= t0);
  (void)__wasi_clock_time_get(2, 0, &t0);
  for (volatile int i = 0; i < 2000000; i++) {}
  (void)__wasi_clock_time_get(2, 0, &t1);
  CHECK("process cputime advances with work", t1 > t0);

  static uint8_t a[1 << 20], b[64], c[64];
  EXPECT("random_get 0 bytes", __wasi_random_get(a, 0), 0);
  EXPECT("random_get 1 MiB", __wasi_random_get(a, sizeof a), 0);
  EXPECT("random_get 64 bytes", __wasi_random_get(b, sizeof b), 0);
  EXPECT("random_get 64 more", __wasi_random_get(c, sizeof c), 0);
  CHECK("random bytes differ", memcmp(b, c, sizeof b) != 0);
  int zeros = 0;
  for (size_t i = 0; i < sizeof a; i++) zeros += a[i] == 0;
  CHECK("random 1 MiB looks random", zeros > 2000 && zeros < 6500);
  EXPECT("random_get out of bounds", raw_random_get((int32_t)mem_end() - 8, 16), __WASI_ERRNO_FAULT);
  EXPECT("random_get length past the end", raw_random_get(ADDR(b), -1), __WASI_ERRNO_FAULT);
  EXPECT("sched_yield", __wasi_sched_yield(), 0);
  return finish();
}
