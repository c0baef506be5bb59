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

static void kk_attention_portable(size_t heads, size_t dh, size_t nc, size_t tokens, size_t first, float scale,
                                  const float *qkv, size_t ld, float *out, size_t ld_out, float *e) {
    size_t d = heads * dh;
    for (size_t h = 0; h < heads; ++h) {
        for (size_t t = first; t < tokens; ++t) {
            const float *q = qkv + t * ld + h * dh;
            size_t keys = nc + (t >= nc);  // the context, and the query itself
            float top = -INFINITY, sum = 0;
            for (size_t i = 0; i < keys; ++i) {
                const float *k = qkv + (i < nc ? i : t) * ld + d + h * dh;
                float s = 0;
                for (size_t r = 0; r < dh; ++r) s += k[r] * (scale * q[r]);
                e[i] = s;
                top = s > top ? s : top;
            }
            for (size_t i = 0; i < keys; ++i) { e[i] = kk_exp1(e[i] - top); sum += e[i]; }
            float inverse = 1.0f / sum;
            float *o = out + (t - first) * ld_out + h * dh;
            for (size_t r = 0; r < dh; ++r) {
                float acc = 0;
                for (size_t i = 0; i < keys; ++i) acc += e[i] * qkv[(i < nc ? i : t) * ld + 2 * d + h * dh + r];
                o[r] = acc * inverse;
            }
        }
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

KK_AVX2 static void kk_set_columns_avx2(size_t d, size_t columns, const float *v, float *a) {
    size_t whole = d & ~(size_t)7;
    for (size_t j = 0; j < columns; ++j) {
        float *c = a + j * d;
        for (size_t i = 0; i < whole; i += 8) _mm256_storeu_ps(c + i, _mm256_loadu_ps(v + i));
        for (size_t i = whole; i < d; ++i) c[i] = v[i];
    }
}

// In-register transpose of an 8 × 8 block: r[i] lane j ↔ r[j] lane i.
KK_AVX2_INLINE void kk_transpose8(__m256 *r) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20); r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20); r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31); r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31); r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Sum of each of eight vectors, as the lanes of one vector (lane c = horizontal sum of v[c]).
KK_AVX2_INLINE __m256 kk_hsum8x8(__m256 *v) {
    kk_transpose8(v);
    return _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(v[0], v[1]), _mm256_add_ps(v[2], v[3])),
                         _mm256_add_ps(_mm256_add_ps(v[4], v[5]), _mm256_add_ps(v[6], v[7])));
}

