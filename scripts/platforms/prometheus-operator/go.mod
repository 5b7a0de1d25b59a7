// The Prometheus Operator, for its PodMonitor CustomResourceDefinition alone: the platform tests'
// API servers hold it as a cluster with kube-prometheus-stack does, so that the k8s stack's
// PodMonitors meet its real schema. Its module carries the CRDs (example/prometheus-operator-crd).
module nats-global.local/prometheus-operator

go 1.26

require github.com/prometheus-operator/prometheus-operator v0.85.0
