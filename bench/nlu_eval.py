"""NLU evaluation on a held-out split of our own training data.

Splits data/nlu.yml (80/20, fixed seed, stratified by intent) with `rasa data split nlu`, trains
an NLU-only model on the 80 % with config.yml, evaluates on the 20 % with `rasa test nlu` and
prints intent and entity precision / recall / F1 (weighted averages). Exit code 1 when the intent
F1 is below --min-intent-f1 (default 0.95).

    .venv/bin/python bench/nlu_eval.py [--seed 7] [--fraction 0.8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rasa_bin() -> str:
    engine_py = subprocess.run(["bash", "scripts/engine_env.sh"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return str(Path(engine_py).parent / "rasa")


def run(cmd: list[str]) -> None:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd[:3])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fraction", type=float, default=0.8)
    parser.add_argument("--min-intent-f1", type=float, default=0.95)
    args = parser.parse_args()
    rasa = rasa_bin()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        run([rasa, "data", "split", "nlu", "-u", "data/nlu.yml", "--training-fraction",
             str(args.fraction), "--random-seed", str(args.seed), "--out", str(tmpdir / "split")])
        train = next((tmpdir / "split").glob("training_data*"))
        test = next((tmpdir / "split").glob("test_data*"))
        started = time.monotonic()
        run([rasa, "train", "nlu", "-c", "config.yml", "-u", str(train), "--out",
             str(tmpdir / "models"), "--fixed-model-name", "nlu"])
        train_s = time.monotonic() - started
        run([rasa, "test", "nlu", "-u", str(test), "-m", str(tmpdir / "models/nlu.tar.gz"),
             "--out", str(tmpdir / "results")])
        intents = json.loads((tmpdir / "results/intent_report.json").read_text())
        errors_file = tmpdir / "results/intent_errors.json"
        errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
        entity_file = tmpdir / "results/DIETClassifier_report.json"
        entities = json.loads(entity_file.read_text()) if entity_file.exists() else {}
        n_test = sum(v.get("support", 0) for k, v in intents.items()
                     if isinstance(v, dict) and k not in ("accuracy", "macro avg", "weighted avg",
                                                          "micro avg"))
    intent_avg = intents["weighted avg"]
    print(f"held-out split: {n_test} test examples ({1 - args.fraction:.0%}), seed {args.seed}; "
          f"NLU training {train_s:.0f} s")
    print(f"intent  precision {intent_avg['precision']:.3f}  recall {intent_avg['recall']:.3f}  "
          f"F1 {intent_avg['f1-score']:.3f}  (accuracy {intents.get('accuracy', 0):.3f})")
    ent_avg = entities.get("weighted avg") or entities.get("micro avg")
    if ent_avg:
        print(f"entity  precision {ent_avg['precision']:.3f}  recall {ent_avg['recall']:.3f}  "
              f"F1 {ent_avg['f1-score']:.3f}")
    else:
        print("entity  (no entities in the test split)")
    weak = sorted((v["f1-score"], k) for k, v in intents.items()
                  if isinstance(v, dict) and "f1-score" in v and k not in
                  ("macro avg", "weighted avg", "micro avg") and v["f1-score"] < 1.0)
    if weak:
        print("intents below 1.0: " + ", ".join(f"{k} {f:.2f}" for f, k in weak))
    for err in errors[:20]:
        print(f"  miss: {err['text']!r}: {err['intent']} → {err['intent_prediction']['name']} "
              f"({err['intent_prediction']['confidence']:.2f})")
    return 0 if intent_avg["f1-score"] >= args.min_intent_f1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
