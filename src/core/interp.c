/* The interpreter: runs the internal code of compile.h.
 *
 * Direct threading: every instruction starts with the address of its
 * handler, and each handler ends with `goto *pc->h` (GNU C labels as
 * values, GCC and Clang). The whole machine is one function, run(), so pc,
 * the frame pointer and the cached memory base and size stay in registers.
 *
 * Wasm calls never recurse in C. Frames live on the store's value stack
 * (s->exec.stack): a callee's frame begins at the caller's argument slots,
 * so arguments are never copied, and its results come back in the same
 * slots. A frame record (core_frame) keeps the caller's state. A host
 * function calling back into wasm nests a new run() on the C stack, at most
 * CORE_MAX_HOST_DEPTH deep.
 *
 * Runaway guests: every backward branch (loop back-edge) and wasm function
 * entry polls by decrementing a local budget; when it runs out, `poll`
 * looks at the store's interrupt flag and takes the next chunk of fuel. */
#include "compile.h"
#include "numeric.h"

#include "interp_simd.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wasm memory access assumes a little-endian host");

/* Nested entries from the host into wasm (each costs C stack). */
#define CORE_MAX_HOST_DEPTH 200u
/* Polls (back-edges and function entries) between two looks at the
 * interrupt flag; also the most fuel a run holds back from the store. */
#define CORE_POLL_CHUNK 1024
/* Backtraces keep at most this many frames (innermost first). */
#define CORE_MAX_TRACE 64u

/* The caller's state, saved by a call. An entry into run() pushes a record
 * with fn == NULL whose return address is the EXIT instruction. */
typedef struct core_frame {
  const core_cell *pc; /* return address */
  core_slot *fp;
  const struct core_compiled *fn;
  kumi_instance *inst;
  kumi_memory *mem; /* memory 0 of inst, or a zero-sized stand-in */
} core_frame;

kumi_error *core_trap(kumi_store *s, kumi_trap_code code) {
  kumi_error *e = kb_trap(s->alloc, code);
  return e ? e : kb_error_oom();
}

/* Appends the wasm frame (fn at pc) to a trap's backtrace. A return
 * address points after its call, so it looks up the cell before. */
static void add_frame(kumi_error *e, const struct core_compiled *fn, const core_cell *pc, bool return_address) {
  if (e->nframes >= CORE_MAX_TRACE) return;
  uint32_t cell = (uint32_t)(pc - fn->code);
  if (return_address && cell > 0) cell--;
  const core_module *m = fn->module;
  kb_error_add_frame(e, fn->func_index, core_compiled_offset(fn, cell), m->funcs[fn->func_index].name, m->name);
}

/* Calls host function f with its arguments in slots; results replace them. */
static kumi_error *call_host(kumi_store *s, kumi_instance *caller_inst, kumi_func *f, core_slot *slots) {
  const core_functype *ft = f->type;
  size_t n = (size_t)ft->nparams + ft->nresults;
  kumi_val inline_vals[16];
  kumi_val *vals = inline_vals;
  if (n > 16 && !(vals = kb_alloc(s->alloc, n * sizeof *vals))) return kb_error_oom();
  kumi_val *results = vals + ft->nparams;
  static const core_slot zero[2];
  size_t k = 0; /* slot of the next value: a v128 takes two */
  for (uint32_t i = 0; i < ft->nparams; i++) {
    vals[i] = core_val_from_slots(core_functype_params(ft)[i], slots + k);
    k += core_valtype_slots(core_functype_params(ft)[i]);
  }
  for (uint32_t i = 0; i < ft->nresults; i++) results[i] = core_val_from_slots(core_functype_results(ft)[i], zero);
  kumi_caller caller = {s, caller_inst};
  kumi_error *e = f->host(&caller, f->env, vals, results);
  /* By the declared types, whatever kinds the host left: results take
   * exactly the slots the caller made room for. */
  k = 0;
  if (!e)
    for (uint32_t i = 0; i < ft->nresults; i++) {
      core_slot v[2] = {0, 0};
      if ((results[i].kind == KUMI_V128) == (core_functype_results(ft)[i] == CORE_V128)) core_slots_from_val(&results[i], v);
      uint32_t w = core_valtype_slots(core_functype_results(ft)[i]);
      memcpy(slots + k, v, w * sizeof *v);
      k += w;
    }
  if (vals != inline_vals) kb_free(s->alloc, vals, n * sizeof *vals);
  return e;
}

/* Slots the results of host function f take. Out of line: inlined, its
 * loop made the compiler spill run()'s hot registers. */
__attribute__((noinline)) static size_t host_result_slots(const kumi_func *f) {
  return core_valtypes_slots(core_functype_results(f->type), f->type->nresults);
}

/* A new exception of tag t with its payload from slots. In the store's
 * arena (see core_exn); NULL on OOM. */
__attribute__((noinline, cold)) static core_exn *exn_new(kumi_store *s, kumi_tag *t, const core_slot *slots) {
  uint32_t n = core_valtypes_slots(core_functype_params(t->type), t->type->nparams);
  core_exn *x = kb_arena_alloc(&s->arena, sizeof *x + (size_t)n * sizeof(core_slot));
  if (!x) return NULL;
  x->tag = t;
  x->nslots = n;
  if (n) memcpy(x->payload, slots, (size_t)n * sizeof(core_slot));
  return x;
}

/* Where unwinding goes on: the state of the frame that catches. */
typedef struct unwind_state {
  const core_cell *pc;
  core_slot *fp;
  const struct core_compiled *fn;
  kumi_instance *inst;
  kumi_memory *mem;
  core_frame *fr; /* the first free frame record */
} unwind_state;

