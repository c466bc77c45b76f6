/* wasi:filesystem@0.3.0 (src/wasi/p3_fs*.c), two ways:
 *  - the official wasm32-wasip3 filesystem programs
 *    (../shared/conformance/wasi-testsuite/rust-wasip3/filesystem-*.wasm),
 *    each run in-process on a fresh copy of its .json's root (preopened
 *    as "/") with WASI 0.2 and 0.3 linked, wasi:cli/run@0.3.0#run called:
 *    it must return ok (exit code 0, or the .json's exit_code), one line
 *    per program;
 *  - a small component of our own (below), async exports calling the 0.3
 *    methods on the preopen: the sandbox through open-at, stat-at,
 *    create-directory-at, readlink-at and set-times-at ("..", absolute
 *    paths and links made by the host pointing out must all be refused
 *    with not-permitted; ordinary paths must work, with 0.3's error-code
 *    and descriptor-type case numbers, and pre-1970 instants); the
 *    streams through read-via-stream, write-via-stream,
 *    append-via-stream and read-directory (more data and more entries
 *    than the host moves in one copy, checked against the host's view;
 *    failures in the future).
 * Nothing may leak (a counting allocator).
 * KUMI_WASI_TESTSUITE overrides where the suite is; program names as
 * arguments run only those. Prints "N passed, N failed". */
#include "p3_harness.h"

/* ---- the suite's programs --------------------------------------------------------------- */

/* The string value of "key" in a small flat JSON object (NULL if absent). */
static char *json_string(const char *json, const char *key) {
  char pat[64];
  h_fmt(pat, sizeof pat, "\"%s\"", key);
  const char *k = strstr(json, pat);
  if (!k) return NULL;
  const char *q = strchr(k + strlen(pat), '"');
  if (!q) return NULL;
  const char *end = strchr(q + 1, '"');
  return end ? strndup(q + 1, (size_t)(end - q - 1)) : NULL;
}

static int json_int(const char *json, const char *key, int dflt) {
  char pat[64];
  h_fmt(pat, sizeof pat, "\"%s\"", key);
  const char *k = strstr(json, pat);
  int v;
  if (!k || sscanf(k + strlen(pat), " : %d", &v) != 1) return dflt;
  return v;
}

/* Runs one program; true when it passed, else why says how it failed. */
static bool run_program(const char *dir, const char *stem, char *why, size_t why_n) {
  char wasm[PATH_MAX], json[PATH_MAX];
  h_fmt(wasm, sizeof wasm, "%s/%s.wasm", dir, stem);
  h_fmt(json, sizeof json, "%s/%s.json", dir, stem);
  hbuf spec = {0};
  char *root = NULL;
  int want = 0;
  if (h_read_file(json, &spec)) {
    root = json_string(spec.s, "root");
    want = json_int(spec.s, "exit_code", 0);
  }
  hbuf_free(&spec);
  const char *argv[] = {stem, NULL};
  h_run r;
  memset(&r, 0, sizeof r);
  r.wasm = wasm;
  r.args = argv;
  char scratch[PATH_MAX] = "";
  h_preopen pre;
  bool ok = true;
  if (root) ok = h_copy_root(dir, root, "p3fs", &r, &pre, scratch, sizeof scratch, why, why_n);
  if (ok) {
    p3h_run(&r);
    const char *eo = r.errout.s ? r.errout.s : "";
    if (r.err[0]) {
      h_fmt(why, why_n, "kumi error: %s (stderr: %.300s)", r.err, eo);
      ok = false;
    } else if (r.exit_code != want) {
      h_fmt(why, why_n, "exit code %d, want %d (stderr: %.400s)", r.exit_code, want, eo);
      ok = false;
    }
  }
  h_run_free(&r);
  if (scratch[0]) h_rm_rf(scratch);
  free(root);
  return ok;
}

static void test_programs(int argc, char **argv) {
  char dir[PATH_MAX];
  /* The suite has 14; fewer means the folder is not the one we know. */
  if (p3h_programs_dir(__FILE__, dir, sizeof dir))
    p3h_run_programs(dir, "filesystem-", "filesystem", 14, argc, argv, run_program, false);
}

/* ---- the sandbox, from a component ----------------------------------------------------------
 * The component's exports each take the preopen (the first of
 * get-directories) and make one call; open, stat, mkdir, readlink and
 * touch return the error-code case, or on success OK (open-at: the new
 * descriptor dropped; create-directory-at; set-times-at), OK + the
 * descriptor-type case (stat-at) or OK + the target's length
 * (readlink-at); read, list and write return a tuple (see there). */
#define OK 1000u
/* 0.3 error-code cases. */
enum { EC_EXIST = 6, EC_LOOP = 14, EC_NO_ENTRY = 19, EC_NOT_DIRECTORY = 23, EC_NOT_PERMITTED = 30 };
/* 0.3 descriptor-type cases. */
enum { DT_DIRECTORY = 2, DT_SYMBOLIC_LINK = 4, DT_REGULAR_FILE = 5 };

