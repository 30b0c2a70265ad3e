// The BLAS finetune calls: Accelerate on Apple platforms, OpenBLAS (Debian's libopenblas-dev)
// elsewhere. Only TensorCore/BLAS.swift imports this module.
#if defined(__APPLE__)
#define ACCELERATE_NEW_LAPACK 1
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
// OpenBLAS extensions (declared by its cblas.h too; repeated here for other BLAS headers).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
#endif
