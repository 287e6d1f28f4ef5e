// Times row-major cblas_sgemm on the shapes given on stdin, one per line: "TA TB M N K beta" (TA, TB: N or T),
// and prints each one's best time of 5 rounds of at least 10 ms and its GFLOP/s. Not part of `make bench`
// (its *.sh only): a probe for comparing BLAS libraries and operand layouts on the step's own shapes
// (Docs/engine.md, "What bounds the step"). Build against either library and run on one pinned core:
//   gcc -O2 -o sgemm_openblas sgemm_shapes.c -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas
//   gcc -O2 -o sgemm_blis sgemm_shapes.c -I/usr/include/x86_64-linux-gnu/blis-serial \
//     -L/usr/lib/x86_64-linux-gnu/blis-serial -Wl,-rpath,/usr/lib/x86_64-linux-gnu/blis-serial -lblis  # libblis-serial-dev
//   OPENBLAS_NUM_THREADS=1 taskset -c 0 ./sgemm_openblas < lm_head_shapes.txt
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(){char ta,tb;int M,N,K;float beta;
 while(scanf(" %c %c %d %d %d %f",&ta,&tb,&M,&N,&K,&beta)==6){
  float*A=malloc(sizeof(float)*M*K),*B=malloc(sizeof(float)*K*N),*C=malloc(sizeof(float)*M*N);
  for(long i=0;i<(long)M*K;i++)A[i]=(i%7)*0.01f; for(long i=0;i<(long)K*N;i++)B[i]=(i%5)*0.01f; for(long i=0;i<(long)M*N;i++)C[i]=0;
  int lda= ta=='T'? M:K, ldb= tb=='T'? K:N;
  double best=1e30;
  for(int r=0;r<5;r++){int reps=0;double t0=now(),t;
   do{cblas_sgemm(CblasRowMajor,ta=='T'?CblasTrans:CblasNoTrans,tb=='T'?CblasTrans:CblasNoTrans,M,N,K,1.0f,A,lda,B,ldb,beta,C,N);reps++;t=now()-t0;}while(t<0.01);
   if(t/reps<best)best=t/reps;}
  printf("%c%c %5dx%5dx%5d beta=%g  %8.1f us  %6.1f GFLOP/s\n",ta,tb,M,N,K,beta,best*1e6,2.0*M*N*K/best/1e9);
  free(A);free(B);free(C);}
}
