// CBLAS and OpenBLAS thread control (openblas_set_num_threads), from Debian's libopenblas-dev.
#ifndef AUTOSCALE_CBLAS_SHIM_H
#define AUTOSCALE_CBLAS_SHIM_H
#include <cblas.h>
#endif
