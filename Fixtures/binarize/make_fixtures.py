#!/usr/bin/env python3
"""Golden data for Tests/CompressionTests/BinarizationGoldenTests.swift (`binarize`,
`fitBinarizationResidual`).

One synthetic linear, W (37, 45) (odd widths on purpose: the last byte of each packed row holds 5
signs and 3 zero padding bits), row r = offset_r + scale_r·(z_r + L_r):
  * z = ±1 (fair coin) + 0.15·normal: weights that binarize well, so that the binarization
    residual is small noise plus what the signs cannot hold;
  * L = U·diag(5, 4.5, 4, 3.5)·Vᵀ (random orthonormal U (37, 4), V (45, 4)): a rank-4 component
    that the signs mostly do not absorb, so the residual R = W − W_b has a clear step after its
    4th singular value (σ₅/σ₄ < 0.9 asserted for both residual fits: the rank-4 truncation, and
    hence the product, is unique and well conditioned);
  * scale_r in [0.04, 0.12] (geometric, shuffled) and offset_r = 0.5·scale_r·normal: rows with
    different scales and nonzero means;
  * one tie at the salient cutoff: the weight ranked 167th by w² (the first not salient at
    fraction 0.1, ⌊1665·0.1⌋ = 166 salient) is set to minus the one ranked 166th, so the two have
    the same w² and the earlier one (row-major) must be the salient one;
  * one exact half on a salient grid: a salient weight inside its row's range is moved (by less
    than two grid steps) to minimum + (k + ½)·step, k even, exactly representable, so its code is
    k + 1 with Swift's ties-away rounding and would be k with numpy's half-to-even.
Calibration inputs of 4 sequences × 64 tokens (n = 4 in H = (2/n)·Σ xxᵀ): X = Z·M, Z with
independent columns of scales 2 down to 0.5, M = I + 0.6·G/√45 mixes them (correlated columns,
cond(H) ≈ 1.6e2, positive definite). W and H are rounded to float32 first (H exactly symmetric);
every expected value is computed from those float32 arrays the way the Swift solver sees them.

Binarization (no feedback, no Hessian), replicating `BinaryGrid` and `BinaryLinear` exactly:
  * per row (scale "row"; scale "matrix": the same over all weights, one α and one μ):
    mean = Double mean of the float32 weights (sequential sum, as Swift's reduce),
    μ = f16(f32(mean)), spread = Double mean of |Double(w) − Double(μ)|, α = f16(f32(spread));
    the sums run over the non-salient weights only;
  * sign flag = (w ≥ μ) in float32 (salient positions: flag 0); value μ + α or μ − α in float32;
  * salient weights (fraction f, no Hessian): the ⌊rows·cols·f + 1e-9⌋ largest float32 w², ties
    to the earlier row-major position; per row, minimum = f16(min), step = f16(f32((max −
    minimum)/255)) in float32; code = clamp(round-half-away-from-zero((w − minimum)/step), 0, 255)
    (Swift's `Float.rounded()`, not numpy's half-to-even; step 0 gives code 0); value =
    minimum + f32(code)·step in float32. A row without salient weights has minimum = step = 0;
  * bits: np.packbits(flags, axis=1, bitorder="little"), ⌈45/8⌉ = 6 bytes per row;
  * loss = Σ Double(f32((w − q)·(w − q))) in row-major order.
Cases (each NAME.bits u8 (37, 6), NAME.alpha and NAME.mu f32 (37) or (1), NAME.decoded f32 (37, 45),
"loss" in the manifest):
  * "plain_row":    scale row;
  * "plain_matrix": scale matrix;
  * "salient_row":  scale row, salient fraction 0.1, also NAME.salient_mask u8 (37, 45) (1 where
                    salient), NAME.salient_minimum and NAME.salient_step f32 (37) and NAME.codes u8
                    (37, 45) (the code at salient positions, 0 elsewhere).
Residual fits of the "plain_row" binarization ("base"), rank 4, in float64 from R = W − decoded
(float32 subtraction, as the solver forms it):
  * "residual_svd_r4" (objective "weight"): truncated SVD of R;
  * "residual_whitened_r4" (objective "output", δ = 0.01): Hd = H + f32(δ·mean(diag H))·I,
    L = chol(Hd) (lower), SVD of R·L, product U_r Σ_r V_rᵀ L⁻¹.
Each stores NAME.product (the float32 dense B·A, (37, 45)) and NAME.dense (f32(decoded + B·A), the
expected `dense()` before the solver's F16 rounding of the factors), and in the manifest
"gap_ratio" σ₅/σ₄, "discarded_energy" (Σ of the dropped σ²) and "total_energy" of the fitted
matrix, and "f16_effect": max |B̃Ã − BA| / max |BA| for the golden factors B = U_r√Σ_r,
A = √Σ_r V_rᵀ(L⁻¹) rounded to F16 (B̃, Ã), the error the stored factors make by design. The script
also replays the solver in float32 (float32 SVD, factors rounded to F16, float32 product and sum)
and prints how far that lands from NAME.dense, relative to max |BA|.

Every array is a raw little-endian .bin file; manifest.json lists dtype (f32 or u8), shape and file
of each (paths relative to this folder) and the cases. Deterministic (numpy only, seeded
`np.random.default_rng(0)`): `python3 make_fixtures.py` in this folder rewrites the files and
prints the gap ratios and the F16 effects.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT, IN = 37, 45
SEQUENCES, TOKENS = 4, 64
RANK = 4
SALIENT_FRACTION = 0.1
manifest = {"arrays": {}, "cases": []}
rng = np.random.default_rng(0)


def save(name, array):
    dtype = {np.dtype(np.float32): ("f32", "<f4"), np.dtype(np.uint8): ("u8", "u1")}[array.dtype]
    array = np.ascontiguousarray(array)
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(array.astype(dtype[1]).tobytes())
    manifest["arrays"][name] = {"file": name + ".bin", "dtype": dtype[0], "shape": list(array.shape)}
    return name


def orthonormal(rows, columns):
    q, r = np.linalg.qr(rng.standard_normal((rows, columns)))
    return q * np.sign(np.diag(r))


def symmetric_f32(a):
    return ((a + a.T) / 2).astype(np.float32)


def f16(x):
    """The nearest F16 value (ties to even) of a float32, as a float32 (`roundedToHalf`)."""
    return np.float32(np.float16(np.float32(x)))


def round_half_away(x):
    """Swift's `Float.rounded()` (to nearest, ties away from zero), exact for float32 x."""
    x = np.float64(x)
    return np.float32(np.sign(x) * np.floor(np.abs(x) + 0.5))


