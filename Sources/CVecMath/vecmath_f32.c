// Single-precision column kernels with run-time AVX2/FMA dispatch. See include/vecmath_f32.h.
//
// The vector versions are compiled for AVX2/FMA through per-function target attributes (the package
// passes no compiler flags) and are only called after __builtin_cpu_supports says the CPU has both.
// Vectors never cross a function boundary by value (see mvec_trampolines.S): helpers that take or
// return __m256 are always inlined into their caller, which has the same target.
#include "vecmath_f32.h"
#include "vecmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// ---------------------------------------------------------------------------------------------------
// Scalar pieces shared by the portable versions.

// erf(|z|/√2) coefficients, Abramowitz & Stegun 7.1.28.
#define KK_A1 0.0705230784f
#define KK_A2 0.0422820123f
#define KK_A3 0.0092705272f
#define KK_A4 0.0001520143f
#define KK_A5 0.0002765672f
#define KK_A6 0.0000430638f
#define KK_INV_SQRT2 0.7071067812f
// exp: x = n ln2 + r, Cody–Waite split ln2 = KK_LN2_HI + KK_LN2_LO; adding 1.5·2²³ rounds to an integer.
#define KK_LOG2E 1.44269504f
#define KK_LN2_HI 0.69314575f
#define KK_LN2_LO 1.4286068e-6f
#define KK_SHIFTER 12582912.0f

static float kk_gelu1(float v) {
    float u = fminf(fabsf(v) * KK_INV_SQRT2, 6.0f);
    float s = KK_A6 * u + KK_A5;
    s = s * u + KK_A4;
    s = s * u + KK_A3;
    s = s * u + KK_A2;
    s = s * u + KK_A1;
    s = s * u + 1.0f;
    s = s * s; s = s * s; s = s * s; s = s * s;
    return 0.5f * (v + fabsf(v) * (1.0f - 1.0f / s));
}

static float kk_exp1(float x) {
    float xc = x > -87.0f ? x : -87.0f;
    float t = xc * KK_LOG2E + KK_SHIFTER;
    float n = t - KK_SHIFTER;
    float r = (xc - n * KK_LN2_HI) - n * KK_LN2_LO;
    float p = 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t tb, sb, scale;
    float shifter = KK_SHIFTER, s;
    memcpy(&tb, &t, 4);
    memcpy(&sb, &shifter, 4);
    scale = ((tb - sb) + 127u) << 23;
    memcpy(&s, &scale, 4);
    return p * s;
}

static void kk_layer_norm_portable(size_t d, size_t columns, const float *x, const float *g,
                                   const float *b, float epsilon, float *out) {
    float inverse_d = 1.0f / (float)d;
    for (size_t j = 0; j < columns; ++j) {
        const float *xc = x + j * d;
        float *oc = out + j * d;
        float sum = 0;
        for (size_t i = 0; i < d; ++i) sum += xc[i];
        float mean = sum * inverse_d, squares = 0;
        for (size_t i = 0; i < d; ++i) { oc[i] = xc[i] - mean; squares += oc[i] * oc[i]; }
        float r = 1.0f / sqrtf(squares * inverse_d + epsilon);
        for (size_t i = 0; i < d; ++i) oc[i] = g[i] * (oc[i] * r) + b[i];
    }
}

static void kk_softmax_portable(size_t n, size_t columns, size_t ld, float *a) {
    for (size_t j = 0; j < columns; ++j) {
        float *c = a + j * ld;
        float top = c[0], sum = 0;
        for (size_t i = 1; i < n; ++i) top = c[i] > top ? c[i] : top;
        for (size_t i = 0; i < n; ++i) { c[i] = kk_exp1(c[i] - top); sum += c[i]; }
        float inverse = 1.0f / sum;
        for (size_t i = 0; i < n; ++i) c[i] *= inverse;
    }
}

// ---------------------------------------------------------------------------------------------------
// AVX2/FMA versions.

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define KK_F32_HAVE_AVX2 1
#define KK_AVX2 __attribute__((target("avx2,fma")))
#define KK_AVX2_INLINE static inline __attribute__((target("avx2,fma"), always_inline))

// The same cached CPU check as the double-precision kernels (AVX2 and FMA).
static int kk_f32_cpu_has_avx2(void) { return kk_vec_uses_avx2(); }

KK_AVX2_INLINE float kk_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

