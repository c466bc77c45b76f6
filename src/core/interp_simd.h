/* The interpreter's SIMD instructions, out of line (interp_simd.c). */
#ifndef KUMI_CORE_INTERP_SIMD_H
#define KUMI_CORE_INTERP_SIMD_H

#include "compile.h"

/* Runs the SIMD instruction at pc (operand 1 names it: an enum core_iop
 * of interp_ops.h's SIMD family) in the frame fp of a function of inst.
 * Returns the next instruction, or NULL after an out-of-bounds memory
 * access, the one trap of SIMD instructions. */
const core_cell *core_simd_exec(core_slot *fp, const core_cell *pc, kumi_instance *inst);

#endif
