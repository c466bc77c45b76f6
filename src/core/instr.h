/* Reading one core instruction and its immediates from the binary. Shared by
 * the validator, the compiler, constant-expression evaluation and (later)
 * the text printer, so the encoding is read in exactly one place. */
#ifndef KUMI_CORE_INSTR_H
#define KUMI_CORE_INSTR_H

#include "module.h"

typedef enum core_opcode {
#define OP(id, code, name, imm, sig, align) CORE_OP_##id,
#include "opcodes.def"
#undef OP
  CORE_OP_COUNT
} core_opcode;

typedef enum core_imm_kind {
  CORE_IMM_NONE,
  CORE_IMM_BLOCK,         /* blocktype */
  CORE_IMM_LABEL,         /* label index */
  CORE_IMM_BR_TABLE,      /* vec(label) default */
  CORE_IMM_FUNC,          /* function index */
  CORE_IMM_CALL_INDIRECT, /* type index, table index */
  CORE_IMM_SELECT_T,      /* vec(valtype) */
  CORE_IMM_LOCAL,
  CORE_IMM_GLOBAL,
  CORE_IMM_TABLE,
  CORE_IMM_MEMARG,   /* align, offset (memory index when align bit 6 is set) */
  CORE_IMM_MEMIDX,   /* memory.size/grow/fill: a zero byte in 2.0, a memory index with multi-memory */
  CORE_IMM_I32,
  CORE_IMM_I64,
  CORE_IMM_F32,
  CORE_IMM_F64,
  CORE_IMM_HEAPTYPE, /* ref.null */
  CORE_IMM_DATA_MEM, /* memory.init: data index, memory */
  CORE_IMM_DATA,
  CORE_IMM_MEM_MEM,  /* memory.copy: dst memory, src memory */
  CORE_IMM_ELEM_TABLE, /* table.init: elem index, table index */
  CORE_IMM_ELEM,
  CORE_IMM_TABLE_TABLE, /* table.copy: dst table, src table */
  CORE_IMM_LANE,        /* extract/replace_lane: one lane index byte */
  CORE_IMM_MEMARG_LANE, /* v128.loadN_lane/storeN_lane: memarg, then a lane index byte */
  CORE_IMM_V128,        /* v128.const: 16 bytes */
  CORE_IMM_SHUFFLE,     /* i8x16.shuffle: 16 lane index bytes */
} core_imm_kind;

typedef struct core_opinfo {
  uint16_t code; /* byte, or prefix << 8 | sub-opcode (0xFC.., 0xFD..) */
  const char *name;
  core_imm_kind imm;
  const char *sig; /* see opcodes.def */
  uint8_t align;   /* memory instructions: log2 of the natural alignment */
} core_opinfo;
extern const core_opinfo core_opinfos[CORE_OP_COUNT];

enum { CORE_BLOCK_EMPTY, CORE_BLOCK_VALTYPE, CORE_BLOCK_TYPEIDX };

typedef struct core_instr {
  core_opcode op;
  uint32_t offset; /* byte offset of the opcode in the module */
  union {
    struct {
      uint8_t kind;  /* CORE_BLOCK_* */
      uint32_t type; /* valtype or type index */
      /* try_table only: its catch clauses (read with core_catch_next from
       * module offset catches_pos) */
      uint32_t ncatches, catches_pos;
    } block;
    uint32_t index; /* LABEL FUNC LOCAL GLOBAL TABLE MEMIDX DATA ELEM */
    struct {
      uint32_t type, table;
    } call_indirect;
    struct {
      uint32_t align; /* log2, flag bit 6 removed */
      uint32_t memory;
      uint64_t offset;
      uint8_t lane; /* MEMARG_LANE only */
    } memarg;
    uint8_t lane;      /* LANE */
    uint8_t bytes[16]; /* V128 (little-endian value), SHUFFLE (lane indices) */
    int32_t i32;
    int64_t i64;
    uint32_t f32; /* bit pattern */
    uint64_t f64; /* bit pattern */
    core_valtype heaptype;
    struct {
      uint32_t a, b; /* DATA_MEM: data, mem; MEM_MEM: dst, src;
                        ELEM_TABLE: elem, table; TABLE_TABLE: dst, src */
    } pair;
    struct {
      uint32_t count; /* targets, default not included */
      uint32_t pos;   /* module offset of the first target's LEB */
      uint32_t default_label;
    } br_table;
    struct {
      uint32_t count; /* number of types in the vector */
      core_valtype type; /* the first one */
    } select_t;
  } imm;
} core_instr;

/* Reads the instruction at bytes[*pos], stopping at end, accepting the
 * encodings of the proposals in `features` (KUMI_FEATURE_* bits; exact).
 * Advances *pos past it. Returns NULL or a KUMI_ERR_MALFORMED error
 * ("illegal opcode", "unexpected end", "integer too large", ...) with a
 * byte offset. The decoder and validator read with the module's features. */
kumi_error *core_read_instr_with(const kumi_allocator *a, const uint8_t *bytes, size_t *pos, size_t end,
                                 kumi_features features, core_instr *out);
/* The same with every proposal of CORE_FEATURES_ALL. Every feature only
 * adds encodings, so code that validated under any features reads the
 * same way here; the compiler, constant expressions and the printer read
 * with CORE_FEATURES_ENGINE (exception handling too) through
 * core_read_instr_with. */
kumi_error *core_read_instr(const kumi_allocator *a, const uint8_t *bytes, size_t *pos, size_t end, core_instr *out);

/* Iterates br_table targets of an instruction read above: start with
 * *pos = in->imm.br_table.pos and call count times. The reader has already
 * checked the encoding, so this cannot fail. */
uint32_t core_br_table_next(const uint8_t *bytes, uint32_t *pos);

/* try_table catch clauses, iterated like br_table targets. */
enum { CORE_CATCH = 0, CORE_CATCH_REF = 1, CORE_CATCH_ALL = 2, CORE_CATCH_ALL_REF = 3 };
typedef struct core_catch {
  uint8_t kind;   /* CORE_CATCH_* */
  uint32_t tag;   /* CORE_CATCH, CORE_CATCH_REF */
  uint32_t label; /* relative to the try_table's enclosing block */
} core_catch;
core_catch core_catch_next(const uint8_t *bytes, uint32_t *pos);

#endif
