// LAPACKE from Debian's liblapacke-dev (Debian's OpenBLAS ships LAPACK but not LAPACKE).
// C99 `_Complex` types do not import into Swift, so the complex element types are replaced
// by layout-compatible structs (Fortran COMPLEX / COMPLEX*16) before lapacke.h is read.
#ifndef AUTOSCALE_LAPACKE_SHIM_H
#define AUTOSCALE_LAPACKE_SHIM_H
typedef struct { float real; float imag; } autoscale_complex_float;
typedef struct { double real; double imag; } autoscale_complex_double;
#define LAPACK_COMPLEX_CUSTOM 1
#define lapack_complex_float autoscale_complex_float
#define lapack_complex_double autoscale_complex_double
#define lapack_complex_float_real(z) ((z).real)
#define lapack_complex_float_imag(z) ((z).imag)
#define lapack_complex_double_real(z) ((z).real)
#define lapack_complex_double_imag(z) ((z).imag)
#include <lapacke.h>
#endif
