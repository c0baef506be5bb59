#pragma once
// Single-precision column kernels for transformer inference (KernelKitPFN's Float32 forward pass).
//
// Matrices are column-major: column j of an r-row block with leading dimension ld starts at
// a + j * ld. Each function has two implementations with the same arithmetic recipe: 8-lane AVX2/FMA
// (chosen at run time when the CPU supports AVX2 and FMA and `allow_avx2` is non-zero) and plain C
// (otherwise). The two differ only by rounding (FMA contractions, summation order): a few Float ulps.
// Pointer arguments only; with a zero count no pointer is read.
#include <stddef.h>

/// 1 when the running CPU supports AVX2 and FMA (so `allow_avx2 = 1` selects the vector code), else 0.
int kk_f32_uses_avx2(void);

/// Layer normalisation of each of `columns` columns of height d (contiguous, leading dimension d):
/// out[:, j] = gain ⊙ (x_j − mean_j) / sqrt(var_j + epsilon) + bias, var the biased variance, computed
/// in two passes. `out` must not overlap `x`.
void kk_f32_layer_norm_columns(size_t d, size_t columns, const float *x, const float *gain,
                               const float *bias, float epsilon, float *out, int allow_avx2);

/// GELU in place, z <- ½ (z + |z| erf(|z|/√2)), erf by Abramowitz & Stegun 7.1.28 (|error| ≤ 3e-7).
void kk_f32_gelu(size_t n, float *z, int allow_avx2);

/// Softmax of each of `columns` columns of n ≥ 1 finite entries (leading dimension ld ≥ n), in place:
/// a[i, j] <- e^{a[i, j] − m_j} / Σ_i e^{a[i, j] − m_j}, m_j the column maximum. exp by a Cody–Waite
/// reduction and a degree-6 Taylor polynomial (relative error ≤ 4e-7 on [−87, 0]; below −87 the
/// result is ≈ 1e-38).
void kk_f32_softmax_columns(size_t n, size_t columns, size_t ld, float *a, int allow_avx2);

/// a[:, j] += v for each of `columns` columns of height d (leading dimension d).
void kk_f32_add_to_columns(size_t d, size_t columns, const float *v, float *a, int allow_avx2);
