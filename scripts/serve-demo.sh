#!/usr/bin/env bash
# The durable half of `make demo`: flowctl serve on the embedded defaults
# (NATS JetStream inside the process, data in a temporary directory), over
# examples/serve-quickstart. Drops the sample orders into the inbox, waits
# until every record has an outcome, shows the outbox and the dead letters,
# and stops serve with SIGTERM. Needs bash and bin/flowctl; nothing else.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin/flowctl
example=$root/examples/serve-quickstart
work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

cp "$example"/*.hcl "$work"/
mkdir -p "$work/inbox"
cd "$work"
"$bin" serve --data .flowctl --listen 127.0.0.1:0 --drain-timeout 5s . 2>serve.log &
pid=$!

# The listener's address is in serve's first log lines.
addr=
for _ in $(seq 100); do
	addr=$(sed -n 's/.*"msg":"listening","addr":"\([^"]*\)".*/\1/p' serve.log | head -1)
	[ -n "$addr" ] && break
	kill -0 "$pid" 2>/dev/null || { cat serve.log; exit 1; }
	sleep 0.1
done
[ -n "$addr" ] || { echo "serve did not start"; cat serve.log; exit 1; }
metrics() {
	exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}"
	printf 'GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n' "$addr" >&3
	cat <&3
	exec 3<&-
}
sum() { metrics | awk -v m="$1" 'index($1, m) == 1 { s += $2 } END { print s + 0 }'; }

# Write outside the glob, then rename: serve never sees half a file.
records=$(wc -l <"$example/testdata/sale_orders.ndjson")
cp "$example/testdata/sale_orders.ndjson" inbox/orders.part
mv inbox/orders.part inbox/orders.ndjson
echo "serve listening on $addr; dropped $records orders into inbox/"

for _ in $(seq 300); do
	in=$(sum flowctl_messages_in_total)
	out=$(sum flowctl_messages_out_total)
	[ "$in" -ge "$records" ] && [ "$out" -ge "$in" ] && break
	sleep 0.1
done
echo "journaled $in, settled $out:"
metrics | grep '^flowctl_messages_out_total' | sed 's/^/  /'
echo "outbox/jobs.ndjson ($(wc -l <outbox/jobs.ndjson) jobs):"
sed 's/^/  /' outbox/jobs.ndjson
echo "archive/: $(ls archive | grep -v '^\.' | tr '\n' ' ')"
"$bin" dlq list --data .flowctl

kill -TERM "$pid"
wait "$pid"
pid=
echo "serve stopped cleanly"