// Layer norm, eight columns at a time when d is a multiple of 8 (the eight columns' reductions run
// side by side and finish with one transpose instead of sixteen horizontal sums), otherwise and for
// the leftover columns one at a time.
KK_AVX2 static void kk_layer_norm_avx2(size_t d, size_t columns, const float *x, const float *g,
                                       const float *b, float epsilon, float *out) {
    float inverse_d = 1.0f / (float)d;
    size_t whole = d & ~(size_t)7;
    __m256i tail = kk_mask8(d - whole);
    size_t j = 0;
    if (whole == d) {
        float mean[8], scale[8];
        __m256 acc[8];
        for (; j + 8 <= columns; j += 8) {
            const float *x8 = x + j * d;
            float *o8 = out + j * d;
            for (size_t c = 0; c < 8; ++c) {
                __m256 a = _mm256_setzero_ps();
                for (size_t i = 0; i < d; i += 8) a = _mm256_add_ps(a, _mm256_loadu_ps(x8 + c * d + i));
                acc[c] = a;
            }
            _mm256_storeu_ps(mean, _mm256_mul_ps(kk_hsum8x8(acc), _mm256_set1_ps(inverse_d)));
            for (size_t c = 0; c < 8; ++c) {
                __m256 m = _mm256_broadcast_ss(mean + c), a = _mm256_setzero_ps();
                for (size_t i = 0; i < d; i += 8) {
                    __m256 centred = _mm256_sub_ps(_mm256_loadu_ps(x8 + c * d + i), m);
                    a = _mm256_fmadd_ps(centred, centred, a);
                }
                acc[c] = a;
            }
            __m256 variance = _mm256_fmadd_ps(kk_hsum8x8(acc), _mm256_set1_ps(inverse_d), _mm256_set1_ps(epsilon));
            _mm256_storeu_ps(scale, _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_sqrt_ps(variance)));
            for (size_t c = 0; c < 8; ++c) {
                __m256 m = _mm256_broadcast_ss(mean + c), r = _mm256_broadcast_ss(scale + c);
                for (size_t i = 0; i < d; i += 8) {
                    __m256 scaled = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x8 + c * d + i), m), r);
                    _mm256_storeu_ps(o8 + c * d + i, _mm256_fmadd_ps(_mm256_loadu_ps(g + i), scaled, _mm256_loadu_ps(b + i)));
                }
            }
        }
    }
    for (; j < columns; ++j) {
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
// tile[8r + ℓ] = scale · src[t_ℓ · ld + r] for r < dh, t_ℓ = min(ℓ, count − 1): eight columns of
// height dh transposed into dh rows of eight lanes, 8 × 8 blocks in registers, leftover rows scalar.
KK_AVX2_INLINE void kk_gather_tile8(const float *src, size_t ld, size_t count, size_t dh, __m256 scale, float *tile) {
    __m256 r[8];
    size_t rb = 0;
    for (; rb + 8 <= dh; rb += 8) {
        for (size_t l = 0; l < 8; ++l) r[l] = _mm256_loadu_ps(src + (l < count ? l : count - 1) * ld + rb);
        kk_transpose8(r);
        for (size_t i = 0; i < 8; ++i) _mm256_storeu_ps(tile + 8 * (rb + i), _mm256_mul_ps(r[i], scale));
    }
    float s = _mm256_cvtss_f32(scale);
    for (; rb < dh; ++rb)
        for (size_t l = 0; l < 8; ++l) tile[8 * rb + l] = s * src[(l < count ? l : count - 1) * ld + rb];
}

// acc[i] = Σ_k a[i·stride_i + k·stride_k] · b[k·stride_b …] (a vector of 8 lanes) for i < count ≤ 8:
// `count` broadcast-FMA chains over k, eight at a time when count = 8 (enough independent chains to
// hide the FMA latency), else four and then one (with two partial sums).
KK_AVX2_INLINE void kk_broadcast_fma8(size_t count, size_t inner, const float *a, size_t stride_i, size_t stride_k,
                                      const float *b, size_t stride_b, __m256 *acc) {
    size_t i = 0;
    if (count == 8) {
        __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        const float *ak = a;
        for (size_t k = 0; k < inner; ++k, ak += stride_k) {
            __m256 bk = _mm256_loadu_ps(b + stride_b * k);
            c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak), bk, c0);
            c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + stride_i), bk, c1);
            c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + 2 * stride_i), bk, c2);
            c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + 3 * stride_i), bk, c3);
            c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + 4 * stride_i), bk, c4);
            c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + 5 * stride_i), bk, c5);
            c6 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + 6 * stride_i), bk, c6);
            c7 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + 7 * stride_i), bk, c7);
        }
        acc[0] = c0; acc[1] = c1; acc[2] = c2; acc[3] = c3; acc[4] = c4; acc[5] = c5; acc[6] = c6; acc[7] = c7;
        return;
    }
    if (count >= 4) {
        __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
        const float *ak = a;
        for (size_t k = 0; k < inner; ++k, ak += stride_k) {
            __m256 bk = _mm256_loadu_ps(b + stride_b * k);
            c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak), bk, c0);
            c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + stride_i), bk, c1);
            c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + 2 * stride_i), bk, c2);
            c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + 3 * stride_i), bk, c3);
        }
        acc[0] = c0; acc[1] = c1; acc[2] = c2; acc[3] = c3;
        i = 4;
    }
    for (; i < count; ++i) {
        __m256 c0 = _mm256_setzero_ps(), c1 = c0;
        const float *ak = a + i * stride_i;
        size_t k = 0;
        for (; k + 2 <= inner; k += 2, ak += 2 * stride_k) {
            c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak), _mm256_loadu_ps(b + stride_b * k), c0);
            c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + stride_k), _mm256_loadu_ps(b + stride_b * (k + 1)), c1);
        }
        if (k < inner) c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak), _mm256_loadu_ps(b + stride_b * k), c0);
        acc[i] = _mm256_add_ps(c0, c1);
    }
}