KK_AVX2_INLINE float kk_hmax8(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Lane mask selecting the first `count` (0…8) lanes.
KK_AVX2_INLINE __m256i kk_mask8(size_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

KK_AVX2_INLINE __m256 kk_exp8(__m256 x) {
    const __m256 shifter = _mm256_set1_ps(KK_SHIFTER);
    __m256 xc = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    __m256 t = _mm256_fmadd_ps(xc, _mm256_set1_ps(KK_LOG2E), shifter);
    __m256 n = _mm256_sub_ps(t, shifter);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(KK_LN2_HI), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(KK_LN2_LO), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i k = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(shifter));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

KK_AVX2_INLINE __m256 kk_gelu8(__m256 v) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 av = _mm256_andnot_ps(sign, v);
    __m256 u = _mm256_min_ps(_mm256_mul_ps(av, _mm256_set1_ps(KK_INV_SQRT2)), _mm256_set1_ps(6.0f));
    __m256 s = _mm256_fmadd_ps(_mm256_set1_ps(KK_A6), u, _mm256_set1_ps(KK_A5));
    s = _mm256_fmadd_ps(s, u, _mm256_set1_ps(KK_A4));
    s = _mm256_fmadd_ps(s, u, _mm256_set1_ps(KK_A3));
    s = _mm256_fmadd_ps(s, u, _mm256_set1_ps(KK_A2));
    s = _mm256_fmadd_ps(s, u, _mm256_set1_ps(KK_A1));
    s = _mm256_fmadd_ps(s, u, _mm256_set1_ps(1.0f));
    s = _mm256_mul_ps(s, s); s = _mm256_mul_ps(s, s); s = _mm256_mul_ps(s, s); s = _mm256_mul_ps(s, s);
    __m256 erf_abs = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(1.0f), s));
    return _mm256_mul_ps(_mm256_set1_ps(0.5f), _mm256_fmadd_ps(av, erf_abs, v));
}

KK_AVX2 static void kk_gelu_avx2(size_t n, float *z) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(z + i, kk_gelu8(_mm256_loadu_ps(z + i)));
    if (i < n) {
        __m256i mask = kk_mask8(n - i);
        _mm256_maskstore_ps(z + i, mask, kk_gelu8(_mm256_maskload_ps(z + i, mask)));
    }
}

KK_AVX2 static void kk_add_to_columns_avx2(size_t d, size_t columns, const float *v, float *a) {
    for (size_t j = 0; j < columns; ++j) {
        float *c = a + j * d;
        size_t i = 0;
        for (; i + 8 <= d; i += 8)
            _mm256_storeu_ps(c + i, _mm256_add_ps(_mm256_loadu_ps(c + i), _mm256_loadu_ps(v + i)));
        for (; i < d; ++i) c[i] += v[i];
    }
}

KK_AVX2 static void kk_layer_norm_avx2(size_t d, size_t columns, const float *x, const float *g,
                                       const float *b, float epsilon, float *out) {
    float inverse_d = 1.0f / (float)d;
    size_t whole = d & ~(size_t)7;
    __m256i tail = kk_mask8(d - whole);
    for (size_t j = 0; j < columns; ++j) {
        const float *xc = x + j * d;
        float *oc = out + j * d;
        __m256 acc = _mm256_setzero_ps();
        for (size_t i = 0; i < whole; i += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(xc + i));
        if (whole < d) acc = _mm256_add_ps(acc, _mm256_maskload_ps(xc + whole, tail));
        __m256 mean = _mm256_set1_ps(kk_hsum8(acc) * inverse_d);
        __m256 squares = _mm256_setzero_ps();
        for (size_t i = 0; i < whole; i += 8) {
            __m256 centred = _mm256_sub_ps(_mm256_loadu_ps(xc + i), mean);
            _mm256_storeu_ps(oc + i, centred);
            squares = _mm256_fmadd_ps(centred, centred, squares);
        }
        if (whole < d) {
            // Masked-off lanes load 0 and become −mean: zero them before squaring.
            __m256 centred = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(xc + whole, tail), mean),
                                           _mm256_castsi256_ps(tail));
            _mm256_maskstore_ps(oc + whole, tail, centred);
            squares = _mm256_fmadd_ps(centred, centred, squares);
        }
        __m256 r = _mm256_set1_ps(1.0f / sqrtf(kk_hsum8(squares) * inverse_d + epsilon));
        for (size_t i = 0; i < whole; i += 8) {
            __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(oc + i), r);
            _mm256_storeu_ps(oc + i, _mm256_fmadd_ps(_mm256_loadu_ps(g + i), scaled, _mm256_loadu_ps(b + i)));
        }
        for (size_t i = whole; i < d; ++i) oc[i] = g[i] * (oc[i] * _mm256_cvtss_f32(r)) + b[i];
    }
}

