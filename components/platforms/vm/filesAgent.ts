/*
 * The agent on each VM that keeps its server's files (config, CA, certificate, key) as the stack
 * declares them: it fetches the server's bundle (serverFiles.ts) from the cloud's secret store with
 * the machine's own identity (an instance role on AWS, a service account on GCP), writes what
 * changed, grows the data volume's file system to the volume, and has the server take the change
 * by a reload, or by a restart (lame duck first) when nats-server refuses to reload it: it knows by
 * the digest the server reports in its varz metadata. A timer runs it; the boot script runs it
 * first, before the server starts. Python 3 and its standard library, as on every Ubuntu image.
 *
 * The endpoints are the clouds' own, unless the standard overrides of their SDKs are set:
 * AWS_EC2_METADATA_SERVICE_ENDPOINT and AWS_ENDPOINT_URL_SECRETS_MANAGER (or AWS_ENDPOINT_URL) on
 * AWS; GCE_METADATA_HOST and CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER on GCP.
 */

/** What the boot script writes for the agent at `VmLayout.filesSettings`. */
export interface FilesAgentSettings {
  source: { cloud: "aws"; secret: string; region: string } | { cloud: "gcp"; secret: string };
  /** Owns the files it writes. */
  user: string;
  /** `VmLayout.control`. */
  control: string;
  /** The server's monitoring endpoint on this machine, and the CA its certificate is from (TLS). */
  monitor: string;
  ca?: string;
  /** The mount point of the data volume, whose file system grows with it. */
  dataDir?: string;
  /** How long a reload, then a restart, may take before the server reports the new files. */
  reloadTimeoutS: number;
  restartTimeoutS: number;
}

