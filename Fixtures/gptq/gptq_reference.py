"""A port of the GPTQ authors' solver, IST-DASLab/gptq `gptq.py::GPTQ.fasterquant` and
`quant.py::Quantizer` (commit 2d65066 era; Frantar et al., arXiv 2210.17323), in torch float32.

The control flow and arithmetic are the reference's, line for line. Changes, each marked
`# CHANGED (this project)` below:
  1. the scale is rounded to float16 (and kept in [2^-24, 65504]) right after find_params computes
     it, before the zero point, because the GPTQ checkpoint stores F16 scales (docs/quantization.md);
  2. the zero point is clamped to [minimum_zero, maxq] (minimum_zero = 1 for asymmetric schemes, so
     the v1 "gptq" layout can store zero - 1);
  3. act-order uses a STABLE descending argsort (torch's default argsort is not stable, so ties in
     diag(H) would be ordered arbitrarily);
  4. the function takes W and H as arguments instead of a torch layer, and returns what a GPTQ
     checkpoint needs: codes, per-group scales and zeros in creation order, g_idx (the
     AutoGPTQ/GPTQModel rule, passes.md §1.2) and the Losses sum;
  5. no printing, no CUDA synchronisation.
Shared by make_fixtures.py (golden data) and bench_reference.py (timing).
"""
import torch


def quantize(x, scale, zero, maxq):
    q = torch.clamp(torch.round(x / scale) + zero, 0, maxq)
    return scale * (q - zero)


def codes_of(x, scale, zero, maxq):
    # CHANGED (this project): the integer codes behind quantize(), for the checkpoint.
    return torch.clamp(torch.round(x / scale) + zero, 0, maxq)


class Quantizer:
    """quant.py Quantizer with perchannel=True, weight=True, mse=False (the GPTQ defaults)."""

    def __init__(self, bits, sym, minimum_zero):
        self.maxq = torch.tensor(2**bits - 1)
        self.sym = sym
        self.minimum_zero = minimum_zero
        self.scale = torch.zeros(1)
        self.zero = torch.zeros(1)

    def find_params(self, x):
        x = x.flatten(1)
        tmp = torch.zeros(x.shape[0])
        xmin = torch.minimum(x.min(1)[0], tmp)
        xmax = torch.maximum(x.max(1)[0], tmp)
        if self.sym:
            xmax = torch.maximum(torch.abs(xmin), xmax)
            tmp = xmin < 0
            if torch.any(tmp):
                xmin[tmp] = -xmax[tmp]
        tmp = (xmin == 0) & (xmax == 0)
        xmin[tmp] = -1
        xmax[tmp] = +1
        self.scale = (xmax - xmin) / self.maxq
        # CHANGED (this project): F16 scale before the zero point and the codes.
        self.scale = self.scale.half().float().clamp(2.0**-24, 65504.0)
        if self.sym:
            self.zero = torch.full_like(self.scale, (self.maxq + 1) / 2)
        else:
            self.zero = torch.round(-xmin / self.scale)
        # CHANGED (this project): zero point inside [minimum_zero, maxq].
        self.zero = self.zero.clamp(float(self.minimum_zero), float(self.maxq))
        self.scale = self.scale.reshape(-1, 1)
        self.zero = self.zero.reshape(-1, 1)

    def ready(self):
        return torch.all(self.scale != 0)


def fasterquant(W, H, bits, sym, groupsize=-1, blocksize=128, percdamp=0.01, actorder=False,
                static_groups=False, minimum_zero=0):
    """W (rows, columns) and H (columns, columns) float32 tensors (copied, not modified)."""
    import copy

    W = W.clone().float()
    H = H.clone().float()
    rows, columns = W.shape
    quantizer = Quantizer(bits, sym, minimum_zero)
    created = []  # CHANGED (this project): (scale, zero) of every group, in creation order

    if not quantizer.ready():
        quantizer.find_params(W)
        if groupsize == -1:
            created.append((quantizer.scale, quantizer.zero))

    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0

    if static_groups and groupsize != -1:
        groups = []
        for i in range(0, columns, groupsize):
            q = copy.deepcopy(quantizer)
            q.find_params(W[:, i:(i + groupsize)])
            groups.append(q)
            created.append((q.scale, q.zero))

    perm = torch.arange(columns)
    if actorder:
        # CHANGED (this project): stable=True.
        perm = torch.argsort(torch.diag(H), descending=True, stable=True)
        W = W[:, perm]
        H = H[perm][:, perm]
        invperm = torch.argsort(perm)

    Losses = torch.zeros_like(W)
    Q = torch.zeros_like(W)
    C = torch.zeros_like(W)  # CHANGED (this project): the codes

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
        C1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Losses1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]

        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]

            if groupsize != -1:
                if not static_groups:
                    if (i1 + i) % groupsize == 0:
                        quantizer.find_params(W[:, (i1 + i):(i1 + i + groupsize)])
                        created.append((quantizer.scale, quantizer.zero))
                else:
                    idx = i1 + i
                    if actorder:
                        idx = perm[idx]
                    quantizer = groups[idx // groupsize]

            q = quantize(w.unsqueeze(1), quantizer.scale, quantizer.zero, quantizer.maxq).flatten()
            C1[:, i] = codes_of(w.unsqueeze(1), quantizer.scale, quantizer.zero,
                                quantizer.maxq).flatten()
            Q1[:, i] = q
            Losses1[:, i] = (w - q) ** 2 / d ** 2

            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err1

        Q[:, i1:i2] = Q1
        C[:, i1:i2] = C1
        Losses[:, i1:i2] = Losses1 / 2

        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])

    loss = torch.sum(Losses).item()
    if actorder:
        Q = Q[:, invperm]
        C = C[:, invperm]

    # g_idx: AutoGPTQ / GPTQModel rule (passes.md §1.2), indexed by original column.
    gs = groupsize if groupsize != -1 else columns
    if static_groups and actorder and groupsize != -1:
        g_idx = perm // gs
    else:
        g_idx = torch.arange(columns) // gs
    if actorder:
        g_idx = g_idx[invperm]

    scales = torch.stack([s.flatten() for s, _ in created])  # (G, rows)
    zeros = torch.stack([z.flatten() for _, z in created])
    return {"Q": Q, "codes": C, "scales": scales, "zeros": zeros, "g_idx": g_idx, "loss": loss}
