"""Reference values for the LinearAlgebra layer, from numpy and scipy (float64).

Writes Fixtures/linalg/linalg.json. Matrices are row-major nested lists.
Run: Fixtures/.venv/bin/python Fixtures/gen/linalg.py
"""
import json, os
import numpy as np
import scipy.linalg as sla

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

# Strided GEMM: operands are row-major views into bigger buffers (leading dimension > columns, offsets).
strided = []
for (m, n, k, lda, ldb, ldc, oa, ob, oc) in [(4, 3, 5, 8, 6, 7, 2, 1, 3), (2, 6, 3, 5, 9, 10, 0, 4, 1)]:
    bufA = rng.standard_normal(oa + (m - 1) * lda + k + 3)
    bufB = rng.standard_normal(ob + (k - 1) * ldb + n + 2)
    bufC = rng.standard_normal(oc + (m - 1) * ldc + n + 1)
    A = np.array([[bufA[oa + i * lda + j] for j in range(k)] for i in range(m)])
    B = np.array([[bufB[ob + i * ldb + j] for j in range(n)] for i in range(k)])
    C = np.array([[bufC[oc + i * ldc + j] for j in range(n)] for i in range(m)])
    R = bufC.copy()
    P = 0.75 * A @ B + 2.0 * C
    for i in range(m):
        for j in range(n):
            R[oc + i * ldc + j] = P[i, j]
    strided.append(dict(m=m, n=n, k=k, lda=lda, ldb=ldb, ldc=ldc, offsetA=oa, offsetB=ob, offsetC=oc,
                        alpha=0.75, beta=2.0, bufA=bufA.tolist(), bufB=bufB.tolist(), bufC=bufC.tolist(),
                        result=R.tolist()))
out["strided_gemm"] = strided

# Batched strided GEMM (attention heads): batch of (m x k) @ (n x k)^T.
batch, m, n, k = 3, 4, 5, 6
A = rng.standard_normal((batch, m, k)); B = rng.standard_normal((batch, n, k))
out["batched_gemm"] = dict(batch=batch, m=m, n=n, k=k, A=A.reshape(-1).tolist(), B=B.reshape(-1).tolist(),
                           result=np.einsum("bmk,bnk->bmn", A, B).reshape(-1).tolist())

# GEMV, level-1.
A = mat(5, 3); x = rng.standard_normal(3); xt = rng.standard_normal(5); y = rng.standard_normal(5); yt = rng.standard_normal(3)
out["gemv"] = dict(A=A.tolist(), x=x.tolist(), y=y.tolist(), alpha=2.0, beta=0.5,
                   result=(2.0 * A @ x + 0.5 * y).tolist(),
                   xT=xt.tolist(), yT=yt.tolist(), resultT=(2.0 * A.T @ xt + 0.5 * yt).tolist())
u = rng.standard_normal(9); v = rng.standard_normal(9)
out["level1"] = dict(x=u.tolist(), y=v.tolist(), dot=float(u @ v), axpy=(-1.25 * u + v).tolist(),
                     scal=(3.0 * u).tolist(), nrm2=float(np.linalg.norm(u)))

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

# QR (reduced), Cholesky, symmetric eigen, SVD, LU solve.
A = mat(6, 4)
Q, R = np.linalg.qr(A, mode="reduced")
out["qr"] = dict(A=A.tolist(), Q=Q.tolist(), R=R.tolist())
M = mat(5, 5); S = M @ M.T + 5 * np.eye(5); Bs = mat(5, 3)
out["cholesky"] = dict(A=S.tolist(), B=Bs.tolist(), U=sla.cholesky(S, lower=False).tolist(),
                       solution=sla.cho_solve(sla.cho_factor(S), Bs).tolist())
Sym = M + M.T
w, V = np.linalg.eigh(Sym)
out["eigh"] = dict(A=Sym.tolist(), values=w.tolist(), vectors=V.tolist())
A = mat(4, 7)
U, s, Vt = np.linalg.svd(A, full_matrices=False)
out["svd"] = dict(A=A.tolist(), U=U.tolist(), s=s.tolist(), Vt=Vt.tolist())
A = mat(6, 6); B = mat(6, 2)
out["solve"] = dict(A=A.tolist(), B=B.tolist(), solution=np.linalg.solve(A, B).tolist())

# Failure cases: exactly singular (gesv), indefinite (posv/potrf), rank deficient (gels).
out["singular"] = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]
out["indefinite"] = [[2.0, 1.0, 0.0], [1.0, -3.0, 1.0], [0.0, 1.0, 4.0]]
ev = np.linalg.eigvalsh(np.array(out["indefinite"]))
assert ev.min() < 0
# gels detects only an exactly zero diagonal of R, so the deficient column is exactly zero.
out["rank_deficient_tall"] = [[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]

path = os.path.join(os.path.dirname(__file__), "..", "linalg", "linalg.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
