// Calls into glibc's libmvec 4-lane AVX2 functions through the x86-64 vector function ABI.
//
// Why assembly: libmvec's _ZGVdN4v_F take and return __m256d in %ymm registers, but a C compiler
// only passes __m256d in registers when the whole translation unit is compiled with AVX enabled;
// with per-function target("avx2") attributes clang passes them in memory, so a C call "works" only
// when the right values happen to sit in %ymm0/%ymm1 (it failed for atan2 at -O0). These trampolines
// take plain pointers (System V ABI) and load/store the registers themselves, so they are correct at
// every optimisation level without compiler flags. Callers must check for AVX2 first.
//
//   kk_mvec4_F(const double *in, double *out)            out[0..3] = F(in[0..3])
//   kk_mvec4_atan2(const double *y, const double *x, double *out)
#if defined(__x86_64__) && defined(__linux__)

#define UNARY(NAME, TARGET)                                                        \
    .globl NAME;                                                                   \
    .type NAME, @function;                                                         \
NAME:                                                                              \
    pushq %rbx;                 /* keeps out; also aligns %rsp to 16 for the call */ \
    movq %rsi, %rbx;                                                               \
    vmovupd (%rdi), %ymm0;                                                         \
    call TARGET@PLT;                                                               \
    vmovupd %ymm0, (%rbx);                                                         \
    popq %rbx;                                                                     \
    vzeroupper;                                                                    \
    ret;                                                                           \
    .size NAME, .-NAME

    .text
UNARY(kk_mvec4_acos, _ZGVdN4v_acos)
UNARY(kk_mvec4_asin, _ZGVdN4v_asin)
UNARY(kk_mvec4_erf, _ZGVdN4v_erf)
UNARY(kk_mvec4_erfc, _ZGVdN4v_erfc)
UNARY(kk_mvec4_exp, _ZGVdN4v_exp)
UNARY(kk_mvec4_log, _ZGVdN4v_log)

    .globl kk_mvec4_atan2
    .type kk_mvec4_atan2, @function
kk_mvec4_atan2:
    pushq %rbx
    movq %rdx, %rbx
    vmovupd (%rdi), %ymm0
    vmovupd (%rsi), %ymm1
    call _ZGVdN4vv_atan2@PLT
    vmovupd %ymm0, (%rbx)
    popq %rbx
    vzeroupper
    ret
    .size kk_mvec4_atan2, .-kk_mvec4_atan2

#endif
    .section .note.GNU-stack,"",@progbits
