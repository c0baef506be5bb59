#pragma once
// Vectorised elementwise transcendental functions over double arrays.
//
// Each kk_vec_F(n, in, out) sets out[i] = F(in[i]) for 0 <= i < n. `in` and `out` may be the same
// array (in place); otherwise they must not overlap. With n == 0 neither pointer is read.
// On CPUs with AVX2 the bulk runs through glibc's libmvec 4-lane variants (_ZGVdN4v_F, measured
// within a few ulp of libm); the remaining n mod 4 elements, and every element on CPUs without AVX2,
// use the scalar libm function.
#include <stddef.h>

void kk_vec_acos(size_t n, const double *in, double *out);
void kk_vec_asin(size_t n, const double *in, double *out);
void kk_vec_erf(size_t n, const double *in, double *out);
void kk_vec_erfc(size_t n, const double *in, double *out);
void kk_vec_exp(size_t n, const double *in, double *out);
void kk_vec_log(size_t n, const double *in, double *out);

/// Scalar-only versions (libm for every element): the reference the vector paths are tested against,
/// and the fallback on CPUs without AVX2.
void kk_scalar_acos(size_t n, const double *in, double *out);
void kk_scalar_asin(size_t n, const double *in, double *out);
void kk_scalar_erf(size_t n, const double *in, double *out);
void kk_scalar_erfc(size_t n, const double *in, double *out);
void kk_scalar_exp(size_t n, const double *in, double *out);
void kk_scalar_log(size_t n, const double *in, double *out);

/// out[i] = atan2(y[i], x[i]) ∈ [−π, π]; `out` may alias `y` or `x`. libmvec's 4-lane variant with
/// AVX2, scalar libm otherwise.
void kk_vec_atan2(size_t n, const double *y, const double *x, double *out);
void kk_scalar_atan2(size_t n, const double *y, const double *x, double *out);

/// 1 when the running CPU supports AVX2 (so the libmvec paths are used), else 0.
int kk_vec_uses_avx2(void);

/// glibc malloc serves blocks above 128 KiB from fresh mmaps and unmaps them on free, so code that
/// allocates many n×n temporaries page-faults on every allocation. This raises the mmap threshold
/// to 32 MiB and the trim threshold to 256 MiB for the process.
void kk_keep_large_allocations_on_heap(void);
