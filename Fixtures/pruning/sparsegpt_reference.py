"""A port of the SparseGPT authors' solver, IST-DASLab/sparsegpt
`sparsegpt.py::SparseGPT.fasterprune` (commit 5e3e2d1 era; Frantar & Alistarh, arXiv 2301.00774),
without a quantizer, in torch float32.

The control flow and arithmetic are the reference's, line for line: dead columns, damping
λ = percdamp · mean(diag H), H⁻¹ as the upper Cholesky factor U of (H + λI)⁻¹, lazy updates in
blocks of `blocksize` columns, the mask of a block chosen from the scores w² / U[j,j]² of the
block's current weights (unstructured) or of the current M columns of a group (N:M), the OBS
update of the remaining columns after each column, and the Losses sum Σ (w − q)² / U[j,j]² / 2.
Changes, each marked `# CHANGED (this project)` below:
  1. exact counts instead of the reference's threshold (`thresh = sort(s)[int(numel·sparsity)];
     mask = s <= thresh`, which prunes int(numel·sparsity) + 1 weights of every block, and more on
     ties). Two allocations:
       "layer": block [i1, i2) prunes exactly floor(R·i2·s) − floor(R·i1·s) of its R·(i2 − i1)
                weights (R = rows, s = sparsity), so the whole layer prunes floor(R·C·s), the
                smallest scores first, ties broken by the row-major flat index inside the block;
       "row":   every row prunes exactly floor(i2·s) − floor(i1·s) of its i2 − i1 weights of the
                block, so every row prunes floor(C·s), ties broken by the column;
     each floor computed in float64 as `math.floor(R * i2 * s + 1e-9)` (left to right; R = 1 for
     "row"), the 1e-9 so that a product meant to be whole (64 · 128 · 0.5) is not one below;
  2. N:M means at most N non-zeros in every M consecutive weights of a row along the input
     dimension, so M − N are pruned per group (2:4 prunes 2 of 4, 4:8 prunes 4 of 8); the
     reference's `prunen` is the number pruned, `prunen = m - n` here. The group's smallest M − N
     scores are pruned, ties broken by the lower column (a stable ascending sort instead of
     torch.topk, whose order on ties is unspecified). Groups start at every M-th column of a block,
     as in the reference; `blocksize` must be a multiple of M so that they are the M-aligned
     groups of the whole row;
  3. the function takes W and H as arguments instead of a torch layer (no Conv1D/Conv2d reshapes,
     no `mask` argument: the reference never sets one), copies both, and returns the pruned W, the
     boolean mask of the pruned positions and the Losses sum;
  4. no printing, no timing, no CUDA synchronisation.
Dead columns (H[i,i] == 0) are handled as the reference does: H[i,i] = 1 and W[:, i] = 0, so their
weights are zero in the result whether or not the mask selects them.
Used by make_fixtures.py (golden data).
"""
import math

import torch


def block_count(rows, i1, i2, sparsity):
    # CHANGED (this project): how many of a block's weights to prune, an exact count.
    return math.floor(rows * i2 * sparsity + 1e-9) - math.floor(rows * i1 * sparsity + 1e-9)


def fasterprune(W, H, sparsity, n=0, m=0, allocation="layer", blocksize=128, percdamp=0.01):
    """W (rows, columns) and H (columns, columns) float32 tensors (copied, not modified).

    Unstructured when m == 0 (`sparsity`, `allocation` "layer" or "row"); N:M when m > 0 (at most
    n non-zeros in every m consecutive weights; `sparsity` and `allocation` unused).
    """
    W = W.clone().float()
    H = H.clone().float()
    rows, columns = W.shape
    # CHANGED (this project): the reference's prunen, prunem from N:M.
    prunen, prunem = (m - n, m) if m else (0, 0)
    if prunem:
        assert 0 <= n < m and blocksize % m == 0 and columns % m == 0, (n, m, blocksize, columns)
    else:
        assert allocation in ("layer", "row"), allocation

    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0

    Losses = torch.zeros(rows)
    M = torch.zeros_like(W, dtype=torch.bool)  # CHANGED (this project): the mask, returned

    damp = percdamp * torch.mean(torch.diag(H))
    diag = torch.arange(columns)
    H[diag, diag] += damp
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)
    H = torch.linalg.cholesky(H, upper=True)
    Hinv = H

    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1

        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Losses1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]

        if prunen == 0:
            tmp = W1 ** 2 / (torch.diag(Hinv1).reshape((1, -1))) ** 2
            mask1 = torch.zeros_like(W1, dtype=torch.bool)
            if allocation == "layer":
                # CHANGED (this project): exactly k smallest of the block, ties by flat index.
                k = block_count(rows, i1, i2, sparsity)
                order = torch.argsort(tmp.flatten(), stable=True)
                mask1.view(-1)[order[:k]] = True
            else:
                # CHANGED (this project): exactly k smallest of every row, ties by column.
                k = block_count(1, i1, i2, sparsity)
                order = torch.argsort(tmp, dim=1, stable=True)
                mask1.scatter_(1, order[:, :k], True)
        else:
            mask1 = torch.zeros_like(W1) == 1

        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]

            if prunen != 0 and i % prunem == 0:
                tmp = (W1[:, i:(i + prunem)] ** 2
                       / (torch.diag(Hinv1)[i:(i + prunem)].reshape((1, -1))) ** 2)
                # CHANGED (this project): stable ascending sort instead of topk(largest=False).
                order = torch.argsort(tmp, dim=1, stable=True)
                mask1.scatter_(1, i + order[:, :prunen], True)

            q = w.clone()
            q[mask1[:, i]] = 0

            Q1[:, i] = q
            Losses1[:, i] = (w - q) ** 2 / d ** 2

            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err1

        W[:, i1:i2] = Q1
        M[:, i1:i2] = mask1
        Losses += torch.sum(Losses1, 1) / 2

        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])

    return {"W": W, "mask": M, "loss": torch.sum(Losses).item()}
