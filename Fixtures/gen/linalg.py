"""Reference values for the LinearAlgebra layer, from numpy (float64).

Writes Fixtures/linalg/linalg.json. Matrices are row-major nested lists.
Run: Fixtures/.venv/bin/python Fixtures/gen/linalg.py
"""
import json, os
import numpy as np

rng = np.random.default_rng(20261123)
out = {}

def mat(m, n):
    return rng.standard_normal((m, n))

# GEMM: C = alpha op(A) op(B) + beta C, all transpose combinations, odd shapes.
gemm = []
for (m, n, k) in [(3, 5, 4), (7, 2, 9), (1, 6, 3), (17, 13, 11)]:
    for ta in (False, True):
        for tb in (False, True):
            A = mat(k, m) if ta else mat(m, k)
            B = mat(n, k) if tb else mat(k, n)
            C = mat(m, n)
            alpha, beta = 1.5, -0.5
            R = alpha * (A.T if ta else A) @ (B.T if tb else B) + beta * C
            gemm.append(dict(m=m, n=n, k=k, transA=ta, transB=tb, alpha=alpha, beta=beta,
                             A=A.tolist(), B=B.tolist(), C=C.tolist(), result=R.tolist()))
out["gemm"] = gemm

# Batched strided GEMM (attention heads): batch of (m x k) @ (n x k)^T.
batch, m, n, k = 3, 4, 5, 6
A = rng.standard_normal((batch, m, k)); B = rng.standard_normal((batch, n, k))
out["batched_gemm"] = dict(batch=batch, m=m, n=n, k=k, A=A.reshape(-1).tolist(), B=B.reshape(-1).tolist(),
                           result=np.einsum("bmk,bnk->bmn", A, B).reshape(-1).tolist())

# Least squares: full rank overdetermined, rank deficient, underdetermined (minimum-norm solutions).
def lstsq_case(A, B):
    X, res, rank, sv = np.linalg.lstsq(A, B, rcond=None)
    R = A @ X - B
    return dict(A=A.tolist(), B=B.tolist(), solution=X.tolist(), rank=int(rank), singularValues=sv.tolist(),
                residuals=(R ** 2).sum(axis=0).tolist())
A1 = mat(8, 3); B1 = mat(8, 2)
base = mat(7, 2); A2 = np.column_stack([base[:, 0], base[:, 1], base[:, 0] + 2 * base[:, 1], mat(7, 1)[:, 0]])  # rank 3 of 4
B2 = mat(7, 1)
A3 = mat(3, 5); B3 = mat(3, 2)
out["lstsq"] = dict(full=lstsq_case(A1, B1), deficient=lstsq_case(A2, B2), underdetermined=lstsq_case(A3, B3))

# SVD.
A = mat(4, 7)
U, s, Vt = np.linalg.svd(A, full_matrices=False)
out["svd"] = dict(A=A.tolist(), U=U.tolist(), s=s.tolist(), Vt=Vt.tolist())

# Failure case: rank deficient (gels).
# gels detects only an exactly zero diagonal of R, so the deficient column is exactly zero.
out["rank_deficient_tall"] = [[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]

path = os.path.join(os.path.dirname(__file__), "..", "linalg", "linalg.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
