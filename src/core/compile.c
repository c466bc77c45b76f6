/* Translation of validated function bodies into the interpreter's internal
 * code (compile.h), in one pass, linear in the size of the body.
 *
 * Frame layout: params, locals, one slot that is always zero (ZERO = L,
 * with L = the slots of params and locals), then the operand stack. A v128
 * takes two consecutive slots wherever it lives, so locals are addressed
 * by their first slot, and each stack entry records its slot offset (the
 * widths of the entries below it); label heights stay value counts.
 *
 * The translator keeps a compile-time operand stack. An entry says where
 * its value is right now:
 *   HOME    in its own slot(s), L + 1 + its offset
 *   LOCAL   still in a local's slot: local.get emits nothing
 *   CONST   a constant not yet written anywhere
 *   ADDK_L  i32: a local plus a constant, not yet computed
 *   ADDK_H  i32: the value in the home slot plus a constant
 * Instructions read their operands wherever they are and write their result
 * to the home slot of the result's position, so `local.get a; local.get b;
 * i32.add` is one instruction. Constants become immediate operands where an
 * immediate variant exists, and an ADDK address folds into the load or
 * store. An entry that reads a local (LOCAL, ADDK_L) is materialized before
 * the local is overwritten, and all of them when a block, loop or if begins
 * (a branch could otherwise skip the copy). At a label all values a branch
 * carries are in their home slots.
 *
 * Peepholes on the instructions just emitted, valid until a label is
 * placed: a result can be retargeted to a local by local.set or local.tee;
 * a comparison or eqz feeding br_if or if becomes one compare-and-branch,
 * which also absorbs an i32.add just before it (loop counters); an i32.shl
 * by a constant feeding i32.add becomes one indexed add; and (x + k) + y
 * is computed as (x + y) + k so the constant can still reach an address. */
#include "compile.h"

#include "instr.h"

/* Above this operand stack height local.get copies at once, which bounds
 * the scan for pending references when a local is written. */
#define PENDING_LIMIT 64u
/* Code positions and branch offsets are 32-bit. Within that, a function's
 * code may take CELLS_PER_BYTE cells per byte of its body (plus a floor):
 * real code needs about one, but carrying many values on many branches can
 * grow quadratically, and such a function fails to load instead. */
#define MAX_CELLS (UINT32_C(1) << 28)
#define CELLS_PER_BYTE 16u
#define MIN_CELL_LIMIT (UINT32_C(1) << 20)

#define NOPOS UINT32_MAX

enum { E_HOME, E_LOCAL, E_CONST, E_ADDK_L, E_ADDK_H };
typedef struct centry {
  uint8_t kind;
  uint32_t local; /* E_LOCAL, E_ADDK_L: the local's (first) slot */
  uint64_t k;     /* E_CONST: the bits, i32/f32 zero-extended; E_ADDK_*: the i32 addend */
  uint8_t w;      /* slots the value takes: 1, or 2 for a v128 (0 in an initializer: 1) */
  uint32_t off;   /* first slot of its home, counted from the operand stack's base (set by push) */
} centry;
static bool reads_local(const centry *e) { return e->kind == E_LOCAL || e->kind == E_ADDK_L; }

enum { C_FUNC, C_BLOCK, C_LOOP, C_IF };
typedef struct cctrl {
  uint8_t kind;
  bool unreachable; /* the rest of the construct is dead code */
  bool has_else;
  uint32_t nparams, nresults;
  const core_valtype *ptypes, *rtypes; /* their types (for their slot widths) */
  uint32_t height;   /* operand stack height below the params */
  uint32_t head;     /* C_LOOP: position of the loop's first instruction */
  uint32_t fixups;   /* forward branches to the end: index + 1 in cc.fixups, 0 none */
  uint32_t else_fix; /* C_IF: the branch taken when the condition is false */
  bool is_try;       /* a try_table: its clauses are hpend[hfirst..] */
  uint32_t hfirst;
} cctrl;

/* A branch offset to patch: operand `field` of the instruction at `pos`. */
typedef struct cfix {
  uint32_t pos, field, next;
} cfix;

/* How to branch on the value on top of the stack (a condition). */
enum { B_SLOT, B_SLOTS, B_IMM32, B_IMM64 };
typedef struct cbranch {
  uint16_t iop_true, iop_false; /* branch when the condition holds / fails */
  uint8_t form; /* B_SLOT: c, off; B_SLOTS: a, b, off; B_IMM*: a, off, imm */
  uint32_t a, b;
  uint64_t imm;
} cbranch;

typedef struct cc {
  core_module *m;
  const kumi_allocator *a;
  const void *const *labels;
  KB_VEC(core_cell) code;
  KB_VEC(centry) stack;
  KB_VEC(cctrl) ctrl;
  KB_VEC(cfix) fixups;
  KB_VEC(core_line) lines;
  KB_VEC(uint32_t) pend; /* per local: stack entries that still read it */
  KB_VEC(uint32_t) tramp; /* br_table: trampoline position per label depth, or NOPOS */
  uint32_t max_cells;
  uint32_t L;            /* slots of params + locals */
  uint32_t maxh;         /* slots of the deepest operand stack */
  KB_VEC(uint32_t) lslot; /* per local index: its first slot */
  KB_VEC(core_handler) handlers; /* finished try_tables' clauses, innermost first */
  KB_VEC(core_handler) hpend;    /* clauses of the try_tables still open */
  uint32_t skip; /* nesting depth inside dead code */
  uint32_t offset; /* module offset of the instruction being translated */
  bool oom, bad;
  const char *why; /* for bad */
  struct {
    bool valid;
    uint16_t iop;
    uint32_t pos;
  } last;
  /* the last two instructions emitted since the last label, newest first */
  struct {
    uint16_t iop;
    uint32_t pos;
  } tail[2];
  uint8_t ntail;
} cc;

/* ---- tables derived from interp_ops.h --------------------------------------- */

enum { F_NONE, F_UN, F_BIN, F_BINK, F_CMPI, F_CMPK, F_CMPF, F_TUN, F_TBIN, F_LOAD, F_STORE };

/* wasm opcode -> internal opcode for the table-driven families */
static const uint16_t iop_of[CORE_OP_COUNT] = {
#define UN(ID, IW, OW, EXPR) [CORE_OP_##ID] = CORE_IOP_##ID,
#define BIN(ID, IW, OW, EXPR, K, C) [CORE_OP_##ID] = CORE_IOP_##ID,
#define CMPI(ID, IW, EXPR, NOT, SWAP) [CORE_OP_##ID] = CORE_IOP_##ID,
#define CMPF(ID, IW, EXPR) [CORE_OP_##ID] = CORE_IOP_##ID,
#define TUN(ID, IW, OW, FN) [CORE_OP_##ID] = CORE_IOP_##ID,
#define TBIN(ID, IW, OW, FN) [CORE_OP_##ID] = CORE_IOP_##ID,
#define LOAD(ID, T, OW, CONV) [CORE_OP_##ID] = CORE_IOP_##ID,
#define STORE(ID, T) [CORE_OP_##ID] = CORE_IOP_##ID,
#include "interp_ops.h"
};

static const uint8_t family[CORE_IOP_COUNT] = {
#define UN(ID, IW, OW, EXPR) [CORE_IOP_##ID] = F_UN,
#define BIN(ID, IW, OW, EXPR, K, C) [CORE_IOP_##ID] = F_BIN, CORE_IF_##K([CORE_IOP_##ID##_K] = F_BINK, )
#define CMPI(ID, IW, EXPR, NOT, SWAP) [CORE_IOP_##ID] = F_CMPI, [CORE_IOP_##ID##_K] = F_CMPK,
#define CMPF(ID, IW, EXPR) [CORE_IOP_##ID] = F_CMPF,
#define TUN(ID, IW, OW, FN) [CORE_IOP_##ID] = F_TUN,
#define TBIN(ID, IW, OW, FN) [CORE_IOP_##ID] = F_TBIN,
#define LOAD(ID, T, OW, CONV) [CORE_IOP_##ID] = F_LOAD,
#define STORE(ID, T) [CORE_IOP_##ID] = F_STORE,
#include "interp_ops.h"
};

/* 64-bit operands: a _K variant's immediate takes all of cell 2 */
static const uint8_t wide[CORE_IOP_COUNT] = {
#define BIN(ID, IW, OW, EXPR, K, C) [CORE_IOP_##ID] = (IW) == 64, CORE_IF_##K([CORE_IOP_##ID##_K] = (IW) == 64, )
#define CMPI(ID, IW, EXPR, NOT, SWAP) [CORE_IOP_##ID] = (IW) == 64, [CORE_IOP_##ID##_K] = (IW) == 64,
#include "interp_ops.h"
};

/* the immediate variant (for loads and stores: base + k addressing), and
 * whether the operands commute */
