/*
 * The boot script of a VM that runs one nats-server: installs the pinned release (checked against
 * the release's SHA256SUMS), writes the rendered config and certificates, and runs the server under
 * systemd with lame duck mode on stop. Pure: the VM platforms hand it to the cloud as user data or a
 * startup script, and the tests run it in a network namespace per "VM".
 */
import { LAME_DUCK } from "../../model/serverConfig";
import { VmLayout } from "./layout";

export interface BootScriptInputs {
  /** The nats-server release, e.g. "2.15.2". */
  version: string;
  layout: VmLayout;
  /** The server's config, as nats-server reads it (JSON). */
  config: string;
  /** With TLS: the PEMs the config names. */
  tls?: { ca: string; cert: string; key: string };
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

function systemdUnit(layout: VmLayout): string {
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

export function bootScript(inputs: BootScriptInputs): string {
  const { version, layout } = inputs;
  const files = [
    writeFile(layout.starter, starter(layout), "0755", "root"),
    writeFile(layout.configFile, inputs.config, "0640"),
    ...(inputs.tls
      ? [
          writeFile(`${layout.configDir}/ca.pem`, inputs.tls.ca, "0644"),
          writeFile(`${layout.configDir}/server.pem`, inputs.tls.cert, "0644"),
          writeFile(`${layout.configDir}/server-key.pem`, inputs.tls.key, "0600"),
        ]
      : []),
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
${inputs.dataDevice !== undefined ? mountDataVolume(inputs.dataDevice, layout.dataDir) : ""}install -d -m 0750 -o "$user" "${layout.configDir}" "${layout.dataDir}"
${files.join("\n")}

if [[ -d /run/systemd/system ]]; then
${writeFile(layout.unitFile, systemdUnit(layout), "0644", "root")}
  systemctl daemon-reload
  systemctl enable nats-server
  systemctl restart nats-server
  log "nats-server started by systemd"
elif [[ -f "${layout.pidFile}" ]] && kill -0 "$(cat "${layout.pidFile}")" 2>/dev/null; then
  kill -s HUP "$(cat "${layout.pidFile}")"
  log "no systemd: nats-server reloaded"
else
  # No systemd (a container): the server runs in the background, its output beside its store.
  setsid runuser -u "$user" -- "${layout.starter}" -c "${layout.configFile}" \\
    >>"${layout.dataDir}/nats-server.log" 2>&1 </dev/null &
  log "no systemd: nats-server started in the background"
fi
`;
}
