#!/usr/bin/env bash
# Continuous training, exactly as .github/workflows/continuous-training.yml runs it (`make ct`),
# and as tests/system/test_continuous_training.py runs it in a fresh clone.
#
#   CT_IF_DUE=15h   only retrain when the last run (recorded in the registry) started 15 h ago
#   BIN             where dvc and boxoffice live (default .venv/bin)
#   CML             the CML binary that posts the report (default cml)
#
# Promoted (exit 0): push data and models to the DVC remote, commit what the run changed
# (dvc.lock, the exported models, reports, the model card, the labelled feedback), push.
# Refused (exit 3): the candidate's files are put back as git has them, so nothing a later
# deploy would ship changes; only the report is posted. Not due (exit 6): nothing at all.
set -euo pipefail

BIN=${BIN:-.venv/bin}
CML=${CML:-cml}
export PATH="$(cd "$BIN" && pwd):$PATH"

"$BIN/dvc" pull --allow-missing

set +e
"$BIN/boxoffice" retrain ${CT_IF_DUE:+--if-due "$CT_IF_DUE"}
code=$?
set -e

case "$code" in
  6) echo "continuous training: not due"; exit 0 ;;
  0) ;;
  3|5)
    # Not promoted (or production moved meanwhile): keep git's models, lock and reports.
    git checkout -- .
    git clean -fdq -- data/feedback
    "$CML" comment create --commit-sha "$(git rev-parse HEAD)" reports/retrain.md
    exit 0 ;;
  *) exit "$code" ;;
esac

"$BIN/dvc" push
git add dvc.lock models reports docs/model-card.md data/feedback
if ! git diff --cached --quiet; then
  git -c user.name="${CT_GIT_NAME:-boxoffice-ct}" \
      -c user.email="${CT_GIT_EMAIL:-boxoffice-ct@users.noreply.github.com}" \
      commit -q -m "continuous training: $(git diff --cached --name-only | wc -l) files from a promoted retrain"
  git push -q origin HEAD
fi
"$CML" comment create --commit-sha "$(git rev-parse HEAD)" reports/retrain.md
