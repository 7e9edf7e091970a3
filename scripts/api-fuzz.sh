#!/usr/bin/env bash
# Fuzzes the HTTP API of `mnemap serve` with schemathesis (PyPI) against the OpenAPI document it
# serves: every operation, requests valid and invalid by the schema, then stateful sequences
# (add, then get, update, forget what was added…) along the links it infers.
#
#   scripts/api-fuzz.sh [path/to/mnemap]        # default: .build/debug/mnemap
#
# It makes a new store (hashing embedder) in a temporary folder, serves it on a free loopback port
# with a random token, and fails on any of:
#   - a 5xx answer (not_a_server_error);
#   - an answer whose status, Content-Type, headers or body the document does not describe
#     (status_code_conformance, content_type_conformance, response_headers_conformance,
#     response_schema_conformance);
#   - a request the schema forbids being accepted (negative_data_rejection), a missing required
#     header or an unsupported method not refused, a 405 without a correct Allow
#     (missing_required_header, unsupported_method, allow_header_conformance);
#   - a request without the token, or with a wrong one, being answered (ignored_auth);
#   - a forgotten memory still found, one just added not found (use_after_free,
#     ensure_resource_availability);
#   - the server not stopping cleanly (exit 0) on SIGTERM afterwards.
# One check is left out: positive_data_acceptance, which expects every request the schema allows
# to succeed. The server rightly refuses some such requests for rules a static schema cannot state
# (a vector of another dimension than the store's, a namespace with no memories, a text `where`
# that does not parse, `validUntil` before `validFrom`, an id that does not exist).
#
# Environment:
#   API_FUZZ_EXAMPLES  examples per operation and phase; default 50 (about a minute on 2 cores)
#   API_FUZZ_SEED      the generator's seed; default 1, so that a run is repeatable (pass another
#                      seed, or "random", to look further)
#   API_FUZZ_VENV      the virtualenv for schemathesis; default .build/api-fuzz-venv
set -euo pipefail
cd "$(dirname "$0")/.."
here="$PWD"
mnemap="$(realpath "${1:-.build/debug/mnemap}")"
examples="${API_FUZZ_EXAMPLES:-50}"
seed="${API_FUZZ_SEED:-1}"
venv="$(realpath -m "${API_FUZZ_VENV:-.build/api-fuzz-venv}")"
schemathesis_version=4.32.5

# CPython before 3.11.8 and 3.12.2 can raise "SystemError: AST constructor recursion depth
# mismatch" inside hypothesis (gh-106905), which schemathesis reports as an error of the run: take
# the newest Python 3.12 or later that is installed, else python3.
python_for_venv() {
    local candidate
    for candidate in python3.13 python3.12 python3; do
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12, 2) else 1)' 2>/dev/null; then
            echo "$candidate"; return
        fi
    done
    if command -v pyenv >/dev/null; then
        for candidate in "$(pyenv root)"/versions/3.1[3-9]*/bin/python3 "$(pyenv root)"/versions/3.12.*/bin/python3; do
            if [ -x "$candidate" ] && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12, 2) else 1)'; then
                echo "$candidate"; return
            fi
        done
    fi
    echo python3
}
if ! "$venv/bin/python" -c "import schemathesis, sys; sys.exit(0 if schemathesis.__version__ == '$schemathesis_version' else 1)" 2>/dev/null; then
    rm -rf "$venv"
    "$(python_for_venv)" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

work="$(mktemp -d)"
server=
cleanup() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill "$server"; wait "$server" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

"$mnemap" init --store "$work/store" --embedder hashing >/dev/null
token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
MNEMAP_TOKEN="$token" "$mnemap" serve --store "$work/store" --port 0 2>"$work/serve.log" &
server=$!
port=
for _ in $(seq 1 300); do
    port="$(sed -n 's|.*serving .* on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$work/serve.log")"
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; echo "api-fuzz: the server did not start" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log" >&2; echo "api-fuzz: the server did not say its port" >&2; exit 1; }

echo "api-fuzz: schemathesis $schemathesis_version ($("$venv/bin/python" --version)) against $mnemap on port $port, $examples examples, seed $seed"
seed_option=(--seed "$seed")
[ "$seed" = random ] && seed_option=()
status=0
# From the temporary folder, where schemathesis leaves its .schemathesis and .hypothesis folders.
(cd "$work" && SCHEMATHESIS_HOOKS=api_fuzz_hooks PYTHONPATH="$here/scripts" PYTHONDONTWRITEBYTECODE=1 "$venv/bin/schemathesis" run \
    "http://127.0.0.1:$port/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all --exclude-checks positive_data_acceptance \
    --max-examples "$examples" "${seed_option[@]}" --workers 2 \
    --request-timeout 30 --generation-database none --no-color) || status=$?

# The server must have survived the run and must stop cleanly.
if ! kill -0 "$server" 2>/dev/null; then
    tail -50 "$work/serve.log" >&2
    echo "api-fuzz: FAILED: the server died during the run" >&2
    exit 1
fi
kill -TERM "$server"
stopped=0
wait "$server" || stopped=$?
server=
if [ "$stopped" != 0 ]; then
    tail -50 "$work/serve.log" >&2
    echo "api-fuzz: FAILED: the server exited $stopped on SIGTERM" >&2
    exit 1
fi
if [ "$status" != 0 ]; then
    echo "api-fuzz: FAILED: schemathesis exited $status (reproduce with API_FUZZ_SEED=$seed)" >&2
    exit "$status"
fi
echo "api-fuzz: passed"
