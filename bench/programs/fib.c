/* fib: deep recursion; measures call/return and small-frame overhead.
   bench-n: 34 */
#include "common.h"

__attribute__((noinline)) static int fib(int n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

BENCH_EXPORT int run(int n) { return fib(n); }
