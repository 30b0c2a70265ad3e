// Forward and backward kernels for training (Sources/TensorKernels/training.c). Each backward
// sits next to its forward; shapes are row-major, n rows of `dim` values.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// y[t] = x[t] * rstd[t] * weight, rstd[t] = 1 / sqrt(mean(x[t]^2) + eps). x, y: [n][dim] (may
/// alias); rstd: [n], or NULL when not needed (inference's `tk_rms_norm`).
void tk_rms_norm_forward(const float *x, const float *weight, int n, int dim, float eps, float *y, float *rstd);
/// dx[t] += rstd·(w⊙dy) − rstd³/dim · x · Σ(w⊙dy⊙x). dy, x, dx: [n][dim]; rstd: [n] from the forward.
void tk_rms_norm_backward(const float *dy, const float *x, const float *weight, const float *rstd,
                          int n, int dim, float *dx);

/// h[i] = silu(g[i]) * u[i], silu(a) = a·σ(a). g, u, h: [count].
void tk_swiglu_forward(const float *g, const float *u, float *h, size_t count);
/// dg[i] = dh·u·σ(g)(1 + g(1 − σ(g))), du[i] = dh·silu(g). All [count]; dg, du may alias nothing.
void tk_swiglu_backward(const float *dh, const float *g, const float *u, float *dg, float *du, size_t count);

/// In place over rows t < rows of s ([rows][ld]): softmax over columns 0...t (causal), zero
/// beyond (up to `rows`).
void tk_causal_softmax(float *s, int rows, int ld);
/// Softmax backward in place: dp[t][j] = p[t][j]·(dp[t][j] − Σ_k p[t][k]·dp[t][k]) for j ≤ t,
/// 0 beyond. p, dp: [rows][ld].
void tk_causal_softmax_backward(const float *p, float *dp, int rows, int ld);
/// The same two for a block of rows: row i is query position first + i, which sees columns
/// 0...first + i; columns beyond, up to `width`, are set to 0.
void tk_causal_softmax_rows(float *s, int first, int rows, int ld, int width);
void tk_causal_softmax_backward_rows(const float *p, float *dp, int first, int rows, int ld, int width);

/// Cross-entropy of each row of logits ([n][vocab]) against labels[t] (< 0: row skipped, its
/// logits untouched). Replaces the row by its gradient (softmax − one-hot)·grad_scale; writes
/// losses[t] = logsumexp − logit[label] and correct[t] = 1 when the label is the row's argmax
/// (the first maximum), else 0.
void tk_cross_entropy(float *logits, int n, int vocab, const int32_t *labels, float grad_scale,
                      float *losses, uint8_t *correct);

/// out[i] = x[i]·keep(first + i)/(1 − p) where keep(j) is a hash of (seed, j) ≥ p·2³², so the
/// same seed drops the same positions: the backward of dropout is this same call on the gradient.
/// `first` lets threads handle parts of one tensor. x and out may alias. p in [0, 1).
void tk_dropout(const float *x, float *out, size_t count, float p, uint64_t seed, size_t first);

/// y[i] += alpha · x[i].
void tk_axpy(float *y, const float *x, size_t count, float alpha);

#ifdef __cplusplus
}
#endif
