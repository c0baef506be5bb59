#pragma once
// Individual GSL headers only: the gsl_sf.h umbrella, gsl_matrix.h, gsl_randist.h, gsl_eigen.h and
// gsl_multimin.h pull in gsl_cblas.h, whose enums clash with OpenBLAS's cblas.h in the same program.
// GSL is linked without -lgslcblas so that its BLAS calls resolve to OpenBLAS.
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_result.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_bessel.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>