KK_AVX2 static void kk_softmax_avx2(size_t n, size_t columns, size_t ld, float *a) {
    size_t whole = n & ~(size_t)7;
    __m256i tail = kk_mask8(n - whole);
    const __m256 lowest = _mm256_set1_ps(-INFINITY);
    for (size_t j = 0; j < columns; ++j) {
        float *c = a + j * ld;
        __m256 top = lowest;
        for (size_t i = 0; i < whole; i += 8) top = _mm256_max_ps(top, _mm256_loadu_ps(c + i));
        if (whole < n)
            top = _mm256_max_ps(top, _mm256_blendv_ps(lowest, _mm256_maskload_ps(c + whole, tail),
                                                      _mm256_castsi256_ps(tail)));
        __m256 m = _mm256_set1_ps(kk_hmax8(top));
        __m256 sum = _mm256_setzero_ps();
        for (size_t i = 0; i < whole; i += 8) {
            __m256 e = kk_exp8(_mm256_sub_ps(_mm256_loadu_ps(c + i), m));
            _mm256_storeu_ps(c + i, e);
            sum = _mm256_add_ps(sum, e);
        }
        if (whole < n) {
            __m256 e = _mm256_and_ps(kk_exp8(_mm256_sub_ps(_mm256_maskload_ps(c + whole, tail), m)),
                                     _mm256_castsi256_ps(tail));
            _mm256_maskstore_ps(c + whole, tail, e);
            sum = _mm256_add_ps(sum, e);
        }
        __m256 inverse = _mm256_set1_ps(1.0f / kk_hsum8(sum));
        for (size_t i = 0; i < whole; i += 8) _mm256_storeu_ps(c + i, _mm256_mul_ps(_mm256_loadu_ps(c + i), inverse));
        if (whole < n)
            _mm256_maskstore_ps(c + whole, tail, _mm256_mul_ps(_mm256_maskload_ps(c + whole, tail), inverse));
    }
}
#else
#define KK_F32_HAVE_AVX2 0
static int kk_f32_cpu_has_avx2(void) { return 0; }
#endif

// ---------------------------------------------------------------------------------------------------
// Dispatch.

int kk_f32_uses_avx2(void) { return kk_f32_cpu_has_avx2(); }

void kk_f32_layer_norm_columns(size_t d, size_t columns, const float *x, const float *gain,
                               const float *bias, float epsilon, float *out, int allow_avx2) {
    if (d == 0 || columns == 0) return;
#if KK_F32_HAVE_AVX2
    if (allow_avx2 && kk_f32_cpu_has_avx2()) { kk_layer_norm_avx2(d, columns, x, gain, bias, epsilon, out); return; }
#endif
    kk_layer_norm_portable(d, columns, x, gain, bias, epsilon, out);
}

void kk_f32_gelu(size_t n, float *z, int allow_avx2) {
    if (n == 0) return;
#if KK_F32_HAVE_AVX2
    if (allow_avx2 && kk_f32_cpu_has_avx2()) { kk_gelu_avx2(n, z); return; }
#endif
    for (size_t i = 0; i < n; ++i) z[i] = kk_gelu1(z[i]);
}

void kk_f32_softmax_columns(size_t n, size_t columns, size_t ld, float *a, int allow_avx2) {
    if (n == 0 || columns == 0) return;
#if KK_F32_HAVE_AVX2
    if (allow_avx2 && kk_f32_cpu_has_avx2()) { kk_softmax_avx2(n, columns, ld, a); return; }
#endif
    kk_softmax_portable(n, columns, ld, a);
}

void kk_f32_add_to_columns(size_t d, size_t columns, const float *v, float *a, int allow_avx2) {
    if (d == 0 || columns == 0) return;
#if KK_F32_HAVE_AVX2
    if (allow_avx2 && kk_f32_cpu_has_avx2()) { kk_add_to_columns_avx2(d, columns, v, a); return; }
#endif
    for (size_t j = 0; j < columns; ++j)
        for (size_t i = 0; i < d; ++i) a[j * d + i] += v[i];
}