/* Looks for a handler of exn, from the current frame (u, at u->pc) out to
 * the entry record of this run(). On a catch, writes the caught values into
 * the catching frame, sets u to continue at the clause's landing pad and
 * returns true; returns false when no frame of this run() catches. Out of
 * line: run()'s hot registers stay untouched. */
__attribute__((noinline, cold)) static bool unwind(unwind_state *u, core_exn *exn) {
  const struct core_compiled *fn = u->fn;
  uint32_t at = (uint32_t)(u->pc - fn->code);
  core_frame *fr = u->fr;
  core_slot *fp = u->fp;
  kumi_instance *inst = u->inst;
  kumi_memory *mem = u->mem;
  for (;;) {
    for (uint32_t i = 0; i < fn->nhandlers; i++) {
      const core_handler *h = &fn->handlers[i];
      if (at < h->start || at >= h->end) continue;
      if (h->tag != CORE_HANDLER_ALL && inst->tags[h->tag] != exn->tag) continue;
      if (h->nslots) memcpy(fp + h->dest, exn->payload, (size_t)h->nslots * sizeof *fp);
      if (h->ref) fp[h->dest + h->nslots] = (core_slot)(uintptr_t)exn;
      u->pc = fn->code + h->pad;
      u->fp = fp;
      u->fn = fn;
      u->inst = inst;
      u->mem = mem;
      u->fr = fr;
      return true;
    }
    core_frame *r = fr - 1;
    if (!r->fn) return false;
    /* a return address points after its call: look inside the call */
    at = (uint32_t)(r->pc - r->fn->code) - 1;
    fn = r->fn;
    fp = r->fp;
    inst = r->inst;
    mem = r->mem;
    fr = r;
  }
}

/* True when err is the uncaught exception of a nested run() (a host
 * function called wasm, which threw, and passed the error back): the
 * caller throws it on. */
__attribute__((noinline, cold)) static bool is_exn_error(const core_exec *ex, const kumi_error *err) {
  return ex->exn && kumi_error_is_exception(err);
}

/* Zeroes a callee's locals. Kept a plain loop (the empty asm stops the
 * compiler from making it a memset call): frames have few locals. */
static inline void zero_slots(core_slot *p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    p[i] = 0;
    __asm__("" : "+r"(i));
  }
}

static kumi_memory *memory0(kumi_instance *inst, kumi_memory *none) {
  return inst->core->nmemories ? inst->memories[0] : none;
}

#define UNLIKELY(x) __builtin_expect(!!(x), 0)
/* operand k of the current instruction, and the slot it names */
#define OPD(k) (pc[1 + (k) / 2].u[(k) % 2])
#define SL(k) fp[OPD(k)]
#define NEXT() goto *pc->h
#define JUMP(n)  \
  do {           \
    pc += (n);   \
    NEXT();      \
  } while (0)
#define TRAP(code)  \
  do {              \
    tc = (code);    \
    goto trap;      \
  } while (0)
/* A branch: a backward (or in-place) one is a loop back-edge and polls.
 * Polling costs a decrement of the local budget; only when it runs out
 * does `poll` look at the interrupt flag and the store's fuel. */
#define BRANCH(n)                                       \
  do {                                                  \
    int32_t off_ = (n);                                 \
    pc += off_;                                         \
    if (off_ > 0) NEXT();                               \
    if (UNLIKELY(--budget < 0)) goto poll;              \
    NEXT();                                             \
  } while (0)
/* Enters the function at pc: polls, then runs it. */
#define ENTER()                               \
  do {                                        \
    if (UNLIKELY(--budget < 0)) goto poll;    \
    NEXT();                                   \
  } while (0)
/* Returns the unused part of the budget to the store: before leaving run()
 * or calling a host function (which may run wasm or read the fuel). */
#define GIVE_BACK()                                                        \
  do {                                                                     \
    if (budget > 0 && ex->fuel != UINT64_MAX) ex->fuel += (uint32_t)budget; \
    budget = 0;                                                            \
  } while (0)
/* the immediate of a _K variant: operand k, or all of cell 2 for 64 bits */
#define IMM_32(k) OPD(k)
#define IMM_64(k) pc[2].u64

/* Runs fn with its frame at fp (params set, locals zeroed) until it
 * returns. With labels_out set, only hands out the handler table. */
