//go:build tools

// The command scripts/setup-platforms.sh builds from this module.
package tools

import _ "github.com/nats-io/prometheus-nats-exporter"
