/*
 * The boot script of a VM that runs one nats-server: installs the pinned release (checked against
 * the release's SHA256SUMS), mounts the data volume, installs the agent that fetches the server's
 * config and certificates from the cloud's secret store (filesAgent.ts) with its timer, fetches them
 * once, and runs the server under systemd with lame duck mode on stop. It holds no config and no
 * key: a new config or certificate changes the secret, not the script, and reaches the running
 * server by reload. Pure: the VM platforms hand it to the cloud as user data or a startup script,
 * and the tests run it in a network namespace per "VM".
 */
import { LAME_DUCK } from "../../model/serverConfig";
import { FILES_AGENT, FilesAgentSettings } from "./filesAgent";
import { VmLayout, vmFiles } from "./layout";

export interface BootScriptInputs {
  /** The nats-server release, e.g. "2.15.2". */
  version: string;
  layout: VmLayout;
  /** Where the agent fetches the server's files, and the server's monitoring endpoint on the machine. */
  source: FilesAgentSettings["source"];
  monitor: string;
  /** Whether the server runs with TLS (the agent checks its monitoring endpoint against the CA). */
  tls: boolean;
  /** How often the agent checks for new files, in seconds. */
  pollSeconds: number;
  /**
   * The block device of the server's data volume (attached by the cloud, maybe after boot):
   * formatted when blank and mounted at the layout's data directory, so the store outlives the VM.
   */
  dataDevice?: string;
}

const RELEASES = "https://github.com/nats-io/nats-server/releases/download";
/** How long the script waits for the data volume to be attached: 120 checks, 5 s apart. */
const DEVICE_CHECKS = 120;
const DEVICE_INTERVAL_S = 5;
/** How long the first fetch may retry: a new machine's identity may take a while to be usable. */
const FIRST_FETCH_WAIT_S = 600;
/** How long the agent gives a reload to show: nats-server reloads in well under a second. */
const RELOAD_TIMEOUT_S = 20;

/** Waits for the device, formats it when it has no file system, and mounts it at `dir` for good. */
function mountDataVolume(device: string, dir: string): string {
  return `device="${device}"
for _ in $(seq ${DEVICE_CHECKS}); do [[ -e "$device" ]] && break; sleep ${DEVICE_INTERVAL_S}; done
[[ -e "$device" ]] || { log "data volume $device not attached after ${(DEVICE_CHECKS * DEVICE_INTERVAL_S) / 60} minutes"; exit 1; }
blkid "$device" >/dev/null || mkfs.ext4 -q -L nats-data "$device"
mkdir -p "${dir}"
grep -q " ${dir} " /etc/fstab || echo "$device ${dir} ext4 defaults,nofail 0 2" >>/etc/fstab
mountpoint -q "${dir}" || mount "${dir}"
`;
}

/** systemd waits this long for lame duck mode and the shutdown after it before killing the server. */
export const STOP_TIMEOUT_S = LAME_DUCK.gracePeriodS + LAME_DUCK.durationS + 20;

/** A file written whole through a rename, its content in base64 so that no text can end the heredoc. */
function writeFile(path: string, content: string, mode: string, owner = '"$user"'): string {
  return [
    `base64 -d >"${path}.new" <<'NATS_GLOBAL_EOF'`,
    Buffer.from(content, "utf8").toString("base64").replace(/.{76}/g, "$&\n"),
    "NATS_GLOBAL_EOF",
    `chmod ${mode} "${path}.new" && chown ${owner} "${path}.new" && mv -f "${path}.new" "${path}"`,
  ].join("\n");
}

/**
 * The server's start: GOMEMLIMIT at 90% of the memory the machine has at this start (a new instance
 * type keeps the disk, the unit and this script, and EC2 runs user data only once), so that the Go
 * runtime collects harder before the OOM killer comes.
 */
function starter(layout: VmLayout): string {
  return `#!/bin/sh
GOMEMLIMIT=$(awk '/^MemTotal:/ { printf "%dMiB", $2 * 0.9 / 1024 }' /proc/meminfo)
export GOMEMLIMIT
exec ${layout.binary} "$@"
`;
}

/** Start, reload, restart, or "running": by systemd where it runs the machine, else by signals. */
function controlScript(layout: VmLayout): string {
  return `#!/bin/sh
# nats-global: start, reload or restart nats-server, or tell whether it runs. With systemd where it
# runs the machine; else (a container) by signals to the pid in its pid file, lame duck mode on stop.
if [ -d /run/systemd/system ]; then
  case "$1" in
    running) exec systemctl is-active --quiet nats-server ;;
    start | reload | restart) exec systemctl "$1" nats-server ;;
  esac
fi
pid=$(cat "${layout.pidFile}" 2>/dev/null)
alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
case "$1" in
  running) alive ;;
  reload) alive && kill -HUP "$pid" ;;
  start)
    alive && exit 0
    setsid runuser -u "${layout.user}" -- "${layout.starter}" -c "${layout.configFile}" \\
      >>"${layout.dataDir}/nats-server.log" 2>&1 </dev/null &
    ;;
  restart)
    if alive; then
      kill -USR2 "$pid"
      for _ in $(seq ${STOP_TIMEOUT_S}); do alive || break; sleep 1; done
      alive && kill -KILL "$pid"
    fi
    exec "$0" start
    ;;
  *)
    echo "usage: $0 running|start|reload|restart" >&2
    exit 2
    ;;
esac
`;
}

