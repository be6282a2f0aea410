# The scikit-learn side of the real-data tree tests (test/t/751, 752):
#   tree_real_data.py DIR NUMERIC_COLUMNS
# DIR holds aucs.csv (model name, our test AUC), preds.csv (model name, id,
# our prediction for each test row) and rows.csv (with a header: id,
# is_test, positive, then the features).  NUMERIC_COLUMNS names the numeric
# features (comma-separated); the others are categories.  Checks that each of
# our AUCs is roc_auc_score of our predictions, and that
# HistGradientBoostingClassifier with the settings of our boosted trees
# (100 trees of depth 3, learning rate 0.1, min_leaf 20, categories native,
# no early stopping) reaches a test AUC within 0.01 of ours.
import sys, csv, warnings
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
warnings.simplefilter("ignore")
d, numeric = sys.argv[1], set(sys.argv[2].split(","))
aucs = {r[0]: float(r[1]) for r in csv.reader(open(d + "/aucs.csv"))}
preds = pd.read_csv(d + "/preds.csv", header=None, names=["name", "id", "p"], dtype={"id": str})
df = pd.read_csv(d + "/rows.csv", keep_default_na=False, na_values=[""], dtype={"id": str})
y = (df.positive == "t").values
truth = dict(zip(df.id, y))
fail = []
for name, g in preds.groupby("name"):
    sk = roc_auc_score([truth[c] for c in g.id], g.p)
    if abs(sk - aucs[name]) > 1e-9:
        fail.append(f"crm.auc {aucs[name]} != roc_auc_score {sk} for {name}")
features = [c for c in df.columns if c not in ("id", "is_test", "positive")]
X = pd.DataFrame(index=df.index)
for c in features:
    X[c] = df[c].astype(float) if c in numeric else df[c].astype("category").cat.codes.astype(float)
cat = np.array([c not in numeric for c in features])
tr, te = (df.is_test == "f").values, (df.is_test == "t").values
hgb = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_depth=3, max_leaf_nodes=None,
                                     min_samples_leaf=20, l2_regularization=0.0, early_stopping=False,
                                     categorical_features=cat, random_state=0)
hgb.fit(X[tr], y[tr])
sk_auc = roc_auc_score(y[te], hgb.predict_proba(X[te])[:, 1])
ours = aucs["boosted trees, 100 x depth 3"]
print(f"scikit-learn HistGradientBoostingClassifier, same settings: test AUC {sk_auc:.4f} (ours {ours:.4f})")
if abs(sk_auc - ours) > 0.01:
    fail.append("boosted trees AUC differs from scikit-learn's by more than 0.01")
if fail:
    sys.exit("FAIL: " + "; ".join(fail))
