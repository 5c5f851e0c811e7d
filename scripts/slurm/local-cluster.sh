#!/usr/bin/env bash
# A one-node Slurm on this machine, from Debian's packages (slurm-wlm 22.05, munge), for the tests of the Slurm
# executor: everything (munge key and socket, slurm.conf, state, logs, pid files) lives under DIR, nothing
# under /etc. Commands run against it with SLURM_CONF=DIR/slurm.conf.
#   scripts/slurm/local-cluster.sh start DIR [CPUS]   start munged, slurmctld and slurmd; wait until the node is idle
#   scripts/slurm/local-cluster.sh stop DIR           stop them
set -euo pipefail
cmd=${1:?usage: local-cluster.sh start|stop DIR [CPUS]}
dir=${2:?usage: local-cluster.sh start|stop DIR [CPUS]}
cpus=${3:-$(nproc)}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stop() {
  # TERM, then KILL what is still there after 10 s: the test's temporary folder goes right after.
  local pids=() pid
  for name in slurmd slurmctld munged; do
    if [[ -f "$dir/$name.pid" ]]; then
      pid=$(cat "$dir/$name.pid")
      [[ "$pid" =~ ^[0-9]+$ ]] && kill "$pid" 2>/dev/null && pids+=("$pid")
      rm -f "$dir/$name.pid"
    fi
  done
  for _ in $(seq 1 100); do
    local alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    (( ${#alive[@]} == 0 )) && return 0
    sleep 0.1
  done
  kill -9 "${alive[@]}" 2>/dev/null || true
}

case "$cmd" in
stop) stop; exit 0 ;;
start) ;;
*) echo "local-cluster.sh: unknown command $cmd (start or stop)" >&2; exit 64 ;;
esac

for tool in munged slurmctld slurmd sbatch; do
  command -v "$tool" >/dev/null || { echo "local-cluster.sh: $tool is missing: apt-get install slurm-wlm munge" >&2; exit 69; }
done
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 700 "$dir/munge"
[[ -f "$dir/munge/munge.key" ]] || { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none; chmod 400 "$dir/munge/munge.key"; }
user=$(id -un)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
# cred_expire: a requeued job waits that long before it may start again (120 s by default); 10 s keeps the
# requeue test short, and is still ample for a step's credential on one machine.
cat > "$dir/slurm.conf" <<CONF
ClusterName=spool-local
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
CredType=cred/munge
SlurmctldPort=$(( 16817 + RANDOM % 1000 ))
SlurmdPort=$(( 17817 + RANDOM % 1000 ))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=3600
KillWait=5
InactiveLimit=0
SlurmdTimeout=30
MpiDefault=none
NodeName=spoolnode NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=spool Nodes=spoolnode Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
stop
# The daemons must not keep the caller's descriptors: munged keeps whatever it inherits, and a caller that reads
# its child's output to the end, or learns of its exit through a descriptor (Foundation's Process), would wait for
# ever. Each daemon starts from a subshell that closes everything above stderr, with stdio on /dev/null or a log.
daemon() {
  (
    for fd in /proc/$BASHPID/fd/*; do
      n=${fd##*/}
      if (( n > 2 )); then eval "exec $n>&-" 2>/dev/null || true; fi
    done
    exec "$@"
  ) </dev/null >>"$dir/log/daemons.out" 2>&1
}
daemon munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" --pid-file="$dir/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munge.seed" --force
daemon slurmctld -i
daemon slurmd -N spoolnode
for _ in $(seq 1 60); do
  state=$(sinfo -h -n spoolnode -o %t 2>/dev/null || true)
  [[ "$state" == idle* ]] && { echo "slurm: spoolnode idle, SLURM_CONF=$dir/slurm.conf"; exit 0; }
  sleep 0.5
done
echo "local-cluster.sh: the node did not become idle (state '${state:-none}'); logs in $dir/log" >&2
tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
exit 1