// Masked attention (see the header), eight tokens at a time (lane ℓ = token t0 + ℓ; a last block of
// fewer than eight tokens repeats its last token in the spare lanes of the score tiles). Per head and
// block: the tokens' scaled queries (and, for query tokens, keys) are transposed into dh × 8 tiles;
// the scores against the context are broadcast-FMAs of the keys (read in place) with the query tile,
// so the softmax runs lane-wise without horizontal reductions; then each token's output is a
// broadcast-FMA of its softmax numerators with the value columns (read in place), scaled by 1/Σ.
KK_AVX2 static void kk_attention_avx2(size_t heads, size_t dh, size_t nc, size_t tokens, size_t first, float scale,
                                      const float *qkv, size_t ld, float *out, size_t ld_out, float *scratch) {
    size_t d = heads * dh;
    float *qt = scratch, *kt = qt + 8 * dh, *weights = kt + 8 * dh, *e = weights + 16;
    const __m256 lowest = _mm256_set1_ps(-INFINITY), lanes = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 scale8 = _mm256_set1_ps(scale), one = _mm256_set1_ps(1.0f);
    __m256 acc[8];
    for (size_t h = 0; h < heads; ++h) {
        const float *keys = qkv + d + h * dh, *values = qkv + 2 * d + h * dh;
        for (size_t t0 = first; t0 < tokens; t0 += 8) {
            size_t count = tokens - t0 < 8 ? tokens - t0 : 8;
            int any_query = t0 + count > nc;
            kk_gather_tile8(qkv + t0 * ld + h * dh, ld, count, dh, scale8, qt);
            if (any_query) kk_gather_tile8(keys + t0 * ld, ld, count, dh, one, kt);
            // Scores against the context keys: e[8j + ℓ] = Σ_r k_j[r] · scale q_ℓ[r]; running maximum.
            __m256 top = lowest;
            for (size_t j = 0; j < nc; j += 8) {
                size_t n = nc - j < 8 ? nc - j : 8;
                kk_broadcast_fma8(n, dh, keys + j * ld, ld, 1, qt, 8, acc);
                for (size_t i = 0; i < n; ++i) { _mm256_storeu_ps(e + 8 * (j + i), acc[i]); top = _mm256_max_ps(top, acc[i]); }
            }
            // A query lane's score against its own key (−∞ in context lanes).
            __m256 is_query = _mm256_cmp_ps(_mm256_add_ps(lanes, _mm256_set1_ps((float)t0)), _mm256_set1_ps((float)nc), _CMP_GE_OQ);
            __m256 self = lowest;
            if (any_query) {
                __m256 s0 = _mm256_setzero_ps(), s1 = s0;
                size_t r = 0;
                for (; r + 2 <= dh; r += 2) {
                    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(kt + 8 * r), _mm256_loadu_ps(qt + 8 * r), s0);
                    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(kt + 8 * r + 8), _mm256_loadu_ps(qt + 8 * r + 8), s1);
                }
                if (r < dh) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(kt + 8 * r), _mm256_loadu_ps(qt + 8 * r), s0);
                self = _mm256_blendv_ps(lowest, _mm256_add_ps(s0, s1), is_query);
                top = _mm256_max_ps(top, self);
            }
            // Softmax numerators and their sum, lane-wise.
            __m256 sum = _mm256_setzero_ps();
            for (size_t j = 0; j < nc; ++j) {
                __m256 x = kk_exp8(_mm256_sub_ps(_mm256_loadu_ps(e + 8 * j), top));
                _mm256_storeu_ps(e + 8 * j, x);
                sum = _mm256_add_ps(sum, x);
            }
            __m256 eself = _mm256_and_ps(kk_exp8(_mm256_sub_ps(self, top)), is_query);
            const __m256 inverse = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(sum, eself));
            // Output of token ℓ: o_ℓ = (Σ_j e_j[ℓ] v_j + e_self[ℓ] v_ℓ) / Σ[ℓ], eight rows at a time as
            // broadcast-FMAs over the value columns (in place), one accumulator per token; leftover
            // rows (d_h not a multiple of 8) by scalar sums.
            _mm256_storeu_ps(weights, eself);
            _mm256_storeu_ps(weights + 8, inverse);
            float *o = out + (t0 - first) * ld_out + h * dh;
            size_t r = 0;
            for (; r + 8 <= dh; r += 8) {
                kk_broadcast_fma8(count, nc, e, 1, 8, values + r, ld, acc);
                for (size_t l = 0; l < count; ++l) {
                    __m256 x = acc[l];
                    if (t0 + l >= nc)
                        x = _mm256_fmadd_ps(_mm256_broadcast_ss(weights + l), _mm256_loadu_ps(values + (t0 + l) * ld + r), x);
                    _mm256_storeu_ps(o + l * ld_out + r, _mm256_mul_ps(x, _mm256_broadcast_ss(weights + 8 + l)));
                }
            }
            for (; r < dh; ++r) {
                for (size_t l = 0; l < count; ++l) {
                    float x = t0 + l >= nc ? weights[l] * values[(t0 + l) * ld + r] : 0;
                    for (size_t j = 0; j < nc; ++j) x += e[8 * j + l] * values[j * ld + r];
                    o[l * ld_out + r] = x * weights[8 + l];
                }
            }
        }
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

size_t kk_f32_attention_scratch(size_t context, size_t head_dim) { return 8 * (2 * head_dim + context + 2); }

void kk_f32_masked_attention(size_t heads, size_t head_dim, size_t context, size_t tokens, size_t first,
                             float scale, const float *qkv, size_t ld_qkv, float *out, size_t ld_out,
                             float *scratch, int allow_avx2) {
    if (heads == 0 || head_dim == 0 || first >= tokens) return;
#if KK_F32_HAVE_AVX2
    if (allow_avx2 && kk_f32_cpu_has_avx2()) {
        kk_attention_avx2(heads, head_dim, context, tokens, first, scale, qkv, ld_qkv, out, ld_out, scratch);
        return;
    }
#endif
    kk_attention_portable(heads, head_dim, context, tokens, first, scale, qkv, ld_qkv, out, ld_out, scratch);
}

void kk_f32_set_columns(size_t d, size_t columns, const float *v, float *a, int allow_avx2) {
    if (d == 0 || columns == 0) return;
#if KK_F32_HAVE_AVX2
    if (allow_avx2 && kk_f32_cpu_has_avx2()) { kk_set_columns_avx2(d, columns, v, a); return; }
#endif
    for (size_t j = 0; j < columns; ++j) memcpy(a + j * d, v, d * sizeof(float));
}