static kumi_error *run(kumi_store *s, const struct core_compiled *fn, kumi_instance *inst, core_slot *fp,
                       const void *const **labels_out) {
  static const void *const labels[CORE_IOP_COUNT] = {
#define OP(ID) [CORE_IOP_##ID] = &&L_##ID,
#define UN(ID, IW, OW, EXPR) [CORE_IOP_##ID] = &&L_##ID,
#define BIN(ID, IW, OW, EXPR, K, C) [CORE_IOP_##ID] = &&L_##ID, CORE_IF_##K([CORE_IOP_##ID##_K] = &&L_##ID##_K, )
#define CMPI(ID, IW, EXPR, NOT, SWAP)                                                         \
  [CORE_IOP_##ID] = &&L_##ID, [CORE_IOP_##ID##_K] = &&L_##ID##_K, [CORE_IOP_BR_##ID] = &&L_BR_##ID, \
  [CORE_IOP_BR_##ID##_K] = &&L_BR_##ID##_K,                                                   \
  CORE_IF32_##IW([CORE_IOP_ADDK_BR_##ID] = &&L_ADDK_BR_##ID, [CORE_IOP_ADDK_BR_##ID##_K] = &&L_ADDK_BR_##ID##_K, \
                 [CORE_IOP_ADD_BR_##ID] = &&L_ADD_BR_##ID, [CORE_IOP_ADD_BR_##ID##_K] = &&L_ADD_BR_##ID##_K, )
#define CMPF(ID, IW, EXPR) [CORE_IOP_##ID] = &&L_##ID, [CORE_IOP_BR_##ID] = &&L_BR_##ID, [CORE_IOP_BRN_##ID] = &&L_BRN_##ID,
#define TUN(ID, IW, OW, FN) [CORE_IOP_##ID] = &&L_##ID,
#define TBIN(ID, IW, OW, FN) [CORE_IOP_##ID] = &&L_##ID,
#define LOAD(ID, T, OW, CONV) \
  [CORE_IOP_##ID] = &&L_##ID, [CORE_IOP_##ID##_K] = &&L_##ID##_K, [CORE_IOP_##ID##_M] = &&L_##ID##_M,
#define STORE(ID, T) [CORE_IOP_##ID] = &&L_##ID, [CORE_IOP_##ID##_K] = &&L_##ID##_K, [CORE_IOP_##ID##_M] = &&L_##ID##_M,
#define SIMD(ID) [CORE_IOP_##ID] = &&L_SIMD,
#include "interp_ops.h"
  };
  if (labels_out) {
    *labels_out = labels;
    return NULL;
  }

  core_exec *ex = &s->exec;
  core_slot *const stack = ex->stack;
  core_slot *const stack_end = stack + ex->stack_cap;
  core_frame *const frames = ex->frames;
  core_frame *const fr_end = frames + ex->frames_cap / sizeof(core_frame);
  const uint32_t entry_depth = ex->depth;
  core_frame *fr = frames + entry_depth;

  kumi_memory none;
  memset(&none, 0, sizeof none);
  kumi_memory *mem = memory0(inst, &none);
  uint8_t *mbase = mem->data;
  uint64_t msize = mem->size;

  core_cell exit_code[1];
  exit_code[0].h = &&L_EXIT;
  fr->pc = exit_code;
  fr->fp = fp;
  fr->fn = NULL;
  fr->inst = inst;
  fr->mem = mem;
  fr++;

  const core_cell *pc = fn->code;
  kumi_trap_code tc = KUMI_TRAP_NONE;
  kumi_error *err = NULL;
  /* Polls left before the next look at the interrupt flag and the fuel;
   * the fuel for them is already taken from ex->fuel. 0 at entry, so the
   * first poll looks. */
  int32_t budget = 0;
  /* the call in progress (call_func) */
  kumi_func *cf;
  uint32_t cbase;
  const core_cell *cret;
  core_exn *exn; /* the exception being thrown */

  NEXT();

  /* ---- control ---- */
L_EXIT:
  GIVE_BACK();
  ex->depth = entry_depth;
  return NULL;

  /* The budget ran out (it is -1): look for an interrupt, then take the
   * next chunk of fuel. pc is where execution goes on. */
poll:
  budget = 0;
  if (UNLIKELY(ex->interrupt)) {
    ex->interrupt = 0;
    TRAP(KUMI_TRAP_INTERRUPTED);
  }
  if (ex->fuel == UINT64_MAX) {
    budget = CORE_POLL_CHUNK - 1;
  } else {
    if (ex->fuel == 0) TRAP(KUMI_TRAP_OUT_OF_FUEL);
    uint64_t take = ex->fuel < CORE_POLL_CHUNK ? ex->fuel : CORE_POLL_CHUNK;
    ex->fuel -= take;
    budget = (int32_t)take - 1;
  }
  NEXT();

L_UNREACHABLE:
  TRAP(KUMI_TRAP_UNREACHABLE);

L_BR:
  BRANCH((int32_t)OPD(0));

L_BR_IF:
  if (SL(0)) BRANCH((int32_t)OPD(1));
  JUMP(2);

L_BR_IFNOT:
  if (!SL(0)) BRANCH((int32_t)OPD(1));
  JUMP(2);

  /* The fused additions write d before the test, which reads it back. */
L_ADDK_BR_IF: {
  uint32_t d = (uint32_t)SL(1) + OPD(2);
  SL(0) = d;
  if (d) BRANCH((int32_t)OPD(3));
  JUMP(3);
}

L_ADDK_BR_IFNOT: {
  uint32_t d = (uint32_t)SL(1) + OPD(2);
  SL(0) = d;
  if (!d) BRANCH((int32_t)OPD(3));
  JUMP(3);
}

L_ADD_BR_IF: {
  uint32_t d = (uint32_t)SL(1) + (uint32_t)SL(2);
  SL(0) = d;
  if (d) BRANCH((int32_t)OPD(3));
  JUMP(3);
}

L_ADD_BR_IFNOT: {
  uint32_t d = (uint32_t)SL(1) + (uint32_t)SL(2);
  SL(0) = d;
  if (!d) BRANCH((int32_t)OPD(3));
  JUMP(3);
}

L_BR_TABLE: {
  uint32_t i = (uint32_t)SL(0), n = OPD(1);
  if (i > n) i = n;
  BRANCH((int32_t)OPD(2 + i));
}

L_COPY:
  SL(0) = SL(1);
  JUMP(2);

L_CONST32:
  SL(0) = OPD(1);
  JUMP(2);

L_CONST64:
  SL(0) = pc[2].u64;
  JUMP(3);

L_SELECT: {
  core_slot a = SL(1), b = SL(2);
  SL(0) = SL(3) ? a : b;
  JUMP(3);
}

L_COPY2: {
  core_slot lo = fp[OPD(1)], hi = fp[OPD(1) + 1];
  fp[OPD(0)] = lo;
  fp[OPD(0) + 1] = hi;
  JUMP(2);
}

L_SELECT2: {
  uint32_t from = SL(3) ? OPD(1) : OPD(2);
  core_slot lo = fp[from], hi = fp[from + 1];
  fp[OPD(0)] = lo;
  fp[OPD(0) + 1] = hi;
  JUMP(3);
}

L_RETURN1:
  fp[0] = SL(0);
  goto do_return;

L_RETURN_N:
  memmove(fp, fp + OPD(0), (size_t)OPD(1) * sizeof *fp);
  goto do_return;

L_RETURN:
do_return:
  fr--;
  pc = fr->pc;
  fp = fr->fp;
  fn = fr->fn;
  inst = fr->inst;
  mem = fr->mem;
  mbase = mem->data;
  msize = mem->size;
  NEXT();

L_CALL: {
  const struct core_compiled *c = pc[2].fn;
  core_slot *nfp = fp + OPD(0);
  if (UNLIKELY(c->frame_slots > (size_t)(stack_end - nfp) || fr == fr_end)) TRAP(KUMI_TRAP_STACK_EXHAUSTED);
  zero_slots(nfp + c->nparams, c->nlocals);
  fr->pc = pc + 3;
  fr->fp = fp;
  fr->fn = fn;
  fr->inst = inst;
  fr->mem = mem;
  fr++;
  fp = nfp;
  fn = c;
  pc = c->code;
  ENTER();
}

L_CALL_IMPORT:
  cf = inst->funcs[OPD(1)];
  cbase = OPD(0);
  cret = pc + 2;
  goto call_func;

L_CALL_INDIRECT: {
  kumi_table *t = inst->tables[OPD(2)];
  uint32_t i = (uint32_t)SL(3);
  if (UNLIKELY(i >= t->size)) TRAP(KUMI_TRAP_OOB_TABLE);
  cf = (kumi_func *)(uintptr_t)t->elems[i];
  if (UNLIKELY(!cf)) TRAP(KUMI_TRAP_UNINIT_ELEMENT);
  if (UNLIKELY(cf->type_id != inst->type_ids[OPD(1)])) TRAP(KUMI_TRAP_INDIRECT_MISMATCH);
  cbase = OPD(0);
  cret = pc + 3;
  goto call_func;
}

call_func:
  if (cf->instance == inst) {
    const struct core_compiled *c = cf->compiled;
    core_slot *nfp = fp + cbase;
    if (UNLIKELY(c->frame_slots > (size_t)(stack_end - nfp) || fr == fr_end)) TRAP(KUMI_TRAP_STACK_EXHAUSTED);
    zero_slots(nfp + c->nparams, c->nlocals);
    fr->pc = cret;
    fr->fp = fp;
    fr->fn = fn;
    fr->inst = inst;
    fr->mem = mem;
    fr++;
    fp = nfp;
    fn = c;
    pc = c->code;
    ENTER();
  } else if (!cf->instance) {
    /* A nested entry from this host call starts after our frame. */
    ex->sp = (size_t)(fp - stack) + fn->frame_slots;
    ex->depth = (uint32_t)(fr - frames);
    GIVE_BACK();
    err = call_host(s, inst, cf, fp + cbase);
    if (err) goto fail;
    mbase = mem->data;
    msize = mem->size;
    pc = cret;
    NEXT();
  } else {
    const struct core_compiled *c = cf->compiled;
    core_slot *nfp = fp + cbase;
    if (UNLIKELY(c->frame_slots > (size_t)(stack_end - nfp) || fr == fr_end)) TRAP(KUMI_TRAP_STACK_EXHAUSTED);
    zero_slots(nfp + c->nparams, c->nlocals);
    fr->pc = cret;
    fr->fp = fp;
    fr->fn = fn;
    fr->inst = inst;
    fr->mem = mem;
    fr++;
    inst = cf->instance;
    mem = memory0(inst, &none);
    mbase = mem->data;
    msize = mem->size;
    fp = nfp;
    fn = c;
    pc = c->code;
    ENTER();
  }

  /* Tail calls reuse the current frame and frame record: the arguments
   * move down to slot 0 and the callee returns straight to our caller. */
L_RETURN_CALL: {
  const struct core_compiled *c = pc[2].fn;
  if (UNLIKELY(c->frame_slots > (size_t)(stack_end - fp))) TRAP(KUMI_TRAP_STACK_EXHAUSTED);
  memmove(fp, fp + OPD(0), (size_t)c->nparams * sizeof *fp);
  zero_slots(fp + c->nparams, c->nlocals);
  fn = c;
  pc = c->code;
  ENTER();
}

L_RETURN_CALL_IMPORT:
  cf = inst->funcs[OPD(1)];
  cbase = OPD(0);
  goto tail_func;

L_RETURN_CALL_INDIRECT: {
  kumi_table *t = inst->tables[OPD(2)];
  uint32_t i = (uint32_t)SL(3);
  if (UNLIKELY(i >= t->size)) TRAP(KUMI_TRAP_OOB_TABLE);
  cf = (kumi_func *)(uintptr_t)t->elems[i];
  if (UNLIKELY(!cf)) TRAP(KUMI_TRAP_UNINIT_ELEMENT);
  if (UNLIKELY(cf->type_id != inst->type_ids[OPD(1)])) TRAP(KUMI_TRAP_INDIRECT_MISMATCH);
  cbase = OPD(0);
  goto tail_func;
}

tail_func:
  if (!cf->instance) {
    /* A host callee runs like a call, then we return its results. */
    ex->sp = (size_t)(fp - stack) + fn->frame_slots;
    ex->depth = (uint32_t)(fr - frames);
    GIVE_BACK();
    err = call_host(s, inst, cf, fp + cbase);
    if (err) goto fail_tail;
    memmove(fp, fp + cbase, host_result_slots(cf) * sizeof *fp);
    goto do_return;
  } else {
    const struct core_compiled *c = cf->compiled;
    if (UNLIKELY(c->frame_slots > (size_t)(stack_end - fp))) TRAP(KUMI_TRAP_STACK_EXHAUSTED);
    memmove(fp, fp + cbase, (size_t)c->nparams * sizeof *fp);
    zero_slots(fp + c->nparams, c->nlocals);
    if (cf->instance != inst) {
      inst = cf->instance;
      mem = memory0(inst, &none);
      mbase = mem->data;
      msize = mem->size;
    }
    fn = c;
    pc = c->code;
    ENTER();
  }

  /* ---- exceptions: cold, out of line ---- */
L_THROW:
  exn = exn_new(s, inst->tags[OPD(1)], fp + OPD(0));
  if (UNLIKELY(!exn)) {
    err = kb_error_oom();
    goto fail;
  }
  goto throw_exn;

L_THROW_REF:
  exn = (core_exn *)(uintptr_t)SL(0);
  if (UNLIKELY(!exn)) TRAP(KUMI_TRAP_NULL_REFERENCE);
throw_exn: {
  unwind_state u = {pc, fp, fn, inst, mem, fr};
  if (!unwind(&u, exn)) {
    /* no frame of this run() catches: the caller of run() gets it */
    ex->exn = exn;
    err = kb_error(s->alloc, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "%s", CORE_UNCAUGHT_MESSAGE);
    if (!err) err = kb_error_oom();
    goto fail_exn;
  }
  pc = u.pc;
  fp = u.fp;
  fn = u.fn;
  inst = u.inst;
  mem = u.mem;
  fr = u.fr;
  mbase = mem->data;
  msize = mem->size;
  NEXT();
}

L_I32_ADD_SHLK:
  SL(0) = (uint32_t)((uint32_t)SL(1) + ((uint32_t)SL(2) << (OPD(3) & 31)));
  JUMP(3);

  /* ---- variables and references ---- */
L_GLOBAL_GET:
  SL(0) = inst->globals[OPD(1)]->value;
  JUMP(2);

L_GLOBAL_SET:
  inst->globals[OPD(0)]->value = SL(1);
  JUMP(2);

L_GLOBAL_GET2: {
  const kumi_global *g = inst->globals[OPD(1)];
  fp[OPD(0)] = g->value;
  fp[OPD(0) + 1] = g->value_hi;
  JUMP(2);
}

L_GLOBAL_SET2: {
  kumi_global *g = inst->globals[OPD(0)];
  g->value = fp[OPD(1)];
  g->value_hi = fp[OPD(1) + 1];
  JUMP(2);
}

L_REF_FUNC:
  SL(0) = (core_slot)(uintptr_t)inst->funcs[OPD(1)];
  JUMP(2);

  /* ---- tables ---- */
L_TABLE_GET: {
  kumi_table *t = inst->tables[OPD(1)];
  uint32_t i = (uint32_t)SL(2);
  if (UNLIKELY(i >= t->size)) TRAP(KUMI_TRAP_OOB_TABLE);
  SL(0) = t->elems[i];
  JUMP(3);
}

L_TABLE_SET: {
  kumi_table *t = inst->tables[OPD(0)];
  uint32_t i = (uint32_t)SL(1);
  if (UNLIKELY(i >= t->size)) TRAP(KUMI_TRAP_OOB_TABLE);
  t->elems[i] = SL(2);
  JUMP(3);
}

L_TABLE_SIZE:
  SL(0) = inst->tables[OPD(1)]->size;
  JUMP(2);

L_TABLE_GROW: {
  int64_t r = core_table_grow(inst->tables[OPD(1)], (uint32_t)SL(3), SL(2));
  SL(0) = (uint32_t)r;
  JUMP(3);
}

L_TABLE_FILL: {
  kumi_table *t = inst->tables[OPD(0)];
  uint32_t i = (uint32_t)SL(1), n = (uint32_t)SL(3);
  core_slot v = SL(2);
  if (UNLIKELY((uint64_t)i + n > t->size)) TRAP(KUMI_TRAP_OOB_TABLE);
  for (uint32_t k = 0; k < n; k++) t->elems[i + k] = v;
  JUMP(3);
}

L_TABLE_COPY: {
  kumi_table *dt = inst->tables[OPD(0)], *st = inst->tables[OPD(1)];
  uint32_t d = (uint32_t)SL(2), sr = (uint32_t)SL(3), n = (uint32_t)SL(4);
  if (UNLIKELY((uint64_t)d + n > dt->size || (uint64_t)sr + n > st->size)) TRAP(KUMI_TRAP_OOB_TABLE);
  if (n) memmove(dt->elems + d, st->elems + sr, (size_t)n * sizeof(core_slot));
  JUMP(4);
}

L_TABLE_INIT: {
  kumi_table *t = inst->tables[OPD(0)];
  uint32_t e = OPD(1);
  uint32_t d = (uint32_t)SL(2), sr = (uint32_t)SL(3), n = (uint32_t)SL(4);
  if (UNLIKELY((uint64_t)sr + n > inst->elem_lens[e] || (uint64_t)d + n > t->size)) TRAP(KUMI_TRAP_OOB_TABLE);
  if (n) memcpy(t->elems + d, inst->elem_items[e] + sr, (size_t)n * sizeof(core_slot));
  JUMP(4);
}

L_ELEM_DROP:
  inst->elem_lens[OPD(0)] = 0;
  JUMP(2);

  /* ---- memory ---- */
L_MEMORY_SIZE:
  SL(0) = (uint32_t)(msize / CORE_PAGE_SIZE);
  JUMP(2);

L_MEMORY_GROW: {
  int64_t r = core_memory_grow(mem, (uint32_t)SL(1));
  SL(0) = (uint32_t)r;
  mbase = mem->data;
  msize = mem->size;
  JUMP(2);
}

L_MEMORY_FILL: {
  uint32_t d = (uint32_t)SL(0), n = (uint32_t)SL(2);
  uint8_t v = (uint8_t)SL(1);
  if (UNLIKELY((uint64_t)d + n > msize)) TRAP(KUMI_TRAP_OOB_MEMORY);
  if (n) memset(mbase + d, v, n);
  JUMP(3);
}

L_MEMORY_COPY: {
  uint32_t d = (uint32_t)SL(0), sr = (uint32_t)SL(1), n = (uint32_t)SL(2);
  if (UNLIKELY((uint64_t)d + n > msize || (uint64_t)sr + n > msize)) TRAP(KUMI_TRAP_OOB_MEMORY);
  if (n) memmove(mbase + d, mbase + sr, n);
  JUMP(3);
}

L_MEMORY_INIT: {
  uint32_t seg = OPD(0);
  uint32_t d = (uint32_t)SL(1), sr = (uint32_t)SL(2), n = (uint32_t)SL(3);
  if (UNLIKELY((uint64_t)sr + n > inst->data_lens[seg] || (uint64_t)d + n > msize)) TRAP(KUMI_TRAP_OOB_MEMORY);
  if (n) memcpy(mbase + d, inst->core->bytes + inst->core->datas[seg].start + sr, n);
  JUMP(3);
}

L_MEMORY_SIZE_M:
  SL(0) = (uint32_t)(inst->memories[OPD(1)]->size / CORE_PAGE_SIZE);
  JUMP(2);

  /* The memory may also be memory 0 (imported twice): reload the cache. */
L_MEMORY_GROW_M: {
  int64_t r = core_memory_grow(inst->memories[OPD(1)], (uint32_t)SL(2));
  SL(0) = (uint32_t)r;
  mbase = mem->data;
  msize = mem->size;
  JUMP(3);
}

L_MEMORY_FILL_M: {
  kumi_memory *m = inst->memories[OPD(0)];
  uint32_t d = (uint32_t)SL(1), n = (uint32_t)SL(3);
  uint8_t v = (uint8_t)SL(2);
  if (UNLIKELY((uint64_t)d + n > m->size)) TRAP(KUMI_TRAP_OOB_MEMORY);
  if (n) memset(m->data + d, v, n);
  JUMP(3);
}

L_MEMORY_COPY_M: {
  kumi_memory *md = inst->memories[OPD(0)], *ms = inst->memories[OPD(1)];
  uint32_t d = (uint32_t)SL(2), sr = (uint32_t)SL(3), n = (uint32_t)SL(4);
  if (UNLIKELY((uint64_t)d + n > md->size || (uint64_t)sr + n > ms->size)) TRAP(KUMI_TRAP_OOB_MEMORY);
  if (n) memmove(md->data + d, ms->data + sr, n);
  JUMP(4);
}

L_MEMORY_INIT_M: {
  uint32_t seg = OPD(0);
  kumi_memory *m = inst->memories[OPD(1)];
  uint32_t d = (uint32_t)SL(2), sr = (uint32_t)SL(3), n = (uint32_t)SL(4);
  if (UNLIKELY((uint64_t)sr + n > inst->data_lens[seg] || (uint64_t)d + n > m->size)) TRAP(KUMI_TRAP_OOB_MEMORY);
  if (n) memcpy(m->data + d, inst->core->bytes + inst->core->datas[seg].start + sr, n);
  JUMP(4);
}

L_DATA_DROP:
  inst->data_lens[OPD(0)] = 0;
  JUMP(2);

  /* ---- numeric, loads and stores: generated from interp_ops.h ---- */
#define UN(ID, IW, OW, EXPR)                          \
  L_##ID : {                                          \
    uint##IW##_t x = (uint##IW##_t)SL(1);             \
    SL(0) = (uint##OW##_t)(EXPR);                     \
    JUMP(2);                                          \
  }
#define BIN(ID, IW, OW, EXPR, K, C)                                 \
  L_##ID : {                                                        \
    uint##IW##_t a = (uint##IW##_t)SL(1), b = (uint##IW##_t)SL(2); \
    SL(0) = (uint##OW##_t)(EXPR);                                   \
    JUMP(3);                                                        \
  }                                                                 \
  CORE_IF_##K(L_##ID##_K : {                                        \
    uint##IW##_t a = (uint##IW##_t)SL(1), b = IMM_##IW(2);         \
    SL(0) = (uint##OW##_t)(EXPR);                                   \
    JUMP(3);                                                        \
  })
#define CMPI(ID, IW, EXPR, NOT, SWAP)                               \
  L_##ID : {                                                        \
    uint##IW##_t a = (uint##IW##_t)SL(1), b = (uint##IW##_t)SL(2); \
    SL(0) = (uint32_t)(EXPR);                                       \
    JUMP(3);                                                        \
  }                                                                 \
  L_##ID##_K : {                                                    \
    uint##IW##_t a = (uint##IW##_t)SL(1), b = IMM_##IW(2);         \
    SL(0) = (uint32_t)(EXPR);                                       \
    JUMP(3);                                                        \
  }                                                                 \
  L_BR_##ID : {                                                     \
    uint##IW##_t a = (uint##IW##_t)SL(0), b = (uint##IW##_t)SL(1); \
    if (EXPR) BRANCH((int32_t)OPD(2));                                \
    JUMP(3);                                                        \
  }                                                                 \
  L_BR_##ID##_K : {                                                 \
    uint##IW##_t a = (uint##IW##_t)SL(0), b = IMM_##IW(2);         \
    if (EXPR) BRANCH((int32_t)OPD(1));                                \
    JUMP(3);                                                        \
  }                                                                 \
  CORE_IF32_##IW(ADD_BR_(ADDK_BR_##ID, OPD(2), SL(3), EXPR)        \
                 ADD_BR_(ADDK_BR_##ID##_K, OPD(2), OPD(3), EXPR)   \
                 ADD_BR_(ADD_BR_##ID, SL(2), SL(3), EXPR)          \
                 ADD_BR_(ADD_BR_##ID##_K, SL(2), OPD(3), EXPR))
/* d = a + addend; branch when EXPR holds for d and x */
#define ADD_BR_(ID, ADDEND, X, EXPR)                               \
  L_##ID : {                                                        \
    uint32_t a = (uint32_t)SL(1) + (uint32_t)(ADDEND);              \
    SL(0) = a;                                                      \
    uint32_t b = (uint32_t)(X);                                     \
    if (EXPR) BRANCH((int32_t)OPD(4));                                \
    JUMP(4);                                                        \
  }
#define CMPF(ID, IW, EXPR)                                          \
  L_##ID : {                                                        \
    uint##IW##_t a = (uint##IW##_t)SL(1), b = (uint##IW##_t)SL(2); \
    SL(0) = (uint32_t)(EXPR);                                       \
    JUMP(3);                                                        \
  }                                                                 \
  L_BR_##ID : {                                                     \
    uint##IW##_t a = (uint##IW##_t)SL(0), b = (uint##IW##_t)SL(1); \
    if (EXPR) BRANCH((int32_t)OPD(2));                                \
    JUMP(3);                                                        \
  }                                                                 \
  L_BRN_##ID : {                                                    \
    uint##IW##_t a = (uint##IW##_t)SL(0), b = (uint##IW##_t)SL(1); \
    if (!(EXPR)) BRANCH((int32_t)OPD(2));                             \
    JUMP(3);                                                        \
  }
