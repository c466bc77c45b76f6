/* The official WASI test suite (WebAssembly/wasi-testsuite, prebuilt in
 * ../shared/conformance/wasi-testsuite): every preview1 program of the C,
 * AssemblyScript and Rust groups, run through the embedding API with the
 * args, env and root directory its .json gives, its exit code, stdout and
 * stderr checked as the suite's specification.md says (stdout and stderr
 * only when the .json gives them). Each test runs on a fresh copy of its
 * root. Known failures are listed in testsuite_skip.txt beside this file,
 * one "group/name  reason" a line; they are run and reported but do not
 * fail the test. Set KUMI_WASI_TESTSUITE to the suite's folder to override
 * where it is looked for; pass test names as arguments to run only those.
 * Ends with "N passed, N failed, N skipped". */
#include "testsuite_spec.h"

int main(int argc, char **argv) {
  char here[PATH_MAX], suite[PATH_MAX], skipfile[PATH_MAX];
  h_source_dir(here, sizeof here, __FILE__);
  if (!ts_suite_dir(here, suite, sizeof suite)) {
    printf("wasi-testsuite not found at %s: skipped\n0 passed, 0 failed, 1 skipped\n", suite);
    return 0;
  }
  h_fmt(skipfile, sizeof skipfile, "%s/testsuite_skip.txt", here);
  static ts_skip skips[256];
  size_t nskips = ts_load_skips(skipfile, skips, 256);
  static const char *const groups[] = {"c-wasip1", "assemblyscript-wasip1", "rust-wasip1"};
  ts_counts c = {0, 0, 0};
  /* Twice: paths resolved by openat2 where the kernel has it, and by the
   * portable openat walk. */
  for (int mode = 0; mode < 2; mode++)
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
      ts_run_group(suite, groups[g], mode == 1, mode ? " (openat walk)" : " (openat2)", h_run_module, skips, nskips,
                   argc, argv, &c);
  printf("%d passed, %d failed, %d skipped\n", c.passed, c.failed, c.known);
  return c.failed ? 1 : 0;
}
