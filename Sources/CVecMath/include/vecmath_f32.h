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

/// a[:, j] = v for each of `columns` columns of height d (leading dimension d); `v` must not overlap `a`.
void kk_f32_set_columns(size_t d, size_t columns, const float *v, float *a, int allow_avx2);

/// a[:, j] += v for each of `columns` columns of height d (leading dimension d).
void kk_f32_add_to_columns(size_t d, size_t columns, const float *v, float *a, int allow_avx2);

/// Floats of scratch space that kk_f32_masked_attention needs for `context` keys of width head_dim:
/// 8·(2·head_dim + context + 2).
size_t kk_f32_attention_scratch(size_t context, size_t head_dim);

/// Multi-head attention of one dataset with the prior-data-fitted-network mask (Müller et al. 2022):
/// tokens 0 … context−1 are the context, the rest queries; a context token attends to the context, a
/// query to the context and itself. Column t of `qkv` (leading dimension ld_qkv ≥ 3d, d = heads·head_dim)
/// holds the token's query (rows 0 … d−1), key (d … 2d−1) and value (2d … 3d−1); head h uses rows
/// h·head_dim … (h+1)·head_dim − 1 of each. For t = first … tokens−1, column t − first of `out`
/// (leading dimension ld_out ≥ d) receives, in head h's rows, Σ_j p_j v_j with
/// p = softmax_j(scale · q_tᵀ k_j) over the keys j that t attends to (exp as in kk_f32_softmax_columns).
/// `scratch` holds kk_f32_attention_scratch(context, head_dim) floats; `out` must not overlap `qkv` or `scratch`.
/// Cost: 4·(tokens − first)·(context + 1)·d flops.
void kk_f32_masked_attention(size_t heads, size_t head_dim, size_t context, size_t tokens, size_t first,
                             float scale, const float *qkv, size_t ld_qkv, float *out, size_t ld_out,
                             float *scratch, int allow_avx2);
