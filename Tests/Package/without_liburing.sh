#!/usr/bin/env bash
# The package on a machine without liburing: liburing's header is hidden from this script's own
# mount namespace only (a copy of /usr/include without it, bound over /usr/include; no other
# process on the machine sees the change, and it ends with the script), then:
#   swift build --build-tests, the write-path tests, and `parley serve`, which must say at start
#   that it sends per connection because this build has no io_uring.
# Needs root (unshare --mount). On the way out it touches Sources/CParleyRing/ring.c: a header
# that appears is not in the last build's dependencies (only headers found are), so without the
# touch the next build would keep the io_uring-less object. With it, that build recompiles the
# one C file and relinks.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${1:-}" != "--inside" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "without-liburing: needs root for a private mount namespace (unshare --mount)" >&2
        exit 2
    fi
    exec unshare --mount --propagation private "$0" --inside
fi

shadow=$(mktemp -d /tmp/parley-include-XXXXXX)
trap 'umount /usr/include 2>/dev/null || true; rm -rf "$shadow"; touch Sources/CParleyRing/ring.c' EXIT
cp -a /usr/include/. "$shadow/"
rm -rf "$shadow/liburing.h" "$shadow/liburing"
mount --bind "$shadow" /usr/include
test ! -e /usr/include/liburing.h
echo "without-liburing: liburing's header hidden in this namespace"

swift build --build-tests
swift test --skip-build --filter 'SendRing|DirectWriteTests|LoopFlushPolicyTests|FrameWriterQueueTests'

log=$(mktemp)
.build/debug/parley serve --port 0 --no-web >"$log" 2>&1 &
server=$!
for _ in $(seq 200); do grep -q "parley listening" "$log" && break; sleep 0.05; done
kill -TERM "$server"
wait "$server" || true
if ! grep -q "built without liburing" "$log"; then
    echo "without-liburing: parley serve did not say it runs without io_uring; its log:" >&2
    cat "$log" >&2
    exit 1
fi
grep "io_uring" "$log"
rm -f "$log"
echo "without-liburing: built, tested and served without liburing's header"
