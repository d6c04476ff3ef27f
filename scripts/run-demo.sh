#!/usr/bin/env bash
# `make run`: starts fleetd on the embedded default (SQLite under ./var) with demo vehicles driving,
# prints where to look, and stops everything cleanly on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
F=build/fleetd
DATA=${FLEETD_DATA:-./var}
mkdir -p "$DATA"

# Demo vehicles: 20 Teltonika vans, 5 GT06 cars, 3 phones with Traccar Client (OsmAnd).
register() {  # protocol first-index count name
  local known
  known=$("$F" admin --data "$DATA" device list 2>/dev/null || true)
  local i=0
  for imei in $("$F" simulate --list-imeis --devices "$3" --first-imei-index "$2"); do
    i=$((i + 1))
    grep -q "\"$imei\"" <<<"$known" || "$F" admin --data "$DATA" device add --imei "$imei" --protocol "$1" \
      --name "$4 $i" >/dev/null
  done
}
register teltonika 0 20 "Demo van"
register gt06 1000 5 "Demo car"
register osmand 2000 3 "Demo phone"

# The demo customer: tenant "demo", one vehicle per demo device, and its administrator with a
# one-time password (printed once; it must be changed at first sign-in, then TOTP enrolled).
DEMO_EMAIL=admin@demo.example
one_time_password=""
if ! "$F" admin --data "$DATA" tenant list | grep -q '"name":"demo"'; then
  "$F" admin --data "$DATA" tenant add --name demo >/dev/null
  plate=0
  for spec in "teltonika 0 20 Van" "gt06 1000 5 Car" "osmand 2000 3 Phone"; do
    set -- $spec
    i=0
    for imei in $("$F" simulate --list-imeis --devices "$3" --first-imei-index "$2"); do
      i=$((i + 1)); plate=$((plate + 1))
      "$F" admin --data "$DATA" vehicle add --tenant demo --name "$4 $i" --plate "$(printf 'FD-%03d-DM' "$plate")" \
        --imei "$imei" >/dev/null
    done
  done
  one_time_password=$(python3 -c 'import secrets; print("-".join(secrets.token_urlsafe(6) for _ in range(3)))')
  printf '%s\n' "$one_time_password" | "$F" admin --data "$DATA" user add --tenant demo --email "$DEMO_EMAIL" \
    --role tenant-admin --must-change-password --password-stdin >/dev/null
fi

pids=()
stop() {
  trap - INT TERM
  echo
  echo "stopping..."
  for p in "${pids[@]:1}"; do kill -INT "$p" 2>/dev/null || true; done
  kill -TERM "${pids[0]}" 2>/dev/null || true
  wait 2>/dev/null || true
  cat "$DATA"/simulate-*.txt 2>/dev/null || true
  echo "stopped; data kept in $DATA"
  exit 0
}
trap stop INT TERM

"$F" serve --data "$DATA" > "$DATA/ready.txt" 2> >(tee -a "$DATA/fleetd.log" >&2) &
pids+=($!)
for _ in $(seq 100); do
  grep -q "fleetd ready" "$DATA/ready.txt" 2>/dev/null && break
  if ! kill -0 "${pids[0]}" 2>/dev/null; then echo "fleetd did not start (see above)"; exit 1; fi
  sleep 0.1
done

"$F" simulate --target 127.0.0.1:5027 --protocol teltonika --devices 20 --first-imei-index 0 --interval 5 \
  --records-per-packet 2 > "$DATA/simulate-teltonika.txt" &
pids+=($!)
"$F" simulate --target 127.0.0.1:5023 --protocol gt06 --devices 5 --first-imei-index 1000 --interval 10 \
  > "$DATA/simulate-gt06.txt" &
pids+=($!)
"$F" simulate --target 127.0.0.1:5055 --protocol osmand --devices 3 --first-imei-index 2000 --interval 10 \
  > "$DATA/simulate-osmand.txt" &
pids+=($!)

first=$("$F" simulate --list-imeis --devices 1)
cat <<MSG

fleetd is running with 28 demo vehicles (data in $DATA).
  web app:    http://127.0.0.1:8082/  (sign in as $DEMO_EMAIL)
  api:        http://127.0.0.1:8082/api/v1/openapi.json
  metrics:    curl http://127.0.0.1:8082/metrics
  devices:    $F admin --data $DATA device list
  positions:  $F admin --data $DATA positions --imei $first
  raw frames: $F admin --data $DATA frames --imei $first
  decode:     $F decode --protocol teltonika --hex 000F333536333037303432343431303133
Press Ctrl-C to stop.

MSG
if [ -n "$one_time_password" ]; then
  echo "  one-time password of $DEMO_EMAIL: $one_time_password"
  echo "  (shown once: change it at first sign-in; to start over, stop and delete $DATA)"
  echo
fi
wait "${pids[0]}"