function serverUnit(layout: VmLayout): string {
  return `[Unit]
Description=NATS server (nats-global)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${layout.user}
ExecStart=${layout.starter} -c ${layout.configFile}
ExecReload=/bin/kill -s HUP $MAINPID
# SIGUSR2 is lame duck mode: clients move to other servers before this one exits. As the stop
# signal itself, not an ExecStop: after ExecStop, systemd sends its KillSignal (SIGTERM by default),
# which would end the server at once, lame duck mode or not.
KillSignal=SIGUSR2
TimeoutStopSec=${STOP_TIMEOUT_S}
Restart=on-failure
LimitNOFILE=800000

[Install]
WantedBy=multi-user.target
`;
}

function filesUnit(layout: VmLayout): string {
  return `[Unit]
Description=nats-global: the NATS server's config and certificates from the secret store
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=${layout.filesAgent} ${layout.filesSettings}
`;
}

function filesTimer(pollSeconds: number): string {
  return `[Unit]
Description=nats-global: a new config or certificates for the NATS server, every ${pollSeconds} s

[Timer]
OnBootSec=${pollSeconds}
OnUnitActiveSec=${pollSeconds}
AccuracySec=1

[Install]
WantedBy=timers.target
`;
}

export function bootScript(inputs: BootScriptInputs): string {
  const { version, layout } = inputs;
  const settings: FilesAgentSettings = {
    source: inputs.source,
    user: layout.user,
    control: layout.control,
    monitor: inputs.monitor,
    ...(inputs.tls ? { ca: vmFiles(layout, true).tls?.caFile } : {}),
    ...(inputs.dataDevice !== undefined ? { dataDir: layout.dataDir } : {}),
    reloadTimeoutS: RELOAD_TIMEOUT_S,
    restartTimeoutS: STOP_TIMEOUT_S + 120,
  };
  const programs = [
    writeFile(layout.starter, starter(layout), "0755", "root"),
    writeFile(layout.control, controlScript(layout), "0755", "root"),
    writeFile(layout.filesAgent, FILES_AGENT, "0755", "root"),
    writeFile(layout.filesSettings, JSON.stringify(settings, null, 2), "0644", "root"),
  ];
  const units = [
    writeFile(layout.unitFile, serverUnit(layout), "0644", "root"),
    writeFile(layout.filesUnit, filesUnit(layout), "0644", "root"),
    writeFile(layout.filesTimer, filesTimer(inputs.pollSeconds), "0644", "root"),
  ];
  return `#!/bin/bash
# nats-global: nats-server v${version} on this machine. Safe to run again (at every boot).
set -euo pipefail
user="${layout.user}"
log() { echo "nats-global: $*"; }

if [[ -x "${layout.binary}" ]] && "${layout.binary}" --version | grep -qx "nats-server: v${version}"; then
  log "nats-server v${version} already installed"
else
  arch=$(uname -m)
  case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
  tarball="nats-server-v${version}-linux-$arch.tar.gz"
  work=$(mktemp -d)
  log "downloading $tarball"
  curl -fsSL --retry 5 -o "$work/$tarball" "${RELEASES}/v${version}/$tarball"
  curl -fsSL --retry 5 -o "$work/SHA256SUMS" "${RELEASES}/v${version}/SHA256SUMS"
  (cd "$work" && grep " $tarball\\$" SHA256SUMS | sha256sum -c -)
  tar -xzf "$work/$tarball" -C "$work"
  install -D -m 0755 "$work/nats-server-v${version}-linux-$arch/nats-server" "${layout.binary}"
  rm -rf "$work"
fi

if [[ "$user" != root ]] && ! id "$user" >/dev/null 2>&1; then
  useradd --system --home-dir "${layout.dataDir}" --shell /usr/sbin/nologin "$user"
fi
${inputs.dataDevice !== undefined ? mountDataVolume(inputs.dataDevice, layout.dataDir) : ""}install -d -m 0750 -o "$user" "${layout.dataDir}"
# root's, readable by the server's group: the agent, as root, writes in no folder the server may change.
install -d -m 0750 -o root -g "$(id -gn "$user")" "${layout.configDir}"
install -d -m 0755 "$(dirname "${layout.filesSettings}")"
${programs.join("\n")}
log "fetching the server's config and certificates"
"${layout.filesAgent}" "${layout.filesSettings}" --fetch-only --wait ${FIRST_FETCH_WAIT_S}

if [[ -d /run/systemd/system ]]; then
${units.join("\n")}
  systemctl daemon-reload
  systemctl enable --now nats-server nats-server-files.timer
  log "nats-server started by systemd, its files checked every ${inputs.pollSeconds} s"
else
  # No systemd (a container): the server and the checks run in the background.
  "${layout.control}" start
  setsid bash -c 'while sleep ${inputs.pollSeconds}; do "$0" "$1" || true; done' \\
    "${layout.filesAgent}" "${layout.filesSettings}" >>"${layout.dataDir}/nats-server-files.log" 2>&1 </dev/null &
  log "no systemd: nats-server started in the background, its files checked every ${inputs.pollSeconds} s"
fi
`;
}
