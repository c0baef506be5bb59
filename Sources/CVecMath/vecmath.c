// Elementwise transcendentals through glibc's libmvec AVX2 variants with runtime CPU dispatch.
// See include/vecmath.h for the contract.
#include "vecmath.h"

#include <math.h>

#if defined(__x86_64__) && defined(__linux__)
// libmvec's 4-lane AVX2 variants, reached through the pointer-based trampolines in
// mvec_trampolines.S (see there why they are not called from C directly).
#define KK_HAVE_MVEC 1
void kk_mvec4_acos(const double *in, double *out);
void kk_mvec4_asin(const double *in, double *out);
void kk_mvec4_erf(const double *in, double *out);
void kk_mvec4_erfc(const double *in, double *out);
void kk_mvec4_exp(const double *in, double *out);
void kk_mvec4_log(const double *in, double *out);
void kk_mvec4_atan2(const double *y, const double *x, double *out);

static int kk_cpu_has_avx2(void) {
    // Computed once; concurrent first callers compute the same value, stored with relaxed atomics.
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        __builtin_cpu_init();
        value = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}
#else
#define KK_HAVE_MVEC 0
static int kk_cpu_has_avx2(void) { return 0; }
#endif

int kk_vec_uses_avx2(void) { return kk_cpu_has_avx2(); }

// Blocks of 4 go through libmvec (in place is fine: each block is read before it is written); the
// n mod 4 tail and CPUs without AVX2 use libm.
#if KK_HAVE_MVEC
#define KK_VECTOR_BLOCKS(name)                                                     \
    if (kk_cpu_has_avx2())                                                         \
        for (; i + 4 <= n; i += 4) kk_mvec4_##name(in + i, out + i);
#else
#define KK_VECTOR_BLOCKS(name)
#endif

#define KK_DEFINE_VEC(name)                                                        \
    void kk_scalar_##name(size_t n, const double *in, double *out) {               \
        for (size_t i = 0; i < n; ++i) out[i] = name(in[i]);                       \
    }                                                                              \
    void kk_vec_##name(size_t n, const double *in, double *out) {                  \
        size_t i = 0;                                                              \
        KK_VECTOR_BLOCKS(name)                                                     \
        for (; i < n; ++i) out[i] = name(in[i]);                                   \
    }

KK_DEFINE_VEC(acos)
KK_DEFINE_VEC(asin)
KK_DEFINE_VEC(erf)
KK_DEFINE_VEC(erfc)
KK_DEFINE_VEC(exp)
KK_DEFINE_VEC(log)

// Two-argument atan2(y, x): out[i] = atan2(y[i], x[i]); `out` may alias `y` or `x`.
void kk_scalar_atan2(size_t n, const double *y, const double *x, double *out) {
    for (size_t i = 0; i < n; ++i) out[i] = atan2(y[i], x[i]);
}

void kk_vec_atan2(size_t n, const double *y, const double *x, double *out) {
    size_t i = 0;
#if KK_HAVE_MVEC
    if (kk_cpu_has_avx2())
        for (; i + 4 <= n; i += 4) kk_mvec4_atan2(y + i, x + i, out + i);
#endif
    for (; i < n; ++i) out[i] = atan2(y[i], x[i]);
}

// Allocator tuning for kernel computations (see kk_keep_large_allocations_on_heap in vecmath.h).
#include <malloc.h>
void kk_keep_large_allocations_on_heap(void) {
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}
