#!/usr/bin/python3
"""Brute-force baseline of test/bench/similarity.sh: the k nearest neighbours
of every customer with scipy's sparse matrix product, A A^T row block by row
block (exact, the same ties rule as crm.nearest_neighbors), then a vectorised
top k per row.  Reads "customer,item,weight" CSV on stdin; prints
"load_ms compute_ms rows checksum" where compute_ms excludes reading the input."""
import sys
import time

import numpy as np
import scipy.sparse as sp

k = int(sys.argv[1])
metric = sys.argv[2]
t0 = time.perf_counter()
raw = np.loadtxt(sys.stdin, delimiter=',', dtype=str, ndmin=2)
t1 = time.perf_counter()
cust, ci = np.unique(raw[:, 0], return_inverse=True)     # sorted keys: ties by key
items, ii = np.unique(raw[:, 1], return_inverse=True)
w = raw[:, 2].astype(np.float64)
a = sp.csr_matrix((w, (ci, ii)), shape=(len(cust), len(items)))   # repeated pairs add
a.sum_duplicates()
a.eliminate_zeros()
if metric == 'cosine':
    norms = np.sqrt(np.asarray(a.multiply(a).sum(axis=1)).ravel())
    a = sp.diags(1.0 / norms) @ a
else:
    a.data[:] = 1.0
sizes = np.diff(a.indptr).astype(np.float64)
at = a.T.tocsr()
rows_out = 0
checksum = 0.0
block = 1000
for start in range(0, a.shape[0], block):
    stop = min(start + block, a.shape[0])
    c = a[start:stop] @ at
    c.setdiag(0.0, k=start)                 # never the customer itself
    for j in range(stop - start):
        lo, hi = c.indptr[j], c.indptr[j + 1]
        col, val = c.indices[lo:hi], c.data[lo:hi]
        if metric == 'jaccard':
            val = val / (sizes[start + j] + sizes[col] - val)
        keep = val > 0
        col, val = col[keep], val[keep]
        if len(val) > k:                   # candidates: all values >= the k-th largest
            kth = np.partition(val, len(val) - k)[len(val) - k]
            sel = val >= kth
            col, val = col[sel], val[sel]
        order = np.lexsort((col, -val))[:k]  # similarity desc, then key asc
        rows_out += len(order)
        checksum += float(val[order].sum())
t2 = time.perf_counter()
print('%.1f %.1f %d %.6f' % ((t1 - t0) * 1000, (t2 - t1) * 1000, rows_out, checksum))
