"""Per-kernel fixtures for the Transformer engine (Fixtures/engine/kernels.json).

Every kernel's forward output and input/parameter gradients, computed by PyTorch autograd in float64
on small random inputs, so a failing Swift test points at one kernel:
layernorm, linear (Conv1D [in,out] and nn.Linear [out,in] layouts), gelu (tanh and erf),
attention (causal; bidirectional with a key padding mask; head_dim 3, not a power of two),
softmax cross-entropy (ignore_index -100, mean over counted rows), embedding (+ positions + types).
"""
import json, os
import torch
import torch.nn.functional as Fn

torch.manual_seed(1234)
torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "engine", "kernels.json")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def rnd(*shape, scale=1.0):
    # float32-representable inputs, so the Swift Float kernels see exactly the same numbers
    return (torch.randn(*shape) * scale).float().double().requires_grad_(True)


fx = {}

# LayerNorm (N=5, C=7)
x, w, b = rnd(5, 7, scale=2.0), rnd(7), rnd(7)
dout = rnd(5, 7)
y = Fn.layer_norm(x, (7,), w, b, eps=1e-5)
y.backward(dout)
fx["layernorm"] = dict(N=5, C=7, eps=1e-5, x=flat(x), w=flat(w), b=flat(b), dout=flat(dout), out=flat(y),
                       dx=flat(x.grad), dw=flat(w.grad), db=flat(b.grad))

# Linear, Conv1D layout W [IC, OC]: y = x W + b ; nn.Linear layout W [OC, IC]: y = x W^T + b
for name, transposed in (("linear_conv1d", False), ("linear_nn", True)):
    N, IC, OC = 4, 6, 5
    x = rnd(N, IC)
    W = rnd(OC, IC) if transposed else rnd(IC, OC)
    bb = rnd(OC)
    dout = rnd(N, OC)
    y = x @ (W.t() if transposed else W) + bb
    y.backward(dout)
    fx[name] = dict(N=N, IC=IC, OC=OC, x=flat(x), w=flat(W), b=flat(bb), dout=flat(dout), out=flat(y),
                    dx=flat(x.grad), dw=flat(W.grad), db=flat(bb.grad))

# GELU, tanh ("gelu_new") and exact erf ("gelu")
for name, approx in (("gelu_tanh", "tanh"), ("gelu_erf", "none")):
    x = rnd(41, scale=3.0)
    with torch.no_grad():
        x[0] = -12.0; x[1] = 12.0; x[2] = 0.0
    dout = rnd(41)
    y = Fn.gelu(x, approximate=approx)
    y.backward(dout)
    fx[name] = dict(count=41, x=flat(x), dout=flat(dout), out=flat(y), dx=flat(x.grad))

# Attention on fused qkv (B,T,3C), H heads, head_dim = C/H = 3
def attention(qkv, B, T, C, H, causal, mask):
    q, k, v = qkv.split(C, dim=2)
    sh = lambda t: t.view(B, T, H, C // H).transpose(1, 2)
    am = None
    if mask is not None:
        am = mask.bool()[:, None, None, :].expand(B, H, T, T)
    o = Fn.scaled_dot_product_attention(sh(q), sh(k), sh(v), attn_mask=am, is_causal=causal)
    return o.transpose(1, 2).reshape(B, T, C)

for name, causal in (("attention_causal", True), ("attention_padded", False)):
    B, T, C, H = 2, 5, 6, 2
    qkv = rnd(B, T, 3 * C, scale=1.5)
    mask = None if causal else torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    dout = rnd(B, T, C)
    y = attention(qkv, B, T, C, H, causal, mask)
    y.backward(dout)
    d = dict(B=B, T=T, C=C, H=H, qkv=flat(qkv), dout=flat(dout), out=flat(y), dqkv=flat(qkv.grad))
    if mask is not None:
        d["mask"] = [int(v) for v in mask.reshape(-1).tolist()]
    fx[name] = d

# Softmax + cross-entropy with ignore_index -100 (mean over counted rows)
N, V = 6, 11
z = rnd(N, V, scale=3.0)
targets = torch.tensor([3, -100, 0, 10, -100, 7])
loss = Fn.cross_entropy(z, targets, ignore_index=-100)
loss.backward()
fx["cross_entropy"] = dict(N=N, V=V, logits=flat(z), targets=targets.tolist(), loss=float(loss.detach()), dlogits=flat(z.grad))

# Embedding: out[b,t] = wte[ids] + wpe[t] + wtt[types]
B, T, C, Vv, P, Y = 2, 3, 4, 7, 5, 2
wte, wpe, wtt = rnd(Vv, C), rnd(P, C), rnd(Y, C)
ids = torch.tensor([[1, 6, 1], [0, 3, 6]])
types = torch.tensor([[0, 0, 1], [1, 1, 0]])
dout = rnd(B, T, C)
y = wte[ids] + wpe[torch.arange(T)][None] + wtt[types]
y.backward(dout)
fx["embedding"] = dict(B=B, T=T, C=C, V=Vv, P=P, types_n=Y, ids=ids.reshape(-1).tolist(), types=types.reshape(-1).tolist(),
                       wte=flat(wte), wpe=flat(wpe), wtt=flat(wtt), dout=flat(dout), out=flat(y),
                       dwte=flat(wte.grad), dwpe=flat(wpe.grad), dwtt=flat(wtt.grad))

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(fx, f)
print("wrote", OUT)
