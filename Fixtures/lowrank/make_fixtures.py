#!/usr/bin/env python3
"""Golden data for Tests/CompressionTests/LowRankGoldenTests.swift (`lowRankFactorize`).

One synthetic linear, W (48, 40) = U·diag(s)·Vᵀ with random orthonormal U, V and a spectrum with
two clear steps (8 values in [3, 4], 12 in [0.5, 0.8], 20 in [0.03, 0.1]), and calibration inputs
of 4 sequences × 64 tokens (n = 4 in the H convention H = (2/n)·Σ xxᵀ):
  * X = Z·M: Z has independent columns with scales from 3 down to 0.3 and three near-dead ones
    (×1e-3), M = I + 0.6·G/√40 mixes them, so the columns of X are strongly correlated and
    H = (2/n)·XᵀX is ill-conditioned (cond ≈ 4e7) but positive definite;
  * X̃ = X·(I + 0.1·E) + small noise: the inputs of an already-compressed prefix;
    H̃ = (2/n)·X̃ᵀX̃ and C = (2/n)·XᵀX̃.
W, H, H̃ and C are rounded to float32 first (H and H̃ exactly symmetric), and every expected value
is computed in float64 from those float32 arrays, the way the Swift solver sees them:
  * "weight" (plain):          SVD of W;
  * "output" (whitened):       Hd = H + f32(δ·mean(diag H))·I, L = chol(Hd) (lower), SVD of W·L,
                               product U_r Σ_r V_rᵀ L⁻¹;
  * "shifted_output" (sequential): Hd from H̃ likewise, L = chol(Hd), SVD of W·C·L⁻ᵀ,
                               product U_r Σ_r V_rᵀ L⁻¹.
Each case stores the dense product B·A as NAME.product (float32 (48, 40)), the fitted matrix's
singular values as NAME.singular_values (float32 (40,), descending), and in the manifest
"discarded_energy" (Σ of the dropped σ²), "total_energy" (Σ σ²) and "gap_ratio" σ_{r+1}/σ_r
(< 0.9 for every case, asserted, so that the rank-r truncation and hence the product are
unique and well conditioned). "dampening" is the relative δ passed to the solver (δ·mean(diag H)
is added; the first level succeeds here) and is ignored by the plain cases.

Every array is a raw little-endian .bin file; manifest.json lists dtype, shape and file of each
(paths relative to this folder) and the cases. Deterministic (numpy only, seeded
`np.random.default_rng(0)`): `python3 make_fixtures.py` in this folder rewrites the files and
prints the gap ratios.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT, IN = 48, 40
SEQUENCES, TOKENS = 4, 64
manifest = {"arrays": {}, "cases": []}
rng = np.random.default_rng(0)


def save(name, array):
    assert array.dtype == np.float32, (name, array.dtype)
    array = np.ascontiguousarray(array)
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(array.astype("<f4").tobytes())
    manifest["arrays"][name] = {"file": name + ".bin", "dtype": "f32", "shape": list(array.shape)}
    return name


def orthonormal(rows, columns):
    q, r = np.linalg.qr(rng.standard_normal((rows, columns)))
    return q * np.sign(np.diag(r))


def symmetric_f32(a):
    return ((a + a.T) / 2).astype(np.float32)


# The layer and its inputs (float64), then the float32 arrays the solver gets.
spectrum = np.concatenate([np.geomspace(4.0, 3.0, 8), np.geomspace(0.8, 0.5, 12), np.geomspace(0.1, 0.03, 20)])
w = ((orthonormal(OUT, IN) * spectrum) @ orthonormal(IN, IN).T).astype(np.float32)
scales = np.geomspace(3.0, 0.3, IN)
scales[[5, 17, 31]] = 1e-3  # near-dead directions
z = rng.standard_normal((SEQUENCES * TOKENS, IN)) * scales
x = z @ (np.eye(IN) + 0.6 * rng.standard_normal((IN, IN)) / np.sqrt(IN))
e = rng.standard_normal((IN, IN)) / np.sqrt(IN)
x_shifted = x @ (np.eye(IN) + 0.1 * e) + 0.05 * scales.mean() * rng.standard_normal(x.shape)
h = symmetric_f32(2.0 / SEQUENCES * x.T @ x)
h_shifted = symmetric_f32(2.0 / SEQUENCES * x_shifted.T @ x_shifted)
cross = (2.0 / SEQUENCES * x.T @ x_shifted).astype(np.float32)
save("weight", w)
save("hessian", h)
save("shifted_hessian", h_shifted)
save("cross", cross)
print("cond H %.3g, cond H~ %.3g" % (np.linalg.cond(h.astype(np.float64)), np.linalg.cond(h_shifted.astype(np.float64))))


def damped_cholesky(hessian, dampening):
    """L (lower) with L·Lᵀ = H + f32(δ·mean(diag H))·I, as dampedCholesky adds it."""
    hessian = hessian.astype(np.float64)
    shift = float(np.float32(dampening * np.mean(np.diag(hessian))))
    return np.linalg.cholesky(hessian + shift * np.eye(len(hessian)))


def factorize(objective, rank, dampening):
    """(product B·A, σ of the fitted matrix) in float64, as lowRankFactorize computes them."""
    w64 = w.astype(np.float64)
    factor = None
    if objective == "weight":
        fitted = w64
    elif objective == "output":
        factor = damped_cholesky(h, dampening)
        fitted = w64 @ factor
    elif objective == "shifted_output":
        factor = damped_cholesky(h_shifted, dampening)
        fitted = np.linalg.solve(factor, (w64 @ cross.astype(np.float64)).T).T  # W·C·L⁻ᵀ
    else:
        raise ValueError(objective)
    u, sigma, vt = np.linalg.svd(fitted, full_matrices=False)
    b = u[:, :rank] * np.sqrt(sigma[:rank])
    a = np.sqrt(sigma[:rank])[:, None] * vt[:rank]
    if factor is not None:
        a = np.linalg.solve(factor.T, a.T).T  # ·L⁻¹
    return b @ a, sigma


def case(name, objective, rank, dampening=0.01):
    product, sigma = factorize(objective, rank, dampening)
    energies = sigma**2
    gap = sigma[rank] / sigma[rank - 1]
    assert gap < 0.9, (name, gap)
    assert rank * (OUT + IN) < OUT * IN  # the solver keeps the factors
    print("%-16s rank %2d  sigma_r %.4g  sigma_r+1 %.4g  gap ratio %.3f  discarded/total %.3g" % (
        name, rank, sigma[rank - 1], sigma[rank], gap, energies[rank:].sum() / energies.sum()))
    manifest["cases"].append({
        "name": name, "objective": objective, "rank": rank, "dampening": dampening,
        "product": save(name + ".product", product.astype(np.float32)),
        "singular_values": save(name + ".singular_values", sigma.astype(np.float32)),
        "discarded_energy": float(energies[rank:].sum()),
        "total_energy": float(energies.sum()),
        "gap_ratio": float(gap),
    })


case("plain_r8", "weight", 8)
case("plain_r20", "weight", 20)
case("whitened_r8", "output", 8)
case("whitened_r20", "output", 20, dampening=0.05)
case("sequential_r8", "shifted_output", 8, dampening=0.05)
case("sequential_r20", "shifted_output", 20)

with open(os.path.join(HERE, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write("\n")