/** The agent's program, installed at `VmLayout.filesAgent`. */
export const FILES_AGENT = String.raw`#!/usr/bin/env python3
"""nats-global: brings this server's config and certificates to what the stack declares.

Usage: nats-server-files SETTINGS [--fetch-only] [--wait SECONDS]
"""
import base64, datetime, hashlib, hmac, json, os, pwd, ssl, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

DIGEST_KEY = "nats-global/files"


def log(message):
    print("nats-server-files: " + message, flush=True)


def http(method, url, headers=None, body=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.read()
    except urllib.error.HTTPError as error:
        # The cloud's own words (AccessDeniedException, PERMISSION_DENIED): they hold no secret.
        raise RuntimeError(str(error) + ": " + error.read().decode(errors="replace")[:300]) from None


def aws_secret(source):
    metadata = os.environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://169.254.169.254").rstrip("/")
    token = http("PUT", metadata + "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "300"})
    asked = {"X-aws-ec2-metadata-token": token.decode()}
    roles = metadata + "/latest/meta-data/iam/security-credentials/"
    role = http("GET", roles, asked).decode().split()[0]
    credentials = json.loads(http("GET", roles + role, asked))
    region = source["region"]
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    endpoint = (
        os.environ.get("AWS_ENDPOINT_URL_SECRETS_MANAGER")
        or os.environ.get("AWS_ENDPOINT_URL")
        or "https://secretsmanager." + region + "." + domain
    ).rstrip("/")
    body = json.dumps({"SecretId": source["secret"]}).encode()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "host": urllib.parse.urlsplit(endpoint).netloc,
        "x-amz-date": stamp,
        "x-amz-security-token": credentials["Token"],
        "x-amz-target": "secretsmanager.GetSecretValue",
    }
    # Signature Version 4, as every AWS SDK signs a request.
    names = sorted(headers)
    canonical = "\n".join(
        ["POST", "/", ""] + [name + ":" + headers[name] for name in names]
        + ["", ";".join(names), hashlib.sha256(body).hexdigest()]
    )
    scope = stamp[:8] + "/" + region + "/secretsmanager/aws4_request"
    key = ("AWS4" + credentials["SecretAccessKey"]).encode()
    for part in (stamp[:8], region, "secretsmanager", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=" + credentials["AccessKeyId"] + "/" + scope
        + ", SignedHeaders=" + ";".join(names) + ", Signature=" + signature
    )
    del headers["host"]
    return json.loads(http("POST", endpoint + "/", headers, body))["SecretString"]


def gcp_secret(source):
    metadata = os.environ.get("GCE_METADATA_HOST", "metadata.google.internal")
    token = json.loads(http(
        "GET",
        "http://" + metadata + "/computeMetadata/v1/instance/service-accounts/default/token",
        {"Metadata-Flavor": "Google"},
    ))["access_token"]
    api = os.environ.get("CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER", "https://secretmanager.googleapis.com/")
    reply = json.loads(http(
        "GET",
        api.rstrip("/") + "/v1/" + source["secret"] + "/versions/latest:access",
        {"Authorization": "Bearer " + token},
    ))
    return base64.b64decode(reply["payload"]["data"]).decode()


def fetch(source, wait_s):
    """The bundle; retried (a new machine's identity may take a while to be usable)."""
    deadline = time.monotonic() + wait_s
    delay = 2
    while True:
        try:
            return json.loads((aws_secret if source["cloud"] == "aws" else gcp_secret)(source))
        except Exception as error:  # every failure is retried alike, then reported
            if time.monotonic() + delay > deadline:
                raise SystemExit("nats-server-files: cannot fetch " + source["secret"] + ": " + str(error))
            log("fetching " + source["secret"] + " failed (" + str(error) + "); retrying")
            time.sleep(delay)
            delay = min(delay * 2, 15)


def write_files(files, user):
    """
    Writes each file whose content differs, whole: to a new file of its own (never through a link
    someone left), then renamed over the old one. The folder is root's: the server's user reads.
    """
    owner = pwd.getpwnam(user)
    written = []
    for path, file in sorted(files.items()):
        content = file["content"].encode()
        try:
            with open(path, "rb") as current:
                if current.read() == content:
                    continue
        except FileNotFoundError:
            pass
        descriptor, staged = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".nats-global-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(content)
                out.flush()
                os.fchown(out.fileno(), owner.pw_uid, owner.pw_gid)
                os.fchmod(out.fileno(), int(file["mode"], 8))
                os.fsync(out.fileno())
            os.replace(staged, path)
        except BaseException:
            os.unlink(staged)
            raise
        written.append(path)
    return written


def file_system_bytes(device):
    header = subprocess.run(["dumpe2fs", "-h", device], capture_output=True, text=True).stdout
    fields = dict(line.split(":", 1) for line in header.splitlines() if ":" in line)
    return int(fields["Block count"]) * int(fields["Block size"])


def grow_file_system(data_dir):
    """Grows the data volume's ext4 to the volume, online, once the volume has grown."""
    found = subprocess.run(["findmnt", "-n", "-o", "SOURCE,TARGET", "--target", data_dir],
                           capture_output=True, text=True)
    parts = found.stdout.split()
    if found.returncode != 0 or len(parts) != 2 or parts[1] != data_dir:
        return
    device = parts[0]
    size = subprocess.run(["blockdev", "--getsize64", device], capture_output=True, text=True)
    try:
        if int(size.stdout) <= file_system_bytes(device):
            return
    except (KeyError, ValueError):
        return  # not ext4, or not a block device it can read: nothing it knows how to grow
    grown = subprocess.run(["resize2fs", device], capture_output=True, text=True)
    if grown.returncode != 0:
        log("resize2fs " + device + " failed: " + grown.stderr.strip().splitlines()[-1])
    else:
        log("grew the file system of " + data_dir + " to " + str(file_system_bytes(device)) + " bytes")


UNANSWERED = object()


def served_digest(settings):
    """The digest of the files the server runs, None when it names none, UNANSWERED when silent."""
    context = ssl.create_default_context(cafile=settings.get("ca")) if settings.get("ca") else None
    if context is not None:
        context.check_hostname = False  # this machine's own server, whatever names its certificate gives
    try:
        with urllib.request.urlopen(settings["monitor"] + "/varz", timeout=10, context=context) as reply:
            return (json.load(reply).get("metadata") or {}).get(DIGEST_KEY)
    except Exception:
        return UNANSWERED


def control(settings, action):
    return subprocess.run([settings["control"], action]).returncode == 0


def served_within(settings, digest, seconds):
    """What the server last said it runs, waiting up to SECONDS for it to say DIGEST."""
    deadline = time.monotonic() + seconds
    while True:
        served = served_digest(settings)
        if served == digest or time.monotonic() >= deadline:
            return served
        time.sleep(1)


def main(argv):
    settings = json.load(open(argv[1]))
    wait_s = int(argv[argv.index("--wait") + 1]) if "--wait" in argv else 20
    bundle = fetch(settings["source"], wait_s)
    for path in write_files(bundle["files"], settings["user"]):
        log("wrote " + path)
    if settings.get("dataDir"):
        grow_file_system(settings["dataDir"])
    if "--fetch-only" in argv or not control(settings, "running"):
        return
    served = served_digest(settings)
    if served == bundle["digest"]:
        return
    if served is UNANSWERED:
        # A busy or starting server: the next run asks again, rather than restart what may be fine.
        raise SystemExit("nats-server-files: the server's monitoring endpoint does not answer; trying next time")
    log("server reloads files " + bundle["digest"])
    control(settings, "reload")
    served = served_within(settings, bundle["digest"], settings["reloadTimeoutS"])
    if served == bundle["digest"]:
        return
    if served is UNANSWERED:
        raise SystemExit("nats-server-files: the server went silent after its reload; trying next time")
    # It answers with the files it ran before: nats-server refused the reload as a whole.
    log("server refused to reload them (see its log): restarting it")
    control(settings, "restart")
    if served_within(settings, bundle["digest"], settings["restartTimeoutS"]) != bundle["digest"]:
        raise SystemExit("nats-server-files: the server does not run files " + bundle["digest"] + " after a restart")
    log("server restarted with files " + bundle["digest"])


if __name__ == "__main__":
    main(sys.argv)
`;