static const uint16_t kvariant[CORE_IOP_COUNT] = {
#define BIN(ID, IW, OW, EXPR, K, C) CORE_IF_##K([CORE_IOP_##ID] = CORE_IOP_##ID##_K, )
#define CMPI(ID, IW, EXPR, NOT, SWAP) [CORE_IOP_##ID] = CORE_IOP_##ID##_K,
#define LOAD(ID, T, OW, CONV) [CORE_IOP_##ID] = CORE_IOP_##ID##_K,
#define STORE(ID, T) [CORE_IOP_##ID] = CORE_IOP_##ID##_K,
#include "interp_ops.h"
};
/* loads and stores on a memory other than 0 */
static const uint16_t mvariant[CORE_IOP_COUNT] = {
#define LOAD(ID, T, OW, CONV) [CORE_IOP_##ID] = CORE_IOP_##ID##_M,
#define STORE(ID, T) [CORE_IOP_##ID] = CORE_IOP_##ID##_M,
#include "interp_ops.h"
};
static const uint8_t commutes[CORE_IOP_COUNT] = {
#define BIN(ID, IW, OW, EXPR, K, C) [CORE_IOP_##ID] = C,
#include "interp_ops.h"
};
/* comparisons with swapped operands: a < b is b > a */
static const uint16_t swapped[CORE_IOP_COUNT] = {
#define CMPI(ID, IW, EXPR, NOT, SWAP) [CORE_IOP_##ID] = CORE_IOP_##SWAP,
#include "interp_ops.h"
};
/* fused compare-and-branch: branch when the comparison holds / fails */
static const uint16_t br_true[CORE_IOP_COUNT] = {
#define CMPI(ID, IW, EXPR, NOT, SWAP) \
  [CORE_IOP_##ID] = CORE_IOP_BR_##ID, [CORE_IOP_##ID##_K] = CORE_IOP_BR_##ID##_K,
#define CMPF(ID, IW, EXPR) [CORE_IOP_##ID] = CORE_IOP_BR_##ID,
#include "interp_ops.h"
};
static const uint16_t br_false[CORE_IOP_COUNT] = {
#define CMPI(ID, IW, EXPR, NOT, SWAP) \
  [CORE_IOP_##ID] = CORE_IOP_BR_##NOT, [CORE_IOP_##ID##_K] = CORE_IOP_BR_##NOT##_K,
#define CMPF(ID, IW, EXPR) [CORE_IOP_##ID] = CORE_IOP_BRN_##ID,
#include "interp_ops.h"
};
/* compare-and-branch with swapped operands */
static const uint16_t br_swapped[CORE_IOP_COUNT] = {
#define CMPI(ID, IW, EXPR, NOT, SWAP) [CORE_IOP_BR_##ID] = CORE_IOP_BR_##SWAP,
#include "interp_ops.h"
};
/* a branch on the result of i32.add with an immediate / of i32.add */
static const uint16_t addk_br[CORE_IOP_COUNT] = {
    [CORE_IOP_BR_IF] = CORE_IOP_ADDK_BR_IF,
    [CORE_IOP_BR_IFNOT] = CORE_IOP_ADDK_BR_IFNOT,
#define CMPI(ID, IW, EXPR, NOT, SWAP) \
  CORE_IF32_##IW([CORE_IOP_BR_##ID] = CORE_IOP_ADDK_BR_##ID, [CORE_IOP_BR_##ID##_K] = CORE_IOP_ADDK_BR_##ID##_K, )
#include "interp_ops.h"
};
static const uint16_t add_br[CORE_IOP_COUNT] = {
    [CORE_IOP_BR_IF] = CORE_IOP_ADD_BR_IF,
    [CORE_IOP_BR_IFNOT] = CORE_IOP_ADD_BR_IFNOT,
#define CMPI(ID, IW, EXPR, NOT, SWAP) \
  CORE_IF32_##IW([CORE_IOP_BR_##ID] = CORE_IOP_ADD_BR_##ID, [CORE_IOP_BR_##ID##_K] = CORE_IOP_ADD_BR_##ID##_K, )
#include "interp_ops.h"
};

/* ---- emitting ----------------------------------------------------------------- */

static uint32_t here(cc *c) { return (uint32_t)c->code.len; }

/* Appends an instruction with nops zeroed operands; returns its position,
 * or NOPOS after OOM (then every later write is dropped). */
static uint32_t emit(cc *c, unsigned iop, unsigned nops) {
  c->last.valid = false;
  unsigned n = CORE_CELLS(nops);
  if (c->oom || c->code.len + n > c->max_cells) {
    if (!c->oom && !c->bad) c->bad = true, c->why = "function too large";
    return NOPOS;
  }
  if (!kb_vec_reserve(c->a, &c->code, n)) {
    c->oom = true;
    return NOPOS;
  }
  uint32_t pos = here(c);
  c->code.items[pos].h = c->labels[iop];
  for (unsigned i = 1; i < n; i++) c->code.items[pos + i].u64 = 0;
  c->code.len += n;
  c->tail[1] = c->tail[0];
  c->tail[0].iop = (uint16_t)iop;
  c->tail[0].pos = pos;
  if (c->ntail < 2) c->ntail++;
  return pos;
}

/* Removes the newest instruction (at pos), to fold it into another. */
static void unemit(cc *c, uint32_t pos) {
  c->code.len = pos;
  c->last.valid = false;
  c->tail[0] = c->tail[1];
  c->ntail--;
}

/* A branch target is placed here: ends the peepholes. */
static void label_here(cc *c) {
  c->last.valid = false;
  c->ntail = 0;
}

static void put(cc *c, uint32_t pos, unsigned k, uint32_t v) {
  if (pos != NOPOS) c->code.items[pos + 1 + k / 2].u[k % 2] = v;
}
static uint32_t get(cc *c, uint32_t pos, unsigned k) { return c->code.items[pos + 1 + k / 2].u[k % 2]; }
/* a 64-bit immediate in cell 2 (operands 2 and 3) */
static void put64(cc *c, uint32_t pos, uint64_t v) {
  if (pos != NOPOS) c->code.items[pos + 2].u64 = v;
}

/* Records that the instruction at pos may trap or calls. */
static void line(cc *c, uint32_t pos) {
  if (pos == NOPOS) return;
  core_line l = {pos, c->offset};
  if (!kb_vec_push(c->a, &c->lines, l)) c->oom = true;
}

/* Marks the instruction at pos as `last` (its result is operand 0). */
static void set_last(cc *c, uint32_t pos, unsigned iop) {
  if (pos == NOPOS) return;
  c->last.valid = true;
  c->last.iop = (uint16_t)iop;
  c->last.pos = pos;
}

/* Branch offsets: operand `field` of pos jumps to target. */
static void patch(cc *c, uint32_t pos, unsigned field, uint32_t target) {
  put(c, pos, field, (uint32_t)((int32_t)target - (int32_t)pos));
}

static void add_fixup(cc *c, uint32_t *list, uint32_t pos, unsigned field) {
  if (pos == NOPOS) return;
  cfix f = {pos, field, *list};
  if (!kb_vec_push(c->a, &c->fixups, f)) {
    c->oom = true;
    return;
  }
  *list = (uint32_t)c->fixups.len;
}

/* Points every branch of the list here. A label: ends the peepholes. */
static void bind(cc *c, uint32_t list) {
  uint32_t to = here(c);
  for (uint32_t i = list; i; i = c->fixups.items[i - 1].next) patch(c, c->fixups.items[i - 1].pos, c->fixups.items[i - 1].field, to);
  label_here(c);
}

/* Copies a value of w slots (1, or 2 for a v128). */
static void emit_copy(cc *c, uint32_t d, uint32_t s, unsigned w) {
  if (d == s) return;
  uint32_t p = emit(c, w == 2 ? CORE_IOP_COPY2 : CORE_IOP_COPY, 2);
  put(c, p, 0, d);
  put(c, p, 1, s);
}

static void emit_addk(cc *c, uint32_t d, uint32_t s, uint32_t k) {
  uint32_t p = emit(c, CORE_IOP_I32_ADD_K, 3);
  put(c, p, 0, d);
  put(c, p, 1, s);
  put(c, p, 2, k);
}

static void emit_const(cc *c, uint32_t d, uint64_t k) {
  if (k <= UINT32_MAX) {
    uint32_t p = emit(c, CORE_IOP_CONST32, 2);
    put(c, p, 0, d);
    put(c, p, 1, (uint32_t)k);
  } else {
    uint32_t p = emit(c, CORE_IOP_CONST64, 4);
    put(c, p, 0, d);
    put64(c, p, k);
  }
}

/* ---- the operand stack ----------------------------------------------------- */

static uint32_t height(cc *c) { return (uint32_t)c->stack.len; }
static cctrl *top_ctrl(cc *c) { return &c->ctrl.items[c->ctrl.len - 1]; }
/* Slot offset (from the operand stack's base) of the value at height p:
 * values below the top keep theirs, the next one goes right after the top. */
static uint32_t off_at(cc *c, uint32_t p) {
  if (p < height(c)) return c->stack.items[p].off;
  if (!height(c)) return 0;
  const centry *t = &c->stack.items[height(c) - 1];
  return t->off + t->w;
}
/* The home slot of the value at height p (p <= height). */
static uint32_t home(cc *c, uint32_t p) { return c->L + 1 + off_at(c, p); }
/* Slots a value of type t takes. */
static unsigned type_width(core_valtype t) { return t == CORE_V128 ? 2u : 1u; }
static uint32_t types_width(const core_valtype *ts, uint32_t n) {
  uint32_t w = 0;
  for (uint32_t i = 0; i < n; i++) w += type_width(ts[i]);
  return w;
}
static uint32_t zero_slot(cc *c) { return c->L; }

static void push(cc *c, centry e) {
  if (!e.w) e.w = 1;
  e.off = off_at(c, height(c));
  if (!kb_vec_push(c->a, &c->stack, e)) {
    c->oom = true;
    return;
  }
  if (e.off + e.w > c->maxh) c->maxh = e.off + e.w;
  if (reads_local(&e)) c->pend.items[e.local]++;
}
static void push_home_w(cc *c, unsigned w) { push(c, (centry){E_HOME, 0, 0, (uint8_t)w, 0}); }
/* Pushes n values of types ts, in their homes. */
static void push_types(cc *c, const core_valtype *ts, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) push_home_w(c, type_width(ts[i]));
}
static void push_const(cc *c, uint64_t k) { push(c, (centry){E_CONST, 0, k, 1, 0}); }
/* local.get of the local at slot x, w slots wide */
static void push_local(cc *c, uint32_t x, unsigned w) {
  if (height(c) >= PENDING_LIMIT) {
    emit_copy(c, home(c, height(c)), x, w);
    push_home_w(c, w);
  } else {
    push(c, (centry){E_LOCAL, x, 0, (uint8_t)w, 0});
  }
}

/* True when n operands can be popped in the current construct (always, in
 * valid code). */
static bool has(cc *c, uint32_t n) {
  if (c->ctrl.len == 0 || height(c) < top_ctrl(c)->height + n) {
    if (!c->bad) c->bad = true, c->why = "operand stack underflow";
    return false;
  }
  return true;
}

static void drop_entries(cc *c, uint32_t to) {
  while (c->stack.len > to) {
    centry *e = &c->stack.items[--c->stack.len];
    if (reads_local(e)) c->pend.items[e->local]--;
  }
}
static void pop(cc *c, uint32_t n) { drop_entries(c, height(c) - n); }

/* Writes the value of entry e (at position p) to slot d. */
static void write_value(cc *c, const centry *e, uint32_t p, uint32_t d) {
  switch (e->kind) {
  case E_HOME: emit_copy(c, d, home(c, p), e->w); break;
  case E_LOCAL: emit_copy(c, d, e->local, e->w); break;
  case E_CONST: emit_const(c, d, e->k); break;
  case E_ADDK_L: emit_addk(c, d, e->local, (uint32_t)e->k); break;
  case E_ADDK_H: emit_addk(c, d, home(c, p), (uint32_t)e->k); break;
  }
}

/* Writes entry p to its home slot. */
static void materialize(cc *c, uint32_t p) {
  centry *e = &c->stack.items[p];
  if (e->kind == E_HOME) return;
  if (reads_local(e)) c->pend.items[e->local]--;
  write_value(c, e, p, home(c, p));
  e->kind = E_HOME;
}

static void materialize_top(cc *c, uint32_t n) {
  for (uint32_t p = height(c) - n; p < height(c); p++) materialize(c, p);
}

static void materialize_locals(cc *c) {
  uint32_t end = height(c) < PENDING_LIMIT ? height(c) : PENDING_LIMIT;
  for (uint32_t p = 0; p < end; p++)
    if (reads_local(&c->stack.items[p])) materialize(c, p);
}

/* Before local x is written: copies pending reads of it to their homes. */
static void materialize_refs(cc *c, uint32_t x) {
  if (!c->pend.items[x]) return;
  uint32_t end = height(c) < PENDING_LIMIT ? height(c) : PENDING_LIMIT;
  for (uint32_t p = 0; p < end; p++)
    if (reads_local(&c->stack.items[p]) && c->stack.items[p].local == x) materialize(c, p);
}

/* The slot of entry p, computing a pending value into its home first. */
static uint32_t src(cc *c, uint32_t p) {
  centry *e = &c->stack.items[p];
  if (e->kind == E_CONST && e->k == 0) return zero_slot(c);
  if (e->kind != E_LOCAL) materialize(c, p);
  return e->kind == E_LOCAL ? e->local : home(c, p);
}
static uint32_t src_top(cc *c, uint32_t i) { return src(c, height(c) - 1 - i); }

/* Pushes the result of the instruction at pos (operand 0 = its home). */
static void push_result_w(cc *c, uint32_t pos, unsigned iop, unsigned w) {
  put(c, pos, 0, home(c, height(c)));
  push_home_w(c, w);
  set_last(c, pos, iop);
}
static void push_result(cc *c, uint32_t pos, unsigned iop) { push_result_w(c, pos, iop, 1); }

/* True when entry p is the result the last instruction just wrote. */
static bool is_last_result(cc *c, uint32_t p) {
  return c->last.valid && c->stack.items[p].kind == E_HOME && get(c, c->last.pos, 0) == home(c, p);
}

/* ---- control ------------------------------------------------------------------ */

/* Value types a block result can point at (CORE_BLOCK_VALTYPE). */
static const core_valtype valtypes[] = {CORE_I32,  CORE_I64,     CORE_F32,       CORE_F64,
                                        CORE_V128, CORE_FUNCREF, CORE_EXTERNREF, CORE_EXNREF};

static void block_arity(cc *c, const core_instr *in, cctrl *f) {
  f->nparams = f->nresults = 0;
  f->ptypes = f->rtypes = NULL;
  if (in->imm.block.kind == CORE_BLOCK_VALTYPE) {
    for (size_t i = 0; i < sizeof valtypes / sizeof valtypes[0]; i++)
      if (valtypes[i] == in->imm.block.type) f->rtypes = &valtypes[i];
    if (!f->rtypes) {
      c->bad = true, c->why = "bad block type";
      return;
    }
    f->nresults = 1;
  } else if (in->imm.block.kind == CORE_BLOCK_TYPEIDX) {
    if (in->imm.block.type >= c->m->ntypes) {
      c->bad = true, c->why = "bad block type";
      return;
    }
    const core_functype *ft = &c->m->types[in->imm.block.type];
    f->nparams = ft->nparams;
    f->nresults = ft->nresults;
    f->ptypes = core_functype_params(ft);
    f->rtypes = core_functype_results(ft);
  }
}

static uint32_t arity(const cctrl *f) { return f->kind == C_LOOP ? f->nparams : f->nresults; }

/* The rest of the current construct is dead. */
static void set_unreachable(cc *c) {
  cctrl *f = top_ctrl(c);
  f->unreachable = true;
  drop_entries(c, f->height);
}

/* Emits a jump (iop with its offset in operand `field`) to label f. */
static void jump_to(cc *c, cctrl *f, uint32_t pos, unsigned field) {
  if (f->kind == C_LOOP) {
    if (pos != NOPOS) patch(c, pos, field, f->head);
  } else {
    add_fixup(c, &f->fixups, pos, field);
  }
}

/* Copies the top n values to the home slots of a label at height base.
 * Sources are at or above their targets, so ascending order is safe. */
static void move_values(cc *c, uint32_t base, uint32_t n) {
  uint32_t h = height(c), d = home(c, base);
  for (uint32_t i = 0; i < n; i++) {
    const centry *e = &c->stack.items[h - n + i];
    write_value(c, e, h - n + i, d);
    d += e->w;
  }
}

/* True when the top n values already sit in the home slots of a label at
 * height base. */
static bool in_place(cc *c, uint32_t base, uint32_t n) {
  uint32_t h = height(c);
  if (h - n != base) return false;
  for (uint32_t p = base; p < h; p++)
    if (c->stack.items[p].kind != E_HOME) return false;
  return true;
}

static void emit_return(cc *c) {
  uint32_t n = c->ctrl.items[0].nresults;
  uint32_t h = height(c);
  if (n == 0) {
    emit(c, CORE_IOP_RETURN, 0);
  } else if (n == 1 && c->stack.items[h - 1].w == 1) {
    centry *e = &c->stack.items[h - 1];
    if (e->kind == E_HOME || e->kind == E_LOCAL) {
      uint32_t p = emit(c, CORE_IOP_RETURN1, 1);
      put(c, p, 0, e->kind == E_LOCAL ? e->local : home(c, h - 1));
    } else {
      write_value(c, e, h - 1, 0); /* the frame dies: slot 0 is free */
      emit(c, CORE_IOP_RETURN, 0);
    }
  } else {
    /* homes first: the result slots 0..n may be locals still read */
    materialize_top(c, n);
    uint32_t p = emit(c, CORE_IOP_RETURN_N, 2);
    put(c, p, 0, home(c, h - n));
    put(c, p, 1, off_at(c, h) - off_at(c, h - n));
  }
}

/* Takes the condition on top of the stack (pops it) and says how to branch
 * on it, fusing the comparison or eqz that just produced it. */
static cbranch take_condition(cc *c) {
  cbranch b = {CORE_IOP_BR_IF, CORE_IOP_BR_IFNOT, B_SLOT, 0, 0, 0};
  uint32_t p = height(c) - 1;
  if (is_last_result(c, p)) {
    unsigned iop = c->last.iop;
    uint32_t pos = c->last.pos;
    if (br_true[iop]) {
      b.iop_true = br_true[iop];
      b.iop_false = br_false[iop];
      b.a = get(c, pos, 1);
      if (family[iop] == F_CMPK) {
        b.form = wide[iop] ? B_IMM64 : B_IMM32;
        b.imm = wide[iop] ? c->code.items[pos + 2].u64 : get(c, pos, 2);
      } else {
        b.form = B_SLOTS;
        b.b = get(c, pos, 2);
      }
      unemit(c, pos); /* the comparison is folded into the branch */
      pop(c, 1);
      return b;
    }
    if (iop == CORE_IOP_I32_EQZ || iop == CORE_IOP_I64_EQZ) {
      b.iop_true = CORE_IOP_BR_IFNOT;
      b.iop_false = CORE_IOP_BR_IF;
      b.a = get(c, pos, 1);
      unemit(c, pos);
      pop(c, 1);
      return b;
    }
  }
  b.a = src(c, p);
  pop(c, 1);
  return b;
}

/* A branch on d right after an i32.add that wrote d becomes one
 * instruction (loop counters). Returns its position, or NOPOS. */
static uint32_t fuse_add_branch(cc *c, const cbranch *b, unsigned iop, unsigned *field) {
  if (!c->ntail || (c->tail[0].iop != CORE_IOP_I32_ADD_K && c->tail[0].iop != CORE_IOP_I32_ADD)) return NOPOS;
  uint32_t tp = c->tail[0].pos, d = get(c, tp, 0);
  const uint16_t *fused = c->tail[0].iop == CORE_IOP_I32_ADD_K ? addk_br : add_br;
  unsigned f = 0;
  uint32_t x = 0;
  if (b->form == B_SLOT && b->a == d) {
    f = fused[iop];
  } else if (b->form == B_SLOTS && b->a == d) {
    f = fused[iop], x = b->b;
  } else if (b->form == B_SLOTS && b->b == d) {
    f = fused[br_swapped[iop]], x = b->a;
  } else if (b->form == B_IMM32 && b->a == d) {
    f = fused[iop], x = (uint32_t)b->imm;
  }
  if (!f) return NOPOS;
  uint32_t a0 = get(c, tp, 1), a1 = get(c, tp, 2);
  unemit(c, tp);
  uint32_t pos = emit(c, f, b->form == B_SLOT ? 4 : 5);
  put(c, pos, 0, d);
  put(c, pos, 1, a0);
  put(c, pos, 2, a1);
  if (b->form != B_SLOT) put(c, pos, 3, x);
  *field = b->form == B_SLOT ? 3 : 4;
  return pos;
}

/* Emits the branch of b (when the condition holds, or fails); returns its
 * position and sets *field to the operand holding its offset. */
static uint32_t emit_branch(cc *c, const cbranch *b, bool when, unsigned *field) {
  static const uint8_t nops[] = {[B_SLOT] = 2, [B_SLOTS] = 3, [B_IMM32] = 3, [B_IMM64] = 4};
  unsigned iop = when ? b->iop_true : b->iop_false;
  uint32_t pos = fuse_add_branch(c, b, iop, field);
  if (pos != NOPOS || c->oom) return pos;
  pos = emit(c, iop, nops[b->form]);
  put(c, pos, 0, b->a);
  if (b->form == B_SLOTS) put(c, pos, 1, b->b);
  if (b->form == B_IMM32) put(c, pos, 2, (uint32_t)b->imm);
  if (b->form == B_IMM64) put64(c, pos, b->imm);
  *field = b->form == B_SLOTS ? 2 : 1;
  return pos;
}

static void do_block(cc *c, const core_instr *in, uint8_t kind) {
  cctrl f = {0};
  block_arity(c, in, &f);
  uint32_t np = f.nparams;
  cbranch cond = {0};
  if (kind == C_IF) {
    if (!has(c, 1)) return;
    cond = take_condition(c);
  }
  if (!has(c, np)) return;
  materialize_locals(c);
  materialize_top(c, np);
  f.kind = kind;
  f.height = height(c) - np;
  if (kind == C_LOOP) {
    f.head = here(c);
    label_here(c);
  }
  if (kind == C_IF) {
    unsigned field;
    uint32_t pos = emit_branch(c, &cond, false, &field);
    add_fixup(c, &f.else_fix, pos, field);
  }
  if (!kb_vec_push(c->a, &c->ctrl, f)) c->oom = true;
}

static cctrl *label(cc *c, uint32_t depth);

/* try_table: like block, and before the body one landing pad per catch
 * clause (jumped over), which branches to the clause's label with the
 * caught values already in the label's home slots. The clauses wait in
 * hpend until the end gives their range. */
static void do_try_table(cc *c, const core_instr *in) {
  cctrl f = {0};
  block_arity(c, in, &f);
  uint32_t np = f.nparams;
  if (c->bad || !has(c, np)) return;
  materialize_locals(c);
  materialize_top(c, np);
  f.kind = C_BLOCK;
  f.height = height(c) - np;
  f.is_try = true;
  f.hfirst = (uint32_t)c->hpend.len;
  uint32_t over = emit(c, CORE_IOP_BR, 1);
  uint32_t pos = in->imm.block.catches_pos;
  for (uint32_t i = 0; i < in->imm.block.ncatches; i++) {
    core_catch k = core_catch_next(c->m->bytes, &pos);
    core_handler h = {0, 0, here(c), 0, CORE_HANDLER_ALL, 0, false};
    h.ref = k.kind == CORE_CATCH_REF || k.kind == CORE_CATCH_ALL_REF;
    if (k.kind == CORE_CATCH || k.kind == CORE_CATCH_REF) {
      if (k.tag >= c->m->ntags || c->m->tags[k.tag] >= c->m->ntypes) {
        c->bad = true, c->why = "unknown tag";
        return;
      }
      const core_functype *ft = &c->m->types[c->m->tags[k.tag]];
      h.tag = k.tag;
      h.nslots = types_width(core_functype_params(ft), ft->nparams);
    }
    cctrl *t = label(c, k.label);
    if (!t) return;
    /* the label of the function is its return */
    uint32_t base = t->kind == C_FUNC ? 0 : t->height;
    h.dest = home(c, base);
    uint32_t top = h.dest - c->L - 1 + h.nslots + (h.ref ? 1u : 0u);
    if (top > c->maxh) c->maxh = top;
    if (t->kind == C_FUNC) {
      uint32_t p = emit(c, CORE_IOP_RETURN_N, 2);
      put(c, p, 0, h.dest);
      put(c, p, 1, h.nslots + (h.ref ? 1u : 0u));
    } else {
      uint32_t p = emit(c, CORE_IOP_BR, 1);
      jump_to(c, t, p, 0);
    }
    if (!kb_vec_push(c->a, &c->hpend, h)) c->oom = true;
  }
  if (over != NOPOS) patch(c, over, 0, here(c));
  label_here(c);
  uint32_t start = here(c);
  for (size_t i = f.hfirst; i < c->hpend.len; i++) c->hpend.items[i].start = start;
  if (!kb_vec_push(c->a, &c->ctrl, f)) c->oom = true;
}

/* The end of a try_table's body: its clauses are complete. */
static void end_try(cc *c, const cctrl *f) {
  uint32_t end = here(c);
  for (size_t i = f->hfirst; i < c->hpend.len; i++) {
    c->hpend.items[i].end = end;
    if (!kb_vec_push(c->a, &c->handlers, c->hpend.items[i])) c->oom = true;
  }
  c->hpend.len = f->hfirst;
}

static void do_throw(cc *c, uint32_t tag) {
  if (tag >= c->m->ntags || c->m->tags[tag] >= c->m->ntypes) {
    c->bad = true, c->why = "unknown tag";
    return;
  }
  const core_functype *ft = &c->m->types[c->m->tags[tag]];
  if (!has(c, ft->nparams)) return;
  materialize_top(c, ft->nparams);
  uint32_t pos = emit(c, CORE_IOP_THROW, 2);
  put(c, pos, 0, home(c, height(c) - ft->nparams));
  put(c, pos, 1, tag);
  line(c, pos);
  pop(c, ft->nparams);
  set_unreachable(c);
}

static void do_throw_ref(cc *c) {
  if (!has(c, 1)) return;
  uint32_t pos = emit(c, CORE_IOP_THROW_REF, 1);
  put(c, pos, 0, src_top(c, 0));
  line(c, pos);
  pop(c, 1);
  set_unreachable(c);
}

static void do_else(cc *c) {
  cctrl *f = top_ctrl(c);
  if (f->kind != C_IF || f->has_else) {
    c->bad = true, c->why = "else without if";
    return;
  }
  if (!f->unreachable) {
    materialize_top(c, f->nresults);
    uint32_t pos = emit(c, CORE_IOP_BR, 1);
    add_fixup(c, &f->fixups, pos, 0);
  }
  bind(c, f->else_fix);
  f->else_fix = 0;
  f->has_else = true;
  f->unreachable = false;
  drop_entries(c, f->height);
  push_types(c, f->ptypes, f->nparams);
}

/* Returns true at the end of the function. */
static bool do_end(cc *c) {
  cctrl f = *top_ctrl(c);
  if (f.kind == C_FUNC) {
    if (!f.unreachable) emit_return(c);
    if (f.fixups) {
      bind(c, f.fixups);
      drop_entries(c, 0);
      push_types(c, f.rtypes, f.nresults);
      emit_return(c);
    }
    c->ctrl.len--;
    return true;
  }
  if (!f.unreachable) materialize_top(c, f.nresults);
  if (f.is_try) end_try(c, &f);
  bool reachable = !f.unreachable || f.fixups;
  if (f.kind == C_IF && !f.has_else) {
    bind(c, f.else_fix); /* the false path: params, which are the results */
    reachable = true;
  }
  if (f.kind != C_LOOP && f.fixups) bind(c, f.fixups);
  c->ctrl.len--;
  drop_entries(c, f.height);
  push_types(c, f.rtypes, f.nresults);
  if (!reachable) set_unreachable(c);
  return false;
}

static cctrl *label(cc *c, uint32_t depth) {
  if (depth >= c->ctrl.len) {
    c->bad = true, c->why = "unknown label";
    return NULL;
  }
  return &c->ctrl.items[c->ctrl.len - 1 - depth];
}

static void do_br(cc *c, uint32_t depth) {
  cctrl *f = label(c, depth);
  if (!f) return;
  uint32_t n = arity(f);
  if (!has(c, n)) return;
  if (f->kind == C_FUNC) {
    emit_return(c);
  } else {
    move_values(c, f->height, n);
    uint32_t pos = emit(c, CORE_IOP_BR, 1);
    jump_to(c, f, pos, 0);
  }
  set_unreachable(c);
}

static void do_br_if(cc *c, uint32_t depth) {
  cctrl *f = label(c, depth);
  if (!f || !has(c, 1)) return;
  cbranch b = take_condition(c);
  uint32_t n = arity(f);
  if (!has(c, n)) return;
  unsigned field;
  if (n == 0 || in_place(c, f->height, n)) {
    uint32_t pos = emit_branch(c, &b, true, &field);
    jump_to(c, f, pos, field);
    return;
  }
  uint32_t skip = emit_branch(c, &b, false, &field);
  move_values(c, f->height, n);
  uint32_t pos = emit(c, CORE_IOP_BR, 1);
  jump_to(c, f, pos, 0);
  if (skip != NOPOS) patch(c, skip, field, here(c));
  label_here(c);
}

static void do_br_table(cc *c, const core_instr *in) {
  if (!has(c, 1)) return;
  uint32_t count = in->imm.br_table.count;
  cctrl *fd = label(c, in->imm.br_table.default_label);
  if (!fd) return;
  uint32_t n = arity(fd);
  uint32_t i = src_top(c, 0);
  pop(c, 1);
  if (!has(c, n)) return;
  materialize_top(c, n);
  uint32_t h = height(c);
  if (count > (MAX_CELLS - 8) * 2) {
    c->bad = true, c->why = "function too large";
    return;
  }
  if (!kb_vec_reserve(c->a, &c->tramp, c->ctrl.len)) {
    c->oom = true;
    return;
  }
  while (c->tramp.len < c->ctrl.len) c->tramp.items[c->tramp.len++] = NOPOS;
  uint32_t pos = emit(c, CORE_IOP_BR_TABLE, 2 + count + 1);
  put(c, pos, 0, i);
  put(c, pos, 1, count);
  /* Labels whose values are not in place get a trampoline after the table. */
  bool tramps = false;
  uint32_t tpos = in->imm.br_table.pos;
  for (uint32_t j = 0; j <= count; j++) {
    uint32_t d = j < count ? core_br_table_next(c->m->bytes, &tpos) : in->imm.br_table.default_label;
    cctrl *f = label(c, d);
    if (!f) return;
    if (n == 0 || f->height == h - n) jump_to(c, f, pos, 2 + j);
    else tramps = true;
  }
  if (tramps) {
    /* one trampoline per label, however many entries name it */
    for (int pass = 0; pass < 2; pass++) {
      tpos = in->imm.br_table.pos;
      for (uint32_t j = 0; j <= count; j++) {
        uint32_t d = j < count ? core_br_table_next(c->m->bytes, &tpos) : in->imm.br_table.default_label;
        cctrl *f = label(c, d);
        if (n == 0 || f->height == h - n) continue;
        if (pass == 1) {
          c->tramp.items[d] = NOPOS;
          continue;
        }
        if (c->tramp.items[d] == NOPOS) {
          c->tramp.items[d] = here(c);
          move_values(c, f->height, n);
          uint32_t br = emit(c, CORE_IOP_BR, 1);
          jump_to(c, f, br, 0);
        }
        if (pos != NOPOS) patch(c, pos, 2 + j, c->tramp.items[d]);
      }
    }
  }
  set_unreachable(c);
}

/* ---- calls -------------------------------------------------------------------- */

static void do_call(cc *c, uint32_t func, bool tail) {
  if (func >= c->m->nfuncs || c->m->funcs[func].type >= c->m->ntypes) {
    c->bad = true, c->why = "unknown function";
    return;
  }
  const core_functype *ft = &c->m->types[c->m->funcs[func].type];
  if (!has(c, ft->nparams)) return;
  materialize_top(c, ft->nparams);
  uint32_t base = home(c, height(c) - ft->nparams);
  uint32_t pos;
  if (func < c->m->nimported_funcs) {
    pos = emit(c, tail ? CORE_IOP_RETURN_CALL_IMPORT : CORE_IOP_CALL_IMPORT, 2);
    put(c, pos, 1, func);
  } else {
    pos = emit(c, tail ? CORE_IOP_RETURN_CALL : CORE_IOP_CALL, 4);
    put(c, pos, 1, func);
    if (pos != NOPOS) c->code.items[pos + 2].fn = c->m->compiled[func - c->m->nimported_funcs];
  }
  put(c, pos, 0, base);
  line(c, pos);
  pop(c, ft->nparams);
  if (tail) {
    set_unreachable(c);
    return;
  }
  push_types(c, core_functype_results(ft), ft->nresults);
}

static void do_call_indirect(cc *c, const core_instr *in, bool tail) {
  uint32_t type = in->imm.call_indirect.type;
  if (type >= c->m->ntypes) {
    c->bad = true, c->why = "unknown type";
    return;
  }
  const core_functype *ft = &c->m->types[type];
  if (!has(c, 1 + ft->nparams)) return;
  uint32_t i = src_top(c, 0);
  pop(c, 1);
  materialize_top(c, ft->nparams);
  uint32_t base = home(c, height(c) - ft->nparams);
  uint32_t pos = emit(c, tail ? CORE_IOP_RETURN_CALL_INDIRECT : CORE_IOP_CALL_INDIRECT, 4);
  put(c, pos, 0, base);
  put(c, pos, 1, type);
  put(c, pos, 2, in->imm.call_indirect.table);
  put(c, pos, 3, i);
  line(c, pos);
  pop(c, ft->nparams);
  if (tail) {
    set_unreachable(c);
    return;
  }
  push_types(c, core_functype_results(ft), ft->nresults);
}

/* ---- variables ------------------------------------------------------------------ */

static bool local_ok(cc *c, uint32_t x) {
  if (x + 1 < c->lslot.len) return true;
  c->bad = true, c->why = "unknown local";
  return false;
}
/* The first slot of local x, and how many it takes. */
static uint32_t local_slot(cc *c, uint32_t x) { return c->lslot.items[x]; }
static unsigned local_width(cc *c, uint32_t x) { return c->lslot.items[x + 1] - c->lslot.items[x]; }

/* local.set and local.tee of local index li */
static void do_local_set(cc *c, uint32_t li, bool tee) {
  if (!local_ok(c, li) || !has(c, 1)) return;
  uint32_t x = local_slot(c, li);
  unsigned w = local_width(c, li);
  uint32_t p = height(c) - 1;
  centry e = c->stack.items[p];
  if (e.kind == E_LOCAL && e.local == x) {
    if (!tee) pop(c, 1);
    return;
  }
  if (is_last_result(c, p) && !c->pend.items[x]) {
    /* the instruction writes the local directly */
    put(c, c->last.pos, 0, x);
    pop(c, 1);
    if (tee) push_local(c, x, w);
    return;
  }
  pop(c, 1);
  materialize_refs(c, x);
  write_value(c, &e, p, x);
  if (tee) {
    if (e.kind == E_CONST) push_const(c, e.k);
    else push_local(c, x, w);
  }
}

/* ---- numeric and memory ------------------------------------------------------------ */

/* Emits the immediate variant kiop: d, a, imm. */
static uint32_t emit_k(cc *c, unsigned kiop, uint32_t a, uint64_t k) {
  uint32_t pos = emit(c, kiop, wide[kiop] ? 4 : 3);
  put(c, pos, 1, a);
  if (wide[kiop]) put64(c, pos, k);
  else put(c, pos, 2, (uint32_t)k);
  return pos;
}

/* i32.add or i32.sub with a constant operand: leaves a pending ADDK (or
 * a constant) instead of emitting anything. */
static bool fold_addk(cc *c, unsigned iop) {
  uint32_t h = height(c);
  centry a = c->stack.items[h - 2], b = c->stack.items[h - 1], r;
  if (b.kind == E_CONST) {
    uint32_t k = iop == CORE_IOP_I32_SUB ? 0u - (uint32_t)b.k : (uint32_t)b.k;
    r = a;
    switch (a.kind) {
    case E_CONST: r.k = (uint32_t)((uint32_t)a.k + k); break;
    case E_LOCAL: r.kind = E_ADDK_L, r.k = k; break;
    case E_HOME: r.kind = E_ADDK_H, r.k = k; break;
    default: r.k = (uint32_t)((uint32_t)a.k + k); break;
    }
  } else if (a.kind == E_CONST && iop == CORE_IOP_I32_ADD && reads_local(&b)) {
    r = b;
    r.kind = E_ADDK_L;
    r.k = (uint32_t)((uint32_t)a.k + (b.kind == E_ADDK_L ? (uint32_t)b.k : 0));
  } else {
    return false;
  }
  if (r.k == 0 && r.kind == E_ADDK_L) r.kind = E_LOCAL;
  if (r.k == 0 && r.kind == E_ADDK_H) r.kind = E_HOME;
  pop(c, 2);
  push(c, r);
  return true;
}

static void do_unary(cc *c, unsigned iop, bool traps) {
  if (!has(c, 1)) return;
  uint32_t x = src_top(c, 0);
  pop(c, 1);
  uint32_t pos = emit(c, iop, 2);
  put(c, pos, 1, x);
  if (traps) line(c, pos);
  push_result(c, pos, iop);
}

/* Emits d = sa + sb for the operands at h-2 and h-1, folding an i32.shl
 * by a constant that just wrote one of them (a scaled index). */
static uint32_t emit_i32_add(cc *c, uint32_t sa, uint32_t sb) {
  uint32_t h = height(c);
  if (c->ntail && c->tail[0].iop == CORE_IOP_I32_SHL_K) {
    uint32_t tp = c->tail[0].pos, t = get(c, tp, 0);
    uint32_t other = t == sa && sa == home(c, h - 2) ? sb : t == sb && sb == home(c, h - 1) ? sa : NOPOS;
    if (other != NOPOS) {
      uint32_t x = get(c, tp, 1), k = get(c, tp, 2);
      unemit(c, tp);
      uint32_t pos = emit(c, CORE_IOP_I32_ADD_SHLK, 4);
      put(c, pos, 1, other);
      put(c, pos, 2, x);
      put(c, pos, 3, k);
      return pos;
    }
  }
  uint32_t pos = emit(c, CORE_IOP_I32_ADD, 3);
  put(c, pos, 1, sa);
  put(c, pos, 2, sb);
  return pos;
}

/* i32.add or i32.sub of a pending ADDK and a value: (b + k) + x is
 * computed as (b + x) + k, which keeps the constant pending for a load
 * or store address. */
static bool reassociate(cc *c, unsigned iop) {
  uint32_t h = height(c);
  centry a = c->stack.items[h - 2], b = c->stack.items[h - 1];
  bool ka = a.kind == E_ADDK_L || a.kind == E_ADDK_H;
  bool kb = iop == CORE_IOP_I32_ADD && (b.kind == E_ADDK_L || b.kind == E_ADDK_H);
  if (!ka && !kb) return false;
  uint32_t k = 0, sa, sb;
  if (ka) sa = a.kind == E_ADDK_L ? a.local : home(c, h - 2), k += (uint32_t)a.k;
  else sa = src(c, h - 2);
  if (kb) sb = b.kind == E_ADDK_L ? b.local : home(c, h - 1), k += (uint32_t)b.k;
  else sb = src(c, h - 1);
  uint32_t pos;
  if (iop == CORE_IOP_I32_ADD) {
    pos = emit_i32_add(c, sa, sb);
  } else {
    pos = emit(c, CORE_IOP_I32_SUB, 3);
    put(c, pos, 1, sa);
    put(c, pos, 2, sb);
  }
  pop(c, 2);
  if (k == 0) {
    push_result(c, pos, iop);
  } else {
    put(c, pos, 0, home(c, height(c)));
    push(c, (centry){E_ADDK_H, 0, k, 1, 0});
  }
  return true;
}

static void do_binary(cc *c, unsigned iop, bool traps) {
  if (!has(c, 2)) return;
  if ((iop == CORE_IOP_I32_ADD || iop == CORE_IOP_I32_SUB) && (fold_addk(c, iop) || reassociate(c, iop))) return;
  uint32_t h = height(c);
  centry *ea = &c->stack.items[h - 2], *eb = &c->stack.items[h - 1];
  uint32_t pos;
  if (kvariant[iop] && eb->kind == E_CONST) {
    uint64_t k = eb->k;
    uint32_t a = src(c, h - 2);
    iop = kvariant[iop];
    pos = emit_k(c, iop, a, k);
  } else if (kvariant[iop] && ea->kind == E_CONST && (commutes[iop] || swapped[iop])) {
    uint64_t k = ea->k;
    uint32_t b = src(c, h - 1);
    iop = kvariant[commutes[iop] ? iop : swapped[iop]];
    pos = emit_k(c, iop, b, k);
  } else if (iop == CORE_IOP_I32_ADD) {
    uint32_t a = src(c, h - 2), b = src(c, h - 1);
    pos = emit_i32_add(c, a, b);
  } else {
    uint32_t a = src(c, h - 2), b = src(c, h - 1);
    pos = emit(c, iop, 3);
    put(c, pos, 1, a);
    put(c, pos, 2, b);
  }
  if (traps) line(c, pos);
  pop(c, 2);
  push_result(c, pos, iop);
}

/* The address of a load or store at entry p: a slot, or (base + k) when
 * the address is a pending ADDK or a constant. */
static bool address(cc *c, uint32_t p, uint32_t *base, uint32_t *k) {
  centry e = c->stack.items[p];
  *k = (uint32_t)e.k;
  switch (e.kind) {
  case E_CONST: *base = zero_slot(c); return true;
  case E_ADDK_L: *base = e.local; return true;
  case E_ADDK_H: *base = home(c, p); return true;
  default: *base = src(c, p); return false;
  }
}

static void do_load(cc *c, unsigned iop, const core_instr *in) {
  if (!has(c, 1)) return;
  uint32_t mem = in->imm.memarg.memory;
  uint32_t base, k = 0;
  bool fused = false;
  if (mem) base = src(c, height(c) - 1), iop = mvariant[iop];
  else fused = address(c, height(c) - 1, &base, &k);
  pop(c, 1);
  if (fused) iop = kvariant[iop];
  uint32_t pos = emit(c, iop, fused || mem ? 4 : 3);
  put(c, pos, 1, base);
  put(c, pos, 2, (uint32_t)in->imm.memarg.offset);
  if (fused) put(c, pos, 3, k);
  if (mem) put(c, pos, 3, mem);
  line(c, pos);
  push_result(c, pos, iop);
}

static void do_store(cc *c, unsigned iop, const core_instr *in) {
  if (!has(c, 2)) return;
  uint32_t mem = in->imm.memarg.memory;
  uint32_t v = src_top(c, 0), base, k = 0;
  bool fused = false;
  if (mem) base = src(c, height(c) - 2), iop = mvariant[iop];
  else fused = address(c, height(c) - 2, &base, &k);
  pop(c, 2);
  if (fused) iop = kvariant[iop];
  uint32_t pos = emit(c, iop, fused || mem ? 4 : 3);
  put(c, pos, 0, base);
  put(c, pos, 1, v);
  put(c, pos, 2, (uint32_t)in->imm.memarg.offset);
  if (fused) put(c, pos, 3, k);
  if (mem) put(c, pos, 3, mem);
  line(c, pos);
}

/* An instruction of n stack operands and no result, operands in order
 * after `lead` immediates; e.g. memory.fill d, v, n. */
static uint32_t do_effect(cc *c, unsigned iop, unsigned lead, const uint32_t *imm, unsigned n) {
  if (!has(c, n)) return NOPOS;
  uint32_t s[4];
  for (unsigned i = 0; i < n; i++) s[i] = src(c, height(c) - n + i);
  pop(c, n);
  uint32_t pos = emit(c, iop, lead + n);
  for (unsigned i = 0; i < lead; i++) put(c, pos, i, imm[i]);
  for (unsigned i = 0; i < n; i++) put(c, pos, lead + i, s[i]);
  line(c, pos);
  return pos;
}

/* Like do_effect, with a result of w slots in operand 0 (immediates follow
 * it). */
static void do_value_w(cc *c, unsigned iop, unsigned lead, const uint32_t *imm, unsigned n, bool traps, unsigned w) {
  if (!has(c, n)) return;
  uint32_t s[4];
  for (unsigned i = 0; i < n; i++) s[i] = src(c, height(c) - n + i);
  pop(c, n);
  uint32_t pos = emit(c, iop, 1 + lead + n);
  for (unsigned i = 0; i < lead; i++) put(c, pos, 1 + i, imm[i]);
  for (unsigned i = 0; i < n; i++) put(c, pos, 1 + lead + i, s[i]);
  if (traps) line(c, pos);
  push_result_w(c, pos, iop, w);
}
static void do_value(cc *c, unsigned iop, unsigned lead, const uint32_t *imm, unsigned n, bool traps) {
  do_value_w(c, iop, lead, imm, n, traps, 1);
}

static bool global_is_v128(cc *c, uint32_t g) { return g < c->m->nglobals && c->m->globals[g].type.type == CORE_V128; }

/* ---- SIMD ------------------------------------------------------------------------ */

static const uint16_t simd_iop[CORE_OP_COUNT] = {
#define SIMD(ID) [CORE_OP_##ID] = CORE_IOP_##ID,
#include "interp_ops.h"
};

/* A SIMD instruction, laid out as interp_ops.h says (SIMD): operand 0 is
 * the result (if any), 1 the instruction, then the stack operands and the
 * immediates, all from its signature and immediate kind in opcodes.def. */
static void do_simd(cc *c, const core_instr *in) {
  const core_opinfo *info = &core_opinfos[in->op];
  unsigned iop = simd_iop[in->op];
  const char *sig = info->sig;
  unsigned n = 0;
  while (sig[n] && sig[n] != ':') n++;
  if (!iop || sig[n] != ':' || n > 3) {
    c->bad = true, c->why = "unsupported instruction";
    return;
  }
  bool result = sig[n + 1] != 0;
  unsigned rw = sig[n + 1] == 'v' ? 2u : 1u;
  if (!has(c, n)) return;
  uint32_t s[3];
  for (unsigned i = 0; i < n; i++) s[i] = src(c, height(c) - n + i);
  pop(c, n);
  unsigned nops = 2 + n; /* the first immediate */
  bool traps = false;
  switch (info->imm) {
  case CORE_IMM_NONE: break;
  case CORE_IMM_LANE: nops += 1; break;
  case CORE_IMM_MEMARG: nops += 2, traps = true; break;
  case CORE_IMM_MEMARG_LANE: nops += 3, traps = true; break;
  case CORE_IMM_V128: nops = 6; break;    /* d, -, bytes in cells 2 and 3 */
  case CORE_IMM_SHUFFLE: nops = 8; break; /* d, -, a, b, indices in cells 3 and 4 */
  default: c->bad = true, c->why = "unsupported instruction"; return;
  }
  uint32_t pos = emit(c, iop, nops);
  put(c, pos, 1, iop);
  for (unsigned i = 0; i < n; i++) put(c, pos, 2 + i, s[i]);
  unsigned j = 2 + n;
  switch (info->imm) {
  case CORE_IMM_LANE: put(c, pos, j, in->imm.lane); break;
  case CORE_IMM_MEMARG_LANE: put(c, pos, j + 2, in->imm.memarg.lane); /* fall through */
  case CORE_IMM_MEMARG:
    put(c, pos, j, (uint32_t)in->imm.memarg.offset);
    put(c, pos, j + 1, in->imm.memarg.memory);
    break;
  case CORE_IMM_V128:
    if (pos != NOPOS) memcpy(&c->code.items[pos + 2], in->imm.bytes, 16);
    break;
  case CORE_IMM_SHUFFLE:
    if (pos != NOPOS) memcpy(&c->code.items[pos + 3], in->imm.bytes, 16);
    break;
  default: break;
  }
  if (traps) line(c, pos);
  if (result) push_result_w(c, pos, iop, rw);
}

/* ---- one instruction ----------------------------------------------------------- */

/* Translates one instruction; returns true after the function's final end. */
static bool translate(cc *c, const core_instr *in) {
  c->offset = in->offset;
  core_opcode op = in->op;

  if (top_ctrl(c)->unreachable) {
    /* Dead code: skip to the else or end of the current construct. */
    switch (op) {
    case CORE_OP_BLOCK:
    case CORE_OP_LOOP:
    case CORE_OP_IF:
    case CORE_OP_TRY_TABLE: c->skip++; return false;
    case CORE_OP_ELSE:
      if (c->skip == 0) do_else(c);
      return false;
    case CORE_OP_END:
      if (c->skip > 0) {
        c->skip--;
        return false;
      }
      return do_end(c);
    default: return false;
    }
  }

  uint32_t imm[3];
  switch (op) {
  case CORE_OP_UNREACHABLE: line(c, emit(c, CORE_IOP_UNREACHABLE, 0)); set_unreachable(c); break;
  case CORE_OP_NOP: break;
  case CORE_OP_BLOCK: do_block(c, in, C_BLOCK); break;
  case CORE_OP_LOOP: do_block(c, in, C_LOOP); break;
  case CORE_OP_IF: do_block(c, in, C_IF); break;
  case CORE_OP_ELSE: do_else(c); break;
  case CORE_OP_TRY_TABLE: do_try_table(c, in); break;
  case CORE_OP_THROW: do_throw(c, in->imm.index); break;
  case CORE_OP_THROW_REF: do_throw_ref(c); break;
  case CORE_OP_END: return do_end(c);
  case CORE_OP_BR: do_br(c, in->imm.index); break;
  case CORE_OP_BR_IF: do_br_if(c, in->imm.index); break;
  case CORE_OP_BR_TABLE: do_br_table(c, in); break;
  case CORE_OP_RETURN:
    if (has(c, c->ctrl.items[0].nresults)) emit_return(c), set_unreachable(c);
    break;
  case CORE_OP_CALL: do_call(c, in->imm.index, false); break;
  case CORE_OP_CALL_INDIRECT: do_call_indirect(c, in, false); break;
  case CORE_OP_RETURN_CALL: do_call(c, in->imm.index, true); break;
  case CORE_OP_RETURN_CALL_INDIRECT: do_call_indirect(c, in, true); break;
  case CORE_OP_DROP:
    if (has(c, 1)) pop(c, 1);
    break;
  case CORE_OP_SELECT:
  case CORE_OP_SELECT_T:
    if (has(c, 3) && c->stack.items[height(c) - 2].w == 2) do_value_w(c, CORE_IOP_SELECT2, 0, NULL, 3, false, 2);
    else do_value(c, CORE_IOP_SELECT, 0, NULL, 3, false);
    break;
  case CORE_OP_LOCAL_GET:
    if (local_ok(c, in->imm.index)) push_local(c, local_slot(c, in->imm.index), local_width(c, in->imm.index));
    break;
  case CORE_OP_LOCAL_SET: do_local_set(c, in->imm.index, false); break;
  case CORE_OP_LOCAL_TEE: do_local_set(c, in->imm.index, true); break;
  case CORE_OP_GLOBAL_GET:
    imm[0] = in->imm.index;
    if (global_is_v128(c, imm[0])) do_value_w(c, CORE_IOP_GLOBAL_GET2, 1, imm, 0, false, 2);
    else do_value(c, CORE_IOP_GLOBAL_GET, 1, imm, 0, false);
    break;
  case CORE_OP_GLOBAL_SET:
    imm[0] = in->imm.index;
    do_effect(c, global_is_v128(c, imm[0]) ? CORE_IOP_GLOBAL_SET2 : CORE_IOP_GLOBAL_SET, 1, imm, 1);
    break;
  case CORE_OP_TABLE_GET:
    imm[0] = in->imm.index;
    do_value(c, CORE_IOP_TABLE_GET, 1, imm, 1, true);
    break;
  case CORE_OP_TABLE_SET:
    imm[0] = in->imm.index;
    do_effect(c, CORE_IOP_TABLE_SET, 1, imm, 2);
    break;
  case CORE_OP_TABLE_SIZE:
    imm[0] = in->imm.index;
    do_value(c, CORE_IOP_TABLE_SIZE, 1, imm, 0, false);
    break;
  case CORE_OP_TABLE_GROW:
    imm[0] = in->imm.index;
    do_value(c, CORE_IOP_TABLE_GROW, 1, imm, 2, false);
    break;
  case CORE_OP_TABLE_FILL:
    imm[0] = in->imm.index;
    do_effect(c, CORE_IOP_TABLE_FILL, 1, imm, 3);
    break;
  case CORE_OP_TABLE_COPY:
    imm[0] = in->imm.pair.a;
    imm[1] = in->imm.pair.b;
    do_effect(c, CORE_IOP_TABLE_COPY, 2, imm, 3);
    break;
  case CORE_OP_TABLE_INIT:
    imm[0] = in->imm.pair.b; /* table */
    imm[1] = in->imm.pair.a; /* elem */
    do_effect(c, CORE_IOP_TABLE_INIT, 2, imm, 3);
    break;
  case CORE_OP_ELEM_DROP:
    imm[0] = in->imm.index;
    do_effect(c, CORE_IOP_ELEM_DROP, 1, imm, 0);
    break;
  case CORE_OP_MEMORY_SIZE:
    imm[0] = in->imm.index;
    if (imm[0]) do_value(c, CORE_IOP_MEMORY_SIZE_M, 1, imm, 0, false);
    else do_value(c, CORE_IOP_MEMORY_SIZE, 0, NULL, 0, false);
    break;
  case CORE_OP_MEMORY_GROW:
    imm[0] = in->imm.index;
    if (imm[0]) do_value(c, CORE_IOP_MEMORY_GROW_M, 1, imm, 1, false);
    else do_value(c, CORE_IOP_MEMORY_GROW, 0, NULL, 1, false);
    break;
  case CORE_OP_MEMORY_FILL:
    imm[0] = in->imm.index;
    if (imm[0]) do_effect(c, CORE_IOP_MEMORY_FILL_M, 1, imm, 3);
    else do_effect(c, CORE_IOP_MEMORY_FILL, 0, NULL, 3);
    break;
  case CORE_OP_MEMORY_COPY:
    imm[0] = in->imm.pair.a; /* dst */
    imm[1] = in->imm.pair.b; /* src */
    if (imm[0] || imm[1]) do_effect(c, CORE_IOP_MEMORY_COPY_M, 2, imm, 3);
    else do_effect(c, CORE_IOP_MEMORY_COPY, 0, NULL, 3);
    break;
  case CORE_OP_MEMORY_INIT:
    imm[0] = in->imm.pair.a; /* data */
    imm[1] = in->imm.pair.b; /* memory */
    do_effect(c, imm[1] ? CORE_IOP_MEMORY_INIT_M : CORE_IOP_MEMORY_INIT, imm[1] ? 2 : 1, imm, 3);
    break;
  case CORE_OP_DATA_DROP:
    imm[0] = in->imm.index;
    do_effect(c, CORE_IOP_DATA_DROP, 1, imm, 0);
    break;
  case CORE_OP_I32_CONST: push_const(c, (uint32_t)in->imm.i32); break;
  case CORE_OP_I64_CONST: push_const(c, (uint64_t)in->imm.i64); break;
  case CORE_OP_F32_CONST: push_const(c, in->imm.f32); break;
  case CORE_OP_F64_CONST: push_const(c, in->imm.f64); break;
  case CORE_OP_REF_NULL: push_const(c, 0); break;
  case CORE_OP_REF_IS_NULL: do_unary(c, CORE_IOP_I64_EQZ, false); break;
  case CORE_OP_REF_FUNC:
    imm[0] = in->imm.index;
    do_value(c, CORE_IOP_REF_FUNC, 1, imm, 0, false);
    break;
  /* Slots hold bit patterns and i32s zero-extended: these change nothing. */
  case CORE_OP_I32_REINTERPRET_F32:
  case CORE_OP_I64_REINTERPRET_F64:
  case CORE_OP_F32_REINTERPRET_I32:
  case CORE_OP_F64_REINTERPRET_I64:
  case CORE_OP_I64_EXTEND_I32_U:
    has(c, 1);
    break;
  default: {
    if (simd_iop[op]) {
      do_simd(c, in);
      break;
    }
    unsigned iop = iop_of[op];
    switch (iop ? family[iop] : F_NONE) {
    case F_UN: do_unary(c, iop, false); break;
    case F_TUN: do_unary(c, iop, true); break;
    case F_BIN:
    case F_CMPI:
    case F_CMPF: do_binary(c, iop, false); break;
    case F_TBIN: do_binary(c, iop, true); break;
    case F_LOAD: do_load(c, iop, in); break;
    case F_STORE: do_store(c, iop, in); break;
    default: c->bad = true, c->why = "unsupported instruction"; break;
    }
  }
  }
  return false;
}

/* ---- functions ---------------------------------------------------------------------- */

static kumi_error *compile_func(cc *c, uint32_t index, struct core_compiled *out) {
  core_module *m = c->m;
  const core_func *fn = &m->funcs[index];
  if (fn->type >= m->ntypes) return kb_error(c->a, KUMI_ERR_INVALID, KUMI_NO_OFFSET, "function %u: unknown type", index);
  const core_functype *ft = &m->types[fn->type];
  uint64_t nvals = (uint64_t)ft->nparams + fn->nlocals;
  if (nvals > UINT32_MAX / 8) return kb_error(c->a, KUMI_ERR_INVALID, fn->body_start, "too many locals");
  /* Locals by slot: a v128 takes two. */
  c->lslot.len = 0;
  if (!kb_vec_reserve(c->a, &c->lslot, nvals + 1)) return kb_error_oom();
  uint64_t L = 0;
  for (uint64_t i = 0; i < nvals; i++) {
    c->lslot.items[i] = (uint32_t)L;
    L += type_width(i < ft->nparams ? core_functype_params(ft)[i] : fn->local_types[i - ft->nparams]);
  }
  c->lslot.items[nvals] = (uint32_t)L;
  c->lslot.len = nvals + 1;
  uint32_t pslots = types_width(core_functype_params(ft), ft->nparams);
  uint32_t rslots = types_width(core_functype_results(ft), ft->nresults);
  c->L = (uint32_t)L;
  c->code.len = c->stack.len = c->ctrl.len = c->fixups.len = c->lines.len = 0;
  c->handlers.len = c->hpend.len = 0;
  c->maxh = 0;
  c->skip = 0;
  c->last.valid = false;
  c->ntail = 0;
  c->pend.len = 0;
  if (!kb_vec_reserve(c->a, &c->pend, c->L + 1)) return kb_error_oom();
  memset(c->pend.items, 0, (c->L + 1) * sizeof *c->pend.items);
  c->pend.len = c->L;
  uint64_t limit = (uint64_t)(fn->body_end - fn->body_start) * CELLS_PER_BYTE + MIN_CELL_LIMIT;
  c->max_cells = limit < MAX_CELLS ? (uint32_t)limit : MAX_CELLS;
  cctrl f = {0};
  f.kind = C_FUNC;
  f.nresults = ft->nresults;
  f.rtypes = core_functype_results(ft);
  if (!kb_vec_push(c->a, &c->ctrl, f)) return kb_error_oom();

  size_t pos = fn->body_start;
  bool done = false;
  while (!done) {
    if (pos >= fn->body_end) return kb_error(c->a, KUMI_ERR_INVALID, pos, "function body without end");
    core_instr in;
    kumi_error *e = core_read_instr_with(c->a, m->bytes, &pos, fn->body_end, CORE_FEATURES_ENGINE, &in);
    if (e) return e;
    done = translate(c, &in);
    if (c->oom) return kb_error_oom();
    if (c->bad) return kb_error(c->a, KUMI_ERR_INVALID, in.offset, "cannot translate: %s", c->why);
  }

  uint64_t slots = L + 1 + c->maxh;
  if (slots < rslots) slots = rslots;
  if (slots > UINT32_MAX / 2) return kb_error(c->a, KUMI_ERR_INVALID, fn->body_start, "function frame too large");
  core_cell *code = kb_arena_alloc(&m->arena, c->code.len * sizeof *code);
  core_line *lines = kb_arena_alloc(&m->arena, (c->lines.len ? c->lines.len : 1) * sizeof *lines);
  core_handler *handlers = NULL;
  if (c->handlers.len && !(handlers = kb_arena_alloc(&m->arena, c->handlers.len * sizeof *handlers)))
    return kb_error_oom();
  if (!code || !lines) return kb_error_oom();
  if (handlers) memcpy(handlers, c->handlers.items, c->handlers.len * sizeof *handlers);
  memcpy(code, c->code.items, c->code.len * sizeof *code);
  if (c->lines.len) memcpy(lines, c->lines.items, c->lines.len * sizeof *lines);
  out->code = code;
  out->ncells = (uint32_t)c->code.len;
  out->func_index = index;
  out->nparams = pslots;
  out->nlocals = (uint32_t)L - pslots + 1; /* and the zero slot */
  out->nresults = rslots;
  out->frame_slots = (uint32_t)slots;
  out->module = m;
  out->lines = lines;
  out->nlines = (uint32_t)c->lines.len;
  out->handlers = handlers;
  out->nhandlers = (uint32_t)c->handlers.len;
  return NULL;
}

kumi_error *core_module_compile(core_module *m) {
  const kumi_allocator *a = m->alloc;
  uint32_t ndefined = m->nfuncs - m->nimported_funcs;
  if (m->compiled || ndefined == 0) return NULL;
  struct core_compiled **compiled = kb_arena_alloc(&m->arena, ndefined * sizeof *compiled);
  if (!compiled) return kb_error_oom();
  /* All records first: calls refer to their callee's record. */
  for (uint32_t i = 0; i < ndefined; i++)
    if (!(compiled[i] = kb_arena_alloc(&m->arena, sizeof **compiled))) return kb_error_oom();
  m->compiled = compiled;

  cc c;
  memset(&c, 0, sizeof c);
  c.m = m;
  c.a = a;
  c.labels = core_interp_labels();
  kumi_error *e = NULL;
  for (uint32_t i = 0; i < ndefined && !e; i++) e = compile_func(&c, m->nimported_funcs + i, compiled[i]);
  kb_vec_free(a, &c.code);
  kb_vec_free(a, &c.stack);
  kb_vec_free(a, &c.ctrl);
  kb_vec_free(a, &c.fixups);
  kb_vec_free(a, &c.lines);
  kb_vec_free(a, &c.pend);
  kb_vec_free(a, &c.tramp);
  kb_vec_free(a, &c.lslot);
  kb_vec_free(a, &c.handlers);
  kb_vec_free(a, &c.hpend);
  if (e) m->compiled = NULL;
  return e;
}

uint32_t core_compiled_offset(const struct core_compiled *fn, uint32_t pc) {
  uint32_t lo = 0, hi = fn->nlines; /* find the last line with line.pc <= pc */
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (fn->lines[mid].pc <= pc) lo = mid + 1;
    else hi = mid;
  }
  return lo ? fn->lines[lo - 1].offset : 0;
}
