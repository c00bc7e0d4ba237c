#!/bin/bash
# A "container" behind the real docker-proxy, inside a fresh network, pid and
# mount namespace (the test runs this under `unshare`): the container is its
# own network namespace joined by a veth pair, and its app listens on
# 127.0.0.1:80 inside, as a misconfigured container app does.
# Usage: container.sh PORTDOCTOR SCRATCH_DIR. Prints one report per check,
# each after a line `== NAME`.
set -eu
portdoctor=$1
scratch=$2
outer=$$
ip link set lo up
mkfifo "$scratch/ready"
# The container makes the veth pair itself, its peer in our namespace, so
# there is no race between creating its namespace and moving a link into it.
unshare --net sh -c "
  ip link set lo up &&
  ip link add vc type veth peer name vh netns $outer &&
  ip addr add 10.99.0.2/24 dev vc && ip link set vc up &&
  exec python3 -u -m http.server --bind 127.0.0.1 80" >"$scratch/ready" 2>/dev/null &
# The app announces itself once it listens: the synchronisation.
read -r _ <"$scratch/ready"
ip addr add 10.99.0.1/24 dev vh
ip link set vh up
# docker-proxy signals its parent on fd 3, then closes it; without fd 3 open
# it closes its own listener.
docker-proxy -proto tcp -host-ip 127.0.0.1 -host-port 8080 \
  -container-ip 10.99.0.2 -container-port 80 3>/dev/null 2>/dev/null &
# 10.99.0.3 is on the container network, but nothing has that address.
docker-proxy -proto tcp -host-ip 127.0.0.1 -host-port 8081 \
  -container-ip 10.99.0.3 -container-port 80 3>/dev/null 2>/dev/null &
"$portdoctor" wait 127.0.0.1:8080 --until accepts --for 20s >/dev/null
"$portdoctor" wait 127.0.0.1:8081 --until accepts --for 20s >/dev/null
echo "== refused"
"$portdoctor" check 127.0.0.1:8080 --json || true
echo "== unreachable"
"$portdoctor" check 127.0.0.1:8081 --json --timeout 1s || true
