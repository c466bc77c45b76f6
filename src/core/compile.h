/* The interpreter's internal code: what core_module_compile (compile.c)
 * makes of a validated function body and what the interpreter (interp.c)
 * runs.
 *
 * Code is an array of 8-byte cells. An instruction is a handler cell (the
 * address of its label in the interpreter, for direct-threaded dispatch)
 * followed by its 32-bit operands packed two per cell, operand k in
 * cell 1 + k/2, half k%2; a few instructions put a 64-bit immediate or a
 * pointer in a cell of its own. Operands name frame slots directly: a frame
 * is [params, locals, a slot that is always zero, operand stack], and the
 * value at operand stack height h always lives at a fixed slot (the
 * slots of the values below it, after the zero slot), so there is no stack
 * pointer at run time. A v128 takes two consecutive slots (as a local, an
 * operand, a parameter or a result); everything else one. Branch offsets count
 * cells from the start of the branching instruction. */
#ifndef KUMI_CORE_COMPILE_H
#define KUMI_CORE_COMPILE_H

#include "runtime.h"

typedef union core_cell {
  const void *h;
  uint32_t u[2];
  uint64_t u64;
  const struct core_compiled *fn;
} core_cell;

/* Cells taken by an instruction with n 32-bit operands. */
#define CORE_CELLS(n) (1u + ((n) + 1u) / 2u)

#define CORE_IF_0(...)
#define CORE_IF_1(...) __VA_ARGS__
#define CORE_IF32_32(...) __VA_ARGS__
#define CORE_IF32_64(...)

/* Internal opcodes, from interp_ops.h. 0 is no instruction. */
enum core_iop {
  CORE_IOP_NONE_ = 0,
#define OP(ID) CORE_IOP_##ID,
#define UN(ID, IW, OW, EXPR) CORE_IOP_##ID,
#define BIN(ID, IW, OW, EXPR, K, C) CORE_IOP_##ID, CORE_IF_##K(CORE_IOP_##ID##_K, )
#define CMPI(ID, IW, EXPR, NOT, SWAP)                                                  \
  CORE_IOP_##ID, CORE_IOP_##ID##_K, CORE_IOP_BR_##ID, CORE_IOP_BR_##ID##_K,              \
      CORE_IF32_##IW(CORE_IOP_ADDK_BR_##ID, CORE_IOP_ADDK_BR_##ID##_K, CORE_IOP_ADD_BR_##ID, \
                     CORE_IOP_ADD_BR_##ID##_K, )
#define CMPF(ID, IW, EXPR) CORE_IOP_##ID, CORE_IOP_BR_##ID, CORE_IOP_BRN_##ID,
#define TUN(ID, IW, OW, FN) CORE_IOP_##ID,
#define TBIN(ID, IW, OW, FN) CORE_IOP_##ID,
#define LOAD(ID, T, OW, CONV) CORE_IOP_##ID, CORE_IOP_##ID##_K, CORE_IOP_##ID##_M,
#define STORE(ID, T) CORE_IOP_##ID, CORE_IOP_##ID##_K, CORE_IOP_##ID##_M,
#define SIMD(ID) CORE_IOP_##ID,
#include "interp_ops.h"
  CORE_IOP_COUNT
};

/* Maps a position in the code (cell index) to the byte offset in the
 * module of the wasm instruction it came from. Kept only for instructions
 * that can trap or call, sorted by pc. */
typedef struct core_line {
  uint32_t pc, offset;
} core_line;

/* One catch clause of a try_table: while pc is in [start, end), an
 * exception whose tag is the instance's tag `tag` (any, for
 * CORE_HANDLER_ALL) is caught: its payload (nslots slots) goes to frame
 * slots dest.., then with `ref` the exnref, and execution goes on at `pad`
 * (a branch to the catch label). A function's handlers are ordered
 * innermost try_table first, clauses in their order, so the first that
 * matches is the one the spec picks. */
#define CORE_HANDLER_ALL UINT32_MAX
typedef struct core_handler {
  uint32_t start, end, pad, dest;
  uint32_t tag;
  uint32_t nslots;
  bool ref;
} core_handler;

/* One translated function. Lives in its module's arena. */
struct core_compiled {
  const core_cell *code;
  uint32_t ncells;
  uint32_t func_index; /* in the module's function index space */
  uint32_t nparams, nresults; /* in slots (a v128 takes two) */
  uint32_t nlocals; /* slots a call zeroes after the params: locals and the zero slot */
  /* Slots the frame needs: params, locals and the deepest operand stack
   * (including results of calls made from it). */
  uint32_t frame_slots;
  const core_module *module;
  const core_line *lines;
  uint32_t nlines;
  const core_handler *handlers; /* try_table catch clauses, see core_handler */
  uint32_t nhandlers;
};

/* The handler address of every internal opcode, indexed by enum core_iop.
 * A constant table inside the interpreter. */
const void *const *core_interp_labels(void);

/* The wasm byte offset of the instruction at cell pc of fn (the last line
 * at or before pc), or 0 if none. */
uint32_t core_compiled_offset(const struct core_compiled *fn, uint32_t pc);

#endif
