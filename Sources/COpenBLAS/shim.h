// OpenBLAS's CBLAS interface plus the Fortran LAPACK routines the toolkit calls.
// Debian's OpenBLAS exports LAPACK with the Fortran calling convention but ships no LAPACKE,
// so the prototypes are declared here: every argument by pointer, column-major matrices,
// and hidden string-length arguments omitted (all character arguments are single letters).
#pragma once
#include <cblas.h>

/// Cholesky factorization of a symmetric positive-definite matrix.
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
/// Inverse of a symmetric positive-definite matrix from its Cholesky factor.
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
/// Inverse of a triangular matrix.
void strtri_(const char *uplo, const char *diag, const int *n, float *a, const int *lda, int *info);
/// Singular value decomposition, divide and conquer.
void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s,
             float *u, const int *ldu, float *vt, const int *ldvt, float *work, const int *lwork,
             int *iwork, int *info);
/// Eigenvalues and eigenvectors of a symmetric matrix, divide and conquer.
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info);