#define TUN(ID, IW, OW, FN)                   \
  L_##ID : {                                  \
    uint##OW##_t r;                           \
    kumi_trap_code t = FN((uint##IW##_t)SL(1), &r); \
    if (UNLIKELY(t)) TRAP(t);                 \
    SL(0) = r;                                \
    JUMP(2);                                  \
  }
#define TBIN(ID, IW, OW, FN)                                         \
  L_##ID : {                                                         \
    uint##OW##_t r;                                                  \
    kumi_trap_code t = FN((uint##IW##_t)SL(1), (uint##IW##_t)SL(2), &r); \
    if (UNLIKELY(t)) TRAP(t);                                        \
    SL(0) = r;                                                       \
    JUMP(3);                                                         \
  }
#define LOAD_(ID, T, OW, CONV, EA)                                   \
  L_##ID : {                                                         \
    uint64_t ea = (EA);                                              \
    if (UNLIKELY(ea + sizeof(T) > msize)) TRAP(KUMI_TRAP_OOB_MEMORY); \
    T v;                                                             \
    memcpy(&v, mbase + ea, sizeof v);                                \
    SL(0) = (uint##OW##_t)(CONV);                                    \
    JUMP(3);                                                         \
  }
#define STORE_(ID, T, EA)                                            \
  L_##ID : {                                                         \
    uint64_t ea = (EA);                                              \
    if (UNLIKELY(ea + sizeof(T) > msize)) TRAP(KUMI_TRAP_OOB_MEMORY); \
    T v = (T)SL(1);                                                  \
    memcpy(mbase + ea, &v, sizeof v);                                \
    JUMP(3);                                                         \
  }
/* on memory OPD(3), not the cached memory 0 */
#define LOAD_M_(ID, T, OW, CONV)                                      \
  L_##ID##_M : {                                                      \
    const kumi_memory *m = inst->memories[OPD(3)];                    \
    uint64_t ea = EA(1);                                              \
    if (UNLIKELY(ea + sizeof(T) > m->size)) TRAP(KUMI_TRAP_OOB_MEMORY); \
    T v;                                                              \
    memcpy(&v, m->data + ea, sizeof v);                               \
    SL(0) = (uint##OW##_t)(CONV);                                     \
    JUMP(3);                                                          \
  }
#define STORE_M_(ID, T)                                               \
  L_##ID##_M : {                                                      \
    const kumi_memory *m = inst->memories[OPD(3)];                    \
    uint64_t ea = EA(0);                                              \
    if (UNLIKELY(ea + sizeof(T) > m->size)) TRAP(KUMI_TRAP_OOB_MEMORY); \
    T v = (T)SL(1);                                                   \
    memcpy(m->data + ea, &v, sizeof v);                               \
    JUMP(3);                                                          \
  }
