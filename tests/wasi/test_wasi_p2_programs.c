/* WASI 0.2 command components of our own: progs/p2_cli.c, compiled with
 * clang --target=wasm32-wasi against wasi-libc and wrapped by
 * `jco new p2_cli.wasm --wasi-command` (jco's preview1 adapter), kept as
 * progs/p2_cli.component.wasm. Each case runs it through the embedding API
 * (kumi_component_linker + kumi_component_linker_add_wasi_p2, then
 * wasi:cli/run) with in-memory stdin and captured stdout/stderr, and
 * compares stdout with progs/<case>.out, stderr and the exit status. The
 * program checks itself too (one line per check; see progs/common.h).
 *
 * Under `jco transpile` + node the same component prints the same lines
 * except the three isatty checks (node's shim says every stdio stream is a
 * terminal).
 *
 * With KUMI_JCO set to a jco command (and clang with wasi-libc present)
 * the component is rebuilt from the source first, into a scratch folder.
 * KUMI_WASI_BLESS=1 rewrites the .out files (review the diff!). Ends with
 * "N passed, N failed". */
#include "wasi_harness.h"

typedef struct p2_case {
  const char *name; /* golden stdout: progs/<name>.out */
  const char *args[4];
  const char *env[3];
  const char *stdin_data; /* NULL: stdin is empty */
  bool stdin_pipe;        /* stdin_data comes late through a pipe instead (poll and read must block) */
  int want_exit;
  const char *want_stderr;
} p2_case;

static const p2_case cases[] = {
    {"p2_cli", {"a", "b c"}, {"P2_VAR=yes"}, "hello\nworld\n", false, 0, "to stderr\n"},
    /* The adapter turns every nonzero proc_exit into wasi:cli/exit(err). */
    {"p2_cli_exit", {"exit", "7"}, {NULL}, NULL, false, 1, "to stderr\n"},
    {"p2_cli_pipe", {NULL}, {NULL}, "late\n", true, 0, "to stderr\n"},
};

/* Builds the component from progs/p2_cli.c with clang and $KUMI_JCO into
 * dir; returns its path in out, or false (log says why). */
static bool rebuild(const char *progs, const char *dir, char *out, size_t n, hbuf *log) {
  char src[PATH_MAX], core[PATH_MAX];
  h_fmt(src, sizeof src, "%s/p2_cli.c", progs);
  h_fmt(core, sizeof core, "%s/p2_cli.wasm", dir);
  h_fmt(out, n, "%s/p2_cli.component.wasm", dir);
  if (!h_compile(src, core, progs, log)) return false;
  hbuf cmd = {0};
  hbuf_str(&cmd, getenv("KUMI_JCO"));
  hbuf_str(&cmd, " new ");
  h_shell_quote(&cmd, core);
  hbuf_str(&cmd, " --wasi-command -o ");
  h_shell_quote(&cmd, out);
  hbuf_str(&cmd, " 2>&1");
  int st = h_system(cmd.s, log);
  hbuf_free(&cmd);
  return st == 0;
}

int main(int argc, char **argv) {
  char here[PATH_MAX], progs[PATH_MAX], wasm[PATH_MAX], scratch[PATH_MAX] = "";
  h_source_dir(here, sizeof here, __FILE__);
  h_fmt(progs, sizeof progs, "%s/progs", here);
  h_fmt(wasm, sizeof wasm, "%s/p2_cli.component.wasm", progs);
  const char *jco = getenv("KUMI_JCO");
  if (jco && *jco) {
    hbuf log = {0};
    if (!h_mkdtemp(scratch, sizeof scratch, "p2prog") || !rebuild(progs, scratch, wasm, sizeof wasm, &log)) {
      printf("cannot rebuild the component with %s: %s\n0 passed, 1 failed\n", jco, log.s ? log.s : "");
      hbuf_free(&log);
      if (scratch[0]) h_rm_rf(scratch);
      return 1;
    }
    hbuf_free(&log);
    printf("rebuilt %s\n", wasm);
  }
  bool bless = getenv("KUMI_WASI_BLESS") && !strcmp(getenv("KUMI_WASI_BLESS"), "1");
  int passed = 0, failed = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const p2_case *c = &cases[i];
    bool wanted = argc < 2;
    for (int a = 1; a < argc; a++) wanted |= !strcmp(argv[a], c->name);
    if (!wanted) continue;
    const char *args[6] = {"p2_cli.wasm"};
    for (size_t k = 0; k < 4 && c->args[k]; k++) args[k + 1] = c->args[k];
    h_run r;
    memset(&r, 0, sizeof r);
    r.wasm = wasm;
    r.args = args;
    r.env = c->env;
    pid_t writer = -1;
    int pfd[2] = {-1, -1};
    if (c->stdin_pipe) {
      /* A child writes the data 200 ms after the guest starts waiting. */
      if (pipe(pfd) != 0 || (writer = fork()) < 0) {
        printf("FAIL %s: cannot make a pipe or a process\n", c->name);
        failed++;
        continue;
      }
      if (writer == 0) {
        close(pfd[0]);
        usleep(200000);
        ssize_t w = write(pfd[1], c->stdin_data, strlen(c->stdin_data));
        _exit(w < 0);
      }
      close(pfd[1]);
      r.stdin_fd = pfd[0];
    } else {
      r.stdin_data = c->stdin_data;
      r.stdin_len = c->stdin_data ? strlen(c->stdin_data) : 0;
    }
    h_run_component(&r);
    if (writer > 0) {
      close(pfd[0]);
      waitpid(writer, NULL, 0);
    }
    char golden[PATH_MAX], why[512] = "";
    h_fmt(golden, sizeof golden, "%s/%s.out", progs, c->name);
    hbuf want = {0};
    if (bless && r.out.s) h_write_file(golden, r.out.s, r.out.len);
    if (r.err[0]) h_fmt(why, sizeof why, "kumi error: %s", r.err);
    else if (r.exit_code != c->want_exit) h_fmt(why, sizeof why, "exit status %d, want %d", r.exit_code, c->want_exit);
    else if (!h_read_file(golden, &want)) h_fmt(why, sizeof why, "cannot read %s", golden);
    else if (!r.out.s || r.out.len != want.len || memcmp(r.out.s, want.s, want.len))
      h_fmt(why, sizeof why, "stdout differs from %s:\n%s", golden, r.out.s ? r.out.s : "");
    else if (c->want_stderr && (!r.errout.s || strcmp(r.errout.s, c->want_stderr)))
      h_fmt(why, sizeof why, "stderr '%s', want '%s'", r.errout.s ? r.errout.s : "", c->want_stderr);
    if (why[0]) {
      failed++;
      printf("FAIL %s: %s\n", c->name, why);
    } else {
      passed++;
      printf("PASS %s\n", c->name);
    }
    hbuf_free(&want);
    h_run_free(&r);
  }
  if (scratch[0]) h_rm_rf(scratch);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