# The layer and its inputs (float64), then the float32 arrays the solver gets.
row_scale = np.geomspace(0.04, 0.12, OUT)
rng.shuffle(row_scale)
row_offset = 0.5 * row_scale * rng.standard_normal(OUT)
low_rank = (orthonormal(OUT, RANK) * np.array([5.0, 4.5, 4.0, 3.5])) @ orthonormal(IN, RANK).T
z = np.where(rng.random((OUT, IN)) < 0.5, -1.0, 1.0) + 0.15 * rng.standard_normal((OUT, IN))
w = ((z + low_rank) * row_scale[:, None] + row_offset[:, None]).astype(np.float32)
# The tie at the salient cutoff: the 167th largest w² becomes the 166th's.
salient_count = int(np.floor(OUT * IN * SALIENT_FRACTION + 1e-9))
order = np.argsort(-(w * w).ravel(), kind="stable")
last_in, first_out = order[salient_count - 1], order[salient_count]
w.ravel()[first_out] = -w.ravel()[last_in]
tie = (int(min(last_in, first_out)), int(max(last_in, first_out)))
scales = np.geomspace(2.0, 0.5, IN)
x = (rng.standard_normal((SEQUENCES * TOKENS, IN)) * scales) @ (np.eye(IN) + 0.6 * rng.standard_normal((IN, IN)) / np.sqrt(IN))
h = symmetric_f32(2.0 / SEQUENCES * x.T @ x)


def sequential_mean(values):
    """Σ/count in Double, summed left to right like Swift's `reduce`."""
    total = 0.0
    for v in values:
        total += float(v)
    return total / len(values)


def fit(values):
    """(α, μ) of a set of float32 weights, as `BinaryGrid.fit`."""
    if len(values) == 0:
        return np.float32(0), np.float32(0)
    mean = sequential_mean(values)
    mu = f16(mean)
    spread = sequential_mean([abs(float(v) - float(mu)) for v in values])
    alpha = f16(spread)
    # The goldens do not hinge on the summation order: numpy's pairwise sums give the same.
    assert mu == f16(np.mean(values.astype(np.float64)))
    assert alpha == f16(np.mean(np.abs(values.astype(np.float64) - float(mu))))
    return alpha, mu


def choose_salient(fraction):
    """(R, C) flags: the ⌊R·C·f + 1e-9⌋ largest float32 w², ties to the earlier position."""
    count = int(np.floor(OUT * IN * fraction + 1e-9))
    scores = -(w * w)  # float32, as chooseSalient's −(x·x)/1
    chosen = np.argsort(scores.ravel(), kind="stable")[:count]
    mask = np.zeros(OUT * IN, dtype=bool)
    mask[chosen] = True
    return mask.reshape(OUT, IN)