/* effective address: an i32 address plus the static offset, in 64 bits */
#define EA(k) ((uint64_t)(uint32_t)SL(k) + OPD(2))
#define EA_K(k) ((uint64_t)(uint32_t)((uint32_t)SL(k) + OPD(3)) + OPD(2))
#define LOAD(ID, T, OW, CONV) \
  LOAD_(ID, T, OW, CONV, EA(1)) LOAD_(ID##_K, T, OW, CONV, EA_K(1)) LOAD_M_(ID, T, OW, CONV)
#define STORE(ID, T) STORE_(ID, T, EA(0)) STORE_(ID##_K, T, EA_K(0)) STORE_M_(ID, T)
#include "interp_ops.h"

  /* ---- SIMD: one handler for all, out of line (interp_simd.c) ---- */
L_SIMD: {
  const core_cell *next = core_simd_exec(fp, pc, inst);
  if (UNLIKELY(!next)) TRAP(KUMI_TRAP_OOB_MEMORY); /* the only trap of SIMD */
  pc = next;
  NEXT();
}

  /* A tail-called host function failed. An exception it passes on is
   * thrown from our caller: the tail call replaced this frame, and with it
   * this frame's handlers. */
fail_tail:
  if (UNLIKELY(err->kind == KUMI_ERR_TRAP && err->trap == KUMI_TRAP_NONE) && is_exn_error(ex, err)) {
    if (!fr[-1].fn) goto fail_exn; /* our caller is outside this run() */
    fr--;
    pc = fr->pc - 1; /* inside the call, as unwinding looks up callers */
    fp = fr->fp;
    fn = fr->fn;
    inst = fr->inst;
    mem = fr->mem;
  }
  goto fail;

trap:
  err = core_trap(s, tc);
fail:
  if (UNLIKELY(err->kind == KUMI_ERR_TRAP && err->trap == KUMI_TRAP_NONE) && is_exn_error(ex, err)) {
    /* an exception thrown through a host function: throw it on here */
    exn = ex->exn;
    ex->exn = NULL;
    kumi_error_free(err);
    err = NULL;
    goto throw_exn;
  }
fail_exn:
  GIVE_BACK();
  /* The current frame (at the faulting instruction), then its callers down
   * to this entry. A nested trap already holds the frames above us. */
  if (err->kind == KUMI_ERR_TRAP) {
    add_frame(err, fn, pc, false);
    for (core_frame *r = fr - 1; r->fn; r--) add_frame(err, r->fn, r->pc, true);
  }
  ex->depth = entry_depth;
  return err;
}

