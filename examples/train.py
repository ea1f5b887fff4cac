"""Train a small real scikit-learn model for the quickstart demo.

    python examples/train.py OUT.pkl METRICS.json [--c 1.0] [--noise 0.0]

Uses the breast-cancer data set that ships inside scikit-learn (no download). ``--noise``
flips a share of the training labels, to make a deliberately worse model.
"""

from __future__ import annotations

import argparse
import json
import pickle

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("metrics")
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--noise", type=float, default=0.0)
    args = parser.parse_args()

    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0)
    rng = np.random.default_rng(0)
    flip = rng.random(len(y_train)) < args.noise
    y_train = np.where(flip, 1 - y_train, y_train)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=args.c, max_iter=2000))
    model.fit(x_train, y_train)
    predicted = model.predict(x_test)
    metrics = {
        "accuracy": round(float(accuracy_score(y_test, predicted)), 4),
        "f1": round(float(f1_score(y_test, predicted)), 4),
    }
    with open(args.out, "wb") as fh:
        pickle.dump(model, fh)
    with open(args.metrics, "w") as fh:
        json.dump(metrics, fh)
    print(f"trained {args.out}: {metrics}")


if __name__ == "__main__":
    main()
