// The NATS config reloader that runs beside each server on Kubernetes (the k8s platform's
// manifests name its image, natsio/nats-server-config-reloader, at this version), built for the
// platform tests' kubelet.
module nats-global.local/config-reloader

go 1.26

require github.com/nats-io/nack v0.23.0

require (
	github.com/fsnotify/fsnotify v1.9.0 // indirect
	golang.org/x/sys v0.43.0 // indirect
)