const void *const *core_interp_labels(void) {
  const void *const *labels = NULL;
  run(NULL, NULL, NULL, NULL, &labels);
  return labels;
}

static kumi_error *exec_init(kumi_store *s) {
  core_exec *x = &s->exec;
  size_t nslots = s->limits.max_stack_slots ? s->limits.max_stack_slots : (1u << 20);
  size_t nframes = (size_t)(s->limits.max_call_depth ? s->limits.max_call_depth : 10000u) + CORE_MAX_HOST_DEPTH + 2;
  x->stack = kb_alloc(s->alloc, nslots * sizeof(core_slot));
  x->frames = kb_alloc(s->alloc, nframes * sizeof(core_frame));
  if (!x->stack || !x->frames) {
    kb_free(s->alloc, x->stack, nslots * sizeof(core_slot));
    kb_free(s->alloc, x->frames, nframes * sizeof(core_frame));
    x->stack = NULL;
    x->frames = NULL;
    return kb_error_oom();
  }
  x->stack_cap = nslots;
  x->frames_cap = nframes * sizeof(core_frame);
  x->sp = 0;
  x->depth = 0;
  return NULL;
}

kumi_error *core_invoke(kumi_store *s, kumi_func *f, core_slot *slots) {
  core_exec *x = &s->exec;
  if (!x->stack) {
    kumi_error *e = exec_init(s);
    if (e) return e;
  }
  if (x->host_depth >= CORE_MAX_HOST_DEPTH || x->depth + 1 >= x->frames_cap / sizeof(core_frame))
    return core_trap(s, KUMI_TRAP_STACK_EXHAUSTED);
  kumi_error *e;
  x->host_depth++;
  if (!f->instance) {
    e = call_host(s, NULL, f, slots);
  } else {
    const struct core_compiled *c = f->compiled;
    if (!c) {
      e = kb_error(s->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "function %u has no code", f->index);
      if (!e) e = kb_error_oom();
    } else if (c->frame_slots > x->stack_cap - x->sp) {
      e = core_trap(s, KUMI_TRAP_STACK_EXHAUSTED);
    } else {
      size_t sp = x->sp;
      uint32_t depth = x->depth;
      core_slot *base = x->stack + sp;
      memcpy(base, slots, (size_t)c->nparams * sizeof *base);
      memset(base + c->nparams, 0, (size_t)c->nlocals * sizeof *base);
      x->sp = sp + c->frame_slots;
      e = run(s, c, f->instance, base, NULL);
      if (!e) memcpy(slots, base, (size_t)c->nresults * sizeof *base);
      x->sp = sp;
      x->depth = depth;
    }
  }
  x->host_depth--;
  return e;
}
