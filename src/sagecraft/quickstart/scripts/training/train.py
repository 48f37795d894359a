"""The quickstart's training entry point (the seed's ``XGBoost(entry_point='train.py')``, script
mode): the hyperparameters arrive as ``--objective binary:logistic --num_round 100``, the data
in the channels' folders (label first, no header), the model goes to SM_MODEL_DIR."""

import argparse
import os

import pandas as pd
import xgboost as xgb


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objective", type=str, default="binary:logistic")
    parser.add_argument("--num_round", type=int, default=100)
    parser.add_argument("--max_depth", type=int, default=3)
    parser.add_argument("--eta", type=float, default=0.1)
    parser.add_argument("--early_stopping_rounds", type=int, default=0)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    parser.add_argument("--validation", default=os.environ.get("SM_CHANNEL_VALIDATION"))
    args, _ = parser.parse_known_args()  # the toolkit may pass more than this script knows
    return args


def matrix(folder: str) -> xgb.DMatrix:
    files = sorted(name for name in os.listdir(folder) if name.endswith(".csv"))
    if not files:
        raise SystemExit(f"no CSV file in the channel folder {folder}")
    frame = pd.concat([pd.read_csv(os.path.join(folder, name), header=None) for name in files])
    return xgb.DMatrix(frame.iloc[:, 1:].values, label=frame.iloc[:, 0].values)


def main() -> None:
    args = arguments()
    train = matrix(args.train)
    evals = [(train, "train")]
    if args.validation:
        evals.append((matrix(args.validation), "validation"))
    print(f"training on {train.num_row()} rows, validating on {evals[-1][1]}; {args.num_round} rounds")
    params = {
        "objective": args.objective,
        "max_depth": args.max_depth,
        "eta": args.eta,
        "eval_metric": ["logloss", "auc"],
    }
    booster = xgb.train(
        params,
        train,
        num_boost_round=args.num_round,
        evals=evals,
        verbose_eval=True,
        early_stopping_rounds=args.early_stopping_rounds or None,
    )
    os.makedirs(args.model_dir, exist_ok=True)
    path = os.path.join(args.model_dir, "xgboost-model")  # the name SageMaker's XGBoost serving loads
    booster.save_model(path + ".json")  # the extension picks JSON, the format the built-in algorithm writes
    os.replace(path + ".json", path)
    print(f"model saved to {path}")


if __name__ == "__main__":
    main()