def binarize(scale, salient_fraction):
    """The flags, α, μ, decoded values, loss and salient grid of `binarize` without feedback."""
    salient = choose_salient(salient_fraction) if salient_fraction > 0 else np.zeros((OUT, IN), dtype=bool)
    if scale == "row":
        pairs = [fit(w[r][~salient[r]]) for r in range(OUT)]
        alpha = np.array([p[0] for p in pairs], dtype=np.float32)
        mu = np.array([p[1] for p in pairs], dtype=np.float32)
    else:
        a, m = fit(w[~salient])
        alpha, mu = np.array([a], dtype=np.float32), np.array([m], dtype=np.float32)
    minimum = np.zeros(OUT, dtype=np.float32)
    step = np.zeros(OUT, dtype=np.float32)
    for r in range(OUT):
        values = w[r][salient[r]]
        if len(values) == 0:
            continue
        minimum[r] = f16(values.min())
        step[r] = f16(np.float32(values.max() - minimum[r]) / np.float32(255))
    flags = np.zeros((OUT, IN), dtype=bool)
    codes = np.zeros((OUT, IN), dtype=np.uint8)
    decoded = np.zeros((OUT, IN), dtype=np.float32)
    loss = 0.0
    for r in range(OUT):
        a, m = (alpha[0], mu[0]) if len(alpha) == 1 else (alpha[r], mu[r])
        for c in range(IN):
            value = w[r, c]
            if salient[r, c]:
                d, low = step[r], minimum[r]
                code = 0
                if d > 0:
                    code = int(min(np.float32(255), max(np.float32(0), round_half_away(np.float32(value - low) / d))))
                codes[r, c] = code
                q = np.float32(low + np.float32(np.float32(code) * d))
            else:
                flags[r, c] = value >= m
                q = np.float32(m + a) if flags[r, c] else np.float32(m - a)
            decoded[r, c] = q
            e = np.float32(value - q)
            loss += float(np.float32(e * e))
    bits = np.packbits(flags, axis=1, bitorder="little")
    assert bits.shape == (OUT, (IN + 7) // 8)
    return dict(flags=flags, bits=bits, alpha=alpha, mu=mu, decoded=decoded, loss=loss,
                salient=salient, codes=codes, minimum=minimum, step=step)


def salient_grid(values):
    """(minimum, step) of one row's salient weights, float32."""
    minimum = f16(values.min())
    return minimum, f16(np.float32(values.max() - minimum) / np.float32(255))


# One exact half on a salient grid: a salient weight strictly inside its row's range, far above
# the cutoff, is moved (by less than two steps) to minimum + (k + ½)·step with k even, so that
# (w − minimum)/step is exactly k + ½ in float32: ties away from zero give k + 1, numpy's
# half-to-even would give k. The salient set, the grids and the tie above do not change.
mask = choose_salient(SALIENT_FRACTION)
cutoff = np.sort((w * w).ravel())[::-1][salient_count - 1]
half_row = int(np.argmax(mask.sum(axis=1)))
minimum, step = salient_grid(w[half_row][mask[half_row]])
candidates = [c for c in np.flatnonzero(mask[half_row])
              if w[half_row].min() < w[half_row, c] < w[half_row][mask[half_row]].max() and w[half_row, c] ** 2 > 1.2 * cutoff]
half_column = int(candidates[0])
k = 2 * int(np.floor(np.float32(w[half_row, half_column] - minimum) / step / 2))
target = float(minimum) + (k + 0.5) * float(step)
assert float(np.float32(target)) == target
w[half_row, half_column] = np.float32(target)
assert np.float32(w[half_row, half_column] - minimum) / step == np.float32(k + 0.5)
assert (choose_salient(SALIENT_FRACTION) == mask).all()
assert salient_grid(w[half_row][mask[half_row]]) == (minimum, step)
half = (half_row, half_column, k + 1)

save("weight", w)
save("hessian", h)
assert np.all(np.linalg.eigvalsh(h.astype(np.float64)) > 0)
print("cond H %.3g; salient tie at row-major positions %d (salient) and %d; exact half at (%d, %d), code %d" % (
    np.linalg.cond(h.astype(np.float64)), *tie, *half))

results = {}


def binarization_case(name, scale, salient_fraction=0.0):
    b = binarize(scale, salient_fraction)
    results[name] = b
    entry = {
        "name": name, "scale": scale, "salient_fraction": salient_fraction,
        "bits": save(name + ".bits", b["bits"]),
        "alpha": save(name + ".alpha", b["alpha"]),
        "mu": save(name + ".mu", b["mu"]),
        "decoded": save(name + ".decoded", b["decoded"]),
        "loss": b["loss"],
    }
    line = "%-13s loss %.6g, %d positive signs" % (name, b["loss"], b["flags"].sum())
    if salient_fraction > 0:
        s = b["salient"]
        per_row = s.sum(axis=1)
        assert s.ravel()[tie[0]] and not s.ravel()[tie[1]]
        assert b["codes"][half[0], half[1]] == half[2]
        entry.update({
            "salient_mask": save(name + ".salient_mask", s.astype(np.uint8)),
            "salient_minimum": save(name + ".salient_minimum", b["minimum"]),
            "salient_step": save(name + ".salient_step", b["step"]),
            "codes": save(name + ".codes", b["codes"]),
        })
        line += "; %d salient, per row %d..%d, %d rows without, %d with one; codes 0: %d, 255: %d" % (
            s.sum(), per_row.min(), per_row.max(), (per_row == 0).sum(), (per_row == 1).sum(),
            (b["codes"][s] == 0).sum(), (b["codes"][s] == 255).sum())
    print(line)
    manifest["cases"].append(entry)


def damped_cholesky(hessian, dampening):
    """L (lower) with L·Lᵀ = H + f32(δ·mean(diag H))·I, as dampedCholesky adds it."""
    hessian = hessian.astype(np.float64)
    shift = float(np.float32(dampening * np.mean(np.diag(hessian))))
    return np.linalg.cholesky(hessian + shift * np.eye(len(hessian)))


def factors(residual, objective, dampening, dtype):
    """(B, A, σ) of the rank-RANK fit of `residual` in `dtype`, as lowRankFactorize computes them."""
    residual = residual.astype(dtype)
    factor = None
    fitted = residual
    if objective == "output":
        factor = damped_cholesky(h, dampening).astype(dtype)
        fitted = residual @ factor
    u, sigma, vt = np.linalg.svd(fitted, full_matrices=False)
    roots = np.sqrt(sigma[:RANK])
    b = u[:, :RANK] * roots
    a = roots[:, None] * vt[:RANK]
    if factor is not None:
        a = np.linalg.solve(factor.T, a.T).T  # ·L⁻¹
    return b.astype(dtype), a.astype(dtype), sigma


def residual_case(name, objective, dampening=0.01, base="plain_row"):
    decoded = results[base]["decoded"]
    residual = w - decoded  # float32, as the solver forms it
    b, a, sigma = factors(residual, objective, dampening, np.float64)
    product = b @ a
    dense = (decoded.astype(np.float64) + product).astype(np.float32)
    gap = sigma[RANK] / sigma[RANK - 1]
    assert gap < 0.9, (name, gap)
    assert RANK * (OUT + IN) < OUT * IN  # the solver keeps the factors
    energies = sigma**2
    largest = np.abs(product).max()
    # What storing the factors in F16 does to the product, by design.
    b16, a16 = f16(b).astype(np.float64), f16(a).astype(np.float64)
    f16_effect = np.abs(b16 @ a16 - product).max() / largest
    # A float32 replay of the solver: float32 SVD (and Cholesky, solve), F16 factors, float32
    # product added to the decoded signs in float32.
    b32, a32, _ = factors(residual, objective, dampening, np.float32)
    replay = decoded + (f16(b32) @ f16(a32)).astype(np.float32)
    replay_error = np.abs(replay.astype(np.float64) - dense).max() / largest
    # A worst-case bound of the F16 rounding (|δ| ≤ 2⁻¹¹ per factor entry).
    u = 2.0**-11
    bound = (2 * u + u * u) * (np.abs(b) @ np.abs(a)).max() / largest
    print("%-21s rank %d  sigma_4 %.4g  sigma_5 %.4g  gap ratio %.3f  discarded/total %.3g  max|BA| %.4g  "
          "F16 effect %.3g  float32 replay %.3g  bound %.3g" % (
              name, RANK, sigma[RANK - 1], sigma[RANK], gap, energies[RANK:].sum() / energies.sum(), largest,
              f16_effect, replay_error, bound))
    manifest["cases"].append({
        "name": name, "scale": "row", "salient_fraction": 0.0, "base": base,
        "objective": objective, "rank": RANK, "dampening": dampening,
        "product": save(name + ".product", product.astype(np.float32)),
        "dense": save(name + ".dense", dense),
        "gap_ratio": float(gap),
        "discarded_energy": float(energies[RANK:].sum()),
        "total_energy": float(energies.sum()),
        "f16_effect": float(f16_effect),
    })


binarization_case("plain_row", "row")
binarization_case("plain_matrix", "matrix")
binarization_case("salient_row", "row", SALIENT_FRACTION)
residual_case("residual_svd_r4", "weight")
residual_case("residual_whitened_r4", "output")

with open(os.path.join(HERE, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write("\n")
