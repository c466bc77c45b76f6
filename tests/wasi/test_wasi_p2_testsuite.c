/* The official WASI test suite wrapped as WASI 0.2 command components
 * (../shared/conformance/wasi-testsuite/{c,assemblyscript,rust}-wasip2-adapted):
 * every component run through the embedding API (kumi_component_linker with
 * kumi_component_linker_add_wasi_p2, then wasi:cli/run#run) with the args,
 * env and root its .json gives, exit code, stdout and stderr checked as the
 * suite's specification.md says. Each test's root is a fresh copy,
 * preopened as "/". Known failures are listed in p2_testsuite_skip.txt
 * beside this file ("group/name  reason" a line): run and reported, but
 * they do not fail the test. KUMI_WASI_TESTSUITE overrides where the suite
 * is; test names as arguments run only those. Ends with
 * "N passed, N failed, N skipped". */
#include "testsuite_spec.h"

int main(int argc, char **argv) {
  char here[PATH_MAX], suite[PATH_MAX], skipfile[PATH_MAX];
  h_source_dir(here, sizeof here, __FILE__);
  if (!ts_suite_dir(here, suite, sizeof suite)) {
    printf("wasi-testsuite not found at %s: skipped\n0 passed, 0 failed, 1 skipped\n", suite);
    return 0;
  }
  h_fmt(skipfile, sizeof skipfile, "%s/p2_testsuite_skip.txt", here);
  static ts_skip skips[256];
  size_t nskips = ts_load_skips(skipfile, skips, 256);
  static const char *const groups[] = {"c-wasip2-adapted", "assemblyscript-wasip2-adapted", "rust-wasip2-adapted"};
  ts_counts c = {0, 0, 0};
  for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
    ts_run_group(suite, groups[g], false, "", h_run_component, skips, nskips, argc, argv, &c);
  printf("%d passed, %d failed, %d skipped\n", c.passed, c.failed, c.known);
  return c.failed ? 1 : 0;
}