static const char sandbox_wat[] =
    "(component\n"
    "  (import \"wasi:filesystem/types@0.3.0\" (instance $types\n"
    "    (export \"descriptor\" (type $d (sub resource)))\n"
    "    (type $ec0 (variant (case \"access\") (case \"already\") (case \"bad-descriptor\") (case \"busy\")\n"
    "      (case \"deadlock\") (case \"quota\") (case \"exist\") (case \"file-too-large\")\n"
    "      (case \"illegal-byte-sequence\") (case \"in-progress\") (case \"interrupted\") (case \"invalid\")\n"
    "      (case \"io\") (case \"is-directory\") (case \"loop\") (case \"too-many-links\") (case \"message-size\")\n"
    "      (case \"name-too-long\") (case \"no-device\") (case \"no-entry\") (case \"no-lock\")\n"
    "      (case \"insufficient-memory\") (case \"insufficient-space\") (case \"not-directory\")\n"
    "      (case \"not-empty\") (case \"not-recoverable\") (case \"unsupported\") (case \"no-tty\")\n"
    "      (case \"no-such-device\") (case \"overflow\") (case \"not-permitted\") (case \"pipe\")\n"
    "      (case \"read-only\") (case \"invalid-seek\") (case \"text-file-busy\") (case \"cross-device\")\n"
    "      (case \"other\" (option string))))\n"
    "    (export \"error-code\" (type $ec (eq $ec0)))\n"
    "    (type $dt0 (variant (case \"block-device\") (case \"character-device\") (case \"directory\")\n"
    "      (case \"fifo\") (case \"symbolic-link\") (case \"regular-file\") (case \"socket\")\n"
    "      (case \"other\" (option string))))\n"
    "    (export \"descriptor-type\" (type $dt (eq $dt0)))\n"
    "    (type $inst0 (record (field \"seconds\" s64) (field \"nanoseconds\" u32)))\n"
    "    (export \"instant\" (type $inst (eq $inst0)))\n"
    "    (type $st0 (record (field \"type\" $dt) (field \"link-count\" u64) (field \"size\" u64)\n"
    "      (field \"data-access-timestamp\" (option $inst)) (field \"data-modification-timestamp\" (option $inst))\n"
    "      (field \"status-change-timestamp\" (option $inst))))\n"
    "    (export \"descriptor-stat\" (type $st (eq $st0)))\n"
    "    (type $pf0 (flags \"symlink-follow\"))\n"
    "    (export \"path-flags\" (type $pf (eq $pf0)))\n"
    "    (type $of0 (flags \"create\" \"directory\" \"exclusive\" \"truncate\"))\n"
    "    (export \"open-flags\" (type $of (eq $of0)))\n"
    "    (type $df0 (flags \"read\" \"write\" \"file-integrity-sync\" \"data-integrity-sync\"\n"
    "      \"requested-write-sync\" \"mutate-directory\"))\n"
    "    (export \"descriptor-flags\" (type $df (eq $df0)))\n"
    "    (export \"[method]descriptor.open-at\" (func async (param \"self\" (borrow $d)) (param \"path-flags\" $pf)\n"
    "      (param \"path\" string) (param \"open-flags\" $of) (param \"flags\" $df) (result (result (own $d) (error $ec)))))\n"
    "    (export \"[method]descriptor.stat-at\" (func async (param \"self\" (borrow $d)) (param \"path-flags\" $pf)\n"
    "      (param \"path\" string) (result (result $st (error $ec)))))\n"
    "    (export \"[method]descriptor.create-directory-at\" (func async (param \"self\" (borrow $d))\n"
    "      (param \"path\" string) (result (result (error $ec)))))\n"
    "    (export \"[method]descriptor.readlink-at\" (func async (param \"self\" (borrow $d))\n"
    "      (param \"path\" string) (result (result string (error $ec)))))\n"
    "    (type $nt0 (variant (case \"no-change\") (case \"now\") (case \"timestamp\" $inst)))\n"
    "    (export \"new-timestamp\" (type $nt (eq $nt0)))\n"
    "    (export \"[method]descriptor.set-times-at\" (func async (param \"self\" (borrow $d)) (param \"path-flags\" $pf)\n"
    "      (param \"path\" string) (param \"data-access-timestamp\" $nt) (param \"data-modification-timestamp\" $nt)\n"
    "      (result (result (error $ec)))))\n"
    "    (type $de0 (record (field \"type\" $dt) (field \"name\" string)))\n"
    "    (export \"directory-entry\" (type $de (eq $de0)))\n"
    "    (export \"[method]descriptor.read-via-stream\" (func (param \"self\" (borrow $d)) (param \"offset\" u64)\n"
    "      (result (tuple (stream u8) (future (result (error $ec)))))))\n"
    "    (export \"[method]descriptor.write-via-stream\" (func (param \"self\" (borrow $d)) (param \"data\" (stream u8))\n"
    "      (param \"offset\" u64) (result (future (result (error $ec))))))\n"
    "    (export \"[method]descriptor.append-via-stream\" (func (param \"self\" (borrow $d))\n"
    "      (param \"data\" (stream u8)) (result (future (result (error $ec))))))\n"
    "    (export \"[method]descriptor.read-directory\" (func (param \"self\" (borrow $d))\n"
    "      (result (tuple (stream $de) (future (result (error $ec)))))))\n"
    "  ))\n"
    "  (alias export $types \"descriptor\" (type $d))\n"
    "  (alias export $types \"error-code\" (type $ec))\n"
    "  (alias export $types \"directory-entry\" (type $de))\n"
    "  (type $ST (stream u8))\n"
    "  (type $DST (stream $de))\n"
    "  (type $FT (future (result (error $ec))))\n"
    "  (import \"wasi:filesystem/preopens@0.3.0\" (instance $pre\n"
    "    (alias outer 1 $d (type $d'))\n"
    "    (export \"descriptor\" (type $pd (eq $d')))\n"
    "    (export \"get-directories\" (func (result (list (tuple (own $pd) string)))))\n"
    "  ))\n"
    "  (core module $Mem\n"
    "    (memory (export \"memory\") 32)\n"
    "    (global $heap (mut i32) (i32.const 1048576))\n"
    P3H_WAT_REALLOC
    "  (core module $M\n"
    "    (import \"h\" \"memory\" (memory 1))\n"
    "    (import \"h\" \"get-dirs\" (func $gd (param i32)))\n"
    "    (import \"h\" \"open-at\" (func $open (param i32 i32 i32 i32 i32 i32 i32)))\n"
    "    (import \"h\" \"stat-at\" (func $stat (param i32 i32 i32 i32 i32)))\n"
    "    (import \"h\" \"mkdir-at\" (func $mkdir (param i32 i32 i32 i32)))\n"
    "    (import \"h\" \"readlink-at\" (func $readlink (param i32 i32 i32 i32)))\n"
    "    (import \"h\" \"drop\" (func $drop (param i32)))\n"
    "    (import \"h\" \"task-return\" (func $tr (param i32)))\n"
    "    (import \"h\" \"task-return3\" (func $tr3 (param i32 i32 i32)))\n"
    "    (import \"h\" \"set-times-at\" (func $times (param i32 i32 i32 i32 i32 i64 i32 i32 i64 i32 i32)))\n"
    "    (import \"h\" \"rvs\" (func $rvs (param i32 i64 i32)))\n"
    "    (import \"h\" \"wvs\" (func $wvs (param i32 i32 i64) (result i32)))\n"
    "    (import \"h\" \"avs\" (func $avs (param i32 i32) (result i32)))\n"
    "    (import \"h\" \"rdir\" (func $rdir (param i32 i32)))\n"
    "    (import \"h\" \"s.new\" (func $snew (result i64)))\n"
    "    (import \"h\" \"s.read\" (func $sread (param i32 i32 i32) (result i32)))\n"
    "    (import \"h\" \"s.write\" (func $swrite (param i32 i32 i32) (result i32)))\n"
    "    (import \"h\" \"s.drop-r\" (func $sdropr (param i32)))\n"
    "    (import \"h\" \"s.drop-w\" (func $sdropw (param i32)))\n"
    "    (import \"h\" \"ds.read\" (func $dsread (param i32 i32 i32) (result i32)))\n"
    "    (import \"h\" \"ds.drop-r\" (func $dsdropr (param i32)))\n"
    "    (import \"h\" \"f.read\" (func $fread (param i32 i32) (result i32)))\n"
    "    (import \"h\" \"f.drop-r\" (func $fdropr (param i32)))\n"
    "    (func (export \"cb\") (param i32 i32 i32) (result i32) unreachable)\n"
    /* The preopen: the handle of the first (handle, name) tuple. */
    "    (func $root (result i32)\n"
    "      (call $gd (i32.const 16))\n"
    "      (if (i32.eqz (i32.load (i32.const 20))) (then unreachable))\n"
    "      (i32.load (i32.load (i32.const 16))))\n"
    "    (func (export \"open\") (param $p i32) (param $n i32) (param $follow i32) (result i32)\n"
    "      (local $r i32)\n"
    "      (local.set $r (call $root))\n"
    "      (call $open (local.get $r) (local.get $follow) (local.get $p) (local.get $n) (i32.const 0)\n"
    "        (i32.const 1) (i32.const 32))\n"
    "      (call $drop (local.get $r))\n"
    "      (call $tr (if (result i32) (i32.load8_u (i32.const 32))\n"
    "        (then (i32.load8_u (i32.const 36)))\n"
    "        (else (call $drop (i32.load (i32.const 36))) (i32.const 1000))))\n"
    "      (i32.const 0))\n"
    "    (func (export \"stat\") (param $p i32) (param $n i32) (param $follow i32) (result i32)\n"
    "      (local $r i32)\n"
    "      (local.set $r (call $root))\n"
    "      (call $stat (local.get $r) (local.get $follow) (local.get $p) (local.get $n) (i32.const 128))\n"
    "      (call $drop (local.get $r))\n"
    "      (call $tr (if (result i32) (i32.load8_u (i32.const 128))\n"
    "        (then (i32.load8_u (i32.const 136)))\n"
    "        (else (i32.add (i32.const 1000) (i32.load8_u (i32.const 136))))))\n"
    "      (i32.const 0))\n"
    "    (func (export \"mkdir\") (param $p i32) (param $n i32) (result i32)\n"
    "      (local $r i32)\n"
    "      (local.set $r (call $root))\n"
    "      (call $mkdir (local.get $r) (local.get $p) (local.get $n) (i32.const 64))\n"
    "      (call $drop (local.get $r))\n"
    "      (call $tr (if (result i32) (i32.load8_u (i32.const 64))\n"
    "        (then (i32.load8_u (i32.const 68)))\n"
    "        (else (i32.const 1000))))\n"
    "      (i32.const 0))\n"
    "    (func (export \"readlink\") (param $p i32) (param $n i32) (result i32)\n"
    "      (local $r i32)\n"
    "      (local.set $r (call $root))\n"
    "      (call $readlink (local.get $r) (local.get $p) (local.get $n) (i32.const 96))\n"
    "      (call $drop (local.get $r))\n"
    "      (call $tr (if (result i32) (i32.load8_u (i32.const 96))\n"
    "        (then (i32.load8_u (i32.const 100)))\n"
    "        (else (i32.add (i32.const 1000) (i32.load (i32.const 104))))))\n"
    "      (i32.const 0))\n"
    /* The copies are async (a sync one needs a feature the validator
     * does not enable); the host copies inside the guest's call, so
     * BLOCKED would be a host bug: it traps. */
    /* touch(path, secs): set-times-at both times to timestamp(secs, 0). */
    "    (func (export \"touch\") (param $p i32) (param $n i32) (param $secs i64) (result i32)\n"
    "      (local $r i32)\n"
    "      (local.set $r (call $root))\n"
    "      (call $times (local.get $r) (i32.const 0) (local.get $p) (local.get $n)\n"
    "        (i32.const 2) (local.get $secs) (i32.const 0) (i32.const 2) (local.get $secs) (i32.const 0)\n"
    "        (i32.const 64))\n"
    "      (call $drop (local.get $r))\n"
    "      (call $tr (if (result i32) (i32.load8_u (i32.const 64))\n"
    "        (then (i32.load8_u (i32.const 68))) (else (i32.const 1000))))\n"
    "      (i32.const 0))\n"
    /* A descriptor for path (oflags, dflags), or -1. */
    "    (func $open_fd (param $p i32) (param $n i32) (param $of i32) (param $df i32) (result i32)\n"
    "      (local $r i32)\n"
    "      (local.set $r (call $root))\n"
    "      (call $open (local.get $r) (i32.const 0) (local.get $p) (local.get $n) (local.get $of) (local.get $df)\n"
    "        (i32.const 32))\n"
    "      (call $drop (local.get $r))\n"
    "      (if (result i32) (i32.load8_u (i32.const 32)) (then (i32.const -1)) (else (i32.load (i32.const 36)))))\n"
    /* Reads future $f: 0 for ok, 0x100 + the error-code case for err. */
    "    (func $outcome (param $f i32) (result i32)\n"
    "      (local $r i32)\n"
    "      (local.set $r (call $fread (local.get $f) (i32.const 48)))\n"
    "      (call $fdropr (local.get $f))\n"
    "      (if (i32.eq (local.get $r) (i32.const -1)) (then unreachable))\n"
    "      (if (i32.ne (local.get $r) (i32.const 0)) (then (return (i32.const 0x400))))\n"
    "      (if (result i32) (i32.load8_u (i32.const 48))\n"
    "        (then (i32.or (i32.const 0x100) (i32.load8_u (i32.const 52)))) (else (i32.const 0))))\n"
    /* read(path, dir): read-via-stream from 0 in chunks of 3000 bytes:
     * (bytes, sum of bytes, outcome); dir opens a directory instead. */
    "    (func (export \"read\") (param $p i32) (param $n i32) (param $dir i32) (result i32)\n"
    "      (local $fd i32) (local $s i32) (local $f i32) (local $r i32) (local $k i32) (local $i i32)\n"
    "      (local $total i32) (local $sum i32)\n"
    "      (local.set $fd (call $open_fd (local.get $p) (local.get $n) (i32.shl (local.get $dir) (i32.const 1))\n"
    "        (i32.const 1)))\n"
    "      (if (i32.eq (local.get $fd) (i32.const -1)) (then (call $tr3 (i32.const 0) (i32.const 0)\n"
    "        (i32.const 0x800)) (return (i32.const 0))))\n"
    "      (call $rvs (local.get $fd) (i64.const 0) (i32.const 40))\n"
    "      (local.set $s (i32.load (i32.const 40)))\n"
    "      (local.set $f (i32.load (i32.const 44)))\n"
    "      (block $done (loop $more\n"
    "        (local.set $r (call $sread (local.get $s) (i32.const 8192) (i32.const 3000)))\n"
    "        (if (i32.eq (local.get $r) (i32.const -1)) (then unreachable))\n"
    "        (local.set $k (i32.shr_u (local.get $r) (i32.const 4)))\n"
    "        (local.set $i (i32.const 0))\n"
    "        (block $b (loop $l (br_if $b (i32.ge_u (local.get $i) (local.get $k)))\n"
    "          (local.set $sum (i32.add (local.get $sum) (i32.load8_u (i32.add (i32.const 8192) (local.get $i)))))\n"
    "          (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))\n"
    "        (local.set $total (i32.add (local.get $total) (local.get $k)))\n"
    "        (br_if $done (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 0)))\n"
    "        (br $more)))\n"
    "      (call $sdropr (local.get $s))\n"
    "      (call $drop (local.get $fd))\n"
    "      (call $tr3 (local.get $total) (local.get $sum) (call $outcome (local.get $f)))\n"
    "      (i32.const 0))\n"
    /* list(path): read-directory 5 entries at a time: (entries, sum of
     * name lengths, outcome). */
    "    (func (export \"list\") (param $p i32) (param $n i32) (result i32)\n"
    "      (local $fd i32) (local $s i32) (local $f i32) (local $r i32) (local $k i32) (local $i i32)\n"
    "      (local $count i32) (local $names i32)\n"
    "      (local.set $fd (call $open_fd (local.get $p) (local.get $n) (i32.const 2) (i32.const 1)))\n"
    "      (if (i32.eq (local.get $fd) (i32.const -1)) (then (call $tr3 (i32.const 0) (i32.const 0)\n"
    "        (i32.const 0x800)) (return (i32.const 0))))\n"
    "      (call $rdir (local.get $fd) (i32.const 40))\n"
    "      (local.set $s (i32.load (i32.const 40)))\n"
    "      (local.set $f (i32.load (i32.const 44)))\n"
    "      (block $done (loop $more\n"
    "        (local.set $r (call $dsread (local.get $s) (i32.const 8192) (i32.const 5)))\n"
    "        (if (i32.eq (local.get $r) (i32.const -1)) (then unreachable))\n"
    "        (local.set $k (i32.shr_u (local.get $r) (i32.const 4)))\n"
    "        (local.set $i (i32.const 0))\n"
    "        (block $b (loop $l (br_if $b (i32.ge_u (local.get $i) (local.get $k)))\n"
    "          (local.set $names (i32.add (local.get $names)\n"
    "            (i32.load (i32.add (i32.const 8212) (i32.mul (local.get $i) (i32.const 24))))))\n"
    "          (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))\n"
    "        (local.set $count (i32.add (local.get $count) (local.get $k)))\n"
    "        (br_if $done (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 0)))\n"
    "        (br $more)))\n"
    "      (call $dsdropr (local.get $s))\n"
    "      (call $drop (local.get $fd))\n"
    "      (call $tr3 (local.get $count) (local.get $names) (call $outcome (local.get $f)))\n"
    "      (i32.const 0))\n"
    /* write(path, len, mode): len bytes (byte i = i mod 251) through
     * write-via-stream at 0 into path created or truncated (mode 0),
     * through append-via-stream (mode 1), or at 0 into path opened for
     * reading only (mode 2): (bytes the host took, 0, outcome). */
    "    (func (export \"write\") (param $p i32) (param $n i32) (param $len i32) (param $mode i32) (result i32)\n"
    "      (local $fd i32) (local $rw i64) (local $w i32) (local $f i32) (local $r i32) (local $i i32)\n"
    "      (local $done i32)\n"
    "      (local.set $fd (call $open_fd (local.get $p) (local.get $n)\n"
    "        (if (result i32) (local.get $mode) (then (i32.const 0)) (else (i32.const 9)))\n"
    "        (if (result i32) (i32.eq (local.get $mode) (i32.const 2)) (then (i32.const 1)) (else (i32.const 2)))))\n"
    "      (if (i32.eq (local.get $fd) (i32.const -1)) (then (call $tr3 (i32.const 0) (i32.const 0)\n"
    "        (i32.const 0x800)) (return (i32.const 0))))\n"
    "      (block $b (loop $l (br_if $b (i32.ge_u (local.get $i) (local.get $len)))\n"
    "        (i32.store8 (i32.add (i32.const 8192) (local.get $i)) (i32.rem_u (local.get $i) (i32.const 251)))\n"
    "        (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))\n"
    "      (local.set $rw (call $snew))\n"
    "      (local.set $w (i32.wrap_i64 (i64.shr_u (local.get $rw) (i64.const 32))))\n"
    "      (local.set $f (if (result i32) (i32.eq (local.get $mode) (i32.const 1))\n"
    "        (then (call $avs (local.get $fd) (i32.wrap_i64 (local.get $rw))))\n"
    "        (else (call $wvs (local.get $fd) (i32.wrap_i64 (local.get $rw)) (i64.const 0)))))\n"
    "      (block $end (loop $more\n"
    "        (br_if $end (i32.ge_u (local.get $done) (local.get $len)))\n"
    "        (local.set $r (call $swrite (local.get $w) (i32.add (i32.const 8192) (local.get $done))\n"
    "          (i32.sub (local.get $len) (local.get $done))))\n"
    "        (if (i32.eq (local.get $r) (i32.const -1)) (then unreachable))\n"
    "        (local.set $done (i32.add (local.get $done) (i32.shr_u (local.get $r) (i32.const 4))))\n"
    "        (br_if $end (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 0)))\n"
    "        (br $more)))\n"
    "      (call $sdropw (local.get $w))\n"
    "      (call $drop (local.get $fd))\n"
    "      (call $tr3 (local.get $done) (i32.const 0) (call $outcome (local.get $f)))\n"
    "      (i32.const 0))\n"
    "  )\n"
    "  (core instance $mem0 (instantiate $Mem))\n"
    "  (core func $tr3 (canon task.return (result (tuple u32 u32 u32))))\n"
    "  (core func $times (canon lower (func $types \"[method]descriptor.set-times-at\") (memory $mem0 \"memory\")\n"
    "    (realloc (func $mem0 \"realloc\"))))\n"
    "  (core func $rvs (canon lower (func $types \"[method]descriptor.read-via-stream\") (memory $mem0 \"memory\")))\n"
    "  (core func $wvs (canon lower (func $types \"[method]descriptor.write-via-stream\") (memory $mem0 \"memory\")))\n"
    "  (core func $avs (canon lower (func $types \"[method]descriptor.append-via-stream\") (memory $mem0 \"memory\")))\n"
    "  (core func $rdir (canon lower (func $types \"[method]descriptor.read-directory\") (memory $mem0 \"memory\")))\n"
    "  (core func $snew (canon stream.new $ST))\n"
    "  (core func $sread (canon stream.read $ST async (memory $mem0 \"memory\")))\n"
    "  (core func $swrite (canon stream.write $ST async (memory $mem0 \"memory\")))\n"
    "  (core func $sdropr (canon stream.drop-readable $ST))\n"
    "  (core func $sdropw (canon stream.drop-writable $ST))\n"
    "  (core func $dsread (canon stream.read $DST async (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (core func $dsdropr (canon stream.drop-readable $DST))\n"
    "  (core func $fread (canon future.read $FT async (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (core func $fdropr (canon future.drop-readable $FT))\n"
    "  (core func $drop (canon resource.drop $d))\n"
    "  (core func $tr (canon task.return (result u32)))\n"
    "  (core func $gd (canon lower (func $pre \"get-directories\") (memory $mem0 \"memory\")\n"
    "    (realloc (func $mem0 \"realloc\"))))\n"
    "  (core func $open (canon lower (func $types \"[method]descriptor.open-at\") (memory $mem0 \"memory\")\n"
    "    (realloc (func $mem0 \"realloc\"))))\n"
    "  (core func $stat (canon lower (func $types \"[method]descriptor.stat-at\") (memory $mem0 \"memory\")\n"
    "    (realloc (func $mem0 \"realloc\"))))\n"
    "  (core func $mkdir (canon lower (func $types \"[method]descriptor.create-directory-at\")\n"
    "    (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (core func $readlink (canon lower (func $types \"[method]descriptor.readlink-at\")\n"
    "    (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (core instance $m (instantiate $M (with \"h\" (instance (export \"memory\" (memory $mem0 \"memory\"))\n"
    "    (export \"get-dirs\" (func $gd)) (export \"open-at\" (func $open)) (export \"stat-at\" (func $stat))\n"
    "    (export \"mkdir-at\" (func $mkdir)) (export \"readlink-at\" (func $readlink))\n"
    "    (export \"drop\" (func $drop)) (export \"task-return\" (func $tr)) (export \"task-return3\" (func $tr3))\n"
    "    (export \"set-times-at\" (func $times))\n"
    "    (export \"rvs\" (func $rvs)) (export \"wvs\" (func $wvs)) (export \"avs\" (func $avs))\n"
    "    (export \"rdir\" (func $rdir)) (export \"s.new\" (func $snew)) (export \"s.read\" (func $sread))\n"
    "    (export \"s.write\" (func $swrite)) (export \"s.drop-r\" (func $sdropr)) (export \"s.drop-w\" (func $sdropw))\n"
    "    (export \"ds.read\" (func $dsread)) (export \"ds.drop-r\" (func $dsdropr)) (export \"f.read\" (func $fread))\n"
    "    (export \"f.drop-r\" (func $fdropr))))))\n"
    "  (func (export \"open\") async (param \"path\" string) (param \"follow\" u32) (result u32)\n"
    "    (canon lift (core func $m \"open\") async (callback (core func $m \"cb\")) (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (func (export \"stat\") async (param \"path\" string) (param \"follow\" u32) (result u32)\n"
    "    (canon lift (core func $m \"stat\") async (callback (core func $m \"cb\")) (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (func (export \"mkdir\") async (param \"path\" string) (result u32)\n"
    "    (canon lift (core func $m \"mkdir\") async (callback (core func $m \"cb\")) (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (func (export \"readlink\") async (param \"path\" string) (result u32)\n"
    "    (canon lift (core func $m \"readlink\") async (callback (core func $m \"cb\")) (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (func (export \"touch\") async (param \"path\" string) (param \"secs\" s64) (result u32)\n"
    "    (canon lift (core func $m \"touch\") async (callback (core func $m \"cb\")) (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (func (export \"read\") async (param \"path\" string) (param \"dir\" u32) (result (tuple u32 u32 u32))\n"
    "    (canon lift (core func $m \"read\") async (callback (core func $m \"cb\")) (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (func (export \"list\") async (param \"path\" string) (result (tuple u32 u32 u32))\n"
    "    (canon lift (core func $m \"list\") async (callback (core func $m \"cb\")) (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    "  (func (export \"write\") async (param \"path\" string) (param \"len\" u32) (param \"mode\" u32)\n"
    "    (result (tuple u32 u32 u32))\n"
    "    (canon lift (core func $m \"write\") async (callback (core func $m \"cb\")) (memory $mem0 \"memory\") (realloc (func $mem0 \"realloc\"))))\n"
    ")\n";

typedef struct sbx {
  kumi_store *store;
  kumi_component_instance *inst;
  const kumi_allocator *a; /* the engine's: results are allocated with it */
} sbx;

/* Calls export name(path[, follow]); UINT32_MAX when the call failed. */
static uint32_t call(sbx *s, const char *name, const char *path, int follow) {
  kumi_component_func *f = kumi_component_instance_func(s->inst, NULL, name);
  if (!f) return UINT32_MAX;
  kumi_cval args[2], res = kumi_cval_bool(false);
  if (!kumi_cval_string(NULL, path, strlen(path), &args[0])) return UINT32_MAX;
  args[1] = kumi_cval_int(KUMI_CV_U32, follow);
  size_t nargs = follow >= 0 ? 2 : 1;
  kumi_error *e = kumi_component_func_call(s->store, f, args, nargs, &res, 1);
  kumi_cval_free(NULL, &args[0]);
  uint32_t out = UINT32_MAX;
  if (e) {
    fprintf(stderr, "%s(%s): %s\n", name, path, kumi_error_message(e));
    kumi_error_free(e);
  } else if (res.kind == KUMI_CV_U32) {
    out = (uint32_t)res.of.u;
  }
  kumi_cval_free(s->a, &res);
  return out;
}

/* touch(path, secs): the error-code case or OK; UINT32_MAX when the call
 * failed. */
static uint32_t touch(sbx *s, const char *path, int64_t secs) {
  kumi_component_func *f = kumi_component_instance_func(s->inst, NULL, "touch");
  if (!f) return UINT32_MAX;
  kumi_cval args[2], res = kumi_cval_bool(false);
  if (!kumi_cval_string(NULL, path, strlen(path), &args[0])) return UINT32_MAX;
  args[1] = kumi_cval_int(KUMI_CV_S64, secs);
  kumi_error *e = kumi_component_func_call(s->store, f, args, 2, &res, 1);
  kumi_cval_free(NULL, &args[0]);
  uint32_t out = UINT32_MAX;
  if (e) {
    fprintf(stderr, "touch(%s): %s\n", path, kumi_error_message(e));
    kumi_error_free(e);
  } else if (res.kind == KUMI_CV_U32) {
    out = (uint32_t)res.of.u;
  }
  kumi_cval_free(s->a, &res);
  return out;
}

/* Calls export name(path, x[, y]) -> tuple<u32, u32, u32> into out;
 * false when the call failed. */
static bool call3(sbx *s, const char *name, const char *path, uint32_t x, int64_t y, uint32_t out[3]) {
  kumi_component_func *f = kumi_component_instance_func(s->inst, NULL, name);
  if (!f) return false;
  kumi_cval args[3], res = kumi_cval_bool(false);
  if (!kumi_cval_string(NULL, path, strlen(path), &args[0])) return false;
  args[1] = kumi_cval_int(KUMI_CV_U32, x);
  args[2] = kumi_cval_int(KUMI_CV_U32, y);
  size_t nargs = !strcmp(name, "list") ? 1 : y >= 0 ? 3 : 2;
  kumi_error *e = kumi_component_func_call(s->store, f, args, nargs, &res, 1);
  kumi_cval_free(NULL, &args[0]);
  bool ok = false;
  if (e) {
    fprintf(stderr, "%s(%s): %s\n", name, path, kumi_error_message(e));
    kumi_error_free(e);
  } else if (res.kind == KUMI_CV_TUPLE && res.of.agg.len == 3) {
    for (int i = 0; i < 3; i++) out[i] = (uint32_t)res.of.agg.items[i].of.u;
    ok = true;
  }
  kumi_cval_free(s->a, &res);
  return ok;
}

/* The streams: a file larger than one host chunk read in small pieces, a
 * directory of more entries than the host lists at once, writes and an
 * append larger than one chunk, and failures reported in the future. */
static void stream_checks(sbx *s, const char *dir) {
  enum { BIG = 200000, MANY = 150, OUT = 100000, MORE = 1000 };
  char p[PATH_MAX];
  char *big = malloc(BIG);
  if (!big) return;
  uint32_t sum = 0, out[3] = {0, 0, 0};
  for (int i = 0; i < BIG; i++) sum += (uint8_t)(big[i] = (char)(i * 7 + 3));
  h_fmt(p, sizeof p, "%s/big.bin", dir);
  CHECK(h_write_file(p, big, BIG));
  free(big);
  CHECK(call3(s, "read", "big.bin", 0, -1, out) && out[0] == BIG && out[1] == sum && out[2] == 0);
  CHECK(call3(s, "read", "file.txt", 0, -1, out) && out[0] == 5 &&
        out[1] == (uint32_t)('h' + 'e' + 'l' + 'l' + 'o') && out[2] == 0);
  /* A directory has no bytes: bad-descriptor in the future, no data. */
  CHECK(call3(s, "read", "sub", 1, -1, out) && out[0] == 0 && out[2] == (0x100u | 2));

  h_fmt(p, sizeof p, "%s/many", dir);
  CHECK(mkdir(p, 0755) == 0);
  for (int i = 0; i < MANY; i++) {
    h_fmt(p, sizeof p, "%s/many/f%03d", dir, i);
    CHECK(h_write_file(p, "", 0));
  }
  CHECK(call3(s, "list", "many", 0, -1, out) && out[0] == MANY && out[1] == 4 * MANY && out[2] == 0);
  h_fmt(p, sizeof p, "%s/empty", dir);
  CHECK(mkdir(p, 0755) == 0);
  CHECK(call3(s, "list", "empty", 0, -1, out) && out[0] == 0 && out[2] == 0);

  CHECK(call3(s, "write", "out.bin", OUT, 0, out) && out[0] == OUT && out[2] == 0);
  CHECK(call3(s, "write", "out.bin", MORE, 1, out) && out[0] == MORE && out[2] == 0);
  h_fmt(p, sizeof p, "%s/out.bin", dir);
  hbuf got = {0};
  CHECK(h_read_file(p, &got) && got.len == OUT + MORE);
  bool same = got.len == OUT + MORE;
  for (size_t i = 0; same && i < got.len; i++)
    same = (uint8_t)got.s[i] == (i < OUT ? i % 251 : (i - OUT) % 251);
  CHECK(same);
  hbuf_free(&got);
  /* Writing through a descriptor opened for reading: the host drops the
   * data stream at the first write, the future says bad-descriptor. */
  CHECK(call3(s, "write", "file.txt", 10, 2, out) && out[0] == 0 && out[2] == (0x100u | 2));
  h_fmt(p, sizeof p, "%s/file.txt", dir);
  CHECK(h_read_file(p, &got) && got.len == 5 && !memcmp(got.s, "hello", 5));
  hbuf_free(&got);
}

static void sandbox_checks(sbx *s, const char *dir, const char *outside) {
  char p[PATH_MAX];
  /* Inside: a file, a directory, a link to the file. */
  h_fmt(p, sizeof p, "%s/file.txt", dir);
  CHECK(h_write_file(p, "hello", 5));
  h_fmt(p, sizeof p, "%s/sub", dir);
  CHECK(mkdir(p, 0755) == 0);
  h_fmt(p, sizeof p, "%s/sub/in", dir);
  CHECK(symlink("../file.txt", p) == 0);
  /* Links pointing out: absolute, climbing, through a climbing directory. */
  h_fmt(p, sizeof p, "%s/abs", dir);
  CHECK(symlink(outside, p) == 0);
  h_fmt(p, sizeof p, "%s/up", dir);
  CHECK(symlink("../secret", p) == 0);
  h_fmt(p, sizeof p, "%s/updir", dir);
  CHECK(symlink("..", p) == 0);
  h_fmt(p, sizeof p, "%s/loop", dir);
  CHECK(symlink("loop", p) == 0);

  /* Ordinary paths work, and report 0.3's case numbers. */
  CHECK(call(s, "open", "file.txt", 0) == OK);
  CHECK(call(s, "open", "sub/in", 1) == OK);
  CHECK(call(s, "open", "sub/../file.txt", 0) == OK);
  CHECK(call(s, "stat", "file.txt", 0) == OK + DT_REGULAR_FILE);
  CHECK(call(s, "stat", "sub", 0) == OK + DT_DIRECTORY);
  CHECK(call(s, "stat", "sub/in", 0) == OK + DT_SYMBOLIC_LINK);
  CHECK(call(s, "stat", "sub/in", 1) == OK + DT_REGULAR_FILE);
  CHECK(call(s, "readlink", "sub/in", -1) == OK + strlen("../file.txt"));
  CHECK(call(s, "open", "missing", 0) == EC_NO_ENTRY);
  CHECK(call(s, "stat", "file.txt/x", 0) == EC_NOT_DIRECTORY);
  CHECK(call(s, "mkdir", "made", -1) == OK);
  CHECK(call(s, "mkdir", "made", -1) == EC_EXIST);
  h_fmt(p, sizeof p, "%s/made", dir);
  struct stat st;
  CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));

  /* Escapes: every one not-permitted (a loop is a loop). */
  static const struct {
    const char *path;
    int follow;
    uint32_t code;
  } cases[] = {
      {"..", 0, EC_NOT_PERMITTED},         {"../secret", 0, EC_NOT_PERMITTED},
      {"sub/../../secret", 0, EC_NOT_PERMITTED}, {"/secret", 0, EC_NOT_PERMITTED},
      {"/", 0, EC_NOT_PERMITTED},          {"up", 1, EC_NOT_PERMITTED},
      {"abs", 1, EC_NOT_PERMITTED},        {"updir/secret", 0, EC_NOT_PERMITTED},
      {"updir/", 0, EC_NOT_PERMITTED},     {"loop", 1, EC_LOOP},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint32_t got = call(s, "open", cases[i].path, cases[i].follow);
    CHECKF(got == cases[i].code, "open-at %s: %u, want %u", cases[i].path, got, cases[i].code);
    got = call(s, "stat", cases[i].path, cases[i].follow);
    CHECKF(got == cases[i].code, "stat-at %s: %u, want %u", cases[i].path, got, cases[i].code);
  }
  CHECK(call(s, "mkdir", "../made-outside", -1) == EC_NOT_PERMITTED);
  CHECK(call(s, "mkdir", "updir/made-outside", -1) == EC_NOT_PERMITTED);
  CHECK(call(s, "mkdir", "/made-abs", -1) == EC_NOT_PERMITTED);
  CHECK(call(s, "readlink", "updir/secret", -1) == EC_NOT_PERMITTED);
  /* An absolute target is the host's business. */
  CHECK(call(s, "readlink", "abs", -1) == EC_NOT_PERMITTED);
  h_fmt(p, sizeof p, "%s/../made-outside", dir);
  CHECK(access(p, F_OK) != 0);

  /* Instants have signed seconds: before 1970 is a time like any other. */
  h_fmt(p, sizeof p, "%s/file.txt", dir);
  CHECK(touch(s, "file.txt", 1000000000) == OK && stat(p, &st) == 0 && st.st_mtime == 1000000000);
  CHECK(touch(s, "file.txt", -86400) == OK && stat(p, &st) == 0 && st.st_mtime == -86400);
  CHECK(touch(s, "../secret", 5) == EC_NOT_PERMITTED);
  CHECK(stat(outside, &st) == 0 && st.st_mtime != 5);
}

static void test_sandbox(void) {
  char base[PATH_MAX], dir[PATH_MAX], outside[PATH_MAX];
  if (!h_mkdtemp(base, sizeof base, "p3sbx")) {
    CHECKF(false, "cannot make a scratch directory");
    return;
  }
  h_fmt(dir, sizeof dir, "%s/root", base);
  h_fmt(outside, sizeof outside, "%s/secret", base);
  CHECK(mkdir(dir, 0755) == 0);
  CHECK(h_write_file(outside, "secret", 6));

  p3h_comp x;
  if (p3h_comp_open(&x, sandbox_wat, NULL, dir)) {
    sbx s = {x.store, x.inst, &x.hook};
    sandbox_checks(&s, dir, outside);
    stream_checks(&s, dir);
  }
  p3h_comp_close(&x, "sandbox");
  h_rm_rf(base);
}

int main(int argc, char **argv) {
  if (argc < 2) test_sandbox();
  test_programs(argc, argv);
  return test_summary();
}
