// zlib (Debian's zlib1g-dev): gzip/DEFLATE decompression for the dictd `.dict.dz` files and gzipped man pages.
#ifndef AUTOSCALE_CZLIB_SHIM_H
#define AUTOSCALE_CZLIB_SHIM_H
#include <zlib.h>
#endif
