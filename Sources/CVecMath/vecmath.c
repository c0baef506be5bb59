// Elementwise transcendentals through glibc's libmvec AVX2 variants with runtime CPU dispatch.
// See include/vecmath.h for the contract.
#include "vecmath.h"

#include <immintrin.h>
#include <math.h>

// libmvec's 4-lane AVX2 entry points (x86_64 vector function ABI, ISA letter 'd'). They take and
// return one __m256d, so they may only be called from functions compiled for AVX2.
#define KK_AVX2 __attribute__((target("avx2")))
KK_AVX2 __m256d _ZGVdN4v_acos(__m256d);
KK_AVX2 __m256d _ZGVdN4v_asin(__m256d);
KK_AVX2 __m256d _ZGVdN4v_erf(__m256d);
KK_AVX2 __m256d _ZGVdN4v_erfc(__m256d);
KK_AVX2 __m256d _ZGVdN4v_exp(__m256d);
KK_AVX2 __m256d _ZGVdN4v_log(__m256d);

static int kk_cpu_has_avx2(void) {
    // Computed once; concurrent first callers compute the same value, stored with relaxed atomics.
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        __builtin_cpu_init();
        value = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

int kk_vec_uses_avx2(void) { return kk_cpu_has_avx2(); }

#define KK_DEFINE_VEC(name)                                                        \
    void kk_scalar_##name(size_t n, const double *in, double *out) {               \
        for (size_t i = 0; i < n; ++i) out[i] = name(in[i]);                       \
    }                                                                              \
    KK_AVX2 static void kk_avx2_##name(size_t n, const double *in, double *out) {  \
        size_t i = 0;                                                              \
        for (; i + 4 <= n; i += 4) {                                               \
            __m256d v = _mm256_loadu_pd(in + i);                                   \
            _mm256_storeu_pd(out + i, _ZGVdN4v_##name(v));                         \
        }                                                                          \
        for (; i < n; ++i) out[i] = name(in[i]);                                   \
    }                                                                              \
    void kk_vec_##name(size_t n, const double *in, double *out) {                  \
        if (n == 0) return;                                                        \
        if (kk_cpu_has_avx2()) kk_avx2_##name(n, in, out);                         \
        else kk_scalar_##name(n, in, out);                                         \
    }

KK_DEFINE_VEC(acos)
KK_DEFINE_VEC(asin)
KK_DEFINE_VEC(erf)
KK_DEFINE_VEC(erfc)
KK_DEFINE_VEC(exp)
KK_DEFINE_VEC(log)

// Two-argument atan2(y, x): out[i] = atan2(y[i], x[i]); `out` may alias `y` or `x`.
KK_AVX2 __m256d _ZGVdN4vv_atan2(__m256d, __m256d);

void kk_scalar_atan2(size_t n, const double *y, const double *x, double *out) {
    for (size_t i = 0; i < n; ++i) out[i] = atan2(y[i], x[i]);
}

KK_AVX2 static void kk_avx2_atan2(size_t n, const double *y, const double *x, double *out) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d vy = _mm256_loadu_pd(y + i), vx = _mm256_loadu_pd(x + i);
        _mm256_storeu_pd(out + i, _ZGVdN4vv_atan2(vy, vx));
    }
    for (; i < n; ++i) out[i] = atan2(y[i], x[i]);
}

void kk_vec_atan2(size_t n, const double *y, const double *x, double *out) {
    if (n == 0) return;
    if (kk_cpu_has_avx2()) kk_avx2_atan2(n, y, x, out);
    else kk_scalar_atan2(n, y, x, out);
}

// Allocator tuning for kernel computations (see kk_keep_large_allocations_on_heap in vecmath.h).
#include <malloc.h>
void kk_keep_large_allocations_on_heap(void) {
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}
